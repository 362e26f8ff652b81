/**
 * One authenticated sync socket on one room of a space. Frames are rate-limited on arrival and then handled
 * strictly one after another; the first bad frame closes this socket with a named close code and
 * is never thrown further, so one device cannot take down the room or the process.
 *
 * What a socket costs the relay's memory is bounded: the bytes of the frames it sent that are not
 * handled yet (waiting behind an update being checked and written, the one being handled
 * included) may not exceed `limits.maxInFlightBytes`; a frame that would pass it closes the socket
 * with RateLimited (4429), and the device reconnects after its backoff. A frame alone always fits
 * (the limit is at least maxFrameBytes, config.ts).
 */
import type { RawData } from 'ws'
import { CloseCode, KEEP_ALIVE_MISSES, type CloseCodeName, type Limits } from '../../../shared/src/protocol/constants'
import { errorFields, type Logger } from '../log'
import type { FrameRejectionReason, RelayMetrics } from '../metrics/relay-metrics'
import { FrameError } from './frame-error'
import { decodeFrame, KEEP_ALIVE_FRAME } from './frames'
import type { Room, RoomPeer } from './room'
import type { RoomRegistry } from './room-registry'
import { TokenBucket } from './token-bucket'

/**
 * What a connection needs of its socket: the part of a `ws` WebSocket it uses, so that a test's
 * in-memory socket (tests/helpers/in-memory-relay.ts) can stand in for the network and nothing else.
 */
export interface SyncSocket {
  binaryType: string
  readonly readyState: number
  readonly OPEN: number
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): unknown
  on(event: 'close', listener: () => void): unknown
  on(event: 'error', listener: (error: Error & { code?: string }) => void): unknown
  send(data: Uint8Array): void
  close(code: number, reason: string): void
  /**
   * WebSocket-level ping, its pong, and a cut without a handshake: a `ws` socket has them (and a
   * browser answers pings by itself); the in-memory socket of the tests has none, and is never cut.
   */
  ping?(): void
  terminate?(): void
  on(event: 'pong', listener: () => void): unknown
}

export interface ConnectionDeps {
  registry: RoomRegistry
  limits: Limits
  logger: Logger
  metrics: RelayMetrics
  now?: () => number
}

export class SyncConnection implements RoomPeer {
  private readonly bucket: TokenBucket
  private readonly room: Promise<Room | null>
  private chain: Promise<void> = Promise.resolve()
  /** No new frames are taken (the socket is closing, for whatever reason). */
  private closing = false
  /** The relay refused something: frames still queued are dropped, not handled. */
  private stopped = false
  private released = false
  /** Bytes of the frames received and not handled yet. */
  private inFlightBytes = 0
  /** When this side last sent a frame (keepAlive sends one after a silence). */
  private lastSentAt: number
  /** WebSocket pings sent since the device last answered one (or sent a frame). */
  private unansweredPings = 0
  private readonly now: () => number

  constructor(
    private readonly socket: SyncSocket,
    readonly spaceId: string,
    readonly roomId: string,
    private readonly deps: ConnectionDeps,
    /** The device offered FRAMED_ANSWERS_SUBPROTOCOL (room.ts, RoomPeer). */
    readonly framedAnswers = false,
  ) {
    this.now = deps.now ?? Date.now
    this.lastSentAt = this.now()
    this.bucket = new TokenBucket(deps.limits.messagesPerSecond, deps.limits.messageBurst, deps.now)
    deps.metrics.openConnections.inc()
    socket.binaryType = 'nodebuffer'
    socket.on('message', this.onMessage)
    socket.on('close', this.onClose)
    socket.on('pong', () => (this.unansweredPings = 0))
    // ws reports oversized frames and protocol violations here, then closes the socket itself
    // (1009 for a frame over maxPayload); without a listener the error would crash the process.
    socket.on('error', (error: Error & { code?: string }) => {
      const reason: FrameRejectionReason = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too_big' : 'bad_frame'
      deps.metrics.framesRejected.inc({ reason })
      deps.logger.info('socket_error', { spaceId, roomId, reason, errorName: error.name })
      this.closing = true
      this.stopped = true
    })
    // Frames arriving while the room loads wait in `chain`, in order, behind the join.
    this.room = deps.registry.acquire(spaceId, roomId).then(
      (room) => {
        if (!this.stopped) room.join(this)
        return room
      },
      (error: unknown) => {
        deps.logger.error('room_load_failed', { spaceId, roomId, ...errorFields(error) })
        this.close('StorageFailure', 'storage_failure')
        return null
      },
    )
    this.chain = this.room.then(() => undefined)
  }

  send(frame: Uint8Array): void {
    if (this.socket.readyState !== this.socket.OPEN) return
    this.socket.send(frame)
    this.lastSentAt = this.now()
  }

  /**
   * Called every keep-alive interval (keep-alive.ts; the protocol's KEEP-ALIVE): a keep-alive frame
   * when nothing was sent for an interval, so the device's watchdog hears the relay; a WebSocket
   * ping, and a cut when the device has left KEEP_ALIVE_MISSES of them unanswered: it is gone.
   */
  keepAlive(intervalMs: number): void {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return
    if (this.socket.ping && this.socket.terminate) {
      if (this.unansweredPings >= KEEP_ALIVE_MISSES) {
        this.deps.metrics.connectionsUnresponsive.inc()
        this.deps.logger.info('connection_unresponsive', { spaceId: this.spaceId, roomId: this.roomId })
        this.closing = true
        this.stopped = true
        this.socket.terminate()
        return
      }
      this.unansweredPings++
      this.socket.ping()
    }
    if (this.now() - this.lastSentAt >= intervalMs) this.send(KEEP_ALIVE_FRAME)
  }

  /** Closes with a named code; idempotent. */
  close(name: CloseCodeName, reason?: FrameRejectionReason): void {
    if (this.stopped) return
    this.closing = true
    this.stopped = true
    if (reason) this.deps.metrics.framesRejected.inc({ reason })
    const { code, reason: text } = CloseCode[name]
    this.socket.close(code, text)
  }

  /** Resolves when every frame received so far has been handled (writes included). */
  settled(): Promise<void> {
    return this.chain
  }

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.closing) return
    // A frame is as good an answer as a pong: the device is there.
    this.unansweredPings = 0
    const bytes = toBytes(data)
    this.deps.metrics.framesReceived.inc()
    this.deps.metrics.bytesReceived.inc({}, bytes.byteLength)
    if (!isBinary) {
      this.close('BadFrame', 'bad_frame')
      return
    }
    if (!this.bucket.take()) {
      this.deps.logger.info('rate_limited', { spaceId: this.spaceId })
      this.close('RateLimited', 'rate_limited')
      return
    }
    if (this.inFlightBytes + bytes.byteLength > this.deps.limits.maxInFlightBytes) {
      this.deps.logger.info('in_flight_exceeded', { spaceId: this.spaceId, roomId: this.roomId, bytes: this.inFlightBytes + bytes.byteLength })
      this.close('RateLimited', 'in_flight')
      return
    }
    this.inFlightBytes += bytes.byteLength
    this.chain = this.chain.then(() => this.process(bytes)).finally(() => (this.inFlightBytes -= bytes.byteLength))
  }

  private async process(bytes: Uint8Array): Promise<void> {
    const room = await this.room
    // A device that sent updates and then hung up still gets them stored: they were received.
    if (this.stopped || room === null) return
    try {
      await room.handle(this, decodeFrame(bytes))
    } catch (error) {
      if (error instanceof FrameError) {
        this.deps.logger.info('frame_rejected', { spaceId: this.spaceId, roomId: this.roomId, reason: error.reason, code: error.close.code })
        this.close(error.closeCode, error.reason)
      } else {
        // Storage (or anything unexpected): this device's update was not acknowledged; it will
        // resend on reconnect. Other connections are untouched.
        this.deps.logger.error('frame_failed', { spaceId: this.spaceId, roomId: this.roomId, ...errorFields(error) })
        this.close('StorageFailure', 'storage_failure')
      }
    }
  }

  private readonly onClose = (): void => {
    this.closing = true
    if (this.released) return
    this.released = true
    this.deps.metrics.openConnections.dec()
    // Leave only after this connection's pending frames are handled, so its writes finish.
    this.chain
      .then(async () => {
        const room = await this.room
        room?.leave(this)
      })
      .catch((error: unknown) => this.deps.logger.error('leave_failed', { spaceId: this.spaceId, ...errorFields(error) }))
      .finally(() => this.deps.registry.release(this.spaceId, this.roomId))
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
