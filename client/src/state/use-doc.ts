import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react'
import type * as Y from 'yjs'
import { DocSnapshotStore } from './doc-snapshot'
import { usePractice } from './practice-context'

/** Thrown to the nearest error boundary when a doc cannot be opened (storage failure). */
export class DocOpenError extends Error {
  override name = 'DocOpenError'
  readonly docId: string
  constructor(docId: string, cause: unknown) {
    super(`Cannot open ${docId}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.docId = docId
  }
}

/**
 * The doc named `docId` ('directory', 'agenda/2026-11', 'patient/<id>'), or null while it opens.
 * The view holds it while mounted (its room stays connected: what it shows is live), and the
 * practice's DocCache a while after, so a view mounted again gets it at once. With `request`
 * false the doc is not held here (a view showing a digest meanwhile): it is returned only if
 * something else holds it.
 */
export function useDoc(docId: string, request = true): Y.Doc | null {
  const { docs } = usePractice()
  const getSnapshot = useCallback(() => docs.peek(docId), [docs, docId])
  const entry = useSyncExternalStore(docs.subscribe, getSnapshot)
  useEffect(() => (request ? docs.retain(docId) : undefined), [docs, docId, request])
  if (entry.status === 'failed') throw new DocOpenError(docId, entry.error)
  return entry.status === 'ready' ? entry.doc : null
}

/**
 * A value read from a doc, kept until the doc changes (local or remote), then read again. `read`
 * must be stable (a module function, or wrapped in useCallback) for the value to keep its
 * identity across renders; the value is null while the doc is null.
 */
export function useDocSnapshot<T>(doc: Y.Doc | null, read: (doc: Y.Doc) => T): T | null {
  const { docs } = usePractice()
  const store = useMemo(() => (doc ? new DocSnapshotStore(doc, docs.versionOf(doc), read) : null), [doc, docs, read])
  const subscribe = useCallback((listener: () => void) => (store ? store.subscribe(listener) : () => {}), [store])
  const getSnapshot = useCallback(() => (store ? store.getSnapshot() : null), [store])
  return useSyncExternalStore(subscribe, getSnapshot)
}
