import type * as Y from 'yjs'
import type { DocCache } from './doc-cache'

/**
 * A value read from several docs at once (the agenda months an ordonnance spans), recomputed only
 * when one of them changes or finishes opening: the store behind `useDocsSnapshot`. Docs that are
 * still opening are left out of `read`'s input; `complete` says whether all of them were there.
 */
export class DocsSnapshotStore<T> {
  private computed: { key: string; value: { value: T; complete: boolean } } | null = null

  constructor(
    private readonly cache: DocCache,
    private readonly docIds: readonly string[],
    private readonly read: (docs: readonly Y.Doc[]) => T,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    const unsubscribes = new Map<string, () => void>()
    const follow = () => {
      for (const id of this.docIds) {
        const entry = this.cache.peek(id)
        if (entry.status === 'ready' && !unsubscribes.has(id)) {
          unsubscribes.set(id, this.cache.versionOf(entry.doc).subscribe(listener))
        }
      }
    }
    const offCache = this.cache.subscribe(() => {
      follow()
      listener()
    })
    follow()
    // Held while someone reads them: their rooms stay connected, what is shown stays live.
    const releases = this.docIds.map((id) => this.cache.retain(id))
    return () => {
      offCache()
      for (const off of unsubscribes.values()) off()
      for (const release of releases) release()
    }
  }

  getSnapshot = (): { value: T; complete: boolean } => {
    const ready: Y.Doc[] = []
    const key = this.docIds
      .map((id) => {
        const entry = this.cache.peek(id)
        if (entry.status !== 'ready') return `${id}:${entry.status}`
        ready.push(entry.doc)
        return `${id}:${this.cache.versionOf(entry.doc).get()}`
      })
      .join('|')
    if (this.computed === null || this.computed.key !== key) {
      this.computed = { key, value: { value: this.read(ready), complete: ready.length === this.docIds.length } }
    }
    return this.computed.value
  }
}
