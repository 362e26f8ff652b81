import { useEffect, useId, useRef, useState } from 'react'
import type { FormEvent, InputHTMLAttributes } from 'react'
import { LOCK_AFTER_MINUTES, lockAfterMinutesOf, updatePractice } from '../../../../shared/src/model'
import { checkPin, PIN_DIGITS } from '../../sync/device/lock/pin'
import { PasskeyError } from '../../sync/device/lock/passkey'
import { useT } from '../../i18n'
import { useDirectory, usePractice, usePracticeSettings } from '../../state'
import { useDeviceApi } from '../../app/device-api'
import { useDeviceSession, useLockSummary } from '../../app/lock/session-context'
import type { LockSummary } from '../../sync/device/lock/device-lock'
import { describeError } from '../form/describe-error'
import { FormAlert, FormNotice } from '../form/form-alert'
import { FieldShell, RadioGroup, SelectField, useFieldIds } from '../form/fields'
import type { FieldFrame } from '../form/fields'
import './lock.css'

/** The idle times offered (the practice's own stays offered if another version set another). */
const IDLE_CHOICES = [1, 2, 5, 10, 15, 30, 60] as const

type Method = 'passkey' | 'pin'

/** Said once a method is chosen or removed (kept as a key: it follows a change of language). */
type NoticeKey = 'lock.settings.savedPasskey' | 'lock.settings.savedPin' | 'lock.settings.removed'

/**
 * « Réglages › Verrouillage »: how this device unlocks (a passkey, or a PIN where no passkey is
 * possible), the practice's idle time before the lock, and, plainly, what the lock protects and
 * what it does not. Without a method the app cannot lock, and this says so as a warning.
 */
export function LockSection() {
  const { t } = useT()
  const session = useDeviceSession()
  const lock = useLockSummary()
  const titleId = useId()
  const heading = useRef<HTMLHeadingElement>(null)

  // Arrived from the offer or from « Verrouiller » without a lock: this section, in view.
  useEffect(() => {
    if (!session.takeLockFocus()) return
    heading.current?.scrollIntoView({ block: 'start' })
    heading.current?.focus()
  }, [session])

  return (
    <section className="card lock-settings" aria-labelledby={titleId} id="verrouillage">
      <h2 id={titleId} ref={heading} tabIndex={-1}>
        {t('lock.settings.title')}
      </h2>
      {lock === null ? (
        <p className="lock-settings__warning">⚠ {t('lock.settings.none')}</p>
      ) : (
        <p className="lock-settings__state">{lock.method === 'pin' ? t('lock.settings.pin') : t('lock.settings.passkey')}</p>
      )}
      <p>{t('lock.settings.when')}</p>
      <IdleTimeField />
      <ChooseLock />
      <Honesty />
    </section>
  )
}

/** « Verrouiller après »: the practice's setting, written to the directory like its name. */
function IdleTimeField() {
  const translator = useT()
  const { t, plural } = translator
  const { actor, clock } = usePractice()
  const settings = usePracticeSettings()
  const directory = useDirectory()
  const [failure, setFailure] = useState<string | null>(null)
  const minutes = lockAfterMinutesOf(settings)
  const choices = [...new Set<number>([...IDLE_CHOICES, minutes])].sort((a, b) => a - b)
  return (
    <>
      <SelectField
        name="lockAfterMinutes"
        label={t('lock.settings.idle')}
        hint={t('lock.settings.idle.hint')}
        value={String(minutes)}
        choices={choices.map((m) => ({ value: String(m), label: plural('lock.settings.idle.option', m) }))}
        disabled={!settings || !directory || !actor}
        onChange={(event) => {
          if (!directory || !actor) return
          const value = Number(event.currentTarget.value)
          try {
            updatePractice(directory, { lockAfterMinutes: Math.min(LOCK_AFTER_MINUTES.max, Math.max(LOCK_AFTER_MINUTES.min, value)) }, actor, clock)
            setFailure(null)
          } catch (error) {
            setFailure(describeError(error, translator))
          }
        }}
      />
      {failure ? <FormAlert>{failure}</FormAlert> : null}
    </>
  )
}

function ChooseLock() {
  const translator = useT()
  const { t } = translator
  const device = useDeviceApi()
  const session = useDeviceSession()
  const lock = useLockSummary()
  const [passkeyPossible, setPasskeyPossible] = useState<boolean | null>(null)
  const [chosen, setChosen] = useState<Method | null>(null)
  const [notice, setNotice] = useState<NoticeKey | null>(null)

  useEffect(() => {
    let live = true
    device.canUsePasskey().then(
      (possible) => live && setPasskeyPossible(possible),
      () => live && setPasskeyPossible(false),
    )
    return () => {
      live = false
    }
  }, [device])

  // A passkey where one is possible; a PIN otherwise.
  const method: Method = chosen ?? (passkeyPossible === true ? 'passkey' : 'pin')

  return (
    <>
      <h3>{lock === null ? t('lock.settings.choose') : t('lock.settings.replace')}</h3>
      {passkeyPossible === null ? (
        <p>{t('lock.settings.passkeyChecking')}</p>
      ) : passkeyPossible ? (
        <RadioGroup
          legend={t('lock.settings.method')}
          name="lockMethod"
          value={method}
          choices={[
            { value: 'passkey', label: t('lock.settings.method.passkey') },
            { value: 'pin', label: t('lock.settings.method.pin') },
          ]}
          onChange={(value) => setChosen(value === 'passkey' ? 'passkey' : 'pin')}
        />
      ) : (
        <p>{t('lock.settings.passkeyUnavailable')}</p>
      )}
      {passkeyPossible === null ? null : method === 'passkey' ? (
        <PasskeyForm onDone={() => setNotice('lock.settings.savedPasskey')} />
      ) : (
        <PinForm onDone={() => setNotice('lock.settings.savedPin')} />
      )}
      {lock !== null ? (
        <RemoveLock
          onRemoved={() => {
            setNotice('lock.settings.removed')
            session.lockChanged(null)
          }}
        />
      ) : null}
      <FormNotice>{notice === null ? null : t(notice)}</FormNotice>
    </>
  )
}

/** A PIN field: masked, the number pad on a tablet, no counter (it would show the length). */
function PinField(props: FieldFrame & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'type'> & { name: string }) {
  const { label, error, hint, warning, ...input } = props
  const ids = useFieldIds({ label, error, hint, warning })
  return (
    <FieldShell label={label} error={error} hint={hint} warning={warning} ids={ids}>
      <input
        className="field__control"
        type="password"
        inputMode="numeric"
        autoComplete="new-password"
        pattern="[0-9]*"
        maxLength={PIN_DIGITS.max}
        {...input}
        id={ids.id}
        {...ids.aria}
      />
    </FieldShell>
  )
}

function PinForm(props: { onDone: () => void }) {
  const translator = useT()
  const { t } = translator
  const device = useDeviceApi()
  const session = useDeviceSession()
  const { record } = usePractice()
  const [errors, setErrors] = useState<{ pin?: string; confirm?: string }>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const data = new FormData(form)
    const pin = String(data.get('pin') ?? '')
    const confirm = String(data.get('pinConfirm') ?? '')
    const problem = checkPin(pin)
    const next = {
      ...(problem === null ? {} : { pin: t(`lock.pin.${problem}`) }),
      ...(problem === null && pin !== confirm ? { confirm: t('lock.pin.mismatch') } : {}),
    }
    setErrors(next)
    if (Object.keys(next).length > 0) {
      setFailure(t('form.invalid'))
      return
    }
    setFailure(null)
    setBusy(true)
    try {
      session.lockChanged(await device.choosePin(record.spaceId, pin))
      form.reset()
      props.onDone()
    } catch (error) {
      setFailure(describeError(error, translator))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="lock-settings__form" aria-label={t('lock.settings.method.pin')} onSubmit={(event) => void submit(event)} noValidate>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <PinField name="pin" label={t('lock.settings.pinField')} hint={t('lock.settings.pinHint')} error={errors.pin} />
      <PinField name="pinConfirm" label={t('lock.settings.pinConfirm')} error={errors.confirm} />
      <button className="button button--primary" type="submit" disabled={busy}>
        {busy ? t('lock.settings.saving') : t('lock.settings.pinSave')}
      </button>
    </form>
  )
}

function PasskeyForm(props: { onDone: () => void }) {
  const translator = useT()
  const { t } = translator
  const device = useDeviceApi()
  const session = useDeviceSession()
  const { record } = usePractice()
  const settings = usePracticeSettings()
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function create() {
    setBusy(true)
    setFailure(null)
    try {
      session.lockChanged(await device.choosePasskey(record.spaceId, settings?.name ?? record.practiceName))
      props.onDone()
    } catch (error) {
      setFailure(error instanceof PasskeyError ? t(`lock.passkey.${error.failure}`) : describeError(error, translator))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="lock-settings__form">
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <button className="button button--primary" type="button" disabled={busy} onClick={() => void create()}>
        {busy ? t('lock.settings.creatingPasskey') : t('lock.settings.createPasskey')}
      </button>
    </div>
  )
}

function RemoveLock(props: { onRemoved: () => void }) {
  const translator = useT()
  const { t } = translator
  const device = useDeviceApi()
  const { record } = usePractice()
  const [confirming, setConfirming] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)

  async function remove() {
    try {
      await device.removeLock(record.spaceId)
      setConfirming(false)
      props.onRemoved()
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  return (
    <div className="lock-settings__remove">
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {confirming ? (
        <div role="group" aria-label={t('lock.settings.remove')}>
          <p>{t('lock.settings.removeConfirm')}</p>
          <div className="lock-settings__actions">
            <button className="button button--danger" type="button" onClick={() => void remove()}>
              {t('lock.settings.removeYes')}
            </button>
            <button className="button" type="button" onClick={() => setConfirming(false)}>
              {t('lock.settings.removeNo')}
            </button>
          </div>
        </div>
      ) : (
        <button className="button" type="button" onClick={() => setConfirming(true)}>
          {t('lock.settings.remove')}
        </button>
      )}
    </div>
  )
}

/** What this device's passkey does to the keys at rest (lock/at-rest.ts), as it stands. */
function PasskeyAtRest(props: { lock: LockSummary }) {
  const { t } = useT()
  const { lock } = props
  if (lock.wrapped) {
    return (
      <>
        <p>{t('lock.honest.wrapped')}</p>
        <p>{t('lock.honest.wrappedNot')}</p>
      </>
    )
  }
  if (!lock.prf) return <p>{t('lock.honest.noPrf')}</p>
  return <p>{lock.unwrappable ? t('lock.honest.unwrappable') : t('lock.honest.prf')}</p>
}

/** What the lock protects, and what it does not, in plain words. */
function Honesty() {
  const { t } = useT()
  const lock = useLockSummary()
  const titleId = useId()
  return (
    <div className="lock-settings__honest" role="group" aria-labelledby={titleId}>
      <h3 id={titleId}>{t('lock.honest.title')}</h3>
      <p>{t('lock.honest.screens')}</p>
      <p>{t('lock.honest.pin')}</p>
      <p>{t('lock.honest.passkey')}</p>
      {lock?.method === 'passkey' ? <PasskeyAtRest lock={lock} /> : null}
    </div>
  )
}
