/**
 * Digests between this device and the relay (the formats: shared/src/digest/directory-digest.ts
 * and week-digest.ts; the cipher: digest-cipher.ts; the routes: relay/src/app/digests.ts). One
 * DigestSync per digest, told by its kind what it holds:
 *   - the directory digest stands for the directory doc (about 12 MB of Yjs state for 20,000
 *     patients); its weight is the directory's;
 *   - the week digest stands for this week's and next week's month docs (about 3 MB a month for
 *     ten practitioners); its weight puts the window first (week-digest.ts).
 *
 *   - A device whose main room has nothing local yet (a new device, or one the browser erased)
 *     fetches each digest when it opens: one GET, one AES-GCM decryption, one gunzip and one JSON
 *     parse, against receiving, decrypting and integrating the docs and listing them. The views
 *     read the digest (holder) until those docs have synced and their entries are applied; then
 *     the holder is cleared and they read the live docs. A digest that arrives after that is dropped.
 *   - Every device whose docs have synced publishes a new digest when they moved past the relay's
 *     one, building one at most once per `publishIntervalMs` (15 min) per device, whether the
 *     relay then took it or not (a relay refusing it, as too large, is not asked again every
 *     check), checked every `checkEveryMs` (2 min). Before building, it asks the relay for the
 *     stored weight (HEAD), so of several devices online only the first to find the relay's
 *     digest behind uploads it.
 *
 * The weight only grows with what a device knows, so the relay refuses (409) a digest from a
 * device that knows less than the stored one's. What the digest lacks (changes after it was
 * built) shows as soon as the docs sync, seconds later on a fresh device; writes always go to
 * the live docs.
 *
 * Failures (offline, relay refusal, a malformed digest) never reach the views: a device without a
 * digest waits for the docs as before. They are reported without data through `onError`.
 */
import * as Y from 'yjs'
import {
  buildDirectoryDigest,
  decodeDirectoryDigest,
  encodeDirectoryDigest,
  stateVectorWeight,
  type DirectoryDigest,
} from '../../../../shared/src/digest/directory-digest'
import { decryptDigest, encryptDigest, type DigestName } from '../../../../shared/src/digest/digest-cipher'
import {
  buildWeekDigest,
  decodeWeekDigest,
  encodeWeekDigest,
  weekDigestWeight,
  weekDigestWindow,
  type WeekDigest,
} from '../../../../shared/src/digest/week-digest'
import type { RelayClient } from '../relay/relay-client'
import type { DigestHolder } from './digest-source'

export const DIGEST_PUBLISH_INTERVAL_MS = 15 * 60_000
export const DIGEST_CHECK_EVERY_MS = 2 * 60_000

/**
 * What one digest stands for: `S` is what a synced device builds it from (the directory doc;
 * the week's month docs), `T` the digest.
 */
export interface DigestKind<T, S> {
  readonly name: DigestName
  /** The weight of what `source` holds now (cheap: no digest is built). */
  weigh(source: S): number
  /** The digest of `source`, built in the same synchronous stretch as `weigh`. */
  build(source: S, now: number): T
  encode(digest: T): Promise<Uint8Array>
  /** Throws the digest's named format error on anything malformed. */
  decode(plain: Uint8Array): Promise<T>
}

export const directoryDigestKind: DigestKind<DirectoryDigest, Y.Doc> = {
  name: 'directory',
  weigh: (directory) => stateVectorWeight(Y.encodeStateVector(directory)),
  build: (directory, now) => buildDirectoryDigest(directory, now),
  encode: encodeDirectoryDigest,
  decode: decodeDirectoryDigest,
}

/** The month docs of the week digest's window for `today` (weekDigestWindow's docIds, synced). */
export interface WeekSource {
  readonly today: string
  readonly docs: readonly Y.Doc[]
}

export const weekDigestKind: DigestKind<WeekDigest, WeekSource> = {
  name: 'week',
  weigh: ({ today, docs }) => weekDigestWeight(weekDigestWindow(today).from, docs),
  build: ({ today, docs }, now) => buildWeekDigest(docs, today, now),
  encode: encodeWeekDigest,
  decode: decodeWeekDigest,
}

export interface DigestSyncOptions<T> {
  readonly relay: RelayClient
  readonly spaceId: string
  /** The practice's digest key (deriveDigestKey), in memory only. */
  readonly key: CryptoKey
  readonly holder: DigestHolder<T>
  /** Whether a fetched digest is worth showing (the week digest: it covers this week); default yes. */
  readonly shows?: (digest: T) => boolean
  readonly now: () => number
  readonly publishIntervalMs?: number
  readonly checkEveryMs?: number
  /** Without patient data: errors carry statuses and names only. */
  readonly onError?: (error: unknown) => void
}

/** What became of a start-up fetch (fetchForStart). */
export const START_FETCHES = ['shown', 'none', 'late'] as const
export type StartFetch = (typeof START_FETCHES)[number]
export type Publication = 'published' | 'up-to-date' | 'stale'

/** One digest's fetch at start and periodic publication (header comment). */
export class DigestSync<T, S> {
  private readonly kind: DigestKind<T, S>
  private readonly options: DigestSyncOptions<T>
  /**
   * Set once the docs synced here: what the periodic check publishes from, read at each check
   * (the week's docs change with the date); null when it cannot be read now.
   */
  private synced: (() => Promise<S | null>) | null = null
  /** When this device last built a digest, published or not (a refusal is not retried sooner). */
  private lastBuiltAt = Number.NEGATIVE_INFINITY
  /** The relay's digest weight as last learnt (HEAD, PUT, GET); null while unknown. */
  private relayWeight: number | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private publishing: Promise<Publication> | null = null
  private destroyed = false

  constructor(kind: DigestKind<T, S>, options: DigestSyncOptions<T>) {
    this.kind = kind
    this.options = options
  }

  /**
   * Fetches the relay's digest and shows it, unless the docs synced first. 'none': the relay has
   * none (a practice whose devices never published), it could not be read, or it is not worth
   * showing (`shows`). Decoding waits for `decodeAfter` when given (the download does not).
   */
  async fetchForStart(decodeAfter?: Promise<unknown>): Promise<StartFetch> {
    try {
      const stored = await this.options.relay.getDigest(this.kind.name)
      mark(`${this.kind.name}-digest-fetched`)
      if (stored === null) return 'none'
      this.relayWeight = Math.max(this.relayWeight ?? 0, stored.weight)
      if (this.synced !== null || this.destroyed) return 'late'
      const plain = await decryptDigest(this.options.key, this.options.spaceId, this.kind.name, stored.weight, stored.blob)
      await decodeAfter
      if (this.synced !== null || this.destroyed) return 'late'
      mark(`${this.kind.name}-digest-decoding`)
      const digest = await this.kind.decode(plain)
      mark(`${this.kind.name}-digest-decoded`)
      if (this.synced !== null || this.destroyed) return 'late'
      if (this.options.shows && !this.options.shows(digest)) return 'none'
      // The docs it stands for opened first (a cold start: from IndexedDB).
      if (this.options.holder.isCleared) return 'late'
      this.options.holder.set(digest)
      return 'shown'
    } catch (error) {
      this.report(error)
      return 'none'
    }
  }

  /**
   * The docs synced and their entries are applied: the views read them from now on, and this
   * device starts checking whether they moved past the relay's digest (`source` gives them, or
   * null when they cannot be read now). The first check waits a period: right after a sync a
   * device is busiest (a new one is still fetching its other rooms), and the devices already
   * online keep the digest current meanwhile.
   */
  docsSynced(source: () => Promise<S | null>): void {
    if (this.destroyed) return
    this.synced = source
    this.options.holder.clear()
    if (this.timer !== null) return
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs ?? DIGEST_CHECK_EVERY_MS)
    // Node: the check must not keep a process alive (tests, benchmarks, the relay's tools).
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /**
   * Builds, encrypts and stores the digest of `source` unless the relay's is as recent.
   * The periodic check calls it; benchmarks and tests call it to publish at once.
   */
  publish(source: S): Promise<Publication> {
    // One at a time: a second call while one runs gets its outcome.
    this.publishing ??= this.publishNow(source).finally(() => {
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
    const synced = this.synced
    if (synced === null || this.destroyed || this.publishing !== null) return
    const interval = this.options.publishIntervalMs ?? DIGEST_PUBLISH_INTERVAL_MS
    if (this.options.now() - this.lastBuiltAt < interval) return
    try {
      const source = await synced()
      if (source === null || this.destroyed) return
      // Cheap: the weight, not the digest. Most checks end here.
      if (this.relayWeight !== null && this.kind.weigh(source) <= this.relayWeight) return
      await whenIdle()
      if (!this.destroyed) await this.publish(source)
    } catch (error) {
      this.report(error)
    }
  }

  private async publishNow(source: S): Promise<Publication> {
    const relayWeight = await this.options.relay.headDigest(this.kind.name)
    if (relayWeight !== null) this.relayWeight = relayWeight
    // Weight and build in one synchronous stretch: no update can land between them, so the
    // weight is that of the state the digest reads. Building is the costly part: skipped when
    // the relay's digest knows as much.
    const weight = this.kind.weigh(source)
    if (relayWeight !== null && relayWeight >= weight) return 'up-to-date'
    this.lastBuiltAt = this.options.now()
    const digest = this.kind.build(source, this.lastBuiltAt)
    const plain = await this.kind.encode(digest)
    const blob = await encryptDigest(this.options.key, this.options.spaceId, this.kind.name, weight, plain)
    const outcome = await this.options.relay.putDigest(this.kind.name, weight, blob)
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
    else console.warn(`Digest ${this.kind.name}:`, error instanceof Error ? `${error.name}: ${error.message}` : 'failed')
  }
}

/** A performance mark 'tournee:<step>' (no data in it), as startup/first-screen.ts's. */
function mark(step: string): void {
  globalThis.performance?.mark?.(`tournee:${step}`)
}

/**
 * Building the directory's digest lists every patient (about a second for 20,000 on a tablet): in
 * a browser, wait until the page is idle rather than freeze a screen in use.
 */
function whenIdle(): Promise<void> {
  const idle = (globalThis as { requestIdleCallback?: (callback: () => void, options?: { timeout: number }) => number })
    .requestIdleCallback
  if (idle === undefined) return Promise.resolve()
  return new Promise((resolve) => {
    idle(() => resolve(), { timeout: 60_000 })
  })
}
