import { Suspense, use, useCallback, useEffect, useState, useSyncExternalStore } from 'react'
import type { DeviceStart } from '../sync/device/lock/device-lock'
import { LanguageSettingProvider } from '../i18n'
import type { Language } from '../i18n'
import { readLanguage, writeLanguage } from '../state'
import { FirstRunScreen } from '../views/first-run/FirstRunScreen'
import { LockScreen } from '../views/lock/LockScreen'
import { UpdateBanner } from '../views/update/UpdateBanner'
import type { AppUpdates } from './app-update'
import { CrashBoundary, LoadingScreen } from './CrashBoundary'
import { DeviceApiContext, useDeviceApi } from './device-api'
import type { DeviceApi } from './device-api'
import { DeviceSession, type SessionApi } from './lock/device-session'
import { forgottenMarker } from './lock/forgotten-marker'
import { browserLockChannel } from './lock/lock-channel'
import { DeviceSessionContext } from './lock/session-context'
import { PracticeApp } from './PracticeApp'

export interface AppProps {
  /** How the device starts (first run, its practice locked, or open); started by main.tsx. */
  boot: Promise<DeviceStart>
  device: DeviceApi
  /** Where the language preference lives (localStorage), or null. */
  preferences: Storage | null
  /** New versions of the app, announced and applied on tap; registered by main.tsx. */
  updates: AppUpdates
}

export function App(props: AppProps) {
  const { boot, device, preferences, updates } = props
  const [language, setLanguageState] = useState<Language>(() => readLanguage(preferences))
  const setLanguage = useCallback(
    (next: Language) => {
      writeLanguage(preferences, next)
      setLanguageState(next)
    },
    [preferences],
  )
  useEffect(() => {
    document.documentElement.lang = language
  }, [language])

  return (
    <LanguageSettingProvider language={language} setLanguage={setLanguage}>
      {/* Above the crash boundary: when a screen crashes, the next version may be the fix. */}
      <UpdateBanner updates={updates} />
      <DeviceApiContext value={device}>
        <CrashBoundary>
          <Suspense fallback={<LoadingScreen />}>
            <DeviceRoot boot={boot} preferences={preferences} />
          </Suspense>
        </CrashBoundary>
      </DeviceApiContext>
    </LanguageSettingProvider>
  )
}

function sessionApiOf(device: DeviceApi): SessionApi {
  return {
    loadPractice: () => device.loadPractice(),
    readLock: (spaceId) => device.readLock(spaceId),
    unlockWithPin: (spaceId, pin) => device.unlockWithPin(spaceId, pin),
    unlockWithPasskey: (spaceId) => device.unlockWithPasskey(spaceId),
    forgetPractice: (spaceId) => device.forgetPractice(spaceId),
    lockKeys: (spaceId) => device.lockKeys(spaceId),
    dismissRoleNotice: (spaceId) => device.dismissRoleNotice(spaceId),
  }
}

/**
 * First run until a practice is created or joined; then that practice, open or locked
 * (lock/device-session.ts) — or the first run again, once a device forgot it.
 */
function DeviceRoot(props: { boot: Promise<DeviceStart>; preferences: Storage | null }) {
  const start = use(props.boot)
  const device = useDeviceApi()
  const [session] = useState(() => new DeviceSession(start, sessionApiOf(device), { marker: forgottenMarker(props.preferences), channel: browserLockChannel() }))
  useEffect(() => session.listen(), [session])
  const state = useSyncExternalStore(session.subscribe, session.getSnapshot)
  const onRecordChanged = useCallback((record: Parameters<DeviceSession['recordChanged']>[0]) => session.recordChanged(record), [session])
  return (
    <DeviceSessionContext value={session}>
      {state.kind === 'first-run' ? (
        <FirstRunScreen onOpened={(practice) => session.opened(practice)} forgotten={state.forgotten} />
      ) : state.kind === 'locked' ? (
        <LockScreen record={state.record} lock={state.lock} />
      ) : state.kind === 'reopening' ? (
        // The registry changed this device's role: a moment while the practice opens again as that role (device-session.ts).
        <LoadingScreen />
      ) : (
        <PracticeApp practice={state.practice} onRecordChanged={onRecordChanged} />
      )}
    </DeviceSessionContext>
  )
}
