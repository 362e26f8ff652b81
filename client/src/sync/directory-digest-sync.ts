/**
 * The directory digest between this device and the relay (the format: shared/src/digest/
 * directory-digest.ts; the cipher: digest-cipher.ts; the routes: relay/src/app/digests.ts).
 *
 *   - A device whose main room has nothing local yet (a new device, or one the browser erased)
 *     fetches the practice's digest when it opens: one GET, one AES-GCM decryption, one gunzip and
 *     one JSON parse, against receiving, decrypting and integrating the whole directory doc (about
 *     12 MB of Yjs state for 20,000 patients) and listing it. The views read the digest (holder)
 *     until the main room has synced and its entries are applied; then the holder is cleared and
 *     they read the live doc. A digest that arrives after that is dropped.
 *   - Every device with a synced directory publishes a new digest when the directory moved past
 *     the relay's one, building one at most once per `publishIntervalMs` (15 min) per device,
 *     whether the relay then took it or not (a relay refusing it, as too large, is not asked
 *     again every check), checked every `checkEveryMs` (2 min). Before building, it asks the
 *     relay for the stored weight (HEAD), so of several devices online only the first to find
 *     the relay's digest behind uploads it.
 *
 * The weight is the sum of the directory's state vector clocks: it only grows with what a device
 * knows, so the relay refuses (409) a digest from a device that knows less than the stored one's.
 * What the digest lacks (changes after it was built) shows as soon as the directory syncs, seconds
 * later on a fresh device; writes always go to the live doc.
 *
 * Failures (offline, relay refusal, a malformed digest) never reach the views: a device without a
 * digest waits for the directory as before. They are reported without data through `onError`.
 */
import * as Y from 'yjs'
import {
  buildDirectoryDigest,
  decodeDirectoryDigest,
  encodeDirectoryDigest,
  stateVectorWeight,
} from '../../../shared/src/digest/directory-digest'
import { decryptDigest, encryptDigest } from '../../../shared/src/digest/digest-cipher'
import { getDigest, headDigest, putDigest, type DigestTarget } from './digest-http'
import type { DirectoryDigestHolder } from './digest-source'

export const DIGEST_PUBLISH_INTERVAL_MS = 15 * 60_000
export const DIGEST_CHECK_EVERY_MS = 2 * 60_000

export interface DirectoryDigestSyncOptions {
  readonly target: Omit<DigestTarget, 'name'>
  /** The practice's digest key (deriveDigestKey), in memory only. */
  readonly key: CryptoKey
  readonly holder: DirectoryDigestHolder
  readonly now: () => number
  readonly publishIntervalMs?: number
  readonly checkEveryMs?: number
  /** Without patient data: errors carry statuses and names only. */
  readonly onError?: (error: unknown) => void
}

export type StartFetch = 'shown' | 'none' | 'late'
export type Publication = 'published' | 'up-to-date' | 'stale'

export class DirectoryDigestSync {
  private readonly options: DirectoryDigestSyncOptions
  private readonly target: DigestTarget
  private synced: Y.Doc | null = null
  /** When this device last built a digest, published or not (a refusal is not retried sooner). */
  private lastBuiltAt = Number.NEGATIVE_INFINITY
  /** The relay's digest weight as last learnt (HEAD, PUT, GET); null while unknown. */
  private relayWeight: number | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private publishing: Promise<Publication> | null = null
  private destroyed = false

  constructor(options: DirectoryDigestSyncOptions) {
    this.options = options
    this.target = { ...options.target, name: 'directory' }
  }

  /**
   * Fetches the relay's digest and shows it, unless the directory synced first. 'none': the
   * relay has none (a practice whose devices never published) or it could not be read.
   */
  async fetchForStart(): Promise<StartFetch> {
    try {
      const stored = await getDigest(this.target)
      if (stored === null) return 'none'
      this.relayWeight = Math.max(this.relayWeight ?? 0, stored.weight)
      if (this.synced !== null || this.destroyed) return 'late'
      const plain = await decryptDigest(this.options.key, this.target.spaceId, 'directory', stored.weight, stored.blob)
      const digest = await decodeDirectoryDigest(plain)
      if (this.synced !== null || this.destroyed) return 'late'
      this.options.holder.set(digest)
      return 'shown'
    } catch (error) {
      this.report(error)
      return 'none'
    }
  }

  /**
   * The main room synced and its entries are applied: the views read the live doc from now on,
   * and this device starts checking whether its directory moved past the relay's digest. The
   * first check waits a period: right after a sync a device is busiest (a new one is still
   * fetching its other rooms), and the devices already online keep the digest current meanwhile.
   */
  directorySynced(directory: Y.Doc): void {
    if (this.destroyed) return
    this.synced = directory
    this.options.holder.clear()
    if (this.timer !== null) return
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs ?? DIGEST_CHECK_EVERY_MS)
    // Node: the check must not keep a process alive (tests, benchmarks, the relay's tools).
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /**
   * Builds, encrypts and stores the digest of `directory` unless the relay's is as recent.
   * The periodic check calls it; benchmarks and tests call it to publish at once.
   */
  publish(directory: Y.Doc): Promise<Publication> {
    // One at a time: a second call while one runs gets its outcome.
    this.publishing ??= this.publishNow(directory).finally(() => {
      this.publishing = null
    })
    return this.publishing
  }

  destroy(): void {
    this.destroyed = true
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private async check(): Promise<void> {
    const directory = this.synced
    if (directory === null || this.destroyed || this.publishing !== null) return
    const interval = this.options.publishIntervalMs ?? DIGEST_PUBLISH_INTERVAL_MS
    if (this.options.now() - this.lastBuiltAt < interval) return
    // Cheap: the state vector, not the digest. Most checks end here.
    if (this.relayWeight !== null && stateVectorWeight(Y.encodeStateVector(directory)) <= this.relayWeight) return
    try {
      await whenIdle()
      if (!this.destroyed) await this.publish(directory)
    } catch (error) {
      this.report(error)
    }
  }

  private async publishNow(directory: Y.Doc): Promise<Publication> {
    const relayWeight = await headDigest(this.target)
    if (relayWeight !== null) this.relayWeight = relayWeight
    // Weight and build in one synchronous stretch: no update can land between them, so the
    // weight is that of the state the digest reads. Building is the costly part: skipped when
    // the relay's digest knows as much.
    const weight = stateVectorWeight(Y.encodeStateVector(directory))
    if (relayWeight !== null && relayWeight >= weight) return 'up-to-date'
    this.lastBuiltAt = this.options.now()
    const digest = buildDirectoryDigest(directory, this.lastBuiltAt)
    const plain = await encodeDirectoryDigest(digest)
    const blob = await encryptDigest(this.options.key, this.target.spaceId, 'directory', weight, plain)
    const outcome = await putDigest(this.target, weight, blob)
    if (outcome === 'stale') {
      // Another device stored one that knows more meanwhile: learn its weight next time.
      this.relayWeight = null
      return 'stale'
    }
    this.relayWeight = weight
    return 'published'
  }

  private report(error: unknown): void {
    if (this.destroyed) return
    if (this.options.onError) this.options.onError(error)
    else console.warn('Directory digest:', error instanceof Error ? `${error.name}: ${error.message}` : 'failed')
  }
}

/**
 * Building a digest lists every patient (about a second for 20,000 on a tablet): in a browser,
 * wait until the page is idle rather than freeze a screen in use.
 */
function whenIdle(): Promise<void> {
  const idle = (globalThis as { requestIdleCallback?: (callback: () => void, options?: { timeout: number }) => number })
    .requestIdleCallback
  if (idle === undefined) return Promise.resolve()
  return new Promise((resolve) => {
    idle(() => resolve(), { timeout: 60_000 })
  })
}
