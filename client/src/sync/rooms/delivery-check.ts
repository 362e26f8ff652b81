/**
 * Delivered means stored (issue 18, attack 2). The relay's state vector says which *clocks* it
 * holds of each writer, not *what* it holds there. A registered device in the wrong hands (it
 * signs what it writes, so the relay takes it: shared/src/envelope/entry-signature.ts) — or, in a
 * practice without a registry, anyone holding its credential — can write a well-shaped junk entry
 * at the next clock of a device that is offline with a change pending (the device's client id
 * travels in every update); the relay accepts it, and when the device reconnects the
 * relay's state vector covers its clock: its step 2 sends nothing for it, the relay's ACK covers
 * it, and the change would count as delivered while no other device ever gets it.
 *
 * So a device counts an entry it holds as acknowledged only once the relay has shown it holds
 * *that exact entry* — or once the relay sent it that entry (room-progress.ts). At each connection,
 * the writers with entries the relay has not acknowledged are held (their ACKs do not count beyond
 * the acknowledged clock), and once the handshake is done the device asks the relay for its copy of
 * them, on the same socket, with a second sync step 1:
 *
 *   device → relay  [0 sync][0 step1][varUint8Array stateVector]
 *                   stateVector = the device's own, each held writer lowered to its acknowledged clock
 *   relay → device  [0 sync][1 step2][varUint8Array update]     the relay's structs of the held
 *                   writers from those clocks (and of any writer it got since), and its delete set
 *                   [100 ack][varUint8Array stateVector]
 *
 * The relay answers every step 1 of a socket, in order (relay/src/rooms/room.ts), so the answer is
 * the first step 2 after the one that ended the handshake, and it follows the device's own step 2:
 * what the device sent in it is in the answer too, or was refused. A relay may cut a big answer
 * into sync updates followed by that step 2 (relay/src/rooms/frames.ts: this device offers
 * FRAMED_ANSWERS_SUBPROTOCOL), so the answer is every sync frame from the check's step 1 to that
 * step 2 (`take`, then `judge`); an update the relay forwarded meanwhile is in it too — something
 * the relay holds, never a reason to count an entry as stored that the relay did not send. The
 * device compares the answer's entries with its own, clock by clock, on `d` and every byte of `c`:
 *
 *   the same entry                 verified: acknowledged
 *   another entry                  taken: the device moves its envelope doc to a fresh client id and
 *                                  writes its entry again there (same `{d, c}`: the ciphertext is
 *                                  bound to room and doc, not to a writer), then reports it
 *   deleted                        removed: written again the same way, not reported. A colleague's
 *                                  compaction of this entry looks the same (the relay stored it, its
 *                                  ACK was lost, then a device folded it into a snapshot: no harm,
 *                                  a duplicate) as a taken clock whose taker deleted what it wrote
 *                                  there; the copy is harmless in the first case, needed in the other
 *   nothing at that clock          missing: still pending, checked again once an ACK claims more of
 *                                  that writer (another tab of this browser may have written it and
 *                                  not sent it yet), or at the next connection
 *
 * Entries of this device that it deleted itself before the check (its compaction) are not compared:
 * what they held is in the snapshot that deleted them. Their deletion is not sent either, where the
 * relay holds something at their clocks: it could be a taker's entry (shadowed-deletions.ts).
 *
 * A taken entry stays in this device's envelope for good, under its old id: deleting it would
 * delete, on the relay, the other writer's entry at that id, beside no new entry of that entry's
 * doc — the relay refuses such a deletion (4400), and the device's every step 2 would carry it
 * again. So the room (room-delivery.ts, which drives this module) excludes it from the envelope's
 * index (no compaction or erasure deletes it) and keeps its id in its records, to exclude it again
 * at every load.
 *
 * Online, a clock is taken when another writer's entry reaches the relay just before the device's
 * own at that clock: the relay forwards the first to the device before it ACKs the second's
 * (trimmed) copy, and `overwritten` finds it in that forward.
 *
 * Cost: nothing on a connection where every entry was acknowledged before; otherwise one frame of a
 * state vector up, and one step 2 down repeating the held entries (which the relay has, or just got
 * in the device's step 2) and the room's delete set, and one ACK.
 */
import * as random from 'lib0/random'
import * as Y from 'yjs'
import { isEnvelopeEntry, type EnvelopeEntry } from '../../../../shared/src/envelope/envelope'
import type { StateVector } from '../../../../shared/src/envelope/sync-progress'

/** An entry of this device found replaced on the relay. */
export interface TakenEntry {
  readonly client: number
  readonly clock: number
  readonly entry: EnvelopeEntry
}

export interface DeliveryVerdict {
  /** Per held writer: the clock up to which the relay's copy is settled (verified, or taken and written again). */
  readonly settled: ReadonlyMap<number, number>
  /** This device's entries at clocks where the relay holds another entry, in clock order per writer. */
  readonly taken: readonly TakenEntry[]
  /** This device's entries at clocks where the relay's entry is deleted (ambiguous: see the header). */
  readonly removed: readonly TakenEntry[]
  /** Held writers of which the relay's answer lacks an entry: still held, still pending. */
  readonly missing: readonly number[]
}

/**
 * A transaction of the envelope made by the delivery check (entries written again): the room
 * tells it from a write of the views, the provider sends it like any local change.
 */
export const RESENT_ORIGIN = Symbol('tournee.resent')

/** Reported through the room's onError when entries of this device were found replaced and sent again. */
export class EntriesReplacedError extends Error {
  override name = 'EntriesReplacedError'
  constructor(readonly count: number) {
    super(`${count} entries of this device were replaced on the relay (their clocks taken by another writer): written again under a new client id`)
  }
}

/** Where the relay's answer puts a clock of a held writer. */
type RelaySide = { readonly kind: 'entry'; readonly entry: unknown } | { readonly kind: 'deleted' }

export class DeliveryCheck {
  /** Per held writer, the clock the check asks from and the one it asks up to (set by request()). */
  private readonly upTo = new Map<number, number>()
  /** Entries of the held writers when the socket opened: the relay's first step 2 may delete some. */
  private readonly before: Map<number, Map<number, EnvelopeEntry>>
  private requested = false
  /** The answer so far: what the relay's frames since request() hold at the held writers' clocks. */
  private answer: RelayAnswer | null = null

  private constructor(
    private readonly doc: Y.Doc,
    private readonly entries: Y.Array<EnvelopeEntry>,
    /** Held writer → its acknowledged clock. */
    readonly holds: ReadonlyMap<number, number>,
  ) {
    this.before = new Map([...holds].map(([client, from]) => [client, liveEntries(doc, entries, client, from, localClock(doc, client))]))
  }

  /**
   * At a socket's opening: a check of every writer this device holds entries of beyond what the
   * relay acknowledged, or null when there is none (the connection then costs nothing more).
   */
  static begin(doc: Y.Doc, entries: Y.Array<EnvelopeEntry>, acknowledged: StateVector, only?: ReadonlySet<number>): DeliveryCheck | null {
    const holds = new Map<number, number>()
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
      const from = acknowledged.get(client) ?? 0
      if (clock > from && (only === undefined || only.has(client))) holds.set(client, from)
    }
    return holds.size === 0 ? null : new DeliveryCheck(doc, entries, holds)
  }

  /** Whether request() was called: the next step 2 from the relay is the answer. */
  get awaitingAnswer(): boolean {
    return this.requested
  }

  /** The state vector of the check's step 1; what the device holds now is what is compared. */
  request(): Uint8Array {
    this.answer = null
    const vector = Y.decodeStateVector(Y.encodeStateVector(this.doc))
    for (const [client, from] of this.holds) {
      this.upTo.set(client, vector.get(client) ?? from)
      vector.set(client, from)
    }
    this.requested = true
    return Y.encodeStateVector(vector)
  }

  /**
   * A sync update from the relay while the answer is awaited: part of the answer (a big one comes
   * in frames before its step 2). Taken before the device applies it, as the step 2 is.
   */
  take(update: Uint8Array): void {
    this.answerSoFar().add(update)
  }

  /**
   * The step 2 that ends the answer: the relay's answer, every frame of it, compared with this
   * device's entries (throws what Yjs throws on a frame of it that is not an update).
   */
  judge(stepTwo: Uint8Array): DeliveryVerdict {
    const answer = this.answerSoFar()
    this.answer = null
    answer.add(stepTwo)
    const relay = answer.side()
    const settled = new Map<number, number>()
    const taken: TakenEntry[] = []
    const removed: TakenEntry[] = []
    const missing: number[] = []
    for (const [client, from] of this.holds) {
      const to = this.upTo.get(client) ?? from
      const ours = answer.ours.get(client) ?? new Map<number, EnvelopeEntry>()
      const theirs = relay.get(client) ?? new Map<number, RelaySide>()
      let end = to
      for (let clock = from; clock < to; clock++) {
        const mine = ours.get(clock)
        const other = theirs.get(clock)
        if (other === undefined) {
          // The relay's state vector covered this clock, or it got the device's step 2: an answer
          // without it is a relay that did not store it. Settled no further than here.
          end = clock
          break
        }
        if (mine === undefined) continue
        if (other.kind === 'deleted') removed.push({ client, clock, entry: mine })
        else if (!sameEntry(mine, other.entry)) taken.push({ client, clock, entry: mine })
      }
      if (end < to) missing.push(client)
      settled.set(client, end)
    }
    this.requested = false
    return { settled, taken, removed, missing }
  }

  /**
   * The answer being read; at its first frame, this device's entries of the held writers are
   * taken as they are then (with those the socket opened with): a frame of the answer applied
   * before its step 2 may delete some here, as the step 2 itself would.
   */
  private answerSoFar(): RelayAnswer {
    if (this.answer === null) {
      const ours = new Map<number, Map<number, EnvelopeEntry>>()
      for (const [client, from] of this.holds) {
        const to = this.upTo.get(client) ?? from
        ours.set(client, new Map([...liveEntries(this.doc, this.entries, client, from, to), ...(this.before.get(client) ?? [])]))
      }
      this.answer = new RelayAnswer(this.holds, ours)
    }
    return this.answer
  }
}

/**
 * What the relay's answer holds at each clock of the held writers, read frame by frame. A frame
 * that is not an update fails the whole answer (the error is thrown at the step 2): the writers
 * stay held, as with a step 2 that does not decode.
 */
class RelayAnswer {
  private readonly entries = new Map<number, Map<number, RelaySide>>()
  /** Deleted clock ranges of the held writers: applied once every frame is in (a frame's delete set may name a later frame's structs). */
  private readonly deleted: Array<readonly [client: number, clock: number, len: number]> = []
  private failure: unknown = null

  constructor(
    private readonly holds: ReadonlyMap<number, number>,
    /** This device's entries of each held writer, by clock. */
    readonly ours: ReadonlyMap<number, ReadonlyMap<number, EnvelopeEntry>>,
  ) {}

  add(update: Uint8Array): void {
    if (this.failure !== null) return
    try {
      readRelayFrame(update, this.holds, this.entries, this.deleted)
    } catch (error) {
      this.failure = error
    }
  }

  side(): Map<number, Map<number, RelaySide>> {
    if (this.failure !== null) throw this.failure
    for (const [client, clock, len] of this.deleted) {
      const map = this.entries.get(client)
      if (!map) continue
      for (let c = clock; c < clock + len; c++) if (map.has(c)) map.set(c, { kind: 'deleted' })
    }
    return this.entries
  }
}

/**
 * A client id for the envelope doc that neither it nor any writer it holds used: the taken entries
 * are written again there (Envelope.writeCopies, signed at their new positions), at clocks the
 * relay's state vector does not cover, so the provider's update reaches the relay and every device.
 */
export function freshClientId(doc: Y.Doc): number {
  const used = doc.store.clients
  let client = random.uint32()
  while (used.has(client) || client === doc.clientID) client = random.uint32()
  return client
}

/**
 * This device's entries that an update the relay forwarded writes something else over: the same
 * (client, clock), another entry. On an open socket this is how a taken clock shows — the relay
 * accepts the first writer of a clock and trims the second's copy as nothing new, then forwards
 * the first to every other connection, this device's included, before it ACKs this device's. Yjs
 * skips such structs when it applies the update (it holds those clocks), so they are looked for
 * first. Deleted structs are not compared (a device's compaction of this device's entry travels so).
 */
export function overwritten(doc: Y.Doc, entries: Y.Array<EnvelopeEntry>, update: Uint8Array): TakenEntry[] {
  const found: TakenEntry[] = []
  for (const struct of Y.decodeUpdate(update).structs) {
    const { client, clock } = struct.id
    // The common case, an update of clocks this device does not hold yet, costs this comparison.
    if (localClock(doc, client) <= clock || !(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentAny)) continue
    const theirs = struct.content.getContent()
    for (const [at, mine] of liveEntries(doc, entries, client, clock, clock + struct.length)) {
      if (!sameEntry(mine, theirs[at - clock])) found.push({ client, clock: at, entry: mine })
    }
  }
  return found
}

/** The live entries at these [client, clock] (the shadowed ones a room saved), to exclude again. */
export function entriesAt(doc: Y.Doc, entries: Y.Array<EnvelopeEntry>, ids: ReadonlyArray<readonly [number, number]>): EnvelopeEntry[] {
  return ids.flatMap(([client, clock]) => [...liveEntries(doc, entries, client, clock, clock + 1).values()])
}

function localClock(doc: Y.Doc, client: number): number {
  return Y.getState(doc.store, client)
}

/** The live entries of `client` at clocks [from, to) in the root array, by clock. */
function liveEntries(doc: Y.Doc, entries: Y.Array<EnvelopeEntry>, client: number, from: number, to: number): Map<number, EnvelopeEntry> {
  const found = new Map<number, EnvelopeEntry>()
  const structs = doc.store.clients.get(client)
  if (!structs || from >= to) return found
  for (let i = Y.findIndexSS(structs, from); i < structs.length; i++) {
    const struct = structs[i]!
    if (struct.id.clock >= to) break
    if (!(struct instanceof Y.Item) || struct.deleted || struct.parent !== (entries as unknown)) continue
    const content = struct.content.getContent()
    for (let k = 0; k < content.length; k++) {
      const clock = struct.id.clock + k
      const value = content[k]
      if (clock >= from && clock < to && isEnvelopeEntry(value)) found.set(clock, value)
    }
  }
  return found
}

/** One frame of the relay's answer, into what it holds at the held writers' clocks (and their deleted ranges). */
function readRelayFrame(
  update: Uint8Array,
  holds: ReadonlyMap<number, number>,
  side: Map<number, Map<number, RelaySide>>,
  deleted: Array<readonly [number, number, number]>,
): void {
  const { structs, ds } = Y.decodeUpdate(update)
  const at = (client: number) => {
    let map = side.get(client)
    if (!map) side.set(client, (map = new Map()))
    return map
  }
  for (const struct of structs) {
    const client = struct.id.client
    if (!holds.has(client) || struct instanceof Y.Skip) continue
    const map = at(client)
    const content = struct instanceof Y.Item && struct.content instanceof Y.ContentAny ? struct.content.getContent() : null
    for (let k = 0; k < struct.length; k++) {
      map.set(struct.id.clock + k, content === null ? { kind: 'deleted' } : { kind: 'entry', entry: content[k] })
    }
  }
  for (const [client, ranges] of ds.clients) {
    if (!holds.has(client)) continue
    for (const { clock, len } of ranges) deleted.push([client, clock, len])
  }
}

function sameEntry(mine: EnvelopeEntry, theirs: unknown): boolean {
  if (!isEnvelopeEntry(theirs) || theirs.d !== mine.d || theirs.c.byteLength !== mine.c.byteLength) return false
  for (let i = 0; i < mine.c.byteLength; i++) if (mine.c[i] !== theirs.c[i]) return false
  return true
}
