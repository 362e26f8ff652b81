/**
 * One loaded room of a space: its envelope doc and the connections on it.
 *
 * The envelope holds ciphertext only; the room merges and stores it without a key. Write path of
 * an update from a device:
 *
 *   check (update-check.ts: a well-formed change of the envelope; what the room lacks of it) →
 *   forward it to the *other* connections at once → (queue) storage.appendUpdate under the space's
 *   quota (durable) → apply to the doc → ACK with the doc's state vector to the sender
 *
 * Fan-out does not wait for the durable write: a live edit reaches the other devices one disk
 * write sooner. The ACK still does, and only the doc's state vector is ever acknowledged, so the
 * doc must hold nothing that is not in a row: an update joins the doc only once appended. If the
 * relay dies (or the append fails) after the fan-out, the row is missing but nothing is lost: the
 * writer keeps the change as pending until an ACK covers it and sends it again on reconnection,
 * and any device that received it offers it in its step 2 when the relay's step 1 shows it lacks
 * it. The other devices count what they receive as acknowledged on arrival; they get no ACK per
 * update, only one per connection within `ackAllAfterMs` of a write, coalesced: it keeps their
 * pending count honest where arrival alone cannot (a device of an older version, entries a tab
 * got from another tab), at one frame per device per second in a busy room instead of one per
 * edit (docs/sync-protocol.md, "ACK").
 *
 * Appends, compactions and the answers to a device's step 1 run through one queue per room. So a
 * compaction snapshots a doc that holds exactly the rows up to the last appended seq, and a device
 * joining while an update is between fan-out and append (it was not a connection yet when the
 * update was forwarded) gets it in its step 2, which is answered only once that append is done.
 */
import * as Y from 'yjs'
import type { Limits } from '../../../shared/src/protocol/constants'
import { errorFields, type Logger } from '../log'
import type { RelayMetrics, UpdateVerdictLabel } from '../metrics/relay-metrics'
import { SpaceQuotaError, type RelayStorage } from '../storage/relay-storage'
import { FrameError } from './frame-error'
import { encodeAck, encodeSyncStep1, encodeSyncStep2Frames, encodeUpdate, type IncomingFrame } from './frames'
import { SerialQueue } from './serial-queue'
import { checkUpdate, type UpdateVerdict } from './update-check'
import type { SpaceSigners } from './entry-signatures'

/** What a room needs of a connection: a way to send it a frame. */
export interface RoomPeer {
  send(frame: Uint8Array): void
}

export interface RoomDeps {
  storage: RelayStorage
  /** Entry signatures, in spaces with a device registry (entry-signatures.ts). */
  signers: SpaceSigners
  limits: Limits
  logger: Logger
  metrics: RelayMetrics
  /** Compact while loaded once the space has more rows than this. */
  compactRowsWhileLoaded: number
  /**
   * Compact (loaded or on unload) once the stored rows weigh more than this many times the doc's
   * snapshot, whatever their number: a device's own compaction adds a snapshot row of a doc and
   * deletes its old entries, so a few heavy rows can hold the same ciphertext twice.
   */
  compactBytesRatio: number
  /**
   * After an update is written, every connection gets one ACK of the room's state within this
   * long (default 1000 ms), however many updates were written meanwhile.
   */
  ackAllAfterMs?: number
}

const ACK_ALL_AFTER_MS = 1000

function verdictLabel(verdict: UpdateVerdict): UpdateVerdictLabel {
  if (verdict.kind === 'incomplete') return 'deferred'
  if (verdict.kind === 'nothing-new') return 'nothing_new'
  return verdict.trimmed ? 'trimmed' : 'accepted'
}

export class Room {
  readonly doc = new Y.Doc({ gc: true })
  private readonly peers = new Set<RoomPeer>()
  /**
   * Connections whose step 2 (the answer to the relay's step 1 at join: everything the device
   * holds that the relay then lacked) has been handled. Before it, an update that refers to what
   * the room does not hold is dropped, not refused: the step 2 on its way brings it whole.
   */
  private readonly handshaken = new WeakSet<RoomPeer>()
  private readonly writes = new SerialQueue()
  private rows = 0
  /** Total bytes of the stored rows. */
  private storedBytes = 0
  /** storedBytes at which the next weight check (one snapshot encode) runs while loaded. */
  private checkBytesAt = 0
  private lastSeq = 0
  private compactionScheduled = false
  private ackAllTimer: ReturnType<typeof setTimeout> | null = null

  private constructor(
    readonly spaceId: string,
    /** A blinded room id: the relay does not know which room of the space this is. */
    readonly roomId: string,
    private readonly deps: RoomDeps,
  ) {}

  static async load(spaceId: string, roomId: string, deps: RoomDeps): Promise<Room> {
    const room = new Room(spaceId, roomId, deps)
    const stored = await deps.storage.loadUpdates(spaceId, roomId)
    Y.transact(room.doc, () => {
      for (const update of stored.updates) {
        try {
          Y.applyUpdate(room.doc, update)
        } catch (error) {
          // A row that no longer decodes must not lock every device out of the space.
          deps.logger.error('storage_row_unreadable', { spaceId, roomId, ...errorFields(error) })
        }
      }
    })
    room.rows = stored.updates.length
    room.storedBytes = stored.updates.reduce((sum, update) => sum + update.byteLength, 0)
    // The rows outweigh the snapshot at most by what they weigh: start from that bound rather than
    // encoding a snapshot at every load; the unload check measures it exactly.
    room.checkBytesAt = room.storedBytes * deps.compactBytesRatio
    room.lastSeq = stored.lastSeq
    return room
  }

  get connectionCount(): number {
    return this.peers.size
  }

  get rowCount(): number {
    return this.rows
  }

  /**
   * A new connection: the relay's step 1 (so the device sends what the relay lacks), and an ACK
   * of the current state, which came from storage and is therefore durable.
   */
  join(peer: RoomPeer): void {
    this.peers.add(peer)
    peer.send(encodeSyncStep1(this.doc))
    peer.send(encodeAck(Y.encodeStateVector(this.doc)))
  }

  leave(peer: RoomPeer): void {
    this.peers.delete(peer)
  }

  /** Handles one decoded frame; throws FrameError (or a storage error) for the caller to close on. */
  async handle(peer: RoomPeer, frame: IncomingFrame): Promise<void> {
    switch (frame.type) {
      case 'sync-step1':
        // Behind the queued appends: an update forwarded before this device joined is in the doc
        // by the time step 2 is encoded.
        await this.writes.run(() => {
          for (const answer of encodeSyncStep2Frames(this.doc, frame.stateVector)) peer.send(answer)
          // What step 2 carried came from the doc, hence from storage: durable.
          peer.send(encodeAck(Y.encodeStateVector(this.doc)))
        })
        return
      case 'sync-step2':
        await this.receiveUpdate(peer, frame.update)
        this.handshaken.add(peer)
        return
      case 'sync-update':
        await this.receiveUpdate(peer, frame.update)
        return
      case 'awareness':
      case 'query-awareness':
        // Presence is not relayed (docs/relay.md, « Awareness »): awareness is plaintext to the
        // relay and no feature uses it, and forwarding it let one credential flood every device
        // of a room. Dropped rather than refused: a stock y-websocket client announces `{}` on
        // every connect and a removal on unload, and must not be cut for it.
        this.deps.metrics.awarenessDropped.inc()
        return
    }
  }

  /**
   * An update from a device: checked (update-check.ts), forwarded, appended under the space's quota,
   * applied, ACKed. What is forwarded, stored and applied is the checked update: the received one,
   * or the part of it the room lacks. An update the room cannot check yet (it refers to structs
   * still queued for storage) and one that would take the space past its quota are forwarded only
   * once they are checked and stored, inside the write queue. One that still refers to what the
   * room lacks then is refused — unless its device has not sent its step 2 yet: a device that wrote
   * while its socket was opening sends that write live, then the step 2 answering the relay's
   * step 1, which carries the write and what it follows; the live copy is dropped. (Another room of the space writing
   * between the quota's look and the append can still leave one forwarded update refused; its
   * writer keeps it pending, as after a failed write.)
   */
  private async receiveUpdate(peer: RoomPeer, update: Uint8Array): Promise<void> {
    const first = checkUpdate(update, this.doc, this.deps.limits)
    if (first.kind === 'accepted') await this.deps.signers.check(this.spaceId, this.roomId, first.entries)
    let forwarded = false
    if (first.kind === 'accepted' && (await this.fitsQuota(first.update))) {
      this.forward(peer, first.update)
      forwarded = true
    }
    this.deps.metrics.updatesChecked.inc({ verdict: verdictLabel(first) })
    const ack = await this.writes.run(async () => {
      const verdict = first.kind === 'incomplete' ? checkUpdate(update, this.doc, this.deps.limits) : first
      if (first.kind === 'incomplete' && verdict.kind === 'accepted') await this.deps.signers.check(this.spaceId, this.roomId, verdict.entries)
      if (verdict.kind === 'incomplete') {
        if (this.handshaken.has(peer)) throw new FrameError('BadFrame', 'dangling_reference', verdict.missing)
        this.deps.metrics.updatesChecked.inc({ verdict: 'dropped' })
        return { ack: encodeAck(Y.encodeStateVector(this.doc)), stored: false }
      }
      if (verdict.kind === 'accepted') {
        await this.append(verdict.update)
        if (!forwarded) this.forward(peer, verdict.update)
        Y.applyUpdate(this.doc, verdict.update, peer)
      }
      return { ack: encodeAck(Y.encodeStateVector(this.doc)), stored: verdict.kind === 'accepted' }
    })
    peer.send(ack.ack)
    if (!ack.stored) return
    this.scheduleAckToAll()
    const due = this.rows > this.deps.compactRowsWhileLoaded || this.storedBytes > this.checkBytesAt
    if (due && !this.compactionScheduled) {
      this.compactionScheduled = true
      this.compactIfHeavy(this.deps.compactRowsWhileLoaded)
        .catch((error: unknown) =>
          this.deps.logger.error('compaction_failed', { spaceId: this.spaceId, roomId: this.roomId, ...errorFields(error) }),
        )
        .finally(() => {
          this.compactionScheduled = false
        })
    }
  }

  private forward(from: RoomPeer, update: Uint8Array): void {
    const frame = encodeUpdate(update)
    for (const other of this.peers) if (other !== from) other.send(frame)
  }

  /** Whether the space has room for `update` now (the append checks again, atomically). */
  private async fitsQuota(update: Uint8Array): Promise<boolean> {
    const usage = await this.deps.storage.spaceUsage(this.spaceId)
    return usage !== null && usage.envelopeBytes + update.byteLength <= this.deps.limits.maxSpaceEnvelopeBytes
  }

  /**
   * Appends a checked update under the space's quota. At the quota, the room first folds its own
   * rows (what devices' compactions deleted goes), and tries once more; then the space is full.
   * Runs inside the write queue.
   */
  private async append(update: Uint8Array): Promise<void> {
    const max = this.deps.limits.maxSpaceEnvelopeBytes
    try {
      this.lastSeq = await this.deps.storage.appendUpdate(this.spaceId, this.roomId, update, max)
    } catch (error) {
      if (!(error instanceof SpaceQuotaError)) throw error
      if (!(this.rows > 1 && (await this.compactRows()) && (await this.appendFits(update, max)))) {
        this.deps.logger.warn('space_quota_reached', { spaceId: this.spaceId, roomId: this.roomId, reason: error.quota, bytes: error.used, limit: error.limit })
        throw new FrameError('SpaceFull', 'space_full', error.message)
      }
    }
    this.rows++
    this.storedBytes += update.byteLength
    this.deps.metrics.updatesPersisted.inc()
  }

  /** The append again, after a compaction: false if the space is still full. */
  private async appendFits(update: Uint8Array, max: number): Promise<boolean> {
    try {
      this.lastSeq = await this.deps.storage.appendUpdate(this.spaceId, this.roomId, update, max)
      return true
    } catch (error) {
      if (error instanceof SpaceQuotaError) return false
      throw error
    }
  }

  /** One ACK to every connection, a while after the first write not yet covered by one. */
  private scheduleAckToAll(): void {
    if (this.ackAllTimer !== null) return
    this.ackAllTimer = setTimeout(() => {
      this.ackAllTimer = null
      // The doc holds only written rows: its state vector is durable whenever it is read.
      const ack = encodeAck(Y.encodeStateVector(this.doc))
      for (const peer of this.peers) peer.send(ack)
    }, this.deps.ackAllAfterMs ?? ACK_ALL_AFTER_MS)
  }

  /**
   * Replaces the stored rows by one snapshot of the doc when there are more than `maxRows` of them
   * or they outweigh the snapshot by more than `compactBytesRatio`. The doc is gc:true, so content
   * of deleted envelope entries is gone from the snapshot, and with the old rows gone, from the
   * disk. Resolves with whether it compacted.
   */
  compactIfHeavy(maxRows: number): Promise<boolean> {
    return this.writes.run(async () => {
      if (this.rows <= 1) {
        this.checkBytesAt = this.storedBytes * this.deps.compactBytesRatio
        return false
      }
      const state = Y.encodeStateAsUpdate(this.doc)
      const ratio = this.deps.compactBytesRatio
      if (this.rows <= maxRows && this.storedBytes <= state.byteLength * ratio) {
        // Light enough: look again once another (ratio − 1) snapshot's worth has been appended.
        this.checkBytesAt = this.storedBytes + state.byteLength * (ratio - 1)
        return false
      }
      return this.compactRows(state)
    })
  }

  /** Replaces the stored rows by one snapshot of the doc, now. Runs inside the write queue. */
  private async compactRows(state = Y.encodeStateAsUpdate(this.doc)): Promise<boolean> {
    const started = Date.now()
    await this.deps.storage.compact(this.spaceId, this.roomId, state, this.lastSeq)
    this.deps.logger.info('room_compacted', {
      spaceId: this.spaceId,
      roomId: this.roomId,
      rows: this.rows,
      storedBytes: this.storedBytes,
      bytes: state.byteLength,
      durationMs: Date.now() - started,
    })
    this.rows = 1
    this.storedBytes = state.byteLength
    this.checkBytesAt = state.byteLength * this.deps.compactBytesRatio
    this.deps.metrics.compactions.inc()
    return true
  }

  /** Waits for writes already submitted (used before unloading and at shutdown). */
  idle(): Promise<void> {
    return this.writes.idle()
  }

  destroy(): void {
    if (this.ackAllTimer !== null) clearTimeout(this.ackAllTimer)
    this.ackAllTimer = null
    this.doc.destroy()
  }
}
