import { useEffect, useId, useState } from 'react'
import type { FormEvent } from 'react'
import { groupedConfirmationCode } from '../../../../shared/src/devices/confirmation-code'
import { decodePairingQr, PairingQrError, type PairingQr } from '../../../../shared/src/devices/pairing-qr'
import type { ClaimedPairing } from '../../sync/device/pairing'
import { issueKey, LANGUAGES, useLanguageSetting, useT } from '../../i18n'
import type { Language } from '../../i18n'
import { usePractice, usePractitioners } from '../../state'
import { useDeviceApi } from '../../app/device-api'
import { describeError } from '../form/describe-error'
import { FormAlert, FormNotice } from '../form/form-alert'
import { formValues } from '../form/field-errors'
import { RadioGroup, TextField } from '../form/fields'
import type { StorageStatus } from '../../sync/device/durable-storage'
import { describeStorage } from './storage-text'
import { QrScanner } from '../pairing/QrScanner'
import { LastDayField } from './LastDayField'
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'
import { readGrant } from './device-grant'
import { todayIn } from '../../../../shared/src/model/dates'
import { WorkingHoursSection } from './WorkingHoursSection'
import { AbsencesSection } from './AbsencesSection'
import { DevicesSection } from './DevicesSection'
import { usePracticeDevices } from './use-practice-devices'
import { PractitionersSection } from './PractitionersSection'
import { AppointmentKindsSection } from './AppointmentKindsSection'
import { LockSection } from '../lock/LockSection'
import { ExportSection } from './ExportSection'
import { ImportSection } from './import/ImportSection'
import { ImportArchiveSection } from './ImportArchiveSection'
import { ImportCalendarSection } from './ImportCalendarSection'

/** Adding another device, the practice's devices, this one, its lock, storage and language, the practice's settings. */
export function SettingsScreen() {
  const { t } = useT()
  // A device added here is listed below at once: the list reads the registry again.
  const devices = usePracticeDevices()
  return (
    <div className="settings">
      <h1>{t('settings.title')}</h1>
      <AddDeviceSection onAdded={devices.reread} mayAdd={devices.isAdmin} />
      <DevicesSection devices={devices} />
      <DeviceSection />
      <LockSection />
      <StorageSection />
      <LanguageSection />
      <WorkingHoursSection />
      <PractitionersSection />
      <AppointmentKindsSection />
      <AbsencesSection />
      <ExportSection mayExport={devices.isAdmin} />
      <ImportSection />
      <ImportArchiveSection mayImport={devices.isAdmin} />
      <ImportCalendarSection mayImport={devices.isAdmin} />
    </div>
  )
}

type AddDevice =
  | { stage: 'enter'; failure: string | null; scanFailure?: string; notice: string | null }
  | { stage: 'scanning' }
  | { stage: 'claiming' }
  | { stage: 'confirm'; claimed: ClaimedPairing; busy: boolean; failure: string | null }

/**
 * Adding a device: the person scans the QR code the new device shows (or types the code under it),
 * compares the six digits both screens then show, and accepts; the practice's keys go to that
 * device sealed (sync/device/pairing.ts). A scanned QR also checks the new device's keys.
 */
function AddDeviceSection(props: { onAdded: () => void; mayAdd: boolean }) {
  const translator = useT()
  const { t, timeZone } = translator
  const { record, clock } = usePractice()
  const device = useDeviceApi()
  const titleId = useId()
  const [state, setState] = useState<AddDevice>({ stage: 'enter', failure: null, notice: null })
  // Most practices are one or two practitioners' devices: each may add and revoke by default.
  const [admin, setAdmin] = useState(true)
  // What the new device may read: its keys follow (shared/src/crypto/space-keys.ts), and the relay.
  const [role, setRole] = useState<DeviceRole>(DeviceRole.Practitioner)
  const [lastDay, setLastDay] = useState<string | null>(null)
  const [lastDayProblem, setLastDayProblem] = useState<'missing' | 'past' | null>(null)

  async function claim(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const typed = (formValues(event.currentTarget).pairingCode ?? '').trim()
    if (typed === '') {
      setState({ stage: 'enter', failure: t(issueKey('required')), notice: null })
      return
    }
    await claimWith(typed)
  }

  async function claimWith(typedOrScanned: string | PairingQr) {
    setState({ stage: 'claiming' })
    try {
      setState({ stage: 'confirm', claimed: await device.claimPairing(record.spaceId, typedOrScanned), busy: false, failure: null })
    } catch (error) {
      const failure = describeError(error, translator)
      setState(typeof typedOrScanned === 'string' ? { stage: 'enter', failure, notice: null } : { stage: 'enter', failure: null, scanFailure: failure, notice: null })
    }
  }

  /** The camera read a QR code (and stopped): a Tournée pairing QR is claimed, anything else said. */
  function scanned(text: string) {
    let qr: PairingQr
    try {
      qr = decodePairingQr(text)
    } catch (error) {
      if (!(error instanceof PairingQrError)) throw error
      setState({ stage: 'enter', failure: null, scanFailure: describeError(error, translator), notice: null })
      return
    }
    void claimWith(qr)
  }

  async function decide(claimed: ClaimedPairing, accept: boolean) {
    const reading = readGrant({ role, admin, lastDay }, timeZone, todayIn(timeZone, clock))
    if (accept && !reading.ok) {
      setLastDayProblem(reading.problem)
      return
    }
    setLastDayProblem(null)
    setState({ stage: 'confirm', claimed, busy: true, failure: null })
    try {
      await (accept && reading.ok ? claimed.accept(reading.grant) : claimed.refuse())
      if (accept) props.onAdded()
      setState({ stage: 'enter', failure: null, notice: t(accept ? 'settings.addDevice.added' : 'settings.addDevice.refused') })
    } catch (error) {
      setState({ stage: 'confirm', claimed, busy: false, failure: describeError(error, translator) })
    }
  }

  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.addDevice')}</h2>
      <p>{t(props.mayAdd ? 'settings.addDevice.hint' : 'settings.addDevice.notAdmin')}</p>
      {!props.mayAdd ? null : state.stage === 'confirm' ? (
        <div className="form pairing" aria-live="polite">
          {state.failure ? <FormAlert>{state.failure}</FormAlert> : null}
          <div className="field">
            <span className="field__label" id={`${titleId}-confirmation`}>
              {t('settings.addDevice.confirmation')}
            </span>
            <output className="pairing__confirmation" aria-labelledby={`${titleId}-confirmation`}>
              {groupedConfirmationCode(state.claimed.confirmation)}
            </output>
            <p className="field__hint">{t('settings.addDevice.confirmation.hint')}</p>
            {state.claimed.scanned ? <p className="field__hint">{t('settings.addDevice.scanned')}</p> : null}
          </div>
          <RadioGroup
            legend={t('settings.addDevice.role')}
            name="deviceRole"
            value={role}
            onChange={(value) => setRole(value as DeviceRole)}
            choices={[DeviceRole.Practitioner, DeviceRole.Secretariat, DeviceRole.Locum].map((value) => ({ value, label: t(`settings.addDevice.role.${value}`) }))}
          />
          <p className="field__hint">{t(`settings.addDevice.role.${role}.hint`)}</p>
          {role === DeviceRole.Locum ? (
            <LastDayField value={lastDay} onValueChange={(date) => setLastDay(date)} problem={lastDayProblem} />
          ) : null}
          {role === DeviceRole.Practitioner ? (
            <label className="check">
              <input type="checkbox" checked={admin} onChange={(event) => setAdmin(event.currentTarget.checked)} />
              <span>{t('settings.addDevice.admin')}</span>
            </label>
          ) : null}
          <div className="form__actions">
            <button className="button button--primary" type="button" disabled={state.busy} onClick={() => void decide(state.claimed, true)}>
              {t('settings.addDevice.accept')}
            </button>
            <button className="button" type="button" disabled={state.busy} onClick={() => void decide(state.claimed, false)}>
              {t('settings.addDevice.refuse')}
            </button>
          </div>
        </div>
      ) : state.stage === 'scanning' ? (
        <div className="form qr-scanner">
          <p>{t('settings.addDevice.scan.hint')}</p>
          <QrScanner
            onRead={scanned}
            onCameraError={(error) => setState({ stage: 'enter', failure: null, scanFailure: describeError(error, translator), notice: null })}
          />
          <button className="button" type="button" onClick={() => setState({ stage: 'enter', failure: null, notice: null })}>
            {t('settings.addDevice.scan.cancel')}
          </button>
        </div>
      ) : (
        <form className="form" noValidate onSubmit={claim} aria-busy={state.stage === 'claiming'}>
          {state.stage === 'enter' && state.scanFailure ? <FormAlert>{state.scanFailure}</FormAlert> : null}
          <button className="button" type="button" disabled={state.stage === 'claiming'} onClick={() => setState({ stage: 'scanning' })}>
            {t('settings.addDevice.scan')}
          </button>
          <TextField
            name="pairingCode"
            label={t('settings.addDevice.code')}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            error={state.stage === 'enter' ? (state.failure ?? undefined) : undefined}
          />
          <button className="button" type="submit" disabled={state.stage === 'claiming'}>
            {t('settings.addDevice.continue')}
          </button>
          <FormNotice>{state.stage === 'enter' ? (state.notice ?? '') : ''}</FormNotice>
        </form>
      )}
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
