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
 *   - Every device whose docs have synced looks at the relay's digest at most once per
 *     `publishIntervalMs` (15 min), checked every `checkEveryMs` (2 min), and replaces it unless
 *     it can vouch that it covers what the device holds (docs/sync-protocol.md, « Digests »):
 *       - HEAD gives the stored digest's ETag (a version the relay assigns) and the weight its
 *         publisher claims, which the relay cannot check. A digest this device already judged
 *         (same ETag: it published it, or opened it) is judged again from what it kept of it.
 *       - A claim below this device's weight is replaced without a download: a digest that
 *         covers the device's docs weighs at least as much, and a false claim does not open.
 *       - Otherwise the digest is fetched and opened. One that does not decrypt (forged, altered,
 *         another key: issue 18's weight 2^53 − 1 and random bytes) or does not decode is
 *         counted (`alarm`, shown by the sync indicator) and replaced. One that opens is behind
 *         when it lacks a change the device holds (its kind's `coverage`) and counts fewer
 *         changes (its weight, authenticated once it opens): an older digest, replayed or not; it
 *         is replaced. One that covers everything, counts as many changes or more (the device
 *         may be the one behind: new, or just back online), or was written by a newer version
 *         of Tournée, is left.
 *       - A replacement is compare-and-swap on the ETag read (If-Match; If-None-Match: * when
 *         there was none). The relay refuses it (412) when another device published meanwhile:
 *         the device then looks again and decides again (DIGEST_PUBLISH_ATTEMPTS), so it never
 *         overwrites a digest it has not judged.
 *     Building is the costly part (every patient): it happens only once a replacement is decided,
 *     and a page waits until it is idle first.
 *
 * Key epochs (issue 19, « Revocation »; shared/src/digest/digest-cipher.ts): a device publishes
 * under the newest key epoch it holds, and reads any epoch it holds (epoch 0: digests from before
 * the practice's first revocation):
 *   - a digest of an epoch it does not hold makes it fetch its sealed epoch keys (`fetchEpochs`),
 *     then open it again. Still not held although the relay's epochs were read: no administrator
 *     sealed it that epoch (a relabelled header, a forgery), unreadable as above. The epochs could
 *     not be read (offline, the relay refusing): the digest is left, neither shown nor replaced —
 *     it is likely newer than anything this device could write in its place;
 *   - one that opens under an epoch older than the newest this device holds is replaced, however
 *     much it covers: a device revoked since can read it;
 *   - when its digest ring grows (it fetched or made a new epoch), it looks again at once, not at
 *     the next period, so the practice's digests move to the new epoch promptly; and before it
 *     seals a replacement it fetches its epochs, so it does not publish under an epoch it was
 *     about to leave.
 *
 * What the digest lacks (changes after it was built) shows as soon as the docs sync, seconds later
 * on a fresh device; writes always go to the live docs.
 *
 * Failures (offline, relay refusal, a malformed digest) never reach the views: a device without a
 * digest waits for the docs as before. They are reported without data through `onError`.
 */
import * as Y from 'yjs'
import {
  buildDirectoryDigest,
  decodeDirectoryDigest,
  encodeDirectoryDigest,
  stateVectorCovers,
  stateVectorWeight,
  type DirectoryDigest,
} from '../../../../shared/src/digest/directory-digest'
import type { GrowingEpochKeyring } from '../../../../shared/src/crypto/key-epochs'
import { MissingDigestEpochError, openDigest, sealDigest, type DigestKeys, type DigestName } from '../../../../shared/src/digest/digest-cipher'
import { isNewerDigestFormat } from '../../../../shared/src/digest/digest-json'
import {
  buildWeekDigest,
  decodeWeekDigest,
  encodeWeekDigest,
  weekDigestCoversDocs,
  weekDigestWeight,
  weekDigestWindow,
  type WeekDigest,
} from '../../../../shared/src/digest/week-digest'
import type { DigestExpectation, RelayClient } from '../relay/relay-client'
import type { DigestHolder } from './digest-source'
import { startMark as mark } from '../startup/start-marks'

export const DIGEST_PUBLISH_INTERVAL_MS = 15 * 60_000
export const DIGEST_CHECK_EVERY_MS = 2 * 60_000
/** Publications of one look that may lose a race (412) before this device waits for its next check. */
export const DIGEST_PUBLISH_ATTEMPTS = 3

/** Whether a digest holds every change `source` holds now; kept without the digest's records. */
export type DigestCoverage<S> = (source: S) => boolean

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
  /** What `digest` covers (its records left out): a device replaces a digest that lacks what it holds. */
  coverage(digest: T): DigestCoverage<S>
}

export const directoryDigestKind: DigestKind<DirectoryDigest, Y.Doc> = {
  name: 'directory',
  weigh: (directory) => stateVectorWeight(Y.encodeStateVector(directory)),
  build: (directory, now) => buildDirectoryDigest(directory, now),
  encode: encodeDirectoryDigest,
  decode: decodeDirectoryDigest,
  // Every change of the directory the device holds is counted in the digest's state vector.
  coverage: ({ stateVector }) => (directory) => stateVectorCovers(stateVector, Y.encodeStateVector(directory)),
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
  coverage: (digest) => {
    const judged: WeekDigest = { ...digest, appointments: [] }
    return ({ today, docs }) => weekDigestCoversDocs(judged, today, docs)
  },
}

export interface DigestSyncOptions<T> {
  readonly relay: RelayClient
  readonly spaceId: string
  /** The practice's digest key of epoch 0 (deriveDigestKey), in memory only. */
  readonly key: CryptoKey
  /** The digest keys of the later epochs this device holds (key-epochs-sync.ts); none: epoch 0 only. */
  readonly epochs?: GrowingEpochKeyring
  /** Fetches this device's sealed epoch keys; true when the relay's epochs were read (key-epochs-sync.ts, epochRefresher). */
  readonly fetchEpochs?: () => Promise<boolean>
  readonly holder: DigestHolder<T>
  /** Whether a fetched digest is worth showing (the week digest: it covers this week); default yes. */
  readonly shows?: (digest: T) => boolean
  readonly now: () => number
  readonly publishIntervalMs?: number
  readonly checkEveryMs?: number
  /** Without patient data: errors carry statuses and names only. */
  readonly onError?: (error: unknown) => void
  /** `alarm()` changed: a digest of the relay did not open here, or this device replaced one. */
  readonly onAlarm?: () => void
}

/**
 * Digests of the relay that this device could not open (they did not decrypt or decode: forged,
 * altered, sealed with another key), each counted once by its ETag, and how many of those this
 * device replaced with its own. The sync indicator says it (sync-state.ts); never silent.
 */
export interface DigestAlarm {
  readonly unreadable: number
  readonly replaced: number
}

/** What became of a start-up fetch (fetchForStart). */
export const START_FETCHES = ['shown', 'none', 'late'] as const
export type StartFetch = (typeof START_FETCHES)[number]
/** `stale`: every attempt lost its race (412) to another publication; the next check looks again. */
export type Publication = 'published' | 'up-to-date' | 'stale'

/** The relay's digest as this device judged it, by the ETag the relay gave it. */
type Judged<S> =
  /** Opened here (or published from here): its weight, authenticated, what it covers, the key epoch it is under. */
  | { readonly etag: string; readonly verdict: 'opened'; readonly weight: number; readonly covers: DigestCoverage<S>; readonly epoch: number }
  /** Of a key epoch this device does not hold and could not fetch: left until it can. */
  | { readonly etag: string; readonly verdict: 'waiting'; readonly epoch: number }
  /** Did not decrypt or decode: replaced once this device can. */
  | { readonly etag: string; readonly verdict: 'unreadable' }
  /** Written by a newer version of Tournée: not this device's to replace. */
  | { readonly etag: string; readonly verdict: 'newer' }

/** A digest this device built and sealed, ready to send in place of the relay's. */
interface Sealed<S> {
  readonly weight: number
  readonly blob: Uint8Array
  readonly covers: DigestCoverage<S>
  readonly epoch: number
}

/** One digest's fetch at start and periodic publication (header comment). */
export class DigestSync<T, S> {
  private readonly kind: DigestKind<T, S>
  private readonly options: DigestSyncOptions<T>
  /**
   * Set once the docs synced here: what the periodic check publishes from, read at each check
   * (the week's docs change with the date); null when it cannot be read now.
   */
  private synced: (() => Promise<S | null>) | null = null
  /** When this device last looked at the relay's digest to publish (a refusal is not retried sooner). */
  private lastLookedAt = Number.NEGATIVE_INFINITY
  /** The relay's digest as this device last judged it; null before it has looked. */
  private judged: Judged<S> | null = null
  /** ETags of the relay's digests that did not open here: whether this device replaced each. */
  private readonly unreadable = new Map<string, 'found' | 'replaced'>()
  private timer: ReturnType<typeof setInterval> | null = null
  private publishing: Promise<Publication> | null = null
  /** A new epoch arrived while a look was under way: look again after it. */
  private lookAgain = false
  private readonly unsubscribeEpochs: () => void
  private destroyed = false

  constructor(kind: DigestKind<T, S>, options: DigestSyncOptions<T>) {
    this.kind = kind
    this.options = options
    this.unsubscribeEpochs = options.epochs?.subscribe(() => this.epochAdded()) ?? (() => undefined)
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
      if (this.synced !== null || this.destroyed) return 'late'
      const opened = await this.open(stored)
      if (opened === null) return 'none'
      await decodeAfter
      if (this.synced !== null || this.destroyed) return 'late'
      mark(`${this.kind.name}-digest-decoding`)
      const digest = await this.decode(stored, opened)
      mark(`${this.kind.name}-digest-decoded`)
      if (digest === null) return 'none'
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
   * Builds, encrypts and stores the digest of `source` in place of the relay's, unless the relay
   * holds one this device opens and that covers `source` (header comment). The periodic check
   * calls it; benchmarks and tests call it to publish at once.
   */
  publish(source: S): Promise<Publication> {
    // One at a time: a second call while one runs gets its outcome.
    this.publishing ??= this.publishNow(source).finally(() => {
      this.publishing = null
      if (this.lookAgain && !this.destroyed) {
        this.lookAgain = false
        void this.check()
      }
    })
    return this.publishing
  }

  /** What this device found on the relay that it could not open, and what it replaced (DigestAlarm). */
  alarm(): DigestAlarm {
    let replaced = 0
    for (const state of this.unreadable.values()) if (state === 'replaced') replaced++
    return { unreadable: this.unreadable.size, replaced }
  }

  destroy(): void {
    this.destroyed = true
    this.unsubscribeEpochs()
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /**
   * This device now holds a newer epoch: the relay's digest may be under an older one (a revoked
   * device reads it), or one it was waiting to read. Looked at again now, whatever the period.
   */
  private epochAdded(): void {
    if (this.destroyed) return
    if (this.judged?.verdict === 'waiting') this.judged = null
    this.lastLookedAt = Number.NEGATIVE_INFINITY
    if (this.publishing !== null) this.lookAgain = true
    else void this.check()
  }

  private async check(): Promise<void> {
    const synced = this.synced
    if (synced === null || this.destroyed || this.publishing !== null) return
    const interval = this.options.publishIntervalMs ?? DIGEST_PUBLISH_INTERVAL_MS
    if (this.options.now() - this.lastLookedAt < interval) return
    try {
      const source = await synced()
      if (source === null || this.destroyed) return
      // Looking may download and decode the relay's digest, and replacing it builds one: in a
      // browser, not while a screen is in use.
      await whenIdle()
      if (!this.destroyed) await this.publish(source)
    } catch (error) {
      this.report(error)
    }
  }

  private async publishNow(source: S): Promise<Publication> {
    this.lastLookedAt = this.options.now()
    let sealed: Sealed<S> | null = null
    for (let attempt = 0; attempt < DIGEST_PUBLISH_ATTEMPTS && !this.destroyed; attempt++) {
      const expected = await this.replacing(source)
      if (expected === null) return 'up-to-date'
      // Sealed under the newest epoch there is: one made since this device last looked is fetched first.
      if (sealed === null && this.options.fetchEpochs !== undefined) await this.options.fetchEpochs()
      // Weight and build in one synchronous stretch (seal): the weight is that of the state the
      // digest reads. Built once, again only if the docs moved or a newer epoch came meanwhile.
      if (sealed === null || sealed.weight !== this.kind.weigh(source) || sealed.epoch !== this.newestEpoch()) sealed = await this.seal(source)
      const outcome = await this.options.relay.putDigest(this.kind.name, sealed.weight, sealed.blob, expected)
      // Another device published meanwhile: look at its digest before deciding again.
      if (outcome.status === 'stale') continue
      if (expected.kind === 'etag' && this.unreadable.has(expected.etag)) {
        this.unreadable.set(expected.etag, 'replaced')
        this.options.onAlarm?.()
      }
      this.judged = { etag: outcome.etag, verdict: 'opened', weight: sealed.weight, covers: sealed.covers, epoch: sealed.epoch }
      return 'published'
    }
    return 'stale'
  }

  /**
   * What a publication from `source` would replace (header comment): the relay's digest, by its
   * ETag, or nothing (`absent`); null when the relay's is to be left.
   */
  private async replacing(source: S): Promise<DigestExpectation | null> {
    const head = await this.options.relay.headDigest(this.kind.name)
    if (head === null) return { kind: 'absent' }
    // A digest left waiting for its epoch is looked at again each time: the epoch may be fetched now.
    if (this.judged?.etag !== head.etag || this.judged.verdict === 'waiting') {
      // A claim below this device's weight: true, the digest is behind (one that covers the
      // docs here weighs at least as much); false, it will not open. Replaced unread.
      if (head.weight < this.kind.weigh(source)) return { kind: 'etag', etag: head.etag }
      const stored = await this.options.relay.getDigest(this.kind.name)
      if (stored === null) return { kind: 'absent' }
      const opened = await this.open(stored)
      if (opened !== null) await this.decode(stored, opened)
    }
    // Judged just above, or before for this very ETag.
    const judged = this.judged as Judged<S>
    const expected = { kind: 'etag', etag: judged.etag } as const
    switch (judged.verdict) {
      case 'unreadable':
        return expected
      case 'newer':
      case 'waiting':
        return null
      case 'opened':
        // Under an epoch older than this device's newest: a device revoked since reads it.
        if (judged.epoch < this.newestEpoch()) return expected
        // Behind: it lacks a change this device holds, and counts fewer. One that counts as many
        // or more is left even if it lacks one of this device's changes: the device may be the
        // one behind (new, or just back online), and a device that holds both will replace it.
        return !judged.covers(source) && judged.weight < this.kind.weigh(source) ? expected : null
    }
  }

  private keys(): DigestKeys {
    return { base: this.options.key, epochs: this.options.epochs ?? null }
  }

  /** The newest key epoch this device holds (0: none after the first). */
  private newestEpoch(): number {
    return this.options.epochs?.newest()?.epoch ?? 0
  }

  /**
   * The plaintext of a digest of the relay and its epoch, or null: judged unreadable when it does
   * not decrypt, or waiting when it is of an epoch this device could not fetch (header comment).
   */
  private async open(stored: { etag: string; weight: number; blob: Uint8Array }): Promise<{ plain: Uint8Array; epoch: number } | null> {
    const attempt = () => openDigest(this.keys(), this.options.spaceId, this.kind.name, stored.weight, stored.blob)
    try {
      try {
        return await attempt()
      } catch (error) {
        if (!(error instanceof MissingDigestEpochError) || this.options.fetchEpochs === undefined) throw error
        // Its sealed key may be on the relay already (a rotation this device has not fetched yet).
        if (!(await this.options.fetchEpochs()) && (this.options.epochs?.key(error.epoch) ?? null) === null) {
          this.judged = { etag: stored.etag, verdict: 'waiting', epoch: error.epoch }
          this.report(error)
          return null
        }
        return await attempt()
      }
    } catch (error) {
      this.judgeUnreadable(stored.etag, error)
      return null
    }
  }

  /** The digest in `plain`, judged; null when it does not decode (unreadable, or of a newer format). */
  private async decode({ etag, weight }: { etag: string; weight: number }, { plain, epoch }: { plain: Uint8Array; epoch: number }): Promise<T | null> {
    try {
      const digest = await this.kind.decode(plain)
      // The weight is authenticated: it is in the associated data the blob decrypted under.
      this.judged = { etag, verdict: 'opened', weight, covers: this.kind.coverage(digest), epoch }
      return digest
    } catch (error) {
      if (!isNewerDigestFormat(error)) {
        this.judgeUnreadable(etag, error)
        return null
      }
      this.judged = { etag, verdict: 'newer' }
      this.report(error)
      return null
    }
  }

  private judgeUnreadable(etag: string, error: unknown): void {
    this.judged = { etag, verdict: 'unreadable' }
    this.report(error)
    if (this.unreadable.has(etag)) return
    this.unreadable.set(etag, 'found')
    this.options.onAlarm?.()
  }

  /** The digest of `source`, built and sealed under its weight. */
  private async seal(source: S): Promise<Sealed<S>> {
    // One synchronous stretch: no update can land between the weight and the build.
    const weight = this.kind.weigh(source)
    const digest = this.kind.build(source, this.options.now())
    const covers = this.kind.coverage(digest)
    const plain = await this.kind.encode(digest)
    const { blob, epoch } = await sealDigest(this.keys(), this.options.spaceId, this.kind.name, weight, plain)
    return { weight, blob, covers, epoch }
  }

  private report(error: unknown): void {
    if (this.destroyed) return
    if (this.options.onError) this.options.onError(error)
    else console.warn(`Digest ${this.kind.name}:`, error instanceof Error ? `${error.name}: ${error.message}` : 'failed')
  }
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
