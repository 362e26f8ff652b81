import { useEffect, useRef, useState } from 'react'
import type { FormEvent } from 'react'
import { groupedConfirmationCode } from '../../../../shared/src/devices/confirmation-code'
import { groupedPairingCode } from '../../../../shared/src/devices/pairing-wire'
import type { OpenPractice } from '../../sync/device/device'
import type { JoiningPairing } from '../../sync/device/pairing'
import { PairingError, PairingFailure } from '../../sync/device/pairing-errors'
import { RelayUrlError } from '../../sync/errors'
import { normalizeRelayUrl } from '../../sync/relay/relay-url'
import { issueKey, useT } from '../../i18n'
import { useDeviceApi } from '../../app/device-api'
import { describeError } from '../form/describe-error'
import { PairingQrCode } from '../pairing/PairingQrCode'
import { formValues } from '../form/field-errors'
import { FormAlert } from '../form/form-alert'
import { RelayUrlField } from './RelayUrlField'

type Stage =
  | { kind: 'form'; failure: string | null; relayError: string | null }
  | { kind: 'opening' }
  | { kind: 'waiting'; pairing: JoiningPairing; confirmation: string | null; relayUnavailable: boolean }

/**
 * Joining a practice: this device makes its key pairs and shows a QR code (its pairing code and
 * public keys, shared/src/devices/pairing-qr.ts) with the code under it; an administrator's device
 * scans the one or types the other, both screens show the same six digits, and the practice's keys arrive sealed for this
 * device alone (sync/device/pairing.ts). Nothing to copy, nothing secret on screen.
 */
export function JoinPracticeForm(props: { onOpened: (practice: OpenPractice) => void }) {
  const translator = useT()
  const { t } = translator
  const device = useDeviceApi()
  const [stage, setStage] = useState<Stage>({ kind: 'form', failure: null, relayError: null })
  const waiting = useRef<AbortController | null>(null)
  const { onOpened } = props

  // Leaving the screen gives the pairing up: the relay forgets it, nothing waits in the background.
  useEffect(() => () => waiting.current?.abort(), [])

  async function start(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const typed = (formValues(event.currentTarget).relayUrl ?? '').trim()
    if (typed === '') {
      setStage({ kind: 'form', failure: t('form.invalid'), relayError: t(issueKey('required')) })
      return
    }
    let relayUrl: string
    try {
      relayUrl = normalizeRelayUrl(typed)
    } catch (error) {
      if (!(error instanceof RelayUrlError)) throw error
      setStage({ kind: 'form', failure: t('form.invalid'), relayError: t('relayError.invalidUrl') })
      return
    }
    setStage({ kind: 'opening' })
    let pairing: JoiningPairing
    try {
      pairing = await device.openPairing(relayUrl)
    } catch (error) {
      setStage({ kind: 'form', failure: describeError(error, translator), relayError: null })
      return
    }
    const controller = new AbortController()
    waiting.current = controller
    setStage({ kind: 'waiting', pairing, confirmation: null, relayUnavailable: false })
    try {
      const practice = await pairing.wait({
        signal: controller.signal,
        onConfirmation: (confirmation) => setStage((current) => ({ ...waitingOn(current, pairing), confirmation })),
        // A relay node restarting does not end the pairing: the device asks again, and says so.
        onRelayUnavailable: (relayUnavailable) => setStage((current) => ({ ...waitingOn(current, pairing), relayUnavailable })),
      })
      onOpened(practice)
    } catch (error) {
      if (controller.signal.aborted && error instanceof PairingError && error.failure === PairingFailure.Cancelled) {
        setStage({ kind: 'form', failure: null, relayError: null })
        return
      }
      setStage({ kind: 'form', failure: describeError(error, translator), relayError: null })
    } finally {
      if (waiting.current === controller) waiting.current = null
    }
  }

  if (stage.kind === 'waiting') {
    return (
      <section className="form pairing" aria-live="polite">
        <PairingQrCode text={stage.pairing.qrText()} label={t('join.qr')} />
        <div className="field">
          <span className="field__label" id="join-code-label">
            {t('join.code')}
          </span>
          <output className="pairing__code" aria-labelledby="join-code-label">
            {groupedPairingCode(stage.pairing.code)}
          </output>
          <p className="field__hint">{t('join.code.hint')}</p>
        </div>
        {stage.confirmation === null ? (
          <p className="pairing__status">{t('join.waiting')}</p>
        ) : (
          <div className="field">
            <span className="field__label" id="join-confirmation-label">
              {t('join.confirmation')}
            </span>
            <output className="pairing__confirmation" aria-labelledby="join-confirmation-label">
              {groupedConfirmationCode(stage.confirmation)}
            </output>
            <p className="field__hint">{t('join.confirmation.hint')}</p>
          </div>
        )}
        {stage.relayUnavailable && (
          <p className="pairing__status" role="status">
            {t('join.relayRetrying')}
          </p>
        )}
        <button className="button" type="button" onClick={() => waiting.current?.abort()}>
          {t('join.cancel')}
        </button>
      </section>
    )
  }

  const busy = stage.kind === 'opening'
  return (
    <form className="form" noValidate onSubmit={start} aria-busy={busy}>
      {stage.kind === 'form' && stage.failure ? <FormAlert>{stage.failure}</FormAlert> : null}
      <RelayUrlField label={t('join.relayUrl')} hint={t('join.relayUrl.hint')} error={stage.kind === 'form' ? (stage.relayError ?? undefined) : undefined} />
      <button className="button button--primary" type="submit" disabled={busy}>
        {busy ? t('join.starting') : t('join.start')}
      </button>
    </form>
  )
}

/** The waiting stage of `pairing` as it stands (a callback of the wait may come after another). */
function waitingOn(current: Stage, pairing: JoiningPairing): Extract<Stage, { kind: 'waiting' }> {
  return current.kind === 'waiting' && current.pairing === pairing ? current : { kind: 'waiting', pairing, confirmation: null, relayUnavailable: false }
}
