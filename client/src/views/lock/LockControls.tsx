import { useId } from 'react'
import { useT } from '../../i18n'
import { usePractice } from '../../state'
import { routeHref } from '../../app/route'
import { useDeviceSession, useLockSummary, useSessionState } from '../../app/lock/session-context'
import './lock.css'

const SETTINGS_HREF = routeHref({ view: 'settings' })

/** A padlock, drawn (an emoji may be missing from the device's fonts). */
export function Padlock(props: { size?: number }) {
  const size = props.size ?? 16
  return (
    <svg className="padlock" viewBox="0 0 16 16" width={size} height={size} aria-hidden="true" focusable="false">
      <path d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <rect x="2.5" y="7" width="11" height="8" rx="1.5" fill="currentColor" />
    </svg>
  )
}

/**
 * « Verrouiller », always in the frame's header: locks at once; without a lock chosen, opens
 * « Réglages › Verrouillage » instead (its title says so).
 */
export function LockButton() {
  const { t } = useT()
  const session = useDeviceSession()
  const lock = useLockSummary()
  const { actor } = usePractice()
  // « Qui êtes-vous ? » comes first: no Réglages to go to before it.
  if (lock === null && actor === null) return null
  return (
    <button
      className="button button--small frame__lock"
      type="button"
      aria-label={t('lock.now')}
      title={lock === null ? t('lock.now.noneHint') : undefined}
      onClick={() => {
        if (lock !== null) {
          session.lock()
          return
        }
        session.requestLockSettings()
        window.location.hash = SETTINGS_HREF
      }}
    >
      <Padlock />
      <span className="frame__lock-text" aria-hidden="true">
        {t('lock.now')}
      </span>
    </button>
  )
}

/**
 * Right after creating or joining a practice, the lock is offered once: one short line under the
 * header that blocks nothing (« Plus tard » dismisses it), until a method is chosen. One line of
 * text, not a bar of big buttons: on a tablet in landscape the agenda's grid keeps its height.
 */
export function LockOffer() {
  const { t } = useT()
  const session = useDeviceSession()
  const state = useSessionState()
  const { actor } = usePractice()
  const textId = useId()
  if (state.kind !== 'open' || !state.offerLock || state.lock !== null || actor === null) return null
  return (
    <section className="banner--lock" aria-label={t('lock.offer.label')}>
      <Padlock />
      <span id={textId}>{t('lock.offer.text')}</span>
      <a className="banner__action" href={SETTINGS_HREF} aria-describedby={textId} onClick={() => session.requestLockSettings()}>
        {t('lock.offer.choose')}
      </a>
      <button className="banner__action" type="button" onClick={() => session.dismissOffer()}>
        {t('lock.offer.later')}
      </button>
    </section>
  )
}
