/**
 * What a room's relay holds of it, as this device knows: the acknowledged state vector (what the
 * relay said is durable, or sent us), and during a handshake the relay's own state vector, from
 * which each side's backlog follows (shared/src/envelope/sync-progress.ts holds the arithmetic).
 *
 *   pending   entries of this device the relay has not acknowledged (survives a reload: saved)
 *   incoming  while syncing: entries the relay holds that this device lacks
 *   outgoing  while syncing: entries this device holds that the relay lacks
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
    if (frame.type === 'sync-step1') this.relayVector = decodeStateVector(frame.stateVector)
    if (frame.type !== 'ack') return false
    mergeAcknowledged(this.acknowledged, decodeStateVector(frame.stateVector))
    return true
  }

  /**
   * An update applied from the relay: it holds it, so its entries count as acknowledged (its
   * writer keeps them pending until the relay's ACK; the relay does not ACK what it fans out to
   * others update by update, only once a second, coalesced).
   */
  onReceived(update: Uint8Array): void {
    mergeReceived(this.acknowledged, update)
  }

  /** The socket closed, or the handshake ended: no backlog to count any more. */
  endHandshake(): void {
    this.relayVector = null
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

  private local(): StateVector {
    return decodeStateVector(Y.encodeStateVector(this.doc))
  }
}
