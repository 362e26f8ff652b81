import { useEffect, useId, useState } from 'react'
import { LANGUAGES, useLanguageSetting, useT } from '../../i18n'
import type { Language } from '../../i18n'
import { usePractice, usePractitioners } from '../../state'
import { useDeviceApi } from '../../app/device-api'
import { describeError } from '../form/describe-error'
import { FormNotice } from '../form/form-alert'
import { RadioGroup } from '../form/fields'
import type { StorageStatus } from '../../sync/device/durable-storage'
import { describeStorage } from './storage-text'
import { WorkingHoursSection } from './WorkingHoursSection'
import { AbsencesSection } from './AbsencesSection'
import { PractitionersSection } from './PractitionersSection'
import { AppointmentKindsSection } from './AppointmentKindsSection'
import { LockSection } from '../lock/LockSection'

/** Pairing another device, what this device is, its lock, storage and language, the practice's settings. */
export function SettingsScreen() {
  const { t } = useT()
  return (
    <div className="settings">
      <h1>{t('settings.title')}</h1>
      <PairingSection />
      <DeviceSection />
      <LockSection />
      <StorageSection />
      <LanguageSection />
      <WorkingHoursSection />
      <PractitionersSection />
      <AppointmentKindsSection />
      <AbsencesSection />
    </div>
  )
}

type PairingCode = { status: 'loading' } | { status: 'ready'; code: string } | { status: 'failed'; message: string }

function PairingSection() {
  const translator = useT()
  const { t } = translator
  const { record } = usePractice()
  const device = useDeviceApi()
  const titleId = useId()
  const codeId = useId()
  const [pairing, setPairing] = useState<PairingCode>({ status: 'loading' })
  const [notice, setNotice] = useState('')

  useEffect(() => {
    let live = true
    device.getPairingCode(record.spaceId).then(
      (code) => live && setPairing({ status: 'ready', code }),
      (error: unknown) => live && setPairing({ status: 'failed', message: describeError(error, translator) }),
    )
    return () => {
      live = false
    }
  }, [device, record.spaceId, translator])

  async function copy() {
    if (pairing.status !== 'ready') return
    try {
      await navigator.clipboard.writeText(pairing.code)
      setNotice(t('settings.copied'))
    } catch (error) {
      console.warn('Clipboard refused the pairing code', error)
      const field = document.getElementById(codeId)
      if (field instanceof HTMLTextAreaElement) field.select()
      setNotice(t('settings.copyFailed'))
    }
  }

  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.pairing')}</h2>
      <p>{t('settings.pairing.hint')}</p>
      {pairing.status === 'failed' ? (
        <p className="form-alert" role="alert">
          {pairing.message}
        </p>
      ) : (
        <div className="field">
          <label className="field__label" htmlFor={codeId}>
            {t('settings.pairingCode')}
          </label>
          <textarea
            id={codeId}
            className="field__control pairing-code"
            readOnly
            rows={4}
            spellCheck={false}
            value={pairing.status === 'ready' ? pairing.code : ''}
            onFocus={(event) => event.currentTarget.select()}
          />
        </div>
      )}
      <button className="button" type="button" onClick={() => void copy()} disabled={pairing.status !== 'ready'}>
        {t('settings.copy')}
      </button>
      <FormNotice>{notice}</FormNotice>
    </section>
  )
}

function DeviceSection() {
  const { t } = useT()
  const { record, actor } = usePractice()
  const practitioners = usePractitioners()
  const titleId = useId()
  const member = actor ? practitioners?.find((p) => p.id === actor.memberId) : undefined
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.device')}</h2>
      <dl className="facts">
        <div className="facts__row">
          <dt>{t('settings.practice')}</dt>
          <dd>{record.practiceName}</dd>
        </div>
        <div className="facts__row">
          <dt>{t('settings.member')}</dt>
          <dd>{member?.displayName ?? t('patients.none')}</dd>
        </div>
        <div className="facts__row">
          <dt>{t('settings.deviceId')}</dt>
          <dd>
            <code>{record.deviceId}</code>
          </dd>
        </div>
        <div className="facts__row">
          <dt>{t('settings.relayUrl')}</dt>
          <dd>
            <code>{record.relayUrl}</code>
          </dd>
        </div>
      </dl>
    </section>
  )
}

/** Whether the browser keeps this device's data, the room it takes, and why installing matters. */
function StorageSection() {
  const translator = useT()
  const { t } = translator
  const device = useDeviceApi()
  const titleId = useId()
  const [status, setStatus] = useState<StorageStatus | null>(null)
  const [asking, setAsking] = useState(false)

  useEffect(() => {
    let live = true
    device.getStorageStatus().then(
      (next) => live && setStatus(next),
      (error: unknown) => {
        console.warn('Storage status unavailable', error)
        if (live) setStatus({ persisted: null, usage: null, quota: null })
      },
    )
    return () => {
      live = false
    }
  }, [device])

  async function askAgain() {
    setAsking(true)
    try {
      await device.requestPersistentStorage()
      setStatus(await device.getStorageStatus())
    } finally {
      setAsking(false)
    }
  }

  const text = status === null ? null : describeStorage(status, translator)
  return (
    <section className="card" aria-labelledby={titleId} aria-busy={status === null}>
      <h2 id={titleId}>{t('settings.storage')}</h2>
      {text === null ? (
        <p>{t('app.loading')}</p>
      ) : (
        <>
          <p className="storage__persistence">{text.persistence}</p>
          <p className="storage__usage">{text.usage}</p>
          {text.canAsk ? (
            <>
              <p>{t('settings.storage.refusedHint')}</p>
              <button className="button" type="button" disabled={asking} onClick={() => void askAgain()}>
                {t('settings.storage.ask')}
              </button>
            </>
          ) : null}
        </>
      )}
      <p>{t('settings.storage.install')}</p>
    </section>
  )
}

const LANGUAGE_LABELS = { fr: 'language.fr', en: 'language.en' } as const

function LanguageSection() {
  const { t } = useT()
  const { language, setLanguage } = useLanguageSetting()
  return (
    <section className="card">
      <RadioGroup
        legend={t('language.label')}
        name="language"
        value={language}
        choices={LANGUAGES.map((l) => ({ value: l, label: t(LANGUAGE_LABELS[l]) }))}
        onChange={(value) => {
          const chosen = LANGUAGES.find((l): l is Language => l === value)
          if (chosen) setLanguage(chosen)
        }}
      />
    </section>
  )
}
