import { useMemo, useSyncExternalStore } from 'react'
import type * as Y from 'yjs'
import { DocsSnapshotStore } from './docs-snapshot'
import { usePractice } from './practice-context'

/**
 * A value read from several docs (opened on demand), kept until one of them changes. `docIds` may
 * be a new array at each render (compared by content); `read` must be stable.
 * Docs still opening are left out; `complete` is true once all of them are read.
 */
export function useDocsSnapshot<T>(docIds: readonly string[], read: (docs: readonly Y.Doc[]) => T): { value: T; complete: boolean } {
  const { docs } = usePractice()
  // Doc ids never contain '\n', so the joined list identifies the set.
  const key = docIds.join('\n')
  const store = useMemo(() => new DocsSnapshotStore(docs, key === '' ? [] : key.split('\n'), read), [docs, key, read])
  return useSyncExternalStore(store.subscribe, store.getSnapshot)
}
