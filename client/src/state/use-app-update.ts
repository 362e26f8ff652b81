import { useCallback, useSyncExternalStore } from 'react'
import type { AppUpdates, AppUpdateState } from '../app/app-update'

/** Whether a new version of the app waits for the user's tap; re-renders when that changes. */
export function useAppUpdate(updates: AppUpdates): AppUpdateState {
  const subscribe = useCallback((listener: () => void) => updates.subscribe(listener), [updates])
  const getSnapshot = useCallback(() => updates.getState(), [updates])
  return useSyncExternalStore(subscribe, getSnapshot)
}
