/**
 * How far the docs a screen shows can be trusted (client/src/sync/practice/doc-freshness.ts):
 * current, catching up, or behind (offline), and whether what they hold is known complete. A
 * screen says « pas à jour » when behind, and « chargement » rather than « 0 rendez-vous » when
 * not known.
 */
import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react'
import { subscribeAfterTask } from '../sync/decode/after-this-task'
import { combineFreshness, sameFreshness, type DocFreshness } from '../sync/practice/doc-freshness'
import { usePractice } from './practice-context'

export type { DocFreshness } from '../sync/practice/doc-freshness'

/** The combined freshness of `docIds` (held by the caller through useDoc or the doc cache). */
export function useDocFreshness(docIds: readonly string[]): DocFreshness {
  const { space } = usePractice()
  const key = docIds.join('|')
  const last = useRef<DocFreshness | null>(null)
  const getSnapshot = useCallback(() => {
    const next = combineFreshness(key === '' ? [] : key.split('|').map((docId) => space.docFreshness(docId)))
    // The same object while nothing changed: useSyncExternalStore re-renders on a new one.
    if (last.current !== null && sameFreshness(last.current, next)) return last.current
    last.current = next
    return next
  }, [space, key])
  // Rooms change with every frame of a sync: the views hear of it from a task of its own (after-this-task.ts).
  const subscribe = useMemo(() => subscribeAfterTask(space.subscribeRooms), [space])
  return useSyncExternalStore(subscribe, getSnapshot)
}
