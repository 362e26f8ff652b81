import type { ReactNode } from 'react'
import { useT } from '../i18n'
import { usePractice, usePracticeSettings } from '../state'
import { LockButton, LockOffer } from '../views/lock/LockControls'
import { StorageErrorBanner, SyncStatus } from '../views/sync/SyncStatus'
import { RoleNoticeBanner } from '../views/device/RoleNoticeBanner'

/** The frame of every screen of an open practice: its name, sync state, « Verrouiller », storage alarms. */
export function AppFrame(props: { navigation?: ReactNode; children: ReactNode }) {
  const { t } = useT()
  const { space, record } = usePractice()
  const settings = usePracticeSettings()
  return (
    <div className="frame">
      <header className="frame__header">
        <p className="frame__practice">
          <span className="frame__app">{t('app.name')}</span>
          <span className="frame__name">{settings?.name ?? record.practiceName}</span>
        </p>
        <SyncStatus space={space} />
        <LockButton />
      </header>
      <StorageErrorBanner space={space} />
      <LockOffer />
      <RoleNoticeBanner />
      {props.navigation}
      <div className="frame__content">{props.children}</div>
    </div>
  )
}
