import { Suspense, use, useCallback, useEffect, useState } from 'react'
import type { OpenPractice, PracticeRecord } from '../sync/device/device'
import { LanguageSettingProvider } from '../i18n'
import type { Language } from '../i18n'
import { readLanguage, writeLanguage } from '../state'
import { FirstRunScreen } from '../views/first-run/FirstRunScreen'
import { UpdateBanner } from '../views/update/UpdateBanner'
import type { AppUpdates } from './app-update'
import { CrashBoundary, LoadingScreen } from './CrashBoundary'
import { DeviceApiContext } from './device-api'
import type { DeviceApi } from './device-api'
import { PracticeApp } from './PracticeApp'

export interface AppProps {
  /** The practice this device is paired with, opening from local storage; started by main.tsx. */
  boot: Promise<OpenPractice | null>
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
            <DeviceRoot boot={boot} />
          </Suspense>
        </CrashBoundary>
      </DeviceApiContext>
    </LanguageSettingProvider>
  )
}

/** First run until a practice is created or joined; then that practice, for good. */
function DeviceRoot(props: { boot: Promise<OpenPractice | null> }) {
  const [practice, setPractice] = useState<OpenPractice | null>(use(props.boot))
  const updateRecord = useCallback((record: PracticeRecord) => {
    setPractice((current) => (current === null ? current : { ...current, record }))
  }, [])
  if (practice === null) return <FirstRunScreen onOpened={setPractice} />
  return <PracticeApp practice={practice} onRecordChanged={updateRecord} />
}
