import { useCallback, useMemo, useSyncExternalStore } from 'react'
import { subscribeAfterTask } from '../sync/decode/after-this-task'
import type { PracticeHandle } from '../sync/practice/practice-handle'
import type { SyncState } from '../sync/sync-state'

/**
 * The practice's sync state; re-renders on every change (the practice hands out immutable
 * snapshots), from a task of its own: the state moves with every frame of a sync (after-this-task.ts).
 */
export function useSyncState(space: PracticeHandle): SyncState {
  const subscribe = useMemo(() => subscribeAfterTask((listener) => space.subscribe(listener)), [space])
  const getSnapshot = useCallback(() => space.getSyncState(), [space])
  return useSyncExternalStore(subscribe, getSnapshot)
}
