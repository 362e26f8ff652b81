/**
 * Repair of a corrupted entry: a device that cannot decrypt an entry asks for it, through the
 * envelope, and a device whose own copy of that entry decrypts publishes its content again.
 *
 * Why. A relay that flips one bit of a stored `c` makes that entry fail authentication on every
 * device that receives it from the relay, and Yjs then keeps the same writer's later changes of
 * that doc pending behind the missing one. Devices that hold the good copy never notice: the outer
 * Yjs item has the same id on relay and device, so the state-vector exchange carries nothing.
 *
 * The requests travel as an ordinary inner doc of the room, `repair` (REPAIR_DOC_ID: encrypted,
 * bound to its room by the associated data, its entries shaped like every other entry, so the relay
 * accepts them as writes and cannot read them):
 *
 *   repair doc (Y.Doc)
 *     requests: Y.Map<"<client>:<clock>", { doc: string }>          an outer entry id that does not
 *                                                                   decrypt here, and its doc's id
 *     answers:  Y.Map<"<client>:<clock>", { client: number, clock: number }>
 *                                                                   the outer id of the entry that
 *                                                                   republished its content
 *
 * - A device that fails to decrypt an entry of an open doc (Envelope `onUndecryptable`) finds the
 *   entry's outer id. An answer for it whose republished entry this envelope holds: repaired, no
 *   request. Otherwise it writes `requests[id]` (once: not when a request is there already).
 * - Every device that has the room loaded watches `requests` (the repair doc is opened only once
 *   the room holds an entry of it, or this device needs to ask: a room where nothing was ever
 *   corrupted costs one map lookup per envelope update). For a request with no answer, a device
 *   whose envelope holds a live entry at that outer id, of that doc, that decrypts here, publishes
 *   its plaintext — the inner update itself, a snapshot of exactly what the corrupted entry held —
 *   as a new entry of the doc (fresh IV, new outer id: Envelope.publish), then writes
 *   `answers[id]` and deletes `requests[id]`. Once per request per device and session: two devices
 *   answering at once write two copies, which Yjs merges.
 * - The requester applies the new entry like any other; Yjs releases the pending structs. Once the
 *   envelope holds the entry an answer names, the entry counts as repaired: out of the alarm, its
 *   request deleted if still there. A device that joins later finds the answer and asks nothing.
 * - The corrupted entry stays on the relay until a device that holds the good copy compacts the doc
 *   (its compaction deletes that outer id, the good copy on its side, the bad one on the relay's);
 *   every other device's judgment of that deletion lets it go, since it does not decrypt there.
 *
 * What stays unrepaired (no device holds the entry, or it was never a device's: junk appended with
 * the credential) is counted `waiting`, with the writer's later changes of the doc that Yjs holds
 * back (`heldBack`, in clock ticks of that doc), for the sync indicator's alarm line.
 */
import * as Y from 'yjs'
import type { SpaceKeys } from '../crypto/space-keys'
import { REPAIR_DOC_ID } from '../model/doc-ids'
import { blindDocId, decryptEntry } from './entry-cipher'
import type { EntryHeader } from './entry-header'
import { coverOf } from './coverage'
import type { Envelope, EnvelopeEntry } from './envelope'

export { REPAIR_DOC_ID } from '../model/doc-ids'

/** An entry's outer id in the envelope doc: the Yjs item's client and the clock of that entry. */
export interface EntryId {
  readonly client: number
  readonly clock: number
}

export interface RepairStats {
  /** Entries this device could not decrypt, asked for and not repaired yet. */
  readonly waiting: number
  /** Entries this device could not decrypt whose content another device republished. */
  readonly repaired: number
  /** Requests this device answered by republishing an entry. */
  readonly answered: number
  /** Clock ticks of the waiting entries' docs that Yjs holds back behind them. */
  readonly heldBack: number
}

export interface EntryRepairOptions {
  /** Called when the stats may have changed. */
  onChange?: () => void
  onError?: (error: Error) => void
}

const REQUESTS_KEY = 'requests'
const ANSWERS_KEY = 'answers'

export function entryKey({ client, clock }: EntryId): string {
  return `${client}:${clock}`
}

/** Reads a key of `requests` or `answers` (decrypted, but written by any device: checked). */
export function parseEntryKey(key: string): EntryId | null {
  const match = /^(\d{1,10}):(\d{1,10})$/.exec(key)
  if (!match) return null
  const client = Number(match[1])
  const clock = Number(match[2])
  return client < 2 ** 32 && clock < 2 ** 32 ? { client, clock } : null
}

function isRequest(value: unknown): value is { doc: string } {
  return typeof value === 'object' && value !== null && typeof (value as { doc?: unknown }).doc === 'string'
}

function isEntryId(value: unknown): value is EntryId {
  if (typeof value !== 'object' || value === null) return false
  const { client, clock } = value as { client?: unknown; clock?: unknown }
  return Number.isSafeInteger(client) && Number.isSafeInteger(clock) && (client as number) >= 0 && (clock as number) >= 0
}

/** The live entry of the envelope at an outer id, or null (not held, deleted, not an entry). */
export function entryAt(envelope: Envelope, id: EntryId): EnvelopeEntry | null {
  const store = envelope.doc.store
  if (Y.getState(store, id.client) <= id.clock) return null
  const item = Y.getItem(store, Y.createID(id.client, id.clock))
  if (!(item instanceof Y.Item) || item.deleted || item.parent !== envelope.entries) return null
  const entry = (item.content.getContent() as unknown[])[id.clock - item.id.clock]
  return typeof entry === 'object' && entry !== null ? (entry as EnvelopeEntry) : null
}

/** The outer ids of some entries (by identity), walking the array once. */
export function idsOf(envelope: Envelope, entries: readonly EnvelopeEntry[]): Map<EnvelopeEntry, EntryId> {
  const wanted = new Set(entries)
  const found = new Map<EnvelopeEntry, EntryId>()
  for (let item = envelope.entries._start; item !== null && found.size < wanted.size; item = item.right) {
    if (item.deleted || !(item.content instanceof Y.ContentAny)) continue
    item.content.getContent().forEach((value, i) => {
      if (wanted.has(value as EnvelopeEntry)) found.set(value as EnvelopeEntry, { client: item.id.client, clock: item.id.clock + i })
    })
  }
  return found
}

/** Whether the envelope holds (live or since deleted, as a compaction does) the entry at an id. */
function holds(envelope: Envelope, id: EntryId): boolean {
  return Y.getState(envelope.doc.store, id.client) > id.clock
}

export class EntryRepair {
  private readonly envelope: Envelope
  private readonly keys: SpaceKeys
  private readonly onChange: () => void
  private readonly onError: (error: Error) => void
  private readonly repairBlind: Promise<string>
  private repairDoc: Promise<Y.Doc> | null = null
  /** Entries this device could not decrypt, by key: their doc and whether they are repaired. */
  private readonly unreadable = new Map<string, { id: EntryId; docId: string; repaired: boolean }>()
  /** Requests this device answered (or tried to) in this session: never twice. */
  private readonly tried = new Set<string>()
  private answered = 0
  private heldBack = 0
  private closed = false
  private passes: Promise<void> = Promise.resolve()
  /** Docs whose held-back changes are recounted after each of their transactions. */
  private readonly watched = new WeakSet<Y.Doc>()
  private passQueued = false
  private readonly onEnvelopeUpdate: () => void

  constructor(envelope: Envelope, keys: SpaceKeys, options: EntryRepairOptions = {}) {
    this.envelope = envelope
    this.keys = keys
    this.onChange = options.onChange ?? (() => undefined)
    this.onError = options.onError ?? (() => undefined)
    this.repairBlind = blindDocId(keys, REPAIR_DOC_ID)
    this.onEnvelopeUpdate = () => void this.onEnvelope()
    envelope.doc.on('update', this.onEnvelopeUpdate)
    void this.onEnvelope()
  }

  /** Entries of `docId` that failed to decrypt here (the Envelope's `onUndecryptable`). */
  noteUndecryptable(docId: string, entries: readonly EnvelopeEntry[]): void {
    if (this.closed) return
    for (const [, id] of idsOf(this.envelope, entries)) {
      const key = entryKey(id)
      if (!this.unreadable.has(key)) this.unreadable.set(key, { id, docId, repaired: false })
    }
    void this.reconcile()
  }

  stats(): RepairStats {
    let waiting = 0
    let repaired = 0
    for (const u of this.unreadable.values()) {
      if (u.repaired) repaired++
      else waiting++
    }
    return { waiting, repaired, answered: this.answered, heldBack: waiting > 0 ? this.heldBack : 0 }
  }

  destroy(): void {
    this.closed = true
    this.envelope.doc.off('update', this.onEnvelopeUpdate)
  }

  /** An envelope update: a pass, unless nobody ever asked for anything in this room. */
  private async onEnvelope(): Promise<void> {
    if (this.closed) return
    const idle = this.repairDoc === null && this.unreadable.size === 0 && this.envelope.countEntries(await this.repairBlind) === 0
    if (!idle) await this.reconcile()
  }

  private openRepairDoc(): Promise<Y.Doc> {
    if (this.repairDoc === null) {
      this.repairDoc = this.envelope.openDoc(REPAIR_DOC_ID).then(
        (doc) => {
          doc.on('update', () => void this.reconcile())
          return doc
        },
        (error: unknown) => {
          this.repairDoc = null // the envelope closed: tried again if it is asked for again
          throw error
        },
      )
    }
    return this.repairDoc
  }

  /**
   * Runs a pass, one at a time: a pass asked for while one runs is run once after it (passes are
   * asked for on every envelope update; what they read has moved by then).
   */
  private reconcile(): Promise<void> {
    if (this.passQueued) return this.passes
    this.passQueued = true
    this.passes = this.passes.then(() => {
      this.passQueued = false
      return this.pass()
    })
    return this.passes
  }

  /** One pass over requests and answers: what this device asks, answers and counts. */
  private async pass(): Promise<void> {
    if (this.closed) return
    try {
      const doc = await this.openRepairDoc()
      if (this.closed) return
      const requests = doc.getMap<unknown>(REQUESTS_KEY)
      const answers = doc.getMap<unknown>(ANSWERS_KEY)
      await this.answer(requests, answers)
      await this.ask(doc, requests, answers)
      await this.countHeldBack()
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)))
    }
    this.onChange()
  }

  /** Publishes, once per session, the content of every requested entry this envelope holds readable. */
  private async answer(requests: Y.Map<unknown>, answers: Y.Map<unknown>): Promise<void> {
    for (const [key, request] of requests.entries()) {
      if (this.tried.has(key) || answers.has(key) || this.unreadable.has(key)) continue
      const id = parseEntryKey(key)
      if (id === null || !isRequest(request)) continue
      const entry = entryAt(this.envelope, id)
      if (entry === null) continue // not held here (yet), or deleted: a compaction's snapshot covers it
      this.tried.add(key)
      if (entry.d !== (await blindDocId(this.keys, request.doc))) continue
      let opened: { header: EntryHeader | null; update: Uint8Array }
      try {
        opened = await decryptEntry(this.keys, this.envelope.room, request.doc, entry.c)
      } catch {
        continue // corrupted here too: another device may hold it
      }
      // With the entry's own continuity header: a copy of its writer's change, which holds that
      // change for every device's count (continuity.ts) where the corrupted copy held nothing.
      const at = await this.envelope.publish(request.doc, opened.update, opened.header)
      const doc = await this.openRepairDoc()
      doc.transact(() => {
        doc.getMap<unknown>(ANSWERS_KEY).set(key, { client: at.client, clock: at.clock })
        doc.getMap<unknown>(REQUESTS_KEY).delete(key)
      })
      this.answered++
    }
  }

  /** Marks what was answered repaired, and asks for the rest (once: a request there is left as is). */
  private async ask(doc: Y.Doc, requests: Y.Map<unknown>, answers: Y.Map<unknown>): Promise<void> {
    const toAsk: Array<[string, string]> = []
    const toClear: string[] = []
    for (const [key, u] of this.unreadable) {
      if (u.repaired) continue
      const answer = answers.get(key)
      if (isEntryId(answer) && holds(this.envelope, answer)) {
        u.repaired = true
        if (requests.has(key)) toClear.push(key)
      } else if (entryAt(this.envelope, u.id) === null) {
        // Deleted meanwhile: a holder's compaction folded it, and its snapshot carries the content
        // — once Yjs holds nothing back in the doc. (Deleted by anyone else, a holder's judgment
        // of that deletion writes its good copy back: it arrives as an entry of the doc.)
        if ((await this.envelope.openDoc(u.docId)).store.pendingStructs !== null) continue
        u.repaired = true
        if (requests.has(key)) toClear.push(key)
      } else if (!answer && !requests.has(key)) {
        toAsk.push([key, u.docId])
      }
    }
    if (toAsk.length === 0 && toClear.length === 0) return
    doc.transact(() => {
      for (const [key, docId] of toAsk) requests.set(key, { doc: docId })
      for (const key of toClear) requests.delete(key)
    })
  }

  /** The clock ticks Yjs holds pending in the docs of waiting entries (0 when none waits). */
  private async countHeldBack(): Promise<void> {
    const docs = new Set([...this.unreadable.values()].filter((u) => !u.repaired).map((u) => u.docId))
    let ticks = 0
    for (const docId of docs) {
      const doc = await this.envelope.openDoc(docId)
      if (!this.watched.has(doc)) {
        // Entries of the doc that arrive later are decrypted and applied after the envelope's
        // update that brought them: counted again then.
        this.watched.add(doc)
        doc.on('afterTransaction', () => void this.reconcile())
      }
      const pending = doc.store.pendingStructs
      if (!pending) continue
      // Yjs keeps its pending structs as a v2 update.
      for (const ranges of coverOf(Y.convertUpdateFormatV2ToV1(pending.update)).structs.values()) for (const r of ranges) ticks += r.len
    }
    this.heldBack = ticks
  }
}
