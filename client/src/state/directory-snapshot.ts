import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'
import type { DirectoryDigestSource } from '../sync/digests/digest-source'
import type { DocSnapshotStore, Version } from './doc-snapshot'

/**
 * A value the directory's views read: from the directory digest while the practice shows one (the
 * directory doc has not synced yet), else from the live directory doc — the store behind
 * `useDirectorySnapshot`. While the digest is shown the doc is not read at all: reading a
 * directory of 20,000 patients as it syncs is the second it costs, which the digest saves. The
 * store follows both, so clearing the digest switches the view to the doc, and the doc's changes
 * show at once after that.
 */
export class DirectorySnapshotStore<T> {
  private fromDigestCache: { digest: DirectoryDigest; version: unknown; value: T } | null = null

  constructor(
    private readonly digests: DirectoryDigestSource,
    /** The live doc's value; null while the doc opens. */
    private readonly live: DocSnapshotStore<T> | null,
    private readonly fromDigest: (digest: DirectoryDigest) => T,
    /** Moves when what `fromDigest` reads besides the digest changed (an index built in slices). */
    private readonly digestVersion: Version | null = null,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    const offDigest = this.digests.subscribe(listener)
    const offLive = this.live ? this.live.subscribe(listener) : () => {}
    const offVersion = this.digestVersion ? this.digestVersion.subscribe(listener) : () => {}
    return () => {
      offDigest()
      offLive()
      offVersion()
    }
  }

  /** The same value until the digest shown or the doc changes (React re-renders on a new one). */
  getSnapshot = (): T | null => {
    const digest = this.digests.current()
    if (digest !== null) {
      const version = this.digestVersion?.get() ?? null
      if (this.fromDigestCache?.digest !== digest || this.fromDigestCache.version !== version) this.fromDigestCache = { digest, version, value: this.fromDigest(digest) }
      return this.fromDigestCache.value
    }
    this.fromDigestCache = null
    return this.live ? this.live.getSnapshot() : null
  }
}
