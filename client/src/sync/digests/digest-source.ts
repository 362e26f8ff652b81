/**
 * Where read views look while this device's docs have not synced: a digest the sync layer fetched
 * for them. The practice holds one per digest (PracticeSpace.directoryDigest, .weekDigest); the
 * sync layer sets it when a digest arrives and clears it once what it stands for has synced, and
 * the views (client/src/state/directory.ts, agenda.ts) read the digest while it is set, then the
 * live docs.
 *   - directory (shared/src/digest/directory-digest.ts): until the directory doc has synced;
 *   - week (shared/src/digest/week-digest.ts): until this week's month docs have synced.
 */
import type { DirectoryDigest } from '../../../../shared/src/digest/directory-digest'
import type { WeekDigest } from '../../../../shared/src/digest/week-digest'
import { afterThisTask } from '../decode/after-this-task'

/** What views read while this device's docs have not synced yet. */
export interface DigestSource<T> {
  /** The digest to show instead of the docs, or null (none, or the docs have synced). */
  current(): T | null
  subscribe(listener: () => void): () => void
}

export type DirectoryDigestSource = DigestSource<DirectoryDigest>

/** The practice's holder: the sync layer sets it when a digest arrives and clears it once the docs synced. */
export class DigestHolder<T> implements DigestSource<T> {
  private digest: T | null = null
  /** What `clear` took away, if kept: a view may keep showing it while its docs open (`beforeClear`). */
  private previous: T | null = null
  /** Once the docs have synced, a digest arriving late (a slow fetch) must not hide them again. */
  private cleared = false
  private readonly listeners = new Set<() => void>()

  /**
   * `keepAfterClear`: what was shown stays for `beforeClear` — the week's few thousand
   * appointments until the practice closes, the directory's 20,000 patients until `release()`
   * (the views' patient index of the live doc is built).
   */
  constructor(
    private readonly keepAfterClear = false,
    /** Whether `next` may replace `shown` (two sources: a cold start's first-screen record, the relay's digest). */
    private readonly replaces: (next: T, shown: T) => boolean = () => true,
  ) {}

  // Arrow functions: React's useSyncExternalStore takes them unbound.
  current = (): T | null => this.digest

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Shows `digest` until `clear`. Ignored after `clear` (the live doc is already shown), when it
   * is the digest already shown, and when the one shown is to be kept (`replaces`).
   */
  set(digest: T): void {
    if (this.cleared || digest === this.digest) return
    if (this.digest !== null && !this.replaces(digest, this.digest)) return
    this.digest = digest
    this.notify()
  }

  /**
   * The digest shown until `clear` (with `keepAfterClear`), or null: a view that had read it and
   * now asks for the docs it stands for keeps showing it until they have opened, rather than a
   * blank for a frame.
   */
  beforeClear = (): T | null => this.previous

  /** Whether `clear` was called: a digest set now would not show. */
  get isCleared(): boolean {
    return this.cleared
  }

  /** Drops what `beforeClear` kept: the views no longer need it. */
  release(): void {
    this.previous = null
  }

  /** The docs have synced: views read them from now on, for good. */
  clear(): void {
    const had = this.digest !== null
    this.cleared = true
    if (had && this.keepAfterClear) this.previous = this.digest
    this.digest = null
    if (had) this.notify()
  }

  /**
   * From a task of its own (after-this-task.ts): a digest is set or cleared in the task of a sync's
   * slice, and the views' render of the change (the digest giving way to 20,000 live patients) made
   * that task one of 124–166 ms. `current()` answers the new value at once.
   */
  private notify(): void {
    afterThisTask(this.notifyNow)
  }

  private readonly notifyNow = (): void => {
    for (const listener of [...this.listeners]) listener()
  }
}

/** A whole directory digest replaces a partial one (a first-screen record), never the reverse. */
export class DirectoryDigestHolder extends DigestHolder<DirectoryDigest> {
  constructor() {
    super(true, (next, shown) => !next.partial || shown.partial === true)
  }
}
/** Of a first-screen record's week and the relay's, the one built last shows. */
export class WeekDigestHolder extends DigestHolder<WeekDigest> {
  constructor() {
    super(true, (next, shown) => next.builtAt >= shown.builtAt)
  }
}
