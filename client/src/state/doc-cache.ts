import type * as Y from 'yjs'
import type { DocLease } from '../sync/practice/practice-handle'
import { DocVersion } from './doc-snapshot'

/** Where a doc stands for the views: each state object keeps its identity until the doc moves on. */
export type DocEntry =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly doc: Y.Doc }
  | { readonly status: 'failed'; readonly error: unknown }

const NOT_REQUESTED: DocEntry = { status: 'loading' }

/**
 * How long a doc no view holds stays open: a view mounted again within it (paging back to a week,
 * returning to a patient) gets its doc at once, still live (its room stays connected). Writes
 * outside rendering (`open`) are covered by it too: a form writes within a turn of opening.
 */
export const LINGER_MS = 2 * 60_000

type Priority = 'view' | 'prefetch'

interface Held {
  entry: DocEntry
  /** Views (and writes) and prefetches holding the doc now. */
  refs: number
  /** The leases taken for it (a prefetch, then a view's: the view's does not wait behind the start). */
  readonly leases: Map<Priority, Promise<DocLease>>
  promise: Promise<Y.Doc>
  lingerTimer: ReturnType<typeof setTimeout> | null
}

/**
 * The docs a practice's views hold, each through a lease of the practice (sync/practice): while
 * held, and for LINGER_MS after the last view lets go, the doc's room is loaded and connected, so
 * what a screen shows is live; then the lease ends and the practice may release the room. A view
 * that mounts again within the linger gets its doc synchronously. One per open practice (built by
 * PracticeProvider), never module-level.
 */
export class DocCache {
  private readonly held = new Map<string, Held>()
  private readonly listeners = new Set<() => void>()
  private readonly versions = new WeakMap<Y.Doc, DocVersion>()

  constructor(
    private readonly acquire: (docId: string, priority: Priority) => Promise<DocLease>,
    private readonly lingerMs = LINGER_MS,
  ) {}

  /** The doc's state now; `loading` until it is held and has opened. */
  peek(docId: string): DocEntry {
    return this.held.get(docId)?.entry ?? NOT_REQUESTED
  }

  /** A view shows the doc: held until the function returned is called (then it lingers). */
  retain(docId: string, priority: Priority = 'view'): () => void {
    const held = this.hold(docId, priority)
    held.refs++
    if (held.lingerTimer !== null) clearTimeout(held.lingerTimer)
    held.lingerTimer = null
    let released = false
    return () => {
      if (released) return
      released = true
      // Not a doc held again since releaseAll: that one has refs of its own.
      if (this.held.get(docId) === held) this.letGo(docId)
    }
  }

  /** The doc for a write outside of rendering (a form saving into next month's agenda). */
  open(docId: string): Promise<Y.Doc> {
    const release = this.retain(docId)
    const held = this.held.get(docId)!
    release()
    return held.promise
  }

  /**
   * Every doc held (or lingering) and open now, with its id: for owners that follow each doc while
   * it is open (the patient month indexer). A doc leaves this list when its linger ends.
   */
  openDocs(): [string, Y.Doc][] {
    const open: [string, Y.Doc][] = []
    for (const [docId, held] of this.held) if (held.entry.status === 'ready') open.push([docId, held.entry.doc])
    return open
  }

  /** Forgets a failed doc so that the next view tries again. */
  retry(docId: string): void {
    const held = this.held.get(docId)
    if (!held || held.entry.status !== 'failed') return
    this.held.delete(docId)
    if (held.refs > 0) {
      const again = this.hold(docId, 'view')
      again.refs = held.refs
    }
    this.notify()
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

  /**
   * Lets go of every doc now, lingering or not: their leases end and nothing here keeps one (the
   * practice's screens are gone: the app locked). A view mounted again afterwards holds its doc
   * again as the first time.
   */
  releaseAll(): void {
    const held = [...this.held.values()]
    this.held.clear()
    for (const entry of held) {
      if (entry.lingerTimer !== null) clearTimeout(entry.lingerTimer)
      entry.lingerTimer = null
      for (const lease of entry.leases.values()) lease.then((l) => l.release(), () => undefined)
    }
    if (held.length > 0) this.notify()
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The held doc, taking (or upgrading to) a lease of this priority. */
  private hold(docId: string, priority: Priority): Held {
    let held = this.held.get(docId)
    if (!held) {
      held = { entry: NOT_REQUESTED, refs: 0, leases: new Map(), promise: Promise.resolve(null as unknown as Y.Doc), lingerTimer: null }
      this.held.set(docId, held)
    }
    if (held.entry.status !== 'failed' && !held.leases.has(priority) && !(priority === 'prefetch' && held.leases.has('view'))) {
      const lease = this.acquire(docId, priority)
      held.leases.set(priority, lease)
      const current = held
      const opened = lease.then((l) => l.doc)
      // The first lease to open settles the entry; a view's may overtake a prefetch's.
      current.promise = held.leases.size === 1 ? opened : Promise.race([current.promise, opened])
      opened.then(
        (doc) => {
          if (this.held.get(docId) !== current || current.entry.status === 'ready') return
          this.versionOf(doc)
          current.entry = { status: 'ready', doc }
          this.notify()
        },
        (error: unknown) => {
          current.leases.delete(priority)
          if (this.held.get(docId) !== current || current.entry.status === 'ready' || current.leases.size > 0) return
          current.entry = { status: 'failed', error }
          this.notify()
        },
      )
    }
    return held
  }

  private letGo(docId: string): void {
    const held = this.held.get(docId)
    if (!held) return
    held.refs--
    if (held.refs > 0) return
    held.lingerTimer = setTimeout(() => {
      held.lingerTimer = null
      if (held.refs > 0 || this.held.get(docId) !== held) return
      this.held.delete(docId)
      for (const lease of held.leases.values()) lease.then((l) => l.release(), () => undefined)
      this.notify()
    }, this.lingerMs)
  }

  private notify(): void {
    for (const listener of this.listeners) listener()
  }
}
