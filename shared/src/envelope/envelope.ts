/**
 * The envelope: how a space's inner docs travel and rest as ciphertext.
 *
 * A space is one y-websocket room whose Y.Doc (the envelope) holds a single Y.Array:
 *
 *   envelope.getArray('entries') : Array<{ d: string, c: Uint8Array, w?: string, s?: Uint8Array }>
 *
 *     d — blinded doc id (entry-cipher.ts): which inner doc the entry belongs to, opaque to the relay
 *     c — iv ‖ AES-GCM(update): a Yjs update of that inner doc (one batch, or a whole-doc snapshot)
 *     w, s — in a practice with a device registry: the writing device and its signature of the entry
 *         at its position (entry-signature.ts); with `signers`, an entry is applied only if they hold
 *
 * Each entry is one ContentAny element, so it costs one clock tick: the number of entries a device
 * wrote that the relay has not acknowledged is a difference of state vectors (sync-progress.ts).
 *
 * Writing. A local change to an inner doc is queued; bursts (keystrokes) are merged for
 * `batchDelayMs` and pushed as one encrypted entry.
 *
 * Reading. Entries are indexed by `d` as they arrive (y-indexeddb load, relay sync), but decrypted
 * only when their doc is opened: ten years of agenda months cost an index, not ten years of AES.
 *
 * Compaction. When a doc has more than `compactAfterEntries` entries AND its smaller entries
 * together outweigh its last snapshot, this device pushes the doc's whole state and deletes the
 * entries it has applied, in ONE envelope transaction, so no peer ever sees the deletions without
 * the snapshot. The state goes as one entry up to `snapshotChunkBytes`, as several beyond (causal
 * slices of it, each a Yjs update of its own: shared/src/yjs/update-slices.ts), so that no entry
 * is so big that receiving, storing or decoding it is one long task on a tablet (the directory of
 * 20,000 patients: 15 MB, once one entry; envelope-slices.ts). Entries it has not applied
 * (in flight, undecryptable, or from a device it has not heard of) survive. Two devices compacting
 * at once leave two snapshots; snapshots are ordinary updates and merge. The weight rule is
 * log compaction's: folding a big doc (a directory of thousands of patients) after every 64 small
 * edits would upload its whole state again and again, and make every device that was offline
 * download it again; folding only once the edits outweigh the snapshot bounds both costs to a
 * constant factor of the edits themselves. The snapshot's weight is its largest entry, or the sum
 * of its entries of a chunk's size (at least a quarter of `snapshotChunkBytes`: every chunk but the
 * last is near the full size) when that is more — an edit that big (an import) counts as snapshot,
 * which only delays the next compaction. `compactAlwaysAfterEntries` caps the count of the other
 * entries (the edits) anyway, so opening a doc never decrypts an unbounded number of entries. Inner docs and the
 * envelope run with gc: deleted content, and the ciphertext of deleted entries, is dropped from
 * memory and from the encoded state, so a compaction (or an erasure) leaves no ciphertext of what
 * it removed in the next snapshot of the envelope (IndexedDB trim, relay storage compaction).
 *
 * Deletions from elsewhere. A transaction that is not this envelope's own (the relay, another
 * tab) and deletes live entries is judged once it has happened (coverage.ts): per doc, the entries
 * of that doc left live must decrypt here and together hold what was deleted. A deletion they do
 * not cover is refused as far as a device can refuse it: the deleted entries are written back, as
 * the same `{d, c}` (the ciphertext is bound to room and doc, not to a writer; the copy signed by this
 * device at its new position), in a transaction of this envelope — so the device keeps them, its IndexedDB keeps them, its next sync gives them
 * back to the relay — counted (`stats().restored`) and reported (UncoveredDeletionError). Deleted
 * entries this device cannot decrypt hold nothing it could lose and never block a deletion. Erasure
 * writes an entry that deletes, by clock, everything it erases, so it is judged by the same rule.
 *
 * Continuity per writer. Every entry written carries, sealed with its update, its writer, its
 * number among the writer's changes of the doc (a snapshot: the ranges it folds) and what the
 * writer had seen of the others (entry-header.ts). Reading an open doc's entries, the envelope
 * learns what each writer wrote and finds what no live entry holds: `gaps()` (continuity.ts).
 */
import * as Y from 'yjs'
import type { SpaceKeys } from '../crypto/space-keys'
import { MAIN_ROOM, monthOfRoom, type RoomName } from '../space/rooms'
import { blindRoomName } from '../space/room-keys'
import { blindDocId, DecryptError, decryptEntry, encryptEntry, encryptUpdate, epochOfEntry, IV_BYTES, MissingEpochKeyError, TAG_BYTES } from './entry-cipher'
import type { EntryHeader } from './entry-header'
import { decodeEntryHeader, WRITER_BYTES } from './entry-header'
import { DocContinuity, erasureHeader, type WriterGap } from './continuity'
import { randomId } from '../crypto/base64url'
import type { DecodedEntries, DecodeOutcome, EntryDecoder } from './entry-decoder'
import { ENTRIES_KEY } from './entry-shape'
import { checkEntrySignature, entrySignedBytes, type EntryPosition, type EntrySigner, type SignatureVerdict, type SignerDirectory } from './entry-signature'
import { estimatedBytes, stateSlices } from '../yjs/update-slices'
import { CoverUnion, coverOf, coverOfInSteps, erasureUpdate, type UpdateCover } from './coverage'
import { agendaDocId, DIRECTORY_DOC_ID, MANIFEST_DOC_ID, REPAIR_DOC_ID } from '../model/doc-ids'
import { DocHolding, FOLD_AFTER_ROWS } from './doc-holding'
import { HeldStateRestoredError, markOf, type HeldDocs } from './held-docs'

export interface EnvelopeEntry {
  readonly d: string
  readonly c: Uint8Array
  /** The signing device's id, in a practice with a device registry (entry-signature.ts). */
  w?: string
  /** Its signature of this entry at its position; set just before the entry is pushed. */
  s?: Uint8Array
}

export { ENTRIES_KEY } from './entry-shape'

/** Transaction origin of the envelope's own writes, so observers can tell them apart. */
export const ENVELOPE_ORIGIN = Symbol('tournee.envelope')
/** Transaction origin of decrypted updates applied to inner docs (echo suppression). */
export const DECRYPTED_ORIGIN = Symbol('tournee.decrypted')

export interface EnvelopeOptions {
  /** Merge local updates of one doc for this long before encrypting them as one entry. */
  batchDelayMs?: number
  /** Compact a doc once it has more entries than this, when they outweigh its largest entry. */
  compactAfterEntries?: number
  /** Compact a doc once it has more entries than this besides its snapshot's chunks, whatever their weight. */
  compactAlwaysAfterEntries?: number
  /** Wait this long after the last change of a doc before compacting it. */
  compactDelayMs?: number
  /** A snapshot bigger than this (its plaintext, about) is written as several entries. */
  snapshotChunkBytes?: number
  /** Failures that must be surfaced but must not stop sync (bad entries, crypto errors). */
  onError?: (error: Error) => void
  /** Called after a compaction or erasure removed entries (the device trims its local store). */
  onEntriesRemoved?: () => void
  /**
   * The ids of docs this room may hold beyond the ones its name gives (main: the directory and the
   * manifest; a month room: its month): for a file shard, the patients the directory lists. Asked
   * only to judge a deletion from elsewhere of a doc this envelope never opened (an entry decrypts
   * only with its doc's id). A doc it cannot name has its deleted entries written back.
   */
  docIdsOf?: (room: RoomName) => Promise<Iterable<string>>
  /** Called when local changes were queued or written out (hasQueuedWrites may have changed). */
  onQueueChange?: () => void
  /**
   * Decrypts (and merges, and slices) big batches of entries elsewhere (entry-decoder.ts); none:
   * entries are decrypted here and applied in one transaction.
   */
  decoder?: EntryDecoder
  /**
   * Signatures checked per task where there is a decoder (a page): the decoder's `nextSlice()` is
   * awaited between groups. Default VERIFY_PER_SLICE.
   */
  verifyPerSlice?: number
  /** Bytes of ciphertext checked per task on a page (see verifyPerSlice). Default VERIFY_BYTES_PER_SLICE. */
  verifyBytesPerSlice?: number
  /**
   * Entries of an open doc that failed authentication here (a flipped bit on the relay, another
   * key): the device may ask for them again (entry-repair.ts). Called once per failed decryption.
   */
  onUndecryptable?: (docId: string, entries: readonly EnvelopeEntry[]) => void
  /**
   * This device's writer id in the entries' continuity headers (continuity.ts): writerIdOf(its
   * device id). None: a random one for this envelope's life (tests).
   */
  writer?: string
  /** Called when the gaps of the open docs changed (`gaps()`). */
  onContinuityChange?: () => void
  /**
   * What this device decrypted, kept apart from the envelope under a device-local key
   * (held-docs.ts): every open doc's content is kept there as it applies, and brought back (and
   * written out again) when the envelope lost it. None: nothing kept (tests, tools).
   */
  held?: HeldDocs
  /**
   * Signs every entry this envelope writes, at the position it takes (entry-signature.ts): a
   * practice with a device registry, whose relay refuses unsigned entries. None: entries go
   * unsigned (a practice created before devices had keys; tests).
   */
  signer?: EntrySigner
  /**
   * The practice's devices' signing keys: where enforced, an entry is applied only if a device of
   * the registry signed it at its position; one that is unsigned, forged or signed by a device the
   * registry does not know is counted (`unverified`), never applied, and asked for again like an
   * entry that does not decrypt (entry-repair.ts). None: signatures are not checked.
   */
  signers?: SignerDirectory
  /**
   * An entry left without a verdict (its signer unknown here, and the registry could not be read
   * again) is checked again this long after (default 5000 ms), until it has one, while the
   * envelope is open (below, UNCHECKED_RETRY_MS).
   */
  uncheckedRetryMs?: number
}

/**
 * An entry waits for a registry the relay could not give (a colleague's new device signed it) only
 * this long before it is checked again. Not only when the device comes back online: the relay may
 * refuse the registry's route (its storage briefly unreachable) while the sync sockets, already
 * open, stay open and bring the entry — the device never goes offline, and nothing else might ever
 * name that signer again (issue 22: the last patients of a colleague's device missing for good).
 * The registry itself is read at most once per its own period (practice-signers.ts).
 */
export const UNCHECKED_RETRY_MS = 5000

/** A snapshot's entries hold about this much each, at most (see the header: compaction). */
export const SNAPSHOT_CHUNK_BYTES = 512 * 1024

/**
 * Entry signatures checked in one task on a page. Each check copies the entry's signed bytes and
 * calls WebCrypto, whose call costs the page ≈ 0.05 ms of its own: a cold start checking the main
 * room's entries at once was one task of 143 ms, 67 of them the checks (issue 17's bench, « (10) »,
 * sixth pass). 256 are ≈ 15 ms.
 */
export const VERIFY_PER_SLICE = 256

/**
 * …and at most about this many bytes of ciphertext: a check copies and hashes its entry, and the
 * main room's snapshot chunks are half a megabyte each — 60 of them were still one task of 127 ms
 * (copying 67, hashing 58) with the count bound alone. An entry bigger than this is a group alone.
 */
export const VERIFY_BYTES_PER_SLICE = 1024 * 1024

/** An entry whose signature does not hold (entry-signature.ts): never applied. Says why, never which doc. */
export class UnverifiedEntryError extends Error {
  override name = 'UnverifiedEntryError'
  constructor(readonly verdict: Exclude<SignatureVerdict, 'valid'>) {
    super(`Envelope entry ${verdict === 'unsigned' ? 'without a signature' : verdict === 'forged' ? 'with a signature that does not verify' : 'signed by a device the registry does not know'}: not applied`)
  }
}

export class EnvelopeClosedError extends Error {
  override name = 'EnvelopeClosedError'
}

/**
 * A deletion from elsewhere (the relay, another tab) that no live entry this device can decrypt
 * covers — a wipe, or a forged compaction — was refused: its entries were written back. Says how
 * many, never which doc (the blinded id would do no good in a log, the real one must not be there).
 */
export class UncoveredDeletionError extends Error {
  override name = 'UncoveredDeletionError'
  constructor(readonly restored: number) {
    super(`${restored} envelope entr${restored === 1 ? 'y was' : 'ies were'} deleted from elsewhere with no snapshot covering them: written back`)
  }
}

/** What one open inner doc needs to know about its entries. */
interface OpenDoc {
  readonly docId: string
  readonly blind: string
  readonly doc: Y.Doc
  /** Entries whose content is in `doc`: the ones a compaction may delete. */
  readonly applied: Set<EnvelopeEntry>
  /** Entries being decrypted right now (so they are not decrypted twice). */
  readonly inFlight: Set<EnvelopeEntry>
  /** The batch being decoded and applied: the next one waits for it (a sliced apply spans tasks). */
  applying: Promise<void>
  pending: Uint8Array[]
  batchTimer: ReturnType<typeof setTimeout> | null
  compactTimer: ReturnType<typeof setTimeout> | null
  /** Resolves once the entries present at open time are applied. */
  ready: Promise<Y.Doc>
  onUpdate: (update: Uint8Array, origin: unknown) => void
  /** What this device knows of the doc's writers (continuity.ts), and the gaps last found. */
  readonly continuity: DocContinuity
  gaps: readonly WriterGap[]
  /** Its device-held state (held-docs.ts), or null: none kept (no store, or the repair doc). */
  readonly holding: DocHolding | null
}

/**
 * The docs a room's name alone says it holds (shared/src/space/rooms.ts): main's two, a month's
 * one, and in every room its repair requests (entry-repair.ts).
 */
function docIdsOfRoomName(room: RoomName): string[] {
  if (room === MAIN_ROOM) return [DIRECTORY_DOC_ID, MANIFEST_DOC_ID, REPAIR_DOC_ID]
  const month = monthOfRoom(room)
  return month === null ? [REPAIR_DOC_ID] : [agendaDocId(month), REPAIR_DOC_ID]
}

export function isEnvelopeEntry(value: unknown): value is EnvelopeEntry {
  if (typeof value !== 'object' || value === null) return false
  const { d, c } = value as { d?: unknown; c?: unknown }
  return typeof d === 'string' && d.length === 22 && c instanceof Uint8Array && c.length >= IV_BYTES + TAG_BYTES
}

/** Each live entry of an envelope array with its outer id (the position its signature binds). */
export function* entriesWithPositions<T>(entries: Y.Array<T>): Generator<[entry: unknown, at: EntryPosition]> {
  for (let item = entries._start; item !== null; item = item.right) {
    if (item.deleted || !(item.content instanceof Y.ContentAny)) continue
    const elements = item.content.getContent()
    for (let i = 0; i < elements.length; i++) yield [elements[i], { client: item.id.client, clock: item.id.clock + i }]
  }
}

export class Envelope {
  readonly doc: Y.Doc
  readonly entries: Y.Array<EnvelopeEntry>
  /** The room this envelope is: bound into every entry's associated data (entry-cipher.ts). */
  readonly room: RoomName
  private readonly keys: SpaceKeys
  private readonly batchDelayMs: number
  private readonly compactAfterEntries: number
  private readonly compactAlwaysAfterEntries: number
  private readonly compactDelayMs: number
  private readonly snapshotChunkBytes: number
  private readonly onError: (error: Error) => void
  private readonly onEntriesRemoved: () => void
  private readonly onQueueChange: () => void
  private readonly decoder: EntryDecoder | null
  private readonly docIdsOf: ((room: RoomName) => Promise<Iterable<string>>) | null
  private readonly onUndecryptable: (docId: string, entries: readonly EnvelopeEntry[]) => void
  private readonly writer: string
  private readonly onContinuityChange: () => void
  /**
   * Each decrypted entry's continuity header (null: format v1), by its ciphertext — which the
   * copies this envelope writes back or again share — so a live entry's is known without decrypting
   * it twice.
   */
  private readonly headers = new WeakMap<Uint8Array, EntryHeader | null>()
  /** The open docs' gaps, summed per writer: a new array only when they change. */
  private gapList: readonly WriterGap[] = []
  /**
   * What each entry holds by clock (coverage.ts), null when it does not decrypt here or is not a
   * Yjs update: computed once per entry, when a deletion of its doc is judged or its doc erased.
   */
  private readonly covers = new WeakMap<EnvelopeEntry, Promise<UpdateCover | null>>()
  /** Entries deleted from elsewhere that an open doc had applied: their copies need not apply again. */
  private readonly appliedWhenDeleted = new WeakSet<EnvelopeEntry>()
  private restored = 0
  /** Open docs to which their device-held state brought back what the envelope had lost. */
  private heldRestored = 0
  /** Docs whose device-held state failed to be written and has not been since (DocHolding.onKeeping). */
  private readonly heldFailing = new Set<string>()
  private readonly held: HeldDocs | null
  private readonly signer: EntrySigner | null
  private readonly signers: SignerDirectory | null
  private readonly verifyPerSlice: number
  private readonly verifyBytesPerSlice: number
  /** Each entry's outer id, recorded as it is indexed: what its signature is checked at. */
  private readonly positions = new WeakMap<EnvelopeEntry, EntryPosition>()
  /** Each entry's signature verdict, checked once (with `signers` only). */
  private readonly verdicts = new WeakMap<EnvelopeEntry, Promise<SignatureVerdict>>()
  /** Entries whose signature did not hold here (counted while they are live: stats().unverified). */
  private readonly unverifiedEntries = new Set<EnvelopeEntry>()
  /** The room's id on the wire (room-keys.ts): what the relay knows the room by, so what a signature names. */
  private wireRoomId: Promise<string> | null = null
  /** Writes (pushes, compactions, erasures) enqueued and not yet done. */
  private queuedTasks = 0
  /** settle() callers waiting for nothing to be queued, scheduled or in flight. */
  private readonly settleWaiters = new Set<() => void>()
  /** blinded id → entries present in the envelope. */
  private readonly index = new Map<string, Set<EnvelopeEntry>>()
  private readonly blinds = new Map<string, Promise<string>>()
  private readonly openByBlind = new Map<string, OpenDoc>()
  private readonly opening = new Map<string, Promise<OpenDoc>>()
  /** Writes (encrypt + push) run one after another, so entries of one doc keep their order. */
  private writeChain: Promise<unknown> = Promise.resolve()
  private undecryptable = 0
  private malformed = 0
  private closed = false
  private readonly uncheckedRetryMs: number
  /** The check again of the entries left without a verdict, when some are. */
  private uncheckedRetry: ReturnType<typeof setTimeout> | null = null
  private readonly observer: (event: Y.YArrayEvent<EnvelopeEntry>) => void

  constructor(doc: Y.Doc, keys: SpaceKeys, room: RoomName, options: EnvelopeOptions = {}) {
    this.doc = doc
    this.keys = keys
    this.room = room
    this.entries = doc.getArray<EnvelopeEntry>(ENTRIES_KEY)
    this.batchDelayMs = options.batchDelayMs ?? 250
    this.compactAfterEntries = options.compactAfterEntries ?? 64
    this.compactAlwaysAfterEntries = Math.max(this.compactAfterEntries, options.compactAlwaysAfterEntries ?? 1000)
    this.compactDelayMs = options.compactDelayMs ?? 2000
    this.snapshotChunkBytes = options.snapshotChunkBytes ?? SNAPSHOT_CHUNK_BYTES
    this.onError = options.onError ?? (() => undefined)
    this.onEntriesRemoved = options.onEntriesRemoved ?? (() => undefined)
    this.onQueueChange = options.onQueueChange ?? (() => undefined)
    this.decoder = options.decoder ?? null
    this.docIdsOf = options.docIdsOf ?? null
    this.onUndecryptable = options.onUndecryptable ?? (() => undefined)
    this.writer = options.writer ?? randomId(WRITER_BYTES)
    this.onContinuityChange = options.onContinuityChange ?? (() => undefined)
    this.held = options.held ?? null
    this.signer = options.signer ?? null
    this.signers = options.signers ?? null
    this.verifyPerSlice = Math.max(1, options.verifyPerSlice ?? VERIFY_PER_SLICE)
    this.verifyBytesPerSlice = Math.max(1, options.verifyBytesPerSlice ?? VERIFY_BYTES_PER_SLICE)
    this.uncheckedRetryMs = options.uncheckedRetryMs ?? UNCHECKED_RETRY_MS
    for (const [entry, at] of entriesWithPositions(this.entries)) this.indexEntry(entry, at)
    this.observer = (event) => this.onEnvelopeChange(event)
    this.entries.observe(this.observer)
  }

  /** Opens an inner doc: decrypts its entries once, then keeps it live. Cached per doc id. */
  async openDoc(docId: string): Promise<Y.Doc> {
    this.assertOpen()
    let opening = this.opening.get(docId)
    if (!opening) {
      opening = this.createOpenDoc(docId)
      this.opening.set(docId, opening)
    }
    const open = await opening
    return open.ready
  }

  /** Encrypts and pushes every queued local change now (before a reload, in tests, on "sync now"). */
  async flush(): Promise<void> {
    for (const open of await this.allOpen()) this.pushNow(open)
    await this.settle()
  }

  /** Compacts a doc now, whatever its entry count. */
  async compact(docId: string): Promise<void> {
    const open = await this.getOpen(docId)
    await this.enqueueWrite(() => this.compactNow(open))
  }

  /**
   * Erases a doc: pushes one entry that deletes, by clock, everything the doc's entries hold
   * (coverage.ts, erasureUpdate: no struct, a delete set), deletes every other entry of it, in one
   * transaction, and closes it. An erasure is a compaction into nothing: like a compaction, its
   * update deletes entries of a doc only alongside a new entry of that same doc, the shape the relay
   * accepts for a deletion (docs/sync-protocol.md, « What the relay accepts »), where a bare
   * deletion is what a wipe looks like. Other devices judge it like a compaction: its entry covers
   * exactly what it erased, so it is accepted, and a copy of it replayed later covers nothing written
   * after it. A device that opens the doc later decrypts an empty doc (the deletions pending, for
   * structs it never had); one that holds the doc open sees its content deleted. With gc, the
   * ciphertext of the erased entries is gone from the next envelope snapshot (relay and device).
   * Used for the erasure of a patient's clinical file (soft delete is the default; this is the
   * compaction that forgets).
   */
  async erase(docId: string): Promise<void> {
    this.assertOpen()
    const blind = await this.blindOf(docId)
    const open = this.openByBlind.get(blind)
    if (open) this.closeOpen(open)
    this.opening.delete(docId)
    // The device-held state goes first: nothing the erasure removes may come back from it.
    await this.eraseHeld(blind, open ?? null)
    await this.enqueueWrite(async () => {
      if ((this.index.get(blind)?.size ?? 0) === 0) return
      // What the erasure deletes is what it names, by clock (coverage.ts): read from every entry it
      // erases, and again for entries that arrived while reading or encrypting, so that none is
      // deleted unnamed. (After a few rounds of arrivals, the latest ones stay: not erased.)
      const doomed = new Set<EnvelopeEntry>()
      const covers: UpdateCover[] = []
      const unread = () => [...(this.index.get(blind) ?? [])].filter((e) => !doomed.has(e))
      for (let round = 0; round < 4 && unread().length > 0; round++) {
        const fresh = unread()
        for (const e of fresh) doomed.add(e)
        for (const cover of await Promise.all(fresh.map((e) => this.coverOfEntry(e, docId)))) if (cover) covers.push(cover)
        const header = erasureHeader(this.writer, this.headersOf(doomed))
        const marker: EnvelopeEntry = { d: blind, c: await encryptEntry(this.keys, this.room, docId, header, erasureUpdate(covers)) }
        if ((this.index.get(blind)?.size ?? 0) === 0) return // erased meanwhile, elsewhere
        if (unread().length > 0 && round < 3) continue
        await this.pushEntries([marker], () => this.deleteEntries(doomed))
        return
      }
    })
    this.onEntriesRemoved()
  }

  /**
   * Pushes an update of a doc as a new entry, freshly encrypted, in the write chain, whether or not
   * the doc is open here (an open doc applies it like any entry: Yjs ignores what it holds).
   * Resolves with the new entry's outer id. Used to republish the content of an entry the relay
   * corrupted (entry-repair.ts), with that entry's continuity header (`header`; null: a v1 entry,
   * republished as v1).
   */
  async publish(docId: string, update: Uint8Array, header: EntryHeader | null): Promise<{ client: number; clock: number }> {
    this.assertOpen()
    const blind = await this.blindOf(docId)
    let at = { client: 0, clock: 0 }
    await this.enqueueWrite(async () => {
      const c = header ? await encryptEntry(this.keys, this.room, docId, header, update) : await encryptUpdate(this.keys, this.room, docId, update)
      this.headers.set(c, header)
      const entry: EnvelopeEntry = { d: blind, c }
      at = await this.pushEntries([entry])
    })
    return at
  }

  /** How many live entries the envelope holds of a doc, by its blinded id. */
  countEntries(blind: string): number {
    return this.index.get(blind)?.size ?? 0
  }

  /**
   * Entries this device must never delete: the relay holds another writer's entry at their clocks
   * (client/src/sync/rooms/delivery-check.ts), so deleting them would delete that entry on the
   * relay, beside no new entry of its doc — a deletion the relay refuses. They leave the index (no
   * compaction or erasure counts them; no doc opening decrypts them): their content travels in
   * copies written under a new client id, which are indexed like any entry.
   */
  exclude(entries: Iterable<EnvelopeEntry>): void {
    for (const entry of entries) {
      this.index.get(entry.d)?.delete(entry)
      this.openByBlind.get(entry.d)?.applied.delete(entry)
    }
  }

  stats(): {
    entries: number
    undecryptable: number
    unverified: number
    malformed: number
    restored: number
    heldRestored: number
    heldFailing: number
    openDocs: number
    missing: number
  } {
    return {
      entries: this.entries.length,
      undecryptable: this.undecryptable,
      unverified: [...this.unverifiedEntries].filter((e) => this.index.get(e.d)?.has(e)).length,
      malformed: this.malformed,
      restored: this.restored,
      heldRestored: this.heldRestored,
      heldFailing: this.heldFailing.size,
      openDocs: this.openByBlind.size,
      missing: this.gapList.reduce((n, gap) => n + gap.missing, 0),
    }
  }

  /**
   * Changes that the entries of the open docs say were written and that no live entry holds, per
   * writer, largest first (continuity.ts). The same array until they change.
   */
  gaps(): readonly WriterGap[] {
    return this.gapList
  }

  /** Resolves when no batch, decryption or compaction is queued or scheduled. */
  settle(): Promise<void> {
    if (!this.busy()) return Promise.resolve()
    return new Promise((resolve) => this.settleWaiters.add(resolve))
  }

  /** Whether local changes are waiting to become entries (a batch's delay, a write in progress). */
  hasQueuedWrites(): boolean {
    return this.queuedTasks > 0 || [...this.openByBlind.values()].some((o) => o.batchTimer !== null || o.pending.length > 0)
  }

  private busy(): boolean {
    return this.queuedTasks > 0 || [...this.openByBlind.values()].some((o) => o.batchTimer !== null || o.compactTimer !== null || o.inFlight.size > 0)
  }

  /**
   * Resolves once the open docs' device-held writes are done. Not part of settle(): the start's
   * choreography waits for a room's entries to be applied, not for their copies to be sealed and
   * stored (a first open of the directory writes megabytes).
   */
  async settleHeld(): Promise<void> {
    for (;;) {
      const busy = [...this.openByBlind.values()].flatMap((o) => (o.holding?.busy ? [o.holding] : []))
      if (busy.length === 0) return
      await Promise.all(busy.map((holding) => holding.settled()))
    }
  }

  /** Erases a doc's device-held state: through its open holding (after its queued writes), or directly. */
  private async eraseHeld(blind: string, open: OpenDoc | null): Promise<void> {
    try {
      if (open?.holding) await open.holding.erase()
      else await this.held?.erase(blind)
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)))
    }
  }

  /** Called wherever work ends: wakes settle() callers once nothing is left. */
  private workEnded(): void {
    if (this.settleWaiters.size === 0 || this.busy()) return
    const waiters = [...this.settleWaiters]
    this.settleWaiters.clear()
    for (const resolve of waiters) resolve()
  }

  async destroy(): Promise<void> {
    if (this.closed) return
    await this.flush()
    await this.settleHeld()
    this.closed = true
    if (this.uncheckedRetry !== null) clearTimeout(this.uncheckedRetry)
    this.uncheckedRetry = null
    this.entries.unobserve(this.observer)
    for (const open of this.openByBlind.values()) this.closeOpen(open)
  }

  // --- opening ---

  private async createOpenDoc(docId: string): Promise<OpenDoc> {
    const blind = await this.blindOf(docId)
    // The guid is the doc id: the model reads an agenda doc's month from it.
    const doc = new Y.Doc({ guid: docId, gc: true })
    const open: OpenDoc = {
      docId,
      blind,
      doc,
      applied: new Set(),
      inFlight: new Set(),
      applying: Promise.resolve(),
      pending: [],
      batchTimer: null,
      compactTimer: null,
      ready: Promise.resolve(doc),
      continuity: new DocContinuity(this.writer),
      gaps: [],
      holding:
        this.held && docId !== REPAIR_DOC_ID
          ? new DocHolding({
              store: this.held,
              keys: this.keys,
              room: this.room,
              docId,
              blind,
              doc,
              decoder: this.decoder,
              onError: (error) => this.onError(error),
              onKeeping: (keeping) => {
                if (keeping) this.heldFailing.delete(blind)
                else this.heldFailing.add(blind)
                this.onQueueChange()
              },
              onRestored: () => {
                this.heldRestored++
                this.onError(new HeldStateRestoredError())
                // What came back is queued as one change: past a chunk's size (a wiped directory),
                // the doc's state goes out as a snapshot in chunks instead, as a compaction's would.
                if (open.pending.reduce((n, u) => n + u.length, 0) <= this.snapshotChunkBytes) return
                if (open.batchTimer !== null) clearTimeout(open.batchTimer)
                open.batchTimer = null
                open.pending = []
                void this.enqueueWrite(() => this.republishState(open))
              },
              foldAfterRows: () => Math.max(FOLD_AFTER_ROWS, 2 * (this.index.get(blind)?.size ?? 0)),
              onManyRows: () => {
                // Rows of entries other devices wrote and compact: folded here into the doc's state,
                // after a compaction's delay, like one (and in the write chain, after the pushes).
                // Encoded in one task, as a compaction's snapshot is: a chunk cut while the doc
                // changes between tasks could hold a struct Yjs merged meanwhile (docs/sync-protocol.md,
                // « Device-held state », on the cost for the directory).
                setTimeout(() => {
                  if (this.openByBlind.get(open.blind) !== open || this.closed) return
                  void this.enqueueWrite(async () => {
                    if (this.openByBlind.get(open.blind) !== open) return
                    open.holding?.fold(this.snapshotUpdates(open.doc), [...open.applied].map((e) => markOf(e.c)))
                  })
                }, this.compactDelayMs)
              },
            })
          : null,
      onUpdate: (update, origin) => {
        if (origin === DECRYPTED_ORIGIN) return
        open.pending.push(update)
        this.scheduleBatch(open, this.batchDelayMs)
      },
    }
    this.openByBlind.set(blind, open)
    doc.on('update', open.onUpdate)
    open.ready = this.applyEntries(open, [...(this.index.get(blind) ?? [])])
      // The envelope's entries first, then what the device holds of the doc beyond them (held-docs.ts).
      .then(() => open.holding?.reconcile([...(this.index.get(blind) ?? [])], [...open.applied]))
      .then(() => doc)
    return open
  }

  private async getOpen(docId: string): Promise<OpenDoc> {
    await this.openDoc(docId)
    const open = this.openByBlind.get(await this.blindOf(docId))
    if (!open) throw new EnvelopeClosedError(`Doc ${docId} was erased or closed`)
    return open
  }

  private async allOpen(): Promise<OpenDoc[]> {
    return Promise.all([...this.opening.values()])
  }

  private blindOf(docId: string): Promise<string> {
    let blind = this.blinds.get(docId)
    if (!blind) {
      blind = blindDocId(this.keys, docId)
      this.blinds.set(docId, blind)
    }
    return blind
  }

  // --- reading ---

  private indexEntry(entry: unknown, at: EntryPosition | null): void {
    if (!isEnvelopeEntry(entry)) {
      // Written by a buggy or hostile client: never applied, counted so it is visible.
      this.malformed++
      this.onError(new Error('Envelope entry with an unexpected shape was ignored'))
      return
    }
    if (at !== null) this.positions.set(entry, at)
    let set = this.index.get(entry.d)
    if (!set) {
      set = new Set()
      this.index.set(entry.d, set)
    }
    set.add(entry)
  }

  private onEnvelopeChange(event: Y.YArrayEvent<EnvelopeEntry>): void {
    const fresh = new Map<OpenDoc, EnvelopeEntry[]>()
    for (const [entry, at] of this.addedIn(event.transaction)) {
      this.indexEntry(entry, at)
      if (!isEnvelopeEntry(entry)) continue
      const open = this.openByBlind.get(entry.d)
      if (open && !open.applied.has(entry)) {
        const list = fresh.get(open) ?? []
        list.push(entry)
        fresh.set(open, list)
      }
    }
    // Only a transaction with deletions pays for this: an ordinary write deletes nothing.
    const fromElsewhere = event.transaction.origin !== ENVELOPE_ORIGIN
    const suspects: EnvelopeEntry[] = []
    for (const entry of this.deletedIn(event.transaction)) {
      if (!isEnvelopeEntry(entry)) continue
      this.index.get(entry.d)?.delete(entry)
      const open = this.openByBlind.get(entry.d)
      if (open?.applied.delete(entry) && fromElsewhere) this.appliedWhenDeleted.add(entry)
      if (fromElsewhere) suspects.push(entry)
    }
    for (const [open, list] of fresh) void this.applyEntries(open, list)
    if (suspects.length > 0) void this.enqueueWrite(() => this.judgeDeletion(suspects))
  }

  /**
   * Judges entries deleted by a transaction from elsewhere, per doc, against the entries of that
   * doc live now — after the deletion, and after whatever arrived in between, so a snapshot written
   * as several entries, or applied in slices ahead of the delete set, counts whole. Writes back
   * what is not covered (see the top of this file). Runs in the write chain: after this device's own
   * compactions and erasures queued before it, and settle() waits for it.
   */
  private async judgeDeletion(deleted: EnvelopeEntry[]): Promise<void> {
    const byDoc = new Map<string, EnvelopeEntry[]>()
    for (const entry of deleted) byDoc.set(entry.d, [...(byDoc.get(entry.d) ?? []), entry])
    const back: EnvelopeEntry[] = []
    for (const [blind, gone] of byDoc) {
      try {
        back.push(...(await this.uncovered(blind, gone)))
      } catch (error) {
        // A judgment that failed (the directory would not open to name a doc) keeps the entries.
        this.onError(error instanceof Error ? error : new Error(String(error)))
        back.push(...gone)
      }
    }
    // A deletion accepted that leaves a doc with no struct is an erasure: its device-held state goes too.
    await Promise.all([...byDoc.keys()].filter((blind) => !back.some((e) => e.d === blind)).map((blind) => this.eraseHeldIfErased(blind)))
    if (back.length === 0 || this.closed) return this.checkAfterDeletion(byDoc.keys())
    const copies = back.map((entry) => ({ entry, copy: { d: entry.d, c: entry.c } satisfies EnvelopeEntry }))
    for (const { entry, copy } of copies) {
      // Its content is in the open doc already: the copy is marked so that it is not applied again.
      if (this.appliedWhenDeleted.has(entry)) this.openByBlind.get(entry.d)?.applied.add(copy)
    }
    await this.pushEntries(copies.map(({ copy }) => copy))
    this.restored += copies.length
    this.onError(new UncoveredDeletionError(copies.length))
    this.checkAfterDeletion(byDoc.keys())
  }

  /**
   * After a deletion of a doc's entries was accepted: if what is live of the doc decrypts and holds
   * no struct (an erasure's entry), the doc was erased, and so is what this device held of it.
   */
  private async eraseHeldIfErased(blind: string): Promise<void> {
    if (this.held === null) return
    const docId = await this.docIdOfBlind(blind).catch(() => null)
    if (docId === null || docId === REPAIR_DOC_ID) return
    const covers = await Promise.all([...(this.index.get(blind) ?? [])].map((e) => this.coverOfEntry(e, docId)))
    if (!covers.some((c) => c !== null) || covers.some((c) => c !== null && c.structs.size > 0)) return
    await this.eraseHeld(blind, this.openByBlind.get(blind) ?? null)
  }

  /** Once a deletion from elsewhere was judged (and what it should not have deleted written back). */
  private checkAfterDeletion(blinds: Iterable<string>): void {
    for (const blind of blinds) {
      const open = this.openByBlind.get(blind)
      if (open) this.checkContinuity(open)
    }
  }

  /** Which of a doc's deleted entries the doc's live entries do not cover. */
  private async uncovered(blind: string, gone: EnvelopeEntry[]): Promise<EnvelopeEntry[]> {
    const docId = await this.docIdOfBlind(blind)
    // No entry of a doc this device cannot name decrypts: nothing could cover the deletion.
    if (docId === null) return gone
    const live = [...(this.index.get(blind) ?? [])]
    const union = new CoverUnion((await Promise.all(live.map((e) => this.coverOfEntry(e, docId)))).filter((c): c is UpdateCover => c !== null))
    const covers = await Promise.all(gone.map((e) => this.coverOfEntry(e, docId)))
    // An entry that does not decrypt here held nothing this device could lose: it does not block.
    return gone.filter((_, i) => covers[i] !== null && !union.holds(covers[i]!))
  }

  /** What an entry holds by clock, or null when it does not decrypt here or is not a Yjs update. Cached per entry. */
  private coverOfEntry(entry: EnvelopeEntry, docId: string): Promise<UpdateCover | null> {
    let cover = this.covers.get(entry)
    if (!cover) {
      const decoder = this.decoder
      // An entry whose signature does not hold holds nothing this device uses: like one that does not decrypt.
      cover = this.verdictOf(entry).then((verdict) => (verdict === 'valid' ? decryptEntry(this.keys, this.room, docId, entry.c) : Promise.reject(new UnverifiedEntryError(verdict)))).then(
        // A big entry (a directory's snapshot) is read in steps, the page's thread given back between.
        ({ header, update }) => {
          this.headers.set(entry.c, header)
          return decoder?.worthIt(update.length) ? coverOfInSteps(update, () => decoder.nextSlice()) : coverOf(update)
        },
        () => null,
      ).catch(() => null) // authenticated but not a Yjs update: holds nothing a doc could apply
      this.covers.set(entry, cover)
    }
    return cover
  }

  /**
   * The doc id behind a blinded one: the docs opened or blinded here, else those the room's name
   * gives, else those `docIdsOf` lists (each blinded once, cached). Null when none matches.
   */
  private async docIdOfBlind(blind: string): Promise<string | null> {
    const open = this.openByBlind.get(blind)
    if (open) return open.docId
    const tried = async (ids: Iterable<string>): Promise<string | null> => {
      const list = [...ids]
      const blinds = await Promise.all(list.map((id) => this.blindOf(id)))
      const at = blinds.indexOf(blind)
      return at < 0 ? null : list[at]!
    }
    return (
      (await tried(this.blinds.keys())) ??
      (await tried(docIdsOfRoomName(this.room))) ??
      (this.docIdsOf ? await tried(await this.docIdsOf(this.room)) : null)
    )
  }

  /**
   * Entries the transaction inserted and did not delete: the structs it created, read by clock
   * range from the struct store. Not `event.changes`, which walks the whole array (tombstones
   * included) on every update received: O(entries of the room) per edit.
   */
  private addedIn(transaction: Y.Transaction): Array<[entry: unknown, at: EntryPosition]> {
    const added: Array<[unknown, EntryPosition]> = []
    for (const [client, after] of transaction.afterState) {
      const before = transaction.beforeState.get(client) ?? 0
      if (after <= before) continue
      const structs = transaction.doc.store.clients.get(client)
      if (!structs) continue
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const struct = structs[i]!
        if (struct.id.clock >= after) break
        if (struct instanceof Y.Item && struct.parent === this.entries && !struct.deleted) {
          const elements = struct.content.getContent() as unknown[]
          for (let i = 0; i < elements.length; i++) added.push([elements[i], { client, clock: struct.id.clock + i }])
        }
      }
    }
    return added
  }

  /** Entries present before the transaction that it deleted (its delete set, not the array). */
  private deletedIn(transaction: Y.Transaction): unknown[] {
    const deleted: unknown[] = []
    Y.iterateDeletedStructs(transaction, transaction.deleteSet, (struct) => {
      if (!(struct instanceof Y.Item) || struct.parent !== this.entries) return
      if (struct.id.clock >= (transaction.beforeState.get(struct.id.client) ?? 0)) return // added and deleted at once
      deleted.push(...(struct.content.getContent() as unknown[]))
    })
    return deleted
  }

  /** Decrypts and applies entries of an open doc, after whatever batch it is applying now. */
  /**
   * Tries again, in every open doc, the entries that did not apply: those of a key epoch this
   * device did not hold yet (crypto/key-epochs.ts), once it has fetched its sealed keys.
   */
  async retryUnapplied(): Promise<void> {
    await Promise.all([...this.openByBlind].map(([blind, open]) => this.applyEntries(open, [...(this.index.get(blind) ?? [])])))
  }

  private applyEntries(open: OpenDoc, entries: EnvelopeEntry[]): Promise<void> {
    const todo = entries.filter((e) => !open.applied.has(e) && !open.inFlight.has(e))
    if (todo.length === 0) return Promise.resolve()
    for (const e of todo) open.inFlight.add(e)
    const run = open.applying.then(() => this.decodeAndApply(open, todo))
    open.applying = run.catch(() => undefined)
    return run
  }

  private async decodeAndApply(open: OpenDoc, all: EnvelopeEntry[]): Promise<void> {
    const todo = await this.verifiedOf(open, all)
    if (todo.length === 0) {
      this.checkContinuity(open)
      return this.workEnded()
    }
    const bytes = todo.reduce((n, e) => n + e.c.length, 0)
    if (this.decoder?.worthIt(bytes)) {
      const request = { keys: this.keys, room: this.room, docId: open.docId, ciphertexts: todo.map((e) => e.c) }
      if (await this.applyDecoded(open, todo, this.decoder.decode(request))) return
      // The decoder failed on the way: decrypted here instead (what it gave is applied again, which
      // changes nothing in a Yjs doc).
    }
    const results = await Promise.all(
      todo.map(async (entry) => {
        try {
          const { header, update } = await decryptEntry(this.keys, this.room, open.docId, entry.c)
          this.headers.set(entry.c, header)
          if (header) open.continuity.learn(header)
          return { entry, update }
        } catch (error) {
          this.undecryptable++
          this.onError(error instanceof Error ? error : new Error(String(error)))
          return { entry, update: null }
        }
      }),
    )
    const unreadable = results.flatMap(({ entry, update }) => (update === null ? [entry] : []))
    if (unreadable.length > 0) this.onUndecryptable(open.docId, unreadable)
    for (const e of todo) open.inFlight.delete(e)
    if (this.openByBlind.get(open.blind) !== open) return this.workEnded() // erased or closed meanwhile
    // Yjs encodes a transaction as an update only for 'update' listeners; the envelope's own ignores
    // what it decrypted, so it is off while entries apply (a quarter of applying a 20,000-patient directory in a CPU profile).
    open.doc.off('update', open.onUpdate)
    let appliedAny: boolean
    try {
      appliedAny = this.applyDecrypted(open, results)
    } finally {
      open.doc.on('update', open.onUpdate)
    }
    open.holding?.hold(results.flatMap(({ entry, update }) => (update !== null && open.applied.has(entry) ? [{ c: entry.c, update }] : [])))
    if (appliedAny) this.maybeScheduleCompaction(open)
    this.checkContinuity(open)
    this.workEnded()
  }

  /**
   * The decoder's updates as they come, one transaction each with the thread given back in
   * between: the doc is not ready (no view holds it) until the last has applied. Entries count as
   * applied only once every update did: a compaction must never fold a doc that holds part of
   * them. False if the decoder failed on the way.
   */
  private async applyDecoded(open: OpenDoc, todo: EnvelopeEntry[], decoded: DecodedEntries): Promise<boolean> {
    // A failure comes through the stream too: the outcome is read only once the stream has ended.
    decoded.outcome.catch(() => undefined)
    let whole = true
    let first = true
    let outcome: DecodeOutcome
    try {
      for await (const update of decoded.updates) {
        if (!first) await this.decoder!.nextSlice()
        first = false
        if (this.openByBlind.get(open.blind) !== open) break // erased or closed meanwhile
        open.doc.off('update', open.onUpdate)
        try {
          Y.applyUpdate(open.doc, update, DECRYPTED_ORIGIN)
        } catch (error) {
          whole = false
          this.onError(error instanceof Error ? error : new Error(String(error)))
        } finally {
          open.doc.on('update', open.onUpdate)
        }
      }
      outcome = await decoded.outcome
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)))
      return false
    }
    this.undecryptable += outcome.undecryptable.length
    outcome.undecryptable.forEach((i) => this.onError(undecryptableError(this.keys, todo[i]?.c)))
    if (outcome.undecryptable.length > 0) this.onUndecryptable(open.docId, outcome.undecryptable.flatMap((i) => (todo[i] ? [todo[i]] : [])))
    outcome.malformed.forEach(() => this.onError(new Error('Decrypted entry is not a Yjs update: ignored')))
    const failed = new Set([...outcome.undecryptable, ...outcome.malformed])
    const applied = todo.filter((_, i) => !failed.has(i))
    for (const [i, entry] of todo.entries()) {
      if (failed.has(i)) continue
      const bytes = outcome.headers[i]
      let header: EntryHeader | null = null
      try {
        header = bytes ? decodeEntryHeader(bytes) : null
      } catch (error) {
        // The worker read it, so this does not happen but with a broken worker: the entry teaches nothing.
        this.onError(error instanceof Error ? error : new Error(String(error)))
      }
      this.headers.set(entry.c, header)
      if (header) open.continuity.learn(header)
    }
    for (const e of todo) open.inFlight.delete(e)
    if (whole && this.openByBlind.get(open.blind) === open) {
      for (const entry of applied) open.applied.add(entry)
      if (applied.length > 0) this.maybeScheduleCompaction(open)
      // Merged by the decoder: the entries the held state lacks are decrypted again to be kept.
      open.holding?.holdEntries(applied, (c) => decryptEntry(this.keys, this.room, open.docId, c).then((d) => d.update, () => null))
    }
    this.checkContinuity(open)
    this.workEnded()
    return true
  }

  /**
   * Compares what the doc's entries say was written with what its live entries hold, once nothing
   * of it is being decrypted (a compaction's snapshot counts only once read), and reports a change.
   */
  private checkContinuity(open: OpenDoc): void {
    if (open.inFlight.size > 0 || this.openByBlind.get(open.blind) !== open) return
    const live: EntryHeader[] = []
    for (const entry of this.index.get(open.blind) ?? []) {
      const header = this.headers.get(entry.c)
      if (header) live.push(header)
    }
    const gaps = open.continuity.gaps(live)
    const same = gaps.length === open.gaps.length && gaps.every((gap, i) => gap.writer === open.gaps[i]!.writer && gap.missing === open.gaps[i]!.missing)
    if (same) return
    open.gaps = gaps
    this.sumGaps()
  }

  /** The open docs' gaps per writer, published when they changed. */
  private sumGaps(): void {
    const perWriter = new Map<string, number>()
    for (const open of this.openByBlind.values()) for (const gap of open.gaps) perWriter.set(gap.writer, (perWriter.get(gap.writer) ?? 0) + gap.missing)
    const next = [...perWriter].map(([writer, missing]) => ({ writer, missing })).sort((x, y) => y.missing - x.missing || (x.writer < y.writer ? -1 : 1))
    const prev = this.gapList
    if (next.length === prev.length && next.every((gap, i) => gap.writer === prev[i]!.writer && gap.missing === prev[i]!.missing)) return
    this.gapList = next
    this.onContinuityChange()
  }

  /**
   * One transaction, one update at a time: about twice as fast as Y.mergeUpdates then one apply on
   * a doc opened from many entries (cold start), and observers still fire once. Says whether any
   * entry was applied.
   */
  private applyDecrypted(open: OpenDoc, results: Array<{ entry: EnvelopeEntry; update: Uint8Array | null }>): boolean {
    let appliedAny = false
    open.doc.transact(() => {
      for (const { entry, update } of results) {
        if (update === null) continue
        try {
          Y.applyUpdate(open.doc, update, DECRYPTED_ORIGIN)
          open.applied.add(entry)
          appliedAny = true
        } catch (error) {
          // Authenticated but not a Yjs update: a peer with the key wrote garbage. Keep going.
          this.onError(error instanceof Error ? error : new Error(String(error)))
        }
      }
    }, DECRYPTED_ORIGIN)
    return appliedAny
  }

  // --- writing ---

  private scheduleBatch(open: OpenDoc, delayMs: number): void {
    if (open.batchTimer !== null) {
      if (delayMs > 0) return // already scheduled: the burst joins that batch
      clearTimeout(open.batchTimer)
    }
    if (open.pending.length === 0) {
      open.batchTimer = null
      return
    }
    open.batchTimer = setTimeout(() => {
      open.batchTimer = null
      const pending = open.pending
      open.pending = []
      if (pending.length > 0) void this.enqueueWrite(() => this.pushUpdate(open, Y.mergeUpdates(pending)))
      else this.workEnded()
    }, delayMs)
    this.onQueueChange()
  }

  /**
   * Pushes a doc's queued changes at once. Not through a zero timer: that would wait for the next
   * turn of the event loop (≥ 1 ms in Node) on the path of every edit pushed at once.
   */
  private pushNow(open: OpenDoc): void {
    if (open.batchTimer !== null) clearTimeout(open.batchTimer)
    open.batchTimer = null
    const pending = open.pending
    open.pending = []
    if (pending.length > 0) void this.enqueueWrite(() => this.pushUpdate(open, Y.mergeUpdates(pending)))
  }

  private enqueueWrite(task: () => Promise<void>): Promise<void> {
    this.queuedTasks++
    const run = this.writeChain.then(task).finally(() => {
      this.queuedTasks--
      this.onQueueChange()
      this.workEnded()
    })
    // A failed write is reported, not swallowed, and must not block the writes after it.
    this.writeChain = run.catch((error: unknown) => {
      this.onError(error instanceof Error ? error : new Error(String(error)))
    })
    return run
  }

  private async pushUpdate(open: OpenDoc, update: Uint8Array): Promise<void> {
    // The doc's entries present at open are read first: this writer's next number follows its last.
    await open.ready.catch(() => undefined)
    const header = open.continuity.nextChange()
    const entry: EnvelopeEntry = { d: open.blind, c: await encryptEntry(this.keys, this.room, open.docId, header, update) }
    this.headers.set(entry.c, header)
    // Mark first: the observer then knows this entry is already in the doc.
    open.applied.add(entry)
    open.holding?.hold([{ c: entry.c, update }])
    await this.pushEntries([entry])
    // Learnt once live, not before: while the entry is being signed, a continuity check (another
    // doc's entries applying) would find this writer's change n said and held by no live entry.
    open.continuity.learn(header)
    this.maybeScheduleCompaction(open)
    this.checkContinuity(open)
  }

  // --- compaction ---

  private maybeScheduleCompaction(open: OpenDoc): void {
    if (!this.worthCompacting(open.blind)) return
    if (open.compactTimer !== null) clearTimeout(open.compactTimer)
    open.compactTimer = setTimeout(() => {
      open.compactTimer = null
      if (this.openByBlind.get(open.blind) === open) void this.enqueueWrite(() => this.compactNow(open))
      else this.workEnded()
    }, this.compactDelayMs)
  }

  private worthCompacting(blind: string): boolean {
    const entries = this.index.get(blind)
    const count = entries?.size ?? 0
    if (count <= this.compactAfterEntries) return false
    let total = 0
    let largest = 0
    let chunks = 0
    let chunkCount = 0
    for (const entry of entries!) {
      total += entry.c.length
      largest = Math.max(largest, entry.c.length)
      if (entry.c.length >= this.snapshotChunkBytes / 4) {
        chunks += entry.c.length
        chunkCount++
      }
    }
    // The hard cap counts the edits, not a snapshot's chunks: a big doc's snapshot alone may be
    // many chunks (the directory of 20,000 patients: ≈ 50; hundreds with smaller chunks), and
    // counting them would fold it again after every edit past the cap (each fold uploading the
    // whole doc again).
    if (count - chunkCount > this.compactAlwaysAfterEntries) return true
    const snapshot = Math.max(largest, chunks)
    return total - snapshot >= snapshot
  }

  /** The doc's whole state as the plaintexts of a snapshot's entries: one, or chunks in causal order. */
  private snapshotUpdates(doc: Y.Doc): Uint8Array[] {
    const limits = { maxStructs: Number.MAX_SAFE_INTEGER, maxWeight: this.snapshotChunkBytes, weigh: estimatedBytes }
    return [...stateSlices(doc, limits)]
  }

  private async compactNow(open: OpenDoc): Promise<void> {
    if (open.batchTimer !== null) {
      clearTimeout(open.batchTimer)
      open.batchTimer = null
    }
    const pending = open.pending
    open.pending = []
    const snapshotOf = new Set(open.applied)
    if (snapshotOf.size <= 1) {
      // Nothing to fold: the queued local changes still have to go out as an ordinary entry.
      if (pending.length > 0) await this.pushUpdate(open, Y.mergeUpdates(pending))
      return
    }
    // Local changes not yet pushed are in the doc already, so the snapshot carries them.
    const updates = this.snapshotUpdates(open.doc)
    const header = open.continuity.snapshot(this.headersOf(snapshotOf))
    const snapshot: EnvelopeEntry[] = await Promise.all(
      updates.map(async (update) => ({ d: open.blind, c: await encryptEntry(this.keys, this.room, open.docId, header, update) })),
    )
    for (const entry of snapshot) this.headers.set(entry.c, header)
    // Between the await and here, more entries may have been applied: they are in neither
    // `snapshotOf` nor (maybe) in the state, so they survive. Only what the snapshot holds goes.
    for (const entry of snapshot) open.applied.add(entry)
    // The same state folds the device-held rows (once they are many): it names every entry applied.
    open.holding?.fold(updates, [...open.applied].filter((e) => !snapshotOf.has(e)).map((e) => markOf(e.c)))
    await this.pushEntries(snapshot, () => this.deleteEntries(snapshotOf))
    open.continuity.learn(header) // once live (see pushUpdate)
    this.checkContinuity(open)
    this.onEntriesRemoved()
  }

  /**
   * Pushes the doc's whole state as a snapshot (in chunks), deleting nothing: what a doc's
   * device-held state brought back, when it is too big for one entry (the caller dropped the
   * queued changes that held it: the state carries them).
   */
  private async republishState(open: OpenDoc): Promise<void> {
    if (this.openByBlind.get(open.blind) !== open) return
    const updates = this.snapshotUpdates(open.doc)
    const header = open.continuity.snapshot(this.headersOf(open.applied))
    const snapshot: EnvelopeEntry[] = await Promise.all(
      updates.map(async (update) => ({ d: open.blind, c: await encryptEntry(this.keys, this.room, open.docId, header, update) })),
    )
    for (const entry of snapshot) {
      this.headers.set(entry.c, header)
      open.applied.add(entry)
    }
    // The held rows hold this state already (it came from them): the new entries are only named.
    open.holding?.name(snapshot.map((e) => markOf(e.c)))
    await this.pushEntries(snapshot)
    open.continuity.learn(header) // once live (see pushUpdate)
    this.checkContinuity(open)
  }

  /**
   * Pushes new entries at the end of the array, with `alongside` (a compaction's deletions) in the
   * same transaction, and resolves with the first one's outer id. With a signer, each entry is
   * signed at the position it takes: the clock is read, the signatures made (async), and if
   * anything took this client's next clocks meanwhile, or Yjs moved the doc to another client id,
   * they are made again. Writes run one at a time (the write chain), so that takes one round.
   */
  private async pushEntries(entries: EnvelopeEntry[], alongside?: () => void, origin: unknown = ENVELOPE_ORIGIN): Promise<EntryPosition> {
    for (;;) {
      const client = this.doc.clientID
      const clock = Y.getState(this.doc.store, client)
      if (this.signer) {
        const signer = this.signer
        const roomId = await this.roomIdOnWire()
        const signatures = await Promise.all(
          entries.map((entry, i) => signer.sign(entrySignedBytes(this.keys.spaceId, roomId, { client, clock: clock + i }, entry.d, entry.c))),
        )
        if (this.doc.clientID !== client || Y.getState(this.doc.store, client) !== clock) continue
        entries.forEach((entry, i) => {
          entry.w = signer.deviceId
          entry.s = signatures[i]!
          this.verdicts.set(entry, Promise.resolve('valid'))
        })
      }
      this.doc.transact(() => {
        this.entries.push(entries)
        alongside?.()
      }, origin)
      return { client, clock }
    }
  }

  /**
   * Writes copies of entries again as new entries of this device, signed at their new positions
   * (client/src/sync/rooms/delivery-check.ts: entries of this device found replaced or deleted on
   * the relay). `freshClient`: first moves the envelope doc to a new client id (at once), so the
   * copies take clocks the relay's state vector does not cover. The copies go in the write chain;
   * resolves with the client id they were written under.
   */
  async writeCopies(entries: readonly EnvelopeEntry[], origin: unknown, freshClient: () => number): Promise<number> {
    this.assertOpen()
    // At once, not in the write chain: a write queued before the copies must not take the old
    // client's next clocks either, which the relay holds another writer's entries at.
    this.doc.clientID = freshClient()
    let client = 0
    await this.enqueueWrite(async () => {
      const at = await this.pushEntries(
        entries.map((entry) => ({ d: entry.d, c: entry.c })),
        undefined,
        origin,
      )
      client = at.client
    })
    return client
  }

  private roomIdOnWire(): Promise<string> {
    this.wireRoomId ??= blindRoomName(this.keys, this.room)
    return this.wireRoomId
  }

  /** An entry's signature verdict, once (without signer keys, every entry is taken as valid). */
  private verdictOf(entry: EnvelopeEntry): Promise<SignatureVerdict> {
    const signers = this.signers
    if (signers === null) return Promise.resolve('valid')
    let verdict = this.verdicts.get(entry)
    if (!verdict) {
      const at = this.positions.get(entry)
      const keyOf = (deviceId: string) => signers.keyOf(deviceId)
      verdict = signers
        .enforced()
        .then(async (enforced): Promise<SignatureVerdict> => {
          if (!enforced) return 'valid'
          if (!at) return 'unsigned'
          return checkEntrySignature(keyOf, this.keys.spaceId, await this.roomIdOnWire(), at, entry)
        })
        .catch(() => {
          // No verdict (the registry could not be read again): not kept, so that the entry is
          // checked again when it is retried (retryUnapplied: once the registry is read, or
          // UNCHECKED_RETRY_MS from now).
          this.verdicts.delete(entry)
          this.retryUncheckedLater()
          return 'unknown-signer' as const
        })
      this.verdicts.set(entry, verdict)
    }
    return verdict
  }

  private retryUncheckedLater(): void {
    if (this.uncheckedRetry !== null || this.closed) return
    this.uncheckedRetry = setTimeout(() => {
      this.uncheckedRetry = null
      // A check that fails again schedules the next one (above); nothing else to report here.
      if (!this.closed) this.retryUnapplied().catch(() => undefined)
    }, this.uncheckedRetryMs)
  }

  /**
   * The entries of `todo` whose signature holds; the others are counted, reported, asked for again
   * (entry-repair.ts: a device holding a good copy republishes it) and released from `inFlight`.
   */
  private async verifiedOf(open: OpenDoc, todo: EnvelopeEntry[]): Promise<EnvelopeEntry[]> {
    if (this.signers === null) return todo
    const verdicts = await this.verdictsInSlices(todo)
    for (const [i, verdict] of verdicts.entries()) if (verdict === 'valid') this.unverifiedEntries.delete(todo[i]!)
    const bad = todo.filter((_, i) => verdicts[i] !== 'valid')
    if (bad.length === 0) return todo
    for (const [i, verdict] of verdicts.entries()) {
      if (verdict === 'valid') continue
      this.unverifiedEntries.add(todo[i]!)
      open.inFlight.delete(todo[i]!)
      this.onError(new UnverifiedEntryError(verdict))
    }
    this.onUndecryptable(open.docId, bad)
    return todo.filter((_, i) => verdicts[i] === 'valid')
  }

  /**
   * The verdicts of `todo`, in order. On a page (a decoder) in groups of `verifyPerSlice` entries
   * and `verifyBytesPerSlice` bytes at most (an entry bigger alone), the thread given back in
   * between, so that a cold start's checks are not one task; elsewhere all at once, as before.
   */
  private async verdictsInSlices(todo: readonly EnvelopeEntry[]): Promise<SignatureVerdict[]> {
    const decoder = this.decoder
    if (decoder === null) return Promise.all(todo.map((entry) => this.verdictOf(entry)))
    const verdicts: SignatureVerdict[] = []
    let start = 0
    while (start < todo.length) {
      let end = start
      let bytes = 0
      while (end < todo.length && end - start < this.verifyPerSlice && (end === start || bytes + todo[end]!.c.length <= this.verifyBytesPerSlice)) {
        bytes += todo[end]!.c.length
        end++
      }
      if (start > 0) await decoder.nextSlice()
      verdicts.push(...(await Promise.all(todo.slice(start, end).map((entry) => this.verdictOf(entry)))))
      start = end
    }
    return verdicts
  }

  /** The continuity headers of entries this device decrypted or wrote (v1 entries have none). */
  private headersOf(entries: Iterable<EnvelopeEntry>): EntryHeader[] {
    const out: EntryHeader[] = []
    for (const entry of entries) {
      const header = this.headers.get(entry.c)
      if (header) out.push(header)
    }
    return out
  }

  /** Deletes the given entries, as contiguous ranges, inside the caller's transaction. */
  private deleteEntries(doomed: Set<EnvelopeEntry>): void {
    if (doomed.size === 0) return
    this.doc.transact(() => {
      const all = this.entries.toArray()
      // From the end, so earlier indices stay valid while deleting.
      let i = all.length - 1
      while (i >= 0) {
        if (!doomed.has(all[i]!)) {
          i--
          continue
        }
        let start = i
        while (start > 0 && doomed.has(all[start - 1]!)) start--
        this.entries.delete(start, i - start + 1)
        i = start - 1
      }
    }, ENVELOPE_ORIGIN)
  }

  private closeOpen(open: OpenDoc): void {
    if (open.batchTimer !== null) clearTimeout(open.batchTimer)
    if (open.compactTimer !== null) clearTimeout(open.compactTimer)
    open.doc.off('update', open.onUpdate)
    this.openByBlind.delete(open.blind)
    if (open.gaps.length > 0) this.sumGaps()
    this.workEnded()
  }

  private assertOpen(): void {
    if (this.closed) throw new EnvelopeClosedError('This space is closed')
  }
}

/** What a decoder's undecryptable entry is reported as: MissingEpochKeyError when it names a key epoch this device lacks. */
function undecryptableError(keys: SpaceKeys, c: Uint8Array | undefined): DecryptError {
  const epoch = c === undefined ? null : epochOfEntry(c)
  if (epoch !== null && epoch > 0 && keys.epochs?.key(epoch) == null) return new MissingEpochKeyError(epoch)
  return new DecryptError('Entry failed authentication: another key, another doc or room, or tampered')
}
