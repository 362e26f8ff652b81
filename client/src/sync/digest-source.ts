/**
 * Where the directory's read views look while this device's directory doc has not synced: the
 * directory digest (shared/src/digest/directory-digest.ts) the sync layer fetched for it. The
 * practice holds one (PracticeSpace.directoryDigest); the sync layer sets it when a digest arrives
 * and clears it once the directory has synced, and the views (client/src/state/directory.ts) read
 * the digest while it is set, then the live doc.
 */
import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'

/** What views read while this device's directory has not synced yet. */
export interface DirectoryDigestSource {
  /** The digest to show instead of the directory doc, or null (none, or the directory has synced). */
  current(): DirectoryDigest | null
  subscribe(listener: () => void): () => void
}

/** The practice's holder: the sync layer sets it when a digest arrives and clears it once the directory synced. */
export class DirectoryDigestHolder implements DirectoryDigestSource {
  private digest: DirectoryDigest | null = null
  /** Once the directory has synced, a digest arriving late (a slow fetch) must not hide it again. */
  private cleared = false
  private readonly listeners = new Set<() => void>()

  // Arrow functions: React's useSyncExternalStore takes them unbound.
  current = (): DirectoryDigest | null => this.digest

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Shows `digest` until `clear`. Ignored after `clear` (the live doc is already shown), and when
   * it is the digest already shown.
   */
  set(digest: DirectoryDigest): void {
    if (this.cleared || digest === this.digest) return
    this.digest = digest
    this.notify()
  }

  /** The directory has synced: views read the live doc from now on, for good. */
  clear(): void {
    const had = this.digest !== null
    this.cleared = true
    this.digest = null
    if (had) this.notify()
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }
}
