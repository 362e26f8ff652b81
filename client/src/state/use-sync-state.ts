import { useCallback, useSyncExternalStore } from 'react'
import type { PracticeHandle } from '../sync/practice/practice-handle'
import type { SyncState } from '../sync/sync-state'

/** The practice's sync state; re-renders on every change (the practice hands out immutable snapshots). */
export function useSyncState(space: PracticeHandle): SyncState {
  const subscribe = useCallback((listener: () => void) => space.subscribe(listener), [space])
  const getSnapshot = useCallback(() => space.getSyncState(), [space])
  return useSyncExternalStore(subscribe, getSnapshot)
}
