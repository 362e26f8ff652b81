import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { fromInstant, labelDevice, ValidationError } from '../../../../shared/src/model'
import { DeviceRole, type RegisteredDevice } from '../../../../shared/src/devices/registry-chain'
import type { usePracticeDevices } from './use-practice-devices'
import { useT } from '../../i18n'
import './settings-lists.css'
import { useActor, useDeviceLabels, useDirectory, usePractice, usePractitioners } from '../../state'
import { useDeviceApi } from '../../app/device-api'
import { describeError } from '../form/describe-error'
import { formValues } from '../form/field-errors'
import { FormAlert, FormNotice } from '../form/form-alert'
import { RadioGroup, TextField } from '../form/fields'
import { LastDayField } from './LastDayField'
import { readGrant } from './device-grant'
import { todayIn } from '../../../../shared/src/model/dates'
import { issueText } from '../form/issue-text'
import { shortDeviceId } from '../patients/history-text'

/**
 * « Appareils »: the practice's devices as its registry has them (verified on this device), with
 * the names and holders people gave them (the encrypted directory), and for an administrator a
 * rename, a change of role or end date and a revocation, confirmed first and honest about what
 * each does and cannot undo.
 */
export function DevicesSection(props: { devices: ReturnType<typeof usePracticeDevices> }) {
  const translator = useT()
  const { t, longDate, timeOf, timeZone } = translator
  const { record } = usePractice()
  const device = useDeviceApi()
  const { read: registry, reread, isAdmin } = props.devices
  const labels = useDeviceLabels()
  const practitioners = usePractitioners()
  const titleId = useId()
  const [confirming, setConfirming] = useState<string | null>(null)
  const [renaming, setRenaming] = useState<string | null>(null)
  const [changing, setChanging] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [notice, setNotice] = useState('')

  const nameOf = (d: RegisteredDevice) => labels?.get(d.id)?.name ?? t('settings.devices.unnamed', { device: shortDeviceId(d.id) })
  const memberOf = (d: RegisteredDevice) => {
    const memberId = labels?.get(d.id)?.memberId
    return practitioners?.find((p) => p.id === memberId)?.displayName ?? null
  }
  const dateOf = (at: number) => longDate(fromInstant(at, timeZone).slice(0, 10))
  const seenText = (at: number | undefined) => (at === undefined ? null : t('settings.devices.seen', { date: dateOf(at), time: timeOf(at) }))

  async function regrant(target: RegisteredDevice) {
    setFailure(null)
    try {
      await device.regrantDevice(record.spaceId, target.id)
      setNotice(t('settings.devices.regranted', { name: nameOf(target) }))
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  async function revoke(target: RegisteredDevice) {
    setFailure(null)
    try {
      await device.revokeDevice(record.spaceId, target.id)
      setNotice(t('settings.devices.revoked', { name: nameOf(target) }))
      setConfirming(null)
      reread()
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  const devices = registry.status === 'ready' ? [...registry.state.devices.values()].sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || a.addedAt - b.addedAt) : []

  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.devices')}</h2>
      {registry.status === 'loading' ? <p>{t('app.loading')}</p> : null}
      {registry.status === 'failed' ? <FormAlert>{registry.message}</FormAlert> : null}
      {registry.status === 'none' ? <p>{t('settings.devices.none')}</p> : null}
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {registry.status === 'ready' ? (
        <ul className="settings-list__items" aria-label={t('settings.devices.list')}>
          {devices.map((d) => (
            <li key={d.id} className="settings-list__row" aria-label={nameOf(d)}>
              <div className="settings-list__main">
                <span className="settings-list__name">{nameOf(d)}</span>
                {d.id === record.deviceId ? <span className="badge"> {t('settings.devices.this')}</span> : null}
                {d.admin ? <span className="badge"> {t('settings.devices.admin')}</span> : null}
                <span className="settings-list__detail">
                {[
                  memberOf(d),
                  t(`settings.devices.role.${d.role}`),
                  // `until` is the midnight after the last day (device-grant.ts): the last day is the one before.
                  d.until === undefined ? null : t('settings.devices.until', { date: dateOf(d.until - 1) }),
                  t('settings.devices.added', { date: dateOf(d.addedAt) }),
                  seenText(registry.lastSeen.get(d.id)),
                  d.revokedAt !== null ? t('settings.devices.revokedOn', { date: dateOf(d.revokedAt) }) : null,
                ]
                  .filter((part): part is string => part !== null)
                  .join(' · ')}
                </span>
              </div>
              {changing === d.id ? (
                <ChangeRoleForm
                  target={d}
                  name={nameOf(d)}
                  onCancel={() => setChanging(null)}
                  onChanged={() => {
                    setChanging(null)
                    setNotice(t('settings.devices.changed', { name: nameOf(d) }))
                    reread()
                  }}
                />
              ) : null}
              {renaming === d.id ? (
                <RenameForm deviceId={d.id} current={labels?.get(d.id)?.name ?? ''} onDone={() => setRenaming(null)} />
              ) : null}
              {d.revokedAt === null && confirming === d.id ? (
                <div className="form" role="group" aria-label={t('settings.devices.confirmTitle', { name: nameOf(d) })}>
                  <p>{t('settings.devices.confirm', { name: nameOf(d) })}</p>
                  <div className="form__actions">
                    <button className="button button--danger" type="button" onClick={() => void revoke(d)}>
                      {t('settings.devices.confirmRevoke')}
                    </button>
                    <button className="button" type="button" onClick={() => setConfirming(null)}>
                      {t('settings.devices.cancel')}
                    </button>
                  </div>
                </div>
              ) : null}
              {d.revokedAt === null && renaming !== d.id && confirming !== d.id && changing !== d.id ? (
                <div className="form__actions">
                  <button className="button button--quiet" type="button" onClick={() => setRenaming(d.id)}>
                    {t('settings.devices.rename')}
                  </button>
                  {/* A secretary made praticien or remplaçant is sent the clinical keys with the change (key-grants-sync.ts). */}
                  {isAdmin ? (
                    <button className="button button--quiet" type="button" onClick={() => setChanging(d.id)}>
                      {t('settings.devices.change')}
                    </button>
                  ) : null}
                  {/* A device that is no administrator, paired in an earlier session, needs its secrets again to wrap them under its passkey. */}
                  {isAdmin && !d.admin ? (
                    <button className="button button--quiet" type="button" onClick={() => void regrant(d)}>
                      {t('settings.devices.regrant')}
                    </button>
                  ) : null}
                  {isAdmin ? (
                    <button className="button button--quiet" type="button" onClick={() => setConfirming(d.id)}>
                      {t('settings.devices.revoke')}
                    </button>
                  ) : null}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <p className="field__hint">{t('settings.devices.limits')}</p>
      <FormNotice>{notice}</FormNotice>
    </section>
  )
}

function RenameForm(props: { deviceId: string; current: string; onDone: () => void }) {
  const translator = useT()
  const { t } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const [error, setError] = useState<string | null>(null)

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (!directory) return
    try {
      labelDevice(directory, props.deviceId, { name: formValues(event.currentTarget).name ?? '' }, actor, clock)
      props.onDone()
    } catch (caught) {
      if (!(caught instanceof ValidationError)) throw caught
      const issue = caught.issues[0]
      setError(issue ? issueText(issue, translator) : t('form.invalid'))
    }
  }

  return (
    <form className="form" noValidate onSubmit={submit}>
      <TextField name="name" label={t('settings.devices.name')} defaultValue={props.current} autoComplete="off" error={error ?? undefined} />
      <div className="form__actions">
        <button className="button" type="submit">
          {t('settings.devices.save')}
        </button>
        <button className="button button--quiet" type="button" onClick={props.onDone}>
          {t('settings.devices.cancel')}
        </button>
      </div>
    </form>
  )
}

/**
 * « Modifier »: a new role and, for a locum, the last day of the replacement (device-grant.ts
 * reads it as pairing does), then a confirmation saying what the change does before the signed
 * « change » entry is sent (practice-devices.ts, changePracticeDevice).
 */
function ChangeRoleForm(props: { target: RegisteredDevice; name: string; onCancel: () => void; onChanged: () => void }) {
  const translator = useT()
  const { t, longDate, timeZone } = translator
  const { record, clock } = usePractice()
  const device = useDeviceApi()
  const [role, setRole] = useState<DeviceRole>(props.target.role)
  const [lastDay, setLastDay] = useState<string | null>(props.target.until === undefined ? null : fromInstant(props.target.until - 1, timeZone).slice(0, 10))
  const [lastDayProblem, setLastDayProblem] = useState<'missing' | 'past' | null>(null)
  const [confirming, setConfirming] = useState<{ role: DeviceRole; until: number | null } | null>(null)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)

  function next() {
    const reading = readGrant({ role, admin: false, lastDay }, timeZone, todayIn(timeZone, clock))
    if (!reading.ok) return setLastDayProblem(reading.problem)
    setLastDayProblem(null)
    setConfirming({ role: reading.grant.role, until: reading.grant.until })
  }

  async function confirm(change: { role: DeviceRole; until: number | null }) {
    setBusy(true)
    setFailure(null)
    try {
      await device.changeDevice(record.spaceId, props.target.id, change)
      props.onChanged()
    } catch (error) {
      setFailure(describeError(error, translator))
    } finally {
      setBusy(false)
    }
  }

  const consequence = (change: { role: DeviceRole; until: number | null }) =>
    [
      props.target.role === DeviceRole.Secretariat && change.role !== DeviceRole.Secretariat ? t('settings.devices.change.widens') : null,
      change.role === DeviceRole.Secretariat
        ? t('settings.devices.change.toSecretariat')
        : change.until !== null
          ? t('settings.devices.change.toLocum', { date: longDate(fromInstant(change.until - 1, timeZone).slice(0, 10)) })
          : t('settings.devices.change.toPractitioner'),
      props.target.admin && change.role !== DeviceRole.Practitioner ? t('settings.devices.change.dropsAdmin') : null,
    ]
      .filter((part): part is string => part !== null)
      .join(' ')

  return (
    <div className="form" role="group" aria-label={t('settings.devices.change.title', { name: props.name })}>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {confirming === null ? (
        <>
          <RadioGroup
            legend={t('settings.devices.change.role')}
            name={`role-${props.target.id}`}
            value={role}
            onChange={(value) => setRole(value as DeviceRole)}
            choices={[DeviceRole.Practitioner, DeviceRole.Secretariat, DeviceRole.Locum].map((value) => ({ value, label: t(`settings.addDevice.role.${value}`) }))}
          />
          {role === DeviceRole.Locum ? (
            <LastDayField value={lastDay} onValueChange={(date) => setLastDay(date)} problem={lastDayProblem} />
          ) : null}
          <div className="form__actions">
            <button className="button" type="button" onClick={next}>
              {t('settings.devices.change.continue')}
            </button>
            <button className="button button--quiet" type="button" onClick={props.onCancel}>
              {t('settings.devices.cancel')}
            </button>
          </div>
        </>
      ) : (
        <>
          <p>{consequence(confirming)}</p>
          <div className="form__actions">
            <button className={confirming.role === DeviceRole.Secretariat ? 'button button--danger' : 'button button--primary'} type="button" disabled={busy} onClick={() => void confirm(confirming)}>
              {t('settings.devices.change.confirm')}
            </button>
            <button className="button button--quiet" type="button" disabled={busy} onClick={() => setConfirming(null)}>
              {t('settings.devices.cancel')}
            </button>
          </div>
        </>
      )}
    </div>
  )
}
