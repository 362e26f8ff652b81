import { createContext, useContext, useSyncExternalStore } from 'react'
import type { LockSummary } from '../../sync/device/lock/device-lock'
import type { DeviceSession, SessionState } from './device-session'

/** The device's session (first run, open, locked), for the lock's controls and screens. */
export const DeviceSessionContext = createContext<DeviceSession | null>(null)

export function useDeviceSession(): DeviceSession {
  const session = useContext(DeviceSessionContext)
  if (!session) throw new Error('useDeviceSession() needs a <DeviceSessionContext> above it')
  return session
}

export function useSessionState(): SessionState {
  const session = useDeviceSession()
  return useSyncExternalStore(session.subscribe, session.getSnapshot)
}

/** The open practice's lock on this device, or null when none is chosen (or nothing is open). */
export function useLockSummary(): LockSummary | null {
  const state = useSessionState()
  return state.kind === 'open' ? state.lock : null
}
