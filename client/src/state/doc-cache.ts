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

  constructor(openDoc: (docId: string) => Promise<Y.Doc>) {
    this.openDoc = openDoc
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

  /** Opens the doc for a write outside of rendering (a form saving into next month's agenda). */
  open(docId: string): Promise<Y.Doc> {
    const pending = this.promises.get(docId)
    if (pending) return pending
    this.entries.set(docId, { status: 'loading' })
    const promise = this.openDoc(docId).then(
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
