import { useId } from 'react'
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'
import { fromInstant } from '../../../../shared/src/model'
import { useDeviceSession } from '../../app/lock/session-context'
import { useT } from '../../i18n'
import { useDeviceLabels, usePractice } from '../../state'
import { shortDeviceId } from '../patients/history-text'
import '../lock/lock.css'

/**
 * Once, after the registry changed this device's role (sync/device/role-notice.ts): what it is
 * now — narrowed, that the clinical files left it (role-downgrade.ts); widened, that they are
 * available again (role-change.ts) — and who changed it and when where the registry says so.
 * One line under the header, like the lock's offer; « Compris » dismisses it for good.
 */
export function RoleNoticeBanner() {
  const translator = useT()
  const { t, longDate, timeZone } = translator
  const session = useDeviceSession()
  const { record } = usePractice()
  const labels = useDeviceLabels()
  const textId = useId()
  const notice = record.roleNotice
  if (notice === null) return null
  const role = t(`settings.devices.role.${notice.role}`).toLocaleLowerCase()
  const date = notice.at === null ? null : longDate(fromInstant(notice.at, timeZone).slice(0, 10))
  const name = notice.by === null ? null : (labels?.get(notice.by)?.name ?? t('settings.devices.unnamed', { device: shortDeviceId(notice.by) }))
  const when = date === null ? null : name === null ? t('role.notice.on', { date }) : t('role.notice.by', { name, date })
  return (
    <section className="banner--lock" role="status" aria-label={t('role.notice.label')}>
      <span id={textId}>
        {t(notice.role === DeviceRole.Secretariat ? 'role.notice.text' : 'role.notice.widened', { role })}
        {when === null ? null : ` ${when}`}
      </span>
      <button className="banner__action" type="button" aria-describedby={textId} onClick={() => void session.dismissRoleNotice()}>
        {t('role.notice.ok')}
      </button>
    </section>
  )
}
