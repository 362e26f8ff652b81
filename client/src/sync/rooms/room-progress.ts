/**
 * What a room's relay holds of it, as this device knows: the acknowledged state vector (what the
 * relay said is durable, or sent us), and during a handshake the relay's own state vector, from
 * which each side's backlog follows (shared/src/envelope/sync-progress.ts holds the arithmetic).
 *
 *   pending   entries of this device the relay has not acknowledged (survives a reload: saved)
 *   incoming  while syncing: entries the relay holds that this device lacks
 *   outgoing  while syncing: entries this device holds that the relay lacks
 *   returned  entries the relay had acknowledged (or sent this device) and lacked at a later
 *             step 1 — a relay restored from a backup, rolled back — which this device holds and
 *             therefore sends back in its step 2 (Yjs answers the relay's state vector); summed
 *             over this session's connections
 *
 * Acknowledged means the relay holds *these* entries, not only their clocks (delivery-check.ts):
 * on a connection that opened with entries the relay had not acknowledged, their writers are held
 * — an ACK, or an update received, moves nothing of them past the acknowledged clock — until the
 * check has compared the relay's copy with this device's (settle), since a clock the relay holds
 * may hold someone else's entry. Live writes of a connection whose earlier entries are settled count
 * on the ACK, as before.
 */
import * as Y from 'yjs'
import {
  countUnacknowledged,
  decodeStateVector,
  mergeAcknowledged,
  mergeReceived,
  type StateVector,
} from '../../../../shared/src/envelope/sync-progress'
import type { RelayFrame } from '../relay/relay-frames'

export class RoomProgress {
  /** The relay's state vector from its step 1 on this connection; null between connections. */
  private relayVector: StateVector | null = null
  /** Writers not acknowledged past these clocks until the delivery check settles them (this connection). */
  private readonly holds = new Map<number, number>()
  private returned = 0

  constructor(
    private readonly doc: Y.Doc,
    private readonly acknowledged: StateVector,
  ) {}

  /** Restores the vector saved by an earlier session (encodeAcknowledged). */
  static decode(bytes: Uint8Array | null): StateVector {
    return bytes === null ? new Map() : decodeStateVector(bytes)
  }

  /** Takes what a frame from the relay says; true when the acknowledged vector moved (worth saving). */
  onRelayFrame(frame: RelayFrame): boolean {
    if (frame.type === 'sync-step1') {
      this.relayVector = decodeStateVector(frame.stateVector)
      this.returned += this.lostByRelay(this.relayVector)
    }
    if (frame.type !== 'ack') return false
    mergeAcknowledged(this.acknowledged, this.clamped(decodeStateVector(frame.stateVector)))
    return true
  }

  /**
   * An update applied from the relay: it holds it, so its entries count as acknowledged (its
   * writer keeps them pending until the relay's ACK; the relay does not ACK what it fans out to
   * others update by update, only once a second, coalesced).
   */
  onReceived(update: Uint8Array): void {
    if (this.holds.size === 0) return mergeReceived(this.acknowledged, update)
    const received = new Map(this.acknowledged)
    mergeReceived(received, update)
    mergeAcknowledged(this.acknowledged, this.clamped(received))
  }

  /** The handshake ended: no backlog to count any more. */
  endHandshake(): void {
    this.relayVector = null
  }

  /** A socket opened: these writers (writer → acknowledged clock) wait for the delivery check. */
  hold(holds: ReadonlyMap<number, number>): void {
    this.holds.clear()
    for (const [client, clock] of holds) this.holds.set(client, clock)
  }

  /**
   * The delivery check's verdict: each writer acknowledged up to its settled clock and released;
   * a writer the relay's answer lacked entries of stays held (pending), until the next connection.
   */
  settle(settled: ReadonlyMap<number, number>, stillHeld: readonly number[]): void {
    for (const [client, clock] of settled) {
      if ((this.acknowledged.get(client) ?? 0) < clock) this.acknowledged.set(client, clock)
      if (stillHeld.includes(client)) this.holds.set(client, Math.max(this.holds.get(client) ?? 0, clock))
      else this.holds.delete(client)
    }
  }

  /** The writers still held that an ACK claims more of than their hold: worth checking again. */
  heldClaimed(frame: RelayFrame): Set<number> {
    const claimed = new Set<number>()
    if (frame.type !== 'ack' || this.holds.size === 0) return claimed
    const vector = decodeStateVector(frame.stateVector)
    for (const [client, clock] of this.holds) if ((vector.get(client) ?? 0) > clock) claimed.add(client)
    return claimed
  }

  /** The socket closed: the handshake's counts and this connection's holds end with it. */
  endConnection(): void {
    this.relayVector = null
    this.holds.clear()
  }

  /** A copy of what is acknowledged now (for the delivery check, which must not change it). */
  acknowledgedNow(): StateVector {
    return new Map(this.acknowledged)
  }

  /** Entries the relay had lost and this device sent back, in this session (see the top). */
  get returnedEntries(): number {
    return this.returned
  }

  /**
   * What the relay says it holds falls short of what it acknowledged: per writer, the clocks this
   * device holds and had counted as on the relay, and that the relay's state vector no longer
   * covers. (A compaction never lowers it: deleted structs keep their clocks.)
   */
  private lostByRelay(relay: StateVector): number {
    let lost = 0
    for (const [client, clock] of this.local()) lost += Math.max(0, Math.min(clock, this.acknowledged.get(client) ?? 0) - (relay.get(client) ?? 0))
    return lost
  }

  pending(): number {
    return countUnacknowledged(this.local(), this.acknowledged)
  }

  /** Each side's backlog while the handshake runs; zeros otherwise. */
  backlog(): { incoming: number; outgoing: number } {
    if (this.relayVector === null) return { incoming: 0, outgoing: 0 }
    const local = this.local()
    const relayHas = new Map(this.relayVector)
    mergeAcknowledged(relayHas, this.acknowledged)
    return { incoming: countUnacknowledged(this.relayVector, local), outgoing: countUnacknowledged(local, relayHas) }
  }

  /** The acknowledged vector as a room stores it (an ArrayBuffer, y-indexeddb's custom store). */
  encodeAcknowledged(): ArrayBuffer {
    // Y.encodeStateVector takes a doc or a map: the map form is what we hold.
    const bytes = Y.encodeStateVector(this.acknowledged)
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  }

  /** Which writers the relay has not caught up with, as client:local/acknowledged (diagnostics). */
  describeBacklog(): string {
    return [...this.local()]
      .filter(([client, clock]) => (this.acknowledged.get(client) ?? 0) < clock)
      .map(([client, clock]) => `${client}:${clock}/${this.acknowledged.get(client) ?? 0}${client === this.doc.clientID ? '(this session)' : ''}`)
      .join(', ')
  }

  /** `vector` with each held writer capped at its hold. */
  private clamped(vector: StateVector): StateVector {
    if (this.holds.size === 0) return vector
    const capped = new Map(vector)
    for (const [client, clock] of this.holds) if ((capped.get(client) ?? 0) > clock) capped.set(client, clock)
    return capped
  }

  private local(): StateVector {
    return decodeStateVector(Y.encodeStateVector(this.doc))
  }
}
