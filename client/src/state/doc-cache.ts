import type * as Y from 'yjs'
import { DocVersion } from './doc-snapshot'

/** Where a doc stands for the views: each state object keeps its identity until the doc moves on. */
export type DocEntry =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly doc: Y.Doc }
  | { readonly status: 'failed'; readonly error: unknown }

const NOT_REQUESTED: DocEntry = { status: 'loading' }

/**
 * The docs a practice's views have asked for: remembers each `openDoc` promise and its outcome,
 * so a view that mounts again gets its doc synchronously, and tells subscribers when one settles.
 * One per open practice (built by PracticeProvider), never module-level.
 */
export class DocCache {
  private readonly entries = new Map<string, DocEntry>()
  private readonly promises = new Map<string, Promise<Y.Doc>>()
  private readonly listeners = new Set<() => void>()
  private readonly versions = new WeakMap<Y.Doc, DocVersion>()
  private readonly openDoc: (docId: string) => Promise<Y.Doc>
  private readonly prefetchDoc: (docId: string) => Promise<Y.Doc>

  /**
   * `prefetchDoc` opens a doc a view will probably need next, at a lower priority (the practice
   * waits until what the screen shows now has synced); by default the same as `openDoc`.
   */
  constructor(openDoc: (docId: string) => Promise<Y.Doc>, prefetchDoc: (docId: string) => Promise<Y.Doc> = openDoc) {
    this.openDoc = openDoc
    this.prefetchDoc = prefetchDoc
  }

  /** The doc's state now; `loading` until `request` has been called and the doc has opened. */
  peek(docId: string): DocEntry {
    return this.entries.get(docId) ?? NOT_REQUESTED
  }

  /** Starts opening the doc unless it is already open or opening. */
  request(docId: string): void {
    void this.open(docId).catch(() => {
      // Already recorded as the entry's `failed` state, which the view shows.
    })
  }

  /**
   * Starts opening a doc a view will probably show next (the agenda's neighbour months), after
   * what is shown now. Asked for by a view meanwhile, the doc comes from this same opening.
   */
  prefetch(docId: string): void {
    void this.start(docId, this.prefetchDoc).catch(() => {
      // Recorded as the entry's `failed` state, which a view showing the doc then offers to retry.
    })
  }

  /** Opens the doc for a write outside of rendering (a form saving into next month's agenda). */
  open(docId: string): Promise<Y.Doc> {
    return this.start(docId, this.openDoc)
  }

  private start(docId: string, opener: (docId: string) => Promise<Y.Doc>): Promise<Y.Doc> {
    const pending = this.promises.get(docId)
    if (pending) return pending
    this.entries.set(docId, { status: 'loading' })
    const promise = opener(docId).then(
      (doc) => {
        this.versionOf(doc)
        this.settle(docId, { status: 'ready', doc })
        return doc
      },
      (error: unknown) => {
        this.settle(docId, { status: 'failed', error })
        throw error
      },
    )
    this.promises.set(docId, promise)
    return promise
  }

  /** Every doc opened so far, with its id: for owners that follow each doc as it opens. */
  openDocs(): [string, Y.Doc][] {
    const open: [string, Y.Doc][] = []
    for (const [docId, entry] of this.entries) if (entry.status === 'ready') open.push([docId, entry.doc])
    return open
  }

  /** Forgets a failed doc so that the next request tries again. */
  retry(docId: string): void {
    if (this.peek(docId).status !== 'failed') return
    this.entries.delete(docId)
    this.promises.delete(docId)
    this.request(docId)
  }

  /** The change counter of a doc, started when the doc was first seen here. */
  versionOf(doc: Y.Doc): DocVersion {
    let version = this.versions.get(doc)
    if (!version) {
      version = new DocVersion(doc)
      this.versions.set(doc, version)
    }
    return version
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private settle(docId: string, entry: DocEntry): void {
    this.entries.set(docId, entry)
    for (const listener of this.listeners) listener()
  }
}
