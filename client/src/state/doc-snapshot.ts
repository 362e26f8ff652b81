import type * as Y from 'yjs'
import { afterThisTask } from '../sync/decode/after-this-task'

/**
 * Counts a doc's committed transactions (local or remote) from the moment it is tracked, for as
 * long as the doc lives. A snapshot remembers the count it was read at: equal count, same doc
 * content, same snapshot. Tracking starts when the doc is opened, not when a view subscribes, so a
 * change landing between a render and its subscription is not missed.
 */
export class DocVersion {
  private count = 0
  private readonly listeners = new Set<() => void>()

  constructor(doc: Y.Doc) {
    // 'afterTransaction' rather than 'update': Yjs encodes every transaction as an update for each
    // 'update' listener, which costs as much as a third of applying it (a directory of 20,000
    // patients arriving in one transaction). The test below is the one Yjs uses before emitting
    // 'update': something was inserted or deleted.
    doc.on('afterTransaction', (transaction: Y.Transaction) => {
      if (!changedContent(transaction)) return
      this.count += 1
      // A person's own edit shows in this task; what arrived from elsewhere (a slice of a sync,
      // a colleague's change) from a task of its own, once for all that arrived (after-this-task.ts).
      // The count moves at once either way: a render for another reason reads the doc as it is.
      if (transaction.local) this.notify()
      else afterThisTask(this.notify)
    })
  }

  private readonly notify = (): void => {
    for (const listener of this.listeners) listener()
  }

  get = (): number => this.count

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

/** What a snapshot is read at: equal value, same snapshot (a DocVersion, or several combined). */
export interface Version {
  get(): number | string
  subscribe(listener: () => void): () => void
}

/** Moves when any of `versions` moves. */
export function combinedVersion(...versions: readonly Version[]): Version {
  return {
    get: () => versions.map((v) => v.get()).join('/'),
    subscribe: (listener) => {
      const offs = versions.map((v) => v.subscribe(listener))
      return () => offs.forEach((off) => off())
    },
  }
}

function changedContent(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true
  for (const [client, clock] of transaction.afterState) if (transaction.beforeState.get(client) !== clock) return true
  return false
}

/**
 * A value read from a Y.Doc, recomputed only after the doc changed: the store behind
 * `useDocSnapshot`. `getSnapshot` returns the same object until the doc changes; otherwise React
 * would re-render forever, since a reader returns a new array each time it runs.
 */
export class DocSnapshotStore<T> {
  private readonly doc: Y.Doc
  private readonly version: Version
  private readonly read: (doc: Y.Doc) => T
  private computed: { version: number | string; value: T } | null = null

  constructor(doc: Y.Doc, version: Version, read: (doc: Y.Doc) => T) {
    this.doc = doc
    this.version = version
    this.read = read
  }

  subscribe = (listener: () => void): (() => void) => this.version.subscribe(listener)

  getSnapshot = (): T => {
    const version = this.version.get()
    if (this.computed === null || this.computed.version !== version) {
      this.computed = { version, value: this.read(this.doc) }
    }
    return this.computed.value
  }
}
