import type { ReactNode } from 'react'
import type { OpenPractice, PracticeRecord } from '../sync/device/device'
import { I18nProvider, useLanguageSetting } from '../i18n'
import { PracticeProvider, usePracticeSettings } from '../state'
import { ChooseMemberScreen } from '../views/member/ChooseMemberScreen'
import { AppFrame } from './AppFrame'
import { IdleLock } from './lock/IdleLock'
import { MainLayout } from './MainLayout'

/** An open practice: who holds this device first, then the app itself; locked after its idle time. */
export function PracticeApp(props: { practice: OpenPractice; onRecordChanged: (record: PracticeRecord) => void }) {
  const { practice, onRecordChanged } = props
  return (
    <PracticeProvider practice={practice}>
      <IdleLock />
      <PracticeTimeZone>
        {practice.record.memberId === null ? (
          <AppFrame>
            <ChooseMemberScreen onChosen={onRecordChanged} />
          </AppFrame>
        ) : (
          <MainLayout />
        )}
      </PracticeTimeZone>
    </PracticeProvider>
  )
}

/** Dates and times below are read in the practice's time zone, once the directory says which. */
function PracticeTimeZone(props: { children: ReactNode }) {
  const { language } = useLanguageSetting()
  const settings = usePracticeSettings()
  return (
    <I18nProvider language={language} timeZone={settings?.timeZone}>
      {props.children}
    </I18nProvider>
  )
}
