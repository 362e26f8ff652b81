import { useEffect } from 'react'
import { lockAfterMinutesOf } from '../../../../shared/src/model'
import { usePracticeSettings } from '../../state'
import { IdleTimer, watchPage } from './idle-timer'
import { useDeviceSession, useLockSummary } from './session-context'

/**
 * Locks the open practice after the practice's idle time (Réglages, « Verrouiller après »;
 * 5 minutes by default) without input, or hidden for as long. Nothing while no lock is chosen.
 */
export function IdleLock() {
  const session = useDeviceSession()
  const lock = useLockSummary()
  const idleMs = lockAfterMinutesOf(usePracticeSettings()) * 60_000
  const enabled = lock !== null
  useEffect(() => {
    if (!enabled) return
    return watchPage(new IdleTimer({ idleMs, onIdle: () => session.lock() }), window, document)
  }, [enabled, idleMs, session])
  return null
}
