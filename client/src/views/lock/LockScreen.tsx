import { useEffect, useId, useRef, useState } from 'react'
import type { FormEvent } from 'react'
import type { PracticeRecord } from '../../sync/device/device'
import type { LockSummary } from '../../sync/device/lock/device-lock'
import { PIN_ATTEMPTS } from '../../sync/device/lock/attempts'
import { PasskeyError } from '../../sync/device/lock/passkey'
import { PIN_DIGITS } from '../../sync/device/lock/pin'
import { useT } from '../../i18n'
import { useDeviceSession } from '../../app/lock/session-context'
import { describeError } from '../form/describe-error'
import { FormAlert } from '../form/form-alert'
import { Padlock } from './LockControls'
import './lock.css'

/**
 * What a locked device shows: the practice's name and the way to unlock, nothing else. Once it is
 * up, the practice's screens are gone and the practice closes (app/lock/device-session.ts).
 */
export function LockScreen(props: { record: PracticeRecord; lock: LockSummary }) {
  const { t } = useT()
  const session = useDeviceSession()
  const titleId = useId()
  useEffect(() => {
    session.lockScreenShown()
  }, [session])
  return (
    <main className="lock-screen" aria-labelledby={titleId}>
      <div className="lock-screen__panel">
        <Padlock size={40} />
        <h1 id={titleId}>{t('lock.screen.title')}</h1>
        <p className="lock-screen__practice">{t('lock.screen.practice', { name: props.record.practiceName })}</p>
        {/* The sync indicator lives in the practice's screens, closed now: this says what it would. */}
        <p className="lock-screen__sync" role="status">
          {t('lock.screen.noSync')}
        </p>
        {props.lock.method === 'pin' ? <PinUnlock lock={props.lock} /> : <PasskeyUnlock />}
      </div>
    </main>
  )
}

/** The page's clock, read again every second while `until` is ahead (a wait counting down). */
function useClock(until: number | null): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (until === null) return
    let timer: ReturnType<typeof setInterval> | null = null
    const tick = () => {
      const current = Date.now()
      setNow(current)
      // The wait is over: the clock stops (the screen reads it no more).
      if (current >= until && timer !== null) clearInterval(timer)
    }
    timer = setInterval(tick, 1_000)
    tick()
    return () => {
      if (timer !== null) clearInterval(timer)
    }
  }, [until])
  return now
}

type Busy = null | 'checking' | 'opening'

function PinUnlock(props: { lock: LockSummary }) {
  const translator = useT()
  const { t, plural } = translator
  const session = useDeviceSession()
  const { failures, retryAt } = props.lock
  const now = useClock(retryAt)
  const waitSeconds = retryAt === null ? 0 : Math.max(0, Math.ceil((retryAt - now) / 1_000))
  const [pin, setPin] = useState('')
  const [busy, setBusy] = useState<Busy>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const field = useRef<HTMLInputElement>(null)
  const fieldId = useId()
  const hintId = useId()
  const statusId = useId()

  // On the PIN field: at once, and again after each answer.
  useEffect(() => {
    if (busy === null) field.current?.focus()
  }, [busy])

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy !== null || waitSeconds > 0) return
    setBusy('checking')
    setProblem(null)
    try {
      const outcome = await session.unlockWithPin(pin, () => setBusy('opening'))
      switch (outcome.kind) {
        case 'unlocked':
        case 'forgotten':
        case 'exhausted':
          // The screen is gone (the practice open, or the first-run screen).
          return
        case 'malformed':
          setProblem(t(`lock.pin.${outcome.problem}`))
          break
        case 'wrong':
          setProblem(plural('lock.screen.left', outcome.left))
          setPin('')
          break
        case 'wait':
          setProblem(null)
          break
      }
    } catch (error) {
      setProblem(describeError(error, translator))
    }
    setBusy(null)
  }

  const described = [hintId, failures > 0 ? statusId : null].filter(Boolean).join(' ')
  return (
    <form className="lock-screen__form" onSubmit={(event) => void submit(event)} noValidate aria-busy={busy !== null}>
      {problem ? <FormAlert>{problem}</FormAlert> : null}
      <div className={problem ? 'field field--invalid' : 'field'}>
        <label className="field__label" htmlFor={fieldId}>
          {t('lock.screen.pin')}
        </label>
        <input
          ref={field}
          id={fieldId}
          className="field__control lock-screen__pin"
          type="password"
          inputMode="numeric"
          autoComplete="off"
          pattern="[0-9]*"
          maxLength={PIN_DIGITS.max}
          value={pin}
          onChange={(event) => setPin(event.currentTarget.value)}
          disabled={busy !== null}
          aria-describedby={described}
          aria-invalid={problem ? true : undefined}
        />
        <p className="field__hint" id={hintId}>
          {t('lock.screen.pinHint')}
        </p>
      </div>
      <p className="lock-screen__status" id={statusId} aria-live="polite">
        {failures > 0 ? t('lock.screen.failures', { failures, max: PIN_ATTEMPTS.max }) : null}
        {waitSeconds > 0 ? <> {t('lock.screen.wait', { seconds: waitSeconds })}</> : null}
      </p>
      <button className="button button--primary button--large" type="submit" disabled={busy !== null || waitSeconds > 0}>
        {busy === 'checking' ? t('lock.screen.checking') : busy === 'opening' ? t('lock.screen.opening') : t('lock.screen.unlock')}
      </button>
    </form>
  )
}

function passkeyMessage(error: unknown, translator: ReturnType<typeof useT>): string {
  if (!(error instanceof PasskeyError)) return describeError(error, translator)
  return translator.t(`lock.passkey.${error.failure}`)
}

function PasskeyUnlock() {
  const translator = useT()
  const { t } = translator
  const session = useDeviceSession()
  const [busy, setBusy] = useState<Busy>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [confirmForget, setConfirmForget] = useState(false)
  const button = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    if (busy === null && !confirmForget) button.current?.focus()
  }, [busy, confirmForget])

  async function unlock() {
    setBusy('checking')
    setProblem(null)
    try {
      await session.unlockWithPasskey(() => setBusy('opening'))
      return
    } catch (error) {
      setProblem(passkeyMessage(error, translator))
    }
    setBusy(null)
  }

  return (
    <div className="lock-screen__form" aria-busy={busy !== null}>
      {problem ? <FormAlert>{problem}</FormAlert> : null}
      <button ref={button} className="button button--primary button--large" type="button" disabled={busy !== null} onClick={() => void unlock()}>
        {busy === 'checking' ? t('lock.screen.checking') : busy === 'opening' ? t('lock.screen.opening') : t('lock.screen.passkey')}
      </button>
      {confirmForget ? (
        <div className="lock-screen__forget" role="group" aria-label={t('lock.screen.lostPasskey')}>
          <p>{t('lock.screen.lostPasskey.confirm')}</p>
          <button className="button button--danger" type="button" onClick={() => void session.forget()}>
            {t('lock.screen.lostPasskey.yes')}
          </button>
          <button className="button" type="button" onClick={() => setConfirmForget(false)}>
            {t('lock.screen.lostPasskey.no')}
          </button>
        </div>
      ) : (
        <button className="button button--quiet" type="button" disabled={busy !== null} onClick={() => setConfirmForget(true)}>
          {t('lock.screen.lostPasskey')}
        </button>
      )}
    </div>
  )
}
