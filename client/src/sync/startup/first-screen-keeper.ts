/**
 * Keeps this device's first-screen record (first-screen-record.ts) and shows it at a cold start.
 *
 *   show()   at open, before any room has loaded: the record, if any, goes to the digest holders
 *            (the views show it until something newer or the docs take over)
 *   start()  once main and this week's month rooms have synced here: from then on the record is
 *            rewritten at an idle moment after a change of the docs it reads (once they have
 *            been quiet for 2 s, and a minute after the last write at the soonest), every 5 min (the date moves), and when the page is hidden (a
 *            tablet put away is the usual last moment before a cold start). It holds those docs
 *            open meanwhile: the directory and this week's months, which the start-up rooms hold
 *            anyway.
 *
 * Writing only from docs that have synced with the relay in this session keeps a half-synced new
 * device from recording an empty week; an offline cold start shows the last record until its
 * docs open, and does not rewrite it.
 */
import type * as Y from 'yjs'
import { weekDigestWindow } from '../../../../shared/src/digest/week-digest'
import { todayIn } from '../../../../shared/src/model/dates'
import { DIRECTORY_DOC_ID } from '../../../../shared/src/model/doc-ids'
import { yieldToMain } from '../decode/main-thread'
import type { DirectoryDigestHolder, WeekDigestHolder } from '../digests/digest-source'
import type { DocLease } from '../practice/practice-handle'
import { buildFirstScreenRecord, type FirstScreenStore } from './first-screen-record'
import { whenIdle } from './idle'
import { startMark as mark } from './start-marks'

export const FIRST_SCREEN_EVERY_MS = 5 * 60_000
/** After a change of a doc it reads, the record is rewritten once nothing changed for this long. */
export const FIRST_SCREEN_SETTLE_MS = 2_000
/**
 * …and at most this often for changes: listing two weeks of ten practitioners' agenda (2,400
 * appointments) takes 80–200 ms on the 2-core machine, not a cost to pay at every booking.
 */
export const FIRST_SCREEN_MIN_INTERVAL_MS = 60_000

export interface FirstScreenKeeperDeps {
  readonly store: FirstScreenStore
  readonly directoryHolder: DirectoryDigestHolder
  readonly weekHolder: WeekDigestHolder
  readonly acquireDoc: (docId: string) => Promise<DocLease>
  readonly timeZone: string
  readonly now: () => number
  readonly everyMs?: number
  readonly settleMs?: number
  readonly minIntervalMs?: number
  /** Between slices of the record's build (default yieldToMain: the page drawn, input handled). */
  readonly nextSlice?: () => Promise<void>
  /** Without patient data: names and messages of errors only. */
  readonly onError: (error: unknown) => void
}


/** The docs a record is built from, held open while the keeper runs, and watched. */
interface HeldDocs {
  readonly docIds: readonly string[]
  readonly leases: readonly DocLease[]
  readonly unwatch: () => void
}

export class FirstScreenKeeper {
  private timer: ReturnType<typeof setInterval> | null = null
  private settleTimer: ReturnType<typeof setTimeout> | null = null
  private writing: Promise<void> | null = null
  /** A change came in while a write ran: write again after it. */
  private again = false
  private held: HeldDocs | null = null
  private lastWriteAt = Number.NEGATIVE_INFINITY
  private started = false
  private stopped = false

  constructor(private readonly deps: FirstScreenKeeperDeps) {}

  /** Shows the record kept here, if any; resolves with whether it did. Never throws. */
  async show(): Promise<boolean> {
    try {
      const record = await this.deps.store.read()
      if (record === null || this.stopped) return false
      // A holder already cleared (the docs opened first) or holding something newer keeps it.
      this.deps.weekHolder.set(record.week)
      this.deps.directoryHolder.set(record.directory)
      mark('first-screen-record-shown')
      return true
    } catch (error) {
      this.deps.onError(error)
      return false
    }
  }

  /**
   * The docs it is built from have synced: write now (at idle), then after each change of them
   * (once they have been quiet for `settleMs`), every `everyMs` (the date moves), and on `writeSoon`.
   */
  start(): void {
    if (this.stopped || this.started) return
    this.started = true
    this.timer = setInterval(() => void this.writeSoon(), this.deps.everyMs ?? FIRST_SCREEN_EVERY_MS)
    ;(this.timer as { unref?: () => void }).unref?.()
    void this.writeSoon()
  }

  /** Rewrites the record at the next idle moment (one write at a time); nothing before start(). */
  writeSoon(): Promise<void> {
    if (this.stopped || !this.started) return Promise.resolve()
    if (this.writing) {
      this.again = true
      return this.writing
    }
    this.writing = whenIdle()
      .then(() => this.write())
      .catch((error: unknown) => {
        if (!this.stopped) this.deps.onError(error)
      })
      .finally(() => {
        this.writing = null
        if (this.again && !this.stopped) {
          this.again = false
          void this.writeSoon()
        }
      })
    return this.writing
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== null) clearInterval(this.timer)
    if (this.settleTimer !== null) clearTimeout(this.settleTimer)
    this.timer = null
    this.settleTimer = null
    this.letGo()
    this.deps.store.close()
  }

  private changed = (): void => {
    if (this.stopped) return
    if (this.settleTimer !== null) clearTimeout(this.settleTimer)
    const settle = this.deps.settleMs ?? FIRST_SCREEN_SETTLE_MS
    const spaced = this.lastWriteAt + (this.deps.minIntervalMs ?? FIRST_SCREEN_MIN_INTERVAL_MS) - this.deps.now()
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null
      void this.writeSoon()
    }, Math.max(settle, spaced))
  }

  /** The directory and this window's month docs, held (and watched) until the window moves. */
  private async docsFor(today: string): Promise<readonly Y.Doc[]> {
    const docIds = [DIRECTORY_DOC_ID, ...weekDigestWindow(today).docIds]
    if (this.held && this.held.docIds.join() === docIds.join()) return this.held.leases.map((lease) => lease.doc)
    this.letGo()
    const leases = await Promise.all(docIds.map((docId) => this.deps.acquireDoc(docId)))
    const docs = leases.map((lease) => lease.doc)
    for (const doc of docs) doc.on('update', this.changed)
    const unwatch = () => {
      for (const doc of docs) doc.off('update', this.changed)
    }
    this.held = { docIds, leases, unwatch }
    if (this.stopped) this.letGo()
    return docs
  }

  private letGo(): void {
    if (!this.held) return
    this.held.unwatch()
    for (const lease of this.held.leases) lease.release()
    this.held = null
  }

  private async write(): Promise<void> {
    if (this.stopped) return
    const now = this.deps.now()
    this.lastWriteAt = now
    const today = todayIn(this.deps.timeZone, () => now)
    const [directory, ...weekDocs] = (await this.docsFor(today)) as [Y.Doc, ...Y.Doc[]]
    if (this.stopped) return
    const record = await buildFirstScreenRecord(directory, weekDocs, today, now, { nextSlice: this.deps.nextSlice ?? yieldToMain })
    if (this.stopped) return
    await this.deps.store.write(record)
    mark('first-screen-record-written')
  }
}
