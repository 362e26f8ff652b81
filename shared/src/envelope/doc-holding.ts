/**
 * One open doc's device-held state (held-docs.ts says what it is and why): what the doc applies is
 * kept, the marks are compared with the live entries at open, the rows are applied when the
 * envelope lost what they hold, folded into the doc's state, erased with the doc.
 */
import * as Y from 'yjs'
import type { SpaceKeys } from '../crypto/space-keys'
import type { RoomName } from '../space/rooms'
import { decryptUpdate, encryptUpdate } from './entry-cipher'
import type { EntryDecoder } from './entry-decoder'
import { HELD_ORIGIN, heldKeysOf, markOf, TRANSACTION_BYTES, type HeldDocs } from './held-docs'

export interface DocHoldingOptions {
  readonly store: HeldDocs
  readonly keys: SpaceKeys
  readonly room: RoomName
  readonly docId: string
  readonly blind: string
  readonly doc: Y.Doc
  readonly decoder: EntryDecoder | null
  readonly onError: (error: Error) => void
  /**
   * Whether this doc's held state is being kept: false once a step failed (the browser's storage
   * refused a write: quota, a closed database), true again once a later step succeeds. The sync
   * indicator says so meanwhile: what the envelope loses then would not come back from here.
   */
  readonly onKeeping?: (keeping: boolean) => void
  /** The held rows brought back content the envelope had lost (and this device wrote it out). */
  readonly onRestored: () => void
  /**
   * The doc has more rows than `foldAfterRows()` and was compared at open: the envelope folds them
   * into the doc's state (`fold`), as its own compactions do. Called once until a fold.
   */
  readonly onManyRows: () => void
  /** How many rows the doc may hold before a fold (FOLD_AFTER_ROWS if absent). */
  readonly foldAfterRows?: () => number
}

/**
 * Past this many rows (a doc other devices compact, never this one: each entry applied is a row),
 * the rows may be folded into the doc's state — and only once they are also twice the doc's live
 * entries (the envelope's `foldAfterRows`): rows as many as the entries cost what the envelope
 * does, and folding them means encoding the doc's whole state on the page. A new device holding
 * the 308 entries of the directory as 308 rows folded them right after its join: a task of 1.0 s.
 */
export const FOLD_AFTER_ROWS = 256

/**
 * One open doc's held state: its summary (read once, as the doc opens, beside its decryption),
 * the rows added as the doc learns content, the comparison at open, the fold, the erasure.
 * Everything runs in one chain, in order: a row is never written after the erasure that follows it.
 */
export class DocHolding {
  private readonly options: DocHoldingOptions
  /** The marks and row count, once read (null: nothing held of this doc yet). */
  private state: { marks: Set<string>; rows: number } | null = null
  private chain: Promise<void>
  /** The summary has been read (the first step of the chain). */
  private readonly loaded: Promise<void>
  private pendingWork = 0
  private erased = false
  /** The comparison at open is done: the doc holds everything the rows hold. */
  private reconciled = false
  /** `onManyRows` was called and no fold followed yet. */
  private foldAsked = false
  /** The last step failed: the held state lags what the doc holds. */
  private failing = false

  constructor(options: DocHoldingOptions) {
    this.options = options
    this.chain = Promise.resolve()
    this.loaded = this.run(async () => {
      const summary = await options.store.summary(options.blind)
      this.state = summary === null ? null : { marks: new Set(summary.marks), rows: summary.rows }
    })
  }

  get busy(): boolean {
    return this.pendingWork > 0
  }

  /** Content this doc applied, with the entries it came from: kept unless the marks say it is. */
  hold(items: ReadonlyArray<{ readonly c: Uint8Array; readonly update: Uint8Array }>): void {
    if (items.length === 0) return
    void this.run(async () => {
      const fresh = items.filter((item) => !this.state?.marks.has(markOf(item.c)))
      if (fresh.length > 0) await this.append(fresh.map((i) => i.update), fresh.map((i) => markOf(i.c)))
    })
  }

  /**
   * Entries applied without their plaintext at hand (the decode worker merged them): the ones the
   * marks do not name are decrypted again here, and kept.
   */
  holdEntries(entries: ReadonlyArray<{ readonly c: Uint8Array }>, decrypt: (c: Uint8Array) => Promise<Uint8Array | null>): void {
    if (entries.length === 0) return
    void this.run(async () => {
      const fresh = entries.filter((e) => !this.state?.marks.has(markOf(e.c)))
      if (fresh.length === 0) return
      mark('held-decrypting-again')
      const updates = await Promise.all(fresh.map((e) => decrypt(e.c)))
      const kept = fresh.flatMap((e, i) => (updates[i] ? [{ mark: markOf(e.c), update: updates[i] }] : []))
      if (kept.length > 0) await this.append(kept.map((k) => k.update), kept.map((k) => k.mark))
    })
  }

  /**
   * Once the doc's entries present at open are applied: compares the marks with the entries live
   * now. All live: nothing read. Else the rows are applied (HELD_ORIGIN: the doc's own listener
   * sends what they bring as a change of this device), and the marks become the applied entries'.
   */
  async reconcile(live: ReadonlyArray<{ readonly c: Uint8Array }>, applied: ReadonlyArray<{ readonly c: Uint8Array }>): Promise<void> {
    // Not behind the rows being kept meanwhile (a first open seals and writes megabytes): the
    // marks read at open decide, and what is being kept is of live entries, so it changes nothing.
    await this.loaded
    const liveMarks = live.map((e) => markOf(e.c))
    const liveSet = new Set(liveMarks)
    if (this.state === null || [...this.state.marks].every((mark) => liveSet.has(mark))) {
      this.reconciled = true
      return
    }
    return this.run(async () => {
      this.reconciled = true
      const state = this.state
      if (state === null) return
      if (applied.length > 0 && Y.encodeStateVector(this.options.doc).byteLength <= 1) {
        // Live entries that decrypt and leave no struct: an erasure (a wipe leaves no live entry).
        await this.eraseNow()
        return
      }
      if (await this.applyRows()) this.options.onRestored()
      // The rows now hold nothing the doc lacks, and what the applied entries hold was kept as it
      // was applied (`hold`): they are what the marks name from now on (not an entry that did
      // not decrypt here: its content is on no row).
      const marks = [...new Set(applied.map((e) => markOf(e.c)))]
      await this.options.store.replace(this.options.blind, [], marks, true)
      state.marks = new Set(marks)
    })
  }

  /**
   * The doc's whole state, as the plaintexts of its envelope snapshot, replaces the rows — only
   * after the comparison at open, so no row the doc lacks is folded away.
   */
  fold(updates: readonly Uint8Array[], marks: readonly string[]): void {
    void this.run(async () => {
      if (!this.reconciled) {
        // Not compared yet: the snapshot is kept beside the rows and their marks, not instead.
        await this.append(updates, marks)
        return
      }
      if (this.erased) return
      // The doc holds every row (compared at open) and the snapshot is its whole state: it replaces
      // the rows (kept beside them, a directory's would be held twice), and the entries it applied
      // name what is held.
      const rows = await this.seal(updates)
      mark('held-folded')
      await this.options.store.replace(this.options.blind, rows, marks, false)
      this.state = { marks: new Set(marks), rows: rows.length }
      this.foldAsked = false
    })
  }

  /** Entries whose content the rows hold already (a state they brought back, republished): named only. */
  name(marks: readonly string[]): void {
    if (marks.length === 0) return
    void this.run(() => this.append([], marks))
  }

  /** The doc was erased (here or, judged, elsewhere): its rows and marks go, and nothing is written after. */
  erase(): Promise<void> {
    return this.run(() => this.eraseNow())
  }

  /** Resolves once every held write queued so far is done. */
  settled(): Promise<void> {
    return this.chain
  }

  private async eraseNow(): Promise<void> {
    this.erased = true
    this.state = null
    await this.options.store.erase(this.options.blind)
  }

  /** Applies the rows to the doc; says whether they changed it (brought what the envelope lost). */
  private async applyRows(): Promise<boolean> {
    const { store, blind, doc, room, docId, decoder } = this.options
    const rows = await store.rows(blind)
    mark('held-rows-read')
    if (rows.length === 0) return false
    const keys = heldKeysOf(this.options.keys, await store.key())
    let changed = false
    const watch = (transaction: Y.Transaction) => {
      if (transaction.origin !== HELD_ORIGIN) return
      if (transaction.deleteSet.clients.size > 0) changed = true
      for (const [client, clock] of transaction.afterState) if (clock !== (transaction.beforeState.get(client) ?? 0)) changed = true
    }
    doc.on('afterTransaction', watch)
    try {
      const bytes = rows.reduce((n, r) => n + r.length, 0)
      if (decoder?.worthIt(bytes)) {
        // Off this thread, merged, back in slices (the directory's rows are megabytes).
        const decoded = decoder.decode({ keys, room, docId, ciphertexts: rows })
        decoded.outcome.catch(() => undefined)
        let first = true
        for await (const update of decoded.updates) {
          if (!first) await decoder.nextSlice()
          first = false
          Y.applyUpdate(doc, update, HELD_ORIGIN)
        }
        const outcome = await decoded.outcome
        const failed = outcome.undecryptable.length + outcome.malformed.length
        if (failed > 0) this.report(new Error(`${failed} held row(s) did not decrypt or decode: ignored`))
        return changed
      }
      const updates = await Promise.all(
        rows.map((row) =>
          decryptUpdate(keys, room, docId, row).catch((error: unknown) => {
            this.report(error)
            return null
          }),
        ),
      )
      doc.transact(() => {
        for (const update of updates) {
          if (update === null) continue
          try {
            Y.applyUpdate(doc, update, HELD_ORIGIN)
          } catch (error) {
            this.report(error)
          }
        }
      }, HELD_ORIGIN)
      return changed
    } finally {
      doc.off('afterTransaction', watch)
    }
  }

  /**
   * Keeps updates with the marks they came from: in transactions of about a megabyte, each with its
   * own rows' marks (a tab closed between two leaves no mark without its row). Marks without an
   * update of their own (a snapshot's, a state republished) go with the last.
   */
  private async append(updates: readonly Uint8Array[], marks: readonly string[]): Promise<void> {
    if (this.erased) return
    const rows = await this.seal(updates)
    const paired = rows.length === marks.length
    let from = 0
    while (from < rows.length || from === 0) {
      let to = from
      let bytes = 0
      while (to < rows.length && (to === from || bytes + rows[to]!.byteLength <= TRANSACTION_BYTES)) bytes += rows[to++]!.byteLength
      const last = to >= rows.length
      const groupMarks = paired ? marks.slice(from, to) : last ? marks : []
      await this.options.store.append(this.options.blind, rows.slice(from, to), groupMarks)
      if (this.state === null) this.state = { marks: new Set(), rows: 0 }
      for (const mark of groupMarks) this.state.marks.add(mark)
      this.state.rows += to - from
      if (last) break
      from = to
    }
    if (this.reconciled && !this.foldAsked && this.state !== null && this.state.rows > (this.options.foldAfterRows?.() ?? FOLD_AFTER_ROWS)) {
      this.foldAsked = true
      this.options.onManyRows()
    }
  }

  private async seal(updates: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const keys = heldKeysOf(this.options.keys, await this.options.store.key())
    return Promise.all(updates.map((u) => encryptUpdate(keys, this.options.room, this.options.docId, u)))
  }

  private run(step: () => Promise<void>): Promise<void> {
    this.pendingWork++
    const run = this.chain.then(step).then(
      () => this.keeping(true),
      (error: unknown) => {
        this.keeping(false)
        this.report(error)
      },
    )
    this.chain = run.finally(() => {
      this.pendingWork--
    })
    return this.chain
  }

  private keeping(ok: boolean): void {
    if (this.failing === !ok) return
    this.failing = !ok
    this.options.onKeeping?.(ok)
  }

  private report(error: unknown): void {
    this.options.onError(error instanceof Error ? error : new Error(String(error)))
  }
}

/** A performance mark 'tournee:<step>' (no data in it), as client/src/sync/startup/first-screen.ts's. */
function mark(step: string): void {
  globalThis.performance?.mark?.(`tournee:${step}`)
}
