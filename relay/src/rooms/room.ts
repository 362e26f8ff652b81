/**
 * One loaded room of a space: its envelope doc and the connections on it.
 *
 * The envelope holds ciphertext only; the room merges and stores it without a key. Write path of
 * an update from a device:
 *
 *   check (update-check.ts: a well-formed change of the envelope; what the room lacks of it) →
 *   forward it to the *other* connections as soon as a look at the space's quota says it fits,
 *   while (queue) storage.appendUpdate under the space's quota (durable) runs beside that look →
 *   apply to the doc → ACK with the doc's state vector to the sender
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
 *
 * On a relay of several nodes (deps.bus, fanout/), other nodes write to the same room. After each
 * commit the room publishes a notice (the row itself when small, else its seq); a notice from
 * another node is sent to every connection here at once, and its row kept as *pending*: rows
 * another node committed, in the order heard, not yet applied to the doc. They are applied all in
 * one transaction (`settle`) whenever the doc is read — a device's step 1 or join, a device's
 * update to check, the coalesced ACK to every connection, a catch-up read, a compaction — or when
 * more than PENDING_MAX_ROWS / PENDING_MAX_BYTES wait: one Yjs transaction (and its cleanup) per
 * few dozen rows instead of one per row is most of what applying cost a receiving node
 * (docs/performance.md, « (17e) »). Every notice schedules the ACK to every connection, which
 * reads the doc, so no row stays pending longer than `ackAllAfterMs`. The doc still holds only stored rows (a notice comes after its
 * commit, and pending rows are stored ones), and whatever reads it sees every row heard so far.
 * What the room holds (doc and pending) is tracked by seq (fanout/seq-gaps.ts): a gap, a notice
 * without its row, or the bus coming back after an outage makes it read the rows after the last
 * seq it holds from storage (`catchUp`), and a compaction reads them first, so it never replaces a
 * row its doc lacks.
 */
import * as Y from 'yjs'
import type { Limits } from '../../../shared/src/protocol/constants'
import { errorFields, type Logger } from '../log'
import type { FanoutCatchUpReason, RelayMetrics, UpdateVerdictLabel } from '../metrics/relay-metrics'
import type { RoomNotice } from '../fanout/bus-message'
import type { FanoutBus } from '../fanout/fanout-bus'
import { SeqGaps } from '../fanout/seq-gaps'
import { SpaceQuotaError, type RelayStorage } from '../storage/relay-storage'
import { FrameError } from './frame-error'
import { encodeAck, encodeSyncStep1, encodeSyncStep2Frames, encodeUpdate, type IncomingFrame } from './frames'
import { SerialQueue } from './serial-queue'
import { checkUpdate, type UpdateVerdict } from './update-check'
import type { SpaceSigners } from './entry-signatures'

/** What a room needs of a connection: a way to send it a frame. */
export interface RoomPeer {
  send(frame: Uint8Array): void
  /**
   * The device reads an answer to any step 1 as the frames up to its step 2 (constants.ts,
   * FRAMED_ANSWERS_SUBPROTOCOL); otherwise only its answer to an empty state vector is framed.
   */
  readonly framedAnswers?: boolean
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
  /** The bus to the other nodes of a multi-node relay; none for a relay alone. */
  bus?: Pick<FanoutBus, 'node' | 'publishRoomNotice'>
  /** A notice carries its row up to this many bytes (default 64 KiB); a bigger row is read from storage. */
  rowNoticeMaxBytes?: number
  /** Bytes of entries per frame of the answer to a device that holds nothing (frames.ts); RELAY_FRAME_BYTES when unset. */
  joinFrameBytes?: number
  /** How long a gap in seqs may wait for the notice still on its way before storage is read (default 250 ms). */
  gapGraceMs?: number
  /** The node's clock, for the notices' publication time (default Date.now). */
  now?: () => number
}

const ACK_ALL_AFTER_MS = 1000
const ROW_NOTICE_MAX_BYTES = 64 * 1024
const GAP_GRACE_MS = 250
/** A catch-up that failed (storage refused) is tried again this long after. */
const CATCH_UP_RETRY_MS = 1000
/** Transaction origin of what another node committed: not any connection's. */
const FROM_OTHER_NODE = Symbol('other node')
/**
 * Other nodes' rows wait, unapplied, at most this many, and this many bytes: past either, they are
 * applied at once. Bounds the memory a room holds twice (rows that would be merged in the doc) and
 * the one transaction's length; 64 rows is where batching stops paying (docs/performance.md, « (17e) »).
 */
const PENDING_MAX_ROWS = 64
const PENDING_MAX_BYTES = 256 * 1024

function verdictLabel(verdict: UpdateVerdict): UpdateVerdictLabel {
  if (verdict.kind === 'incomplete') return 'deferred'
  if (verdict.kind === 'nothing-new') return 'nothing_new'
  return verdict.trimmed ? 'trimmed' : 'accepted'
}

export class Room {
  /** The envelope doc, without the pending rows: read it through `doc`. */
  private readonly ydoc = new Y.Doc({ gc: true })
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
  /** With a bus: which stored rows the doc holds, by seq. */
  private gaps = new SeqGaps(0)
  private gapTimer: ReturnType<typeof setTimeout> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private catchingUp: Promise<void> | null = null
  /** Rows other nodes committed, heard and forwarded, not yet in the doc (`settle` applies them). */
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private catchUpAgain = false
  private destroyed = false

  private constructor(
    readonly spaceId: string,
    /** A blinded room id: the relay does not know which room of the space this is. */
    readonly roomId: string,
    private readonly deps: RoomDeps,
  ) {}

  static async load(spaceId: string, roomId: string, deps: RoomDeps): Promise<Room> {
    const room = new Room(spaceId, roomId, deps)
    const stored = await deps.storage.loadUpdates(spaceId, roomId)
    Y.transact(room.ydoc, () => {
      for (const update of stored.updates) {
        try {
          Y.applyUpdate(room.ydoc, update)
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
    room.gaps = new SeqGaps(stored.lastSeq)
    return room
  }

  /**
   * The envelope doc, every row heard so far applied: each read applies the pending rows first, so
   * no reader can see the doc without them (a step 1 that left one out would get it back in the
   * device's step 2, and store it twice).
   */
  get doc(): Y.Doc {
    this.settle()
    return this.ydoc
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
          for (const answer of encodeSyncStep2Frames(this.doc, frame.stateVector, this.deps.joinFrameBytes, peer.framedAnswers === true)) peer.send(answer)
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
    // Forwarded at most once: at the quota's look, if the space has room and the append has not
    // ended yet, else by the write queue once the append is committed.
    const forwarding = { done: false, tooLate: false }
    if (first.kind === 'accepted') {
      const checked = first.update
      // The quota's look runs beside the queued append rather than before it: on a relay of
      // several nodes the other nodes' devices get an update after its commit, and the look's
      // round trip to storage need not come before the append's (docs/performance.md, (17)).
      this.fitsQuota(checked).then(
        (fits) => {
          if (!fits || forwarding.done || forwarding.tooLate) return
          this.forward(peer, checked)
          forwarding.done = true
        },
        (error: unknown) =>
          // Storage refused the look: the update goes out after its append, if that is stored.
          this.deps.logger.debug('quota_look_failed', { spaceId: this.spaceId, roomId: this.roomId, ...errorFields(error) }),
      )
    }
    this.deps.metrics.updatesChecked.inc({ verdict: verdictLabel(first) })
    const ack = await this.writes.run(async () => {
      try {
        const verdict = first.kind === 'incomplete' ? checkUpdate(update, this.doc, this.deps.limits) : first
        if (first.kind === 'incomplete' && verdict.kind === 'accepted') await this.deps.signers.check(this.spaceId, this.roomId, verdict.entries)
        if (verdict.kind === 'incomplete') {
          if (this.handshaken.has(peer)) throw new FrameError('BadFrame', 'dangling_reference', verdict.missing)
          this.deps.metrics.updatesChecked.inc({ verdict: 'dropped' })
          return { ack: encodeAck(Y.encodeStateVector(this.doc)), stored: false }
        }
        if (verdict.kind === 'accepted') {
          await this.append(verdict.update)
          if (!forwarding.done) this.forward(peer, verdict.update)
          forwarding.done = true
          Y.applyUpdate(this.doc, verdict.update, peer)
        }
        return { ack: encodeAck(Y.encodeStateVector(this.doc)), stored: verdict.kind === 'accepted' }
      } finally {
        // Stored (and forwarded above) or refused: a look that answers now must not forward it.
        forwarding.tooLate = true
      }
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

  private forward(from: RoomPeer | null, update: Uint8Array): void {
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
      this.committed(await this.deps.storage.appendUpdate(this.spaceId, this.roomId, update, max), update)
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
      this.committed(await this.deps.storage.appendUpdate(this.spaceId, this.roomId, update, max), update)
      return true
    } catch (error) {
      if (error instanceof SpaceQuotaError) return false
      throw error
    }
  }

  /** A row of this room is committed: the other nodes are told now, never before. */
  private committed(seq: number, update: Uint8Array): void {
    this.lastSeq = seq
    const bus = this.deps.bus
    if (!bus) return
    this.gaps.note(seq)
    const publishedAt = (this.deps.now ?? Date.now)()
    const notice: RoomNotice =
      update.byteLength <= (this.deps.rowNoticeMaxBytes ?? ROW_NOTICE_MAX_BYTES)
        ? { kind: 'row', seq, publishedAt, node: bus.node, row: update }
        : { kind: 'head', seq, publishedAt, node: bus.node }
    bus.publishRoomNotice(this.spaceId, this.roomId, notice)
    this.scheduleGapCatchUp()
  }

  /**
   * Another node committed a row of this room: applied and sent to every connection here when the
   * notice carries it, read from storage when it does not. Resolves once the row is sent (or
   * known to be held already).
   */
  async receiveNotice(notice: RoomNotice): Promise<void> {
    if (this.destroyed) return
    if (notice.kind === 'head') {
      if (notice.seq > this.gaps.through) await this.catchUp('head')
      return
    }
    if (notice.seq <= this.gaps.through) return
    // Forwarded now, applied with the next rows when the doc is read (the header comment).
    this.forward(null, notice.row)
    this.pending.push(notice.row)
    this.pendingBytes += notice.row.byteLength
    this.counted([notice.row])
    if (this.pending.length > PENDING_MAX_ROWS || this.pendingBytes > PENDING_MAX_BYTES) this.settle()
    this.scheduleAckToAll()
    this.gaps.note(notice.seq)
    this.scheduleGapCatchUp()
  }

  /** Rows heard from other nodes and not yet in the doc (tests; metrics). */
  get pendingRowCount(): number {
    return this.pending.length
  }

  /** Applies the pending rows, in the order heard, in one transaction (every read of `doc` does first). */
  private settle(): void {
    if (this.pending.length === 0) return
    const rows = this.pending
    this.pending = []
    this.pendingBytes = 0
    this.applyRows(rows)
  }

  /**
   * Reads from storage the rows after the last seq the doc holds in full, applies them and sends
   * the connections what they added. One read at a time; a call during a read runs one more after
   * it (rows committed meanwhile). A read that fails (storage refused) is tried again a second
   * later, until one succeeds: the room may have missed rows, and no notice may come to say so.
   */
  catchUp(reason: FanoutCatchUpReason): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true
      return this.catchingUp
    }
    const run = async (): Promise<void> => {
      do {
        this.catchUpAgain = false
        await this.readMissed(reason)
      } while (this.catchUpAgain && !this.destroyed)
    }
    this.catchingUp = run()
      .catch((error: unknown) => {
        this.scheduleRetry(reason)
        throw error
      })
      .finally(() => {
        this.catchingUp = null
      })
    return this.catchingUp
  }

  private scheduleRetry(reason: FanoutCatchUpReason): void {
    if (this.retryTimer !== null || this.destroyed) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.catchUp(reason).catch((error: unknown) =>
        this.deps.logger.warn('catch_up_failed', { spaceId: this.spaceId, roomId: this.roomId, reason, ...errorFields(error) }),
      )
    }, CATCH_UP_RETRY_MS)
  }

  private async readMissed(reason: FanoutCatchUpReason): Promise<void> {
    if (this.destroyed) return
    this.deps.metrics.fanoutCatchUps.inc({ reason })
    // Every seq seen so far was committed before this read starts, so the read holds it (or the
    // compacted row that replaced it): afterwards the doc holds every row up to it.
    const seen = this.gaps.highestSeen
    const stored = await this.deps.storage.loadUpdates(this.spaceId, this.roomId, this.gaps.through)
    if (this.destroyed) return
    // The rows heard meanwhile were forwarded already: `before` (the doc, pending rows applied) holds them.
    const before = Y.encodeStateVector(this.doc)
    this.applyStored(stored.updates)
    this.gaps.caughtUp(Math.max(stored.lastSeq, seen))
    // Every accepted update adds an entry (update-check.ts): nothing new leaves the state vector as it was.
    if (Buffer.compare(before, Y.encodeStateVector(this.doc)) !== 0) {
      this.forward(null, Y.encodeStateAsUpdate(this.doc, before))
      this.scheduleAckToAll()
    }
  }

  /** Applies committed rows (another node's), counting them for the compaction thresholds. */
  private applyStored(rows: readonly Uint8Array[]): void {
    this.applyRows(rows)
    this.counted(rows)
  }

  /** Counts rows stored by another node for the compaction thresholds. */
  private counted(rows: readonly Uint8Array[]): void {
    this.rows += rows.length
    this.storedBytes += rows.reduce((sum, row) => sum + row.byteLength, 0)
  }

  /** Applies committed rows in one transaction; a row that does not decode is logged and skipped. */
  private applyRows(rows: readonly Uint8Array[]): void {
    Y.transact(
      this.ydoc,
      () => {
        for (const row of rows) {
          try {
            Y.applyUpdate(this.ydoc, row, FROM_OTHER_NODE)
          } catch (error) {
            this.deps.logger.error('storage_row_unreadable', { spaceId: this.spaceId, roomId: this.roomId, ...errorFields(error) })
          }
        }
      },
      FROM_OTHER_NODE,
    )
  }

  /** A gap waits a moment for the notice on its way (two nodes' notices cross), then storage is read. */
  private scheduleGapCatchUp(): void {
    if (!this.gaps.hasGap || this.gapTimer !== null || this.destroyed) return
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null
      if (!this.gaps.hasGap) return
      this.catchUp('gap')
        .catch((error: unknown) => this.deps.logger.error('catch_up_failed', { spaceId: this.spaceId, roomId: this.roomId, ...errorFields(error) }))
        .finally(() => this.scheduleGapCatchUp())
    }, this.deps.gapGraceMs ?? GAP_GRACE_MS)
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

  /**
   * Replaces the stored rows by one snapshot of the doc, now. Runs inside the write queue. With
   * other nodes writing, it first reads what they committed, and replaces only rows up to the seq
   * the doc holds in full.
   */
  private async compactRows(snapshot?: Uint8Array): Promise<boolean> {
    let upToSeq = this.lastSeq
    let state = snapshot
    if (this.deps.bus) {
      await this.readMissed('compaction')
      upToSeq = this.gaps.through
      state = undefined
    }
    state ??= Y.encodeStateAsUpdate(this.doc)
    const started = Date.now()
    await this.deps.storage.compact(this.spaceId, this.roomId, state, upToSeq)
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
    this.destroyed = true
    // Stored rows all: nothing is lost with the doc.
    this.pending = []
    this.pendingBytes = 0
    if (this.ackAllTimer !== null) clearTimeout(this.ackAllTimer)
    this.ackAllTimer = null
    if (this.gapTimer !== null) clearTimeout(this.gapTimer)
    this.gapTimer = null
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.ydoc.destroy()
  }
}
