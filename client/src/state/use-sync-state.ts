import { useCallback, useSyncExternalStore } from 'react'
import type { PracticeSpace } from '../sync/practice-space'
import type { SyncState } from '../sync/sync-state'

/** The space's sync state; re-renders on every change (the Space hands out immutable snapshots). */
export function useSyncState(space: PracticeSpace): SyncState {
  const subscribe = useCallback((listener: () => void) => space.subscribe(listener), [space])
  const getSnapshot = useCallback(() => space.getSyncState(), [space])
  return useSyncExternalStore(subscribe, getSnapshot)
}
