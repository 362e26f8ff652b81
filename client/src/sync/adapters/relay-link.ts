/**
 * The one place Tournée touches y-websocket (pinned: Y_WEBSOCKET_VERSION, package.json): a room's
 * link to the relay, over the stock WebsocketProvider, which keeps doing what it does well — the
 * state-vector handshake, sending local updates, applying remote ones, BroadcastChannel between
 * tabs. What Tournée needs beyond its public surface is here and nowhere else:
 *
 *   - every frame is decoded into a typed RelayFrame (relay/relay-frames.ts) before the provider
 *     sees it, through the provider's own per-instance `messageHandlers` (public, per instance);
 *     a frame that does not decode closes the socket instead of reaching Yjs;
 *   - the relay's ACK and keep-alive (message types 100 and 101, unknown to y-websocket) get a
 *     handler of their own; the keep-alive is what keeps y-websocket's watchdog (a socket that
 *     received nothing for 30 s is closed) from cutting a healthy but quiet link;
 *   - reconnection belongs to the room (reconnect-policy.ts: jitter, and no retry after a
 *     refusal): on every close the provider's `shouldConnect` is set back to false, the one write
 *     to a field y-websocket does not document. Without it the provider retries on its own
 *     schedule, without jitter, even after a close only a person can fix;
 *   - presence: the provider's awareness announces nothing (its local state is null), since
 *     awareness is plaintext to the relay;
 *   - a big update from the relay (a new device's sync step 2: 31 MB for the main room of 20,000
 *     patients) is applied in slices of about half a megabyte of entries, the page given back between
 *     them (shared/src/envelope/envelope-slices.ts), where the provider would apply it in one task
 *     of about a second; frames arriving meanwhile wait their turn, and the handshake is synced
 *     once the last slice is in — what the provider does, a step 2 at a time;
 *   - with framed answers offered, the relay's answers in frames (relay/src/rooms/frames.ts:
 *     updates of about 64 KiB, then a step 2) are paced the same way: once PACED_FRAME_BYTES of sync frames were applied, the
 *     frames after them wait, in order, until the page was given back (`nextSlice`). A browser
 *     hands a socket's buffered messages to the page in one task (while the page was busy, dozens
 *     of frames pile up): applied as they came, their entries were read, checked and integrated
 *     in one task of about a second after a join (issue 17, docs/performance.md « (10) »).
 *
 * relay-link.test.ts checks each of these against a real socket, so an upgrade of y-websocket
 * that changes them fails there first.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { applyInSlices, worthSlicing } from '../../../../shared/src/envelope/envelope-slices'
import { CrossTabProvider } from './cross-tab-provider'
import { AUTH_SUBPROTOCOL_PREFIX, FRAMED_ANSWERS_SUBPROTOCOL, MessageType, Paths, SUBPROTOCOL } from '../../../../shared/src/protocol/constants'
import { decodeRelayFrame, RelayFrameError, type RelayFrame } from '../relay/relay-frames'

/** The y-websocket release this adapter was written and tested against. */
export const Y_WEBSOCKET_VERSION = '3.1.0'

export type LinkEvent =
  /** A socket is being opened. */
  | { readonly kind: 'connecting' }
  /** The socket is open: the handshake (state vectors, then what each side lacks) starts. */
  | { readonly kind: 'open' }
  /** A frame, decoded, before the provider applies it: from the relay, or from another tab. */
  | { readonly kind: 'frame'; readonly frame: RelayFrame; readonly from: 'relay' | 'tab' }
  /** The relay's answer to this device's step 1 is applied: the room holds what the relay holds. */
  | { readonly kind: 'synced' }
  /** The socket closed: the relay's close code, or null when this side closed it. */
  | { readonly kind: 'closed'; readonly code: number | null }
  /** The relay sent a frame that does not decode: the socket is closed, nothing was applied. */
  | { readonly kind: 'bad-frame'; readonly error: RelayFrameError }

export interface RelayLinkOptions {
  readonly relayUrl: string
  readonly spaceId: string
  /** The room's blinded id: the socket is /v1/sync/<spaceId>/<roomId>. */
  readonly roomId: string
  readonly credential: string
  /** The room's envelope doc, which the provider syncs. */
  readonly doc: Y.Doc
  readonly WebSocketImpl?: typeof WebSocket
  /** Share the room's updates with the other tabs of this browser (BroadcastChannel). */
  readonly crossTab: boolean
  /** Offer FRAMED_ANSWERS_SUBPROTOCOL (rooms/room.ts, RoomSettings.framedAnswers). */
  readonly framedAnswers?: boolean
  /**
   * Bytes of sync frames applied before the page is given back: PACED_FRAME_BYTES when the link
   * offers framed answers, else no pacing (what main does: measured only with framed answers on,
   * docs/performance.md « (10) », eleventh pass); smaller in tests.
   */
  readonly pacedFrameBytes?: number
  readonly onEvent: (event: LinkEvent) => void
  /** Between two slices of a big update (the page given back); a zero timer if absent. */
  readonly nextSlice?: () => Promise<void>
  /** How long a socket may stay opening before it is given up (OPEN_TIMEOUT_MS). */
  readonly openTimeoutMs?: number
  /**
   * The step 2 answering the relay's step 1 (its state vector), when the room's differs from the
   * provider's (rooms/shadowed-deletions.ts); null: the provider's own.
   */
  readonly answerStep1?: (stateVector: Uint8Array) => Uint8Array | null
}

/**
 * A socket still opening after this long is closed, so that the room's reconnection takes over.
 * Neither the browser nor y-websocket bounds the opening: an upgrade that never gets its answer (a
 * half-open connection on a tablet's 4G, a proxy or relay that lost the request) left a room
 * « connecting » for good, its changes undelivered — found by the hostile-relay randomized test
 * (tests/hostile-randomized.test.ts) with frames dropped at random. A relay answers an upgrade in
 * milliseconds; 10 s is far above a slow link's handshake.
 */
export const OPEN_TIMEOUT_MS = 10_000

/**
 * Bytes of sync frames from the relay applied in one go before the page is given back: about one
 * frame of the relay's answer in frames (RELAY_FRAME_BYTES of entries, relay/src/rooms/frames.ts),
 * a few milliseconds of work on the page. A live edit is far smaller: many pass before a pause.
 */
export const PACED_FRAME_BYTES = 64 * 1024

type Handler = WebsocketProvider['messageHandlers'][number]

export class RelayLink {
  private readonly provider: WebsocketProvider
  private readonly onEvent: (event: LinkEvent) => void
  private readonly nextSlice: () => Promise<void>
  private destroyed = false
  /** Counts sockets: work begun for one socket (a sliced update's handshake) ends with it. */
  private socketGeneration = 0
  /**
   * While a big update is applied in slices, or while the page is given back after a run of sync
   * frames (PACED_FRAME_BYTES): the relay's frames that came after, in order.
   */
  private backlog: Array<() => void> | null = null
  /** Bytes of sync frames from the relay applied since the page was last given back. */
  private unpacedBytes = 0
  private readonly pacedFrameBytes: number
  private readonly openTimeoutMs: number
  private readonly answerStep1: (stateVector: Uint8Array) => Uint8Array | null
  private openTimer: ReturnType<typeof setTimeout> | null = null

  constructor(options: RelayLinkOptions) {
    this.onEvent = options.onEvent
    this.nextSlice = options.nextSlice ?? (() => new Promise((resolve) => setTimeout(resolve, 0)))
    this.openTimeoutMs = options.openTimeoutMs ?? OPEN_TIMEOUT_MS
    this.pacedFrameBytes = options.pacedFrameBytes ?? (options.framedAnswers === true ? PACED_FRAME_BYTES : Number.POSITIVE_INFINITY)
    this.answerStep1 = options.answerStep1 ?? (() => null)
    this.provider = new CrossTabProvider(syncUrl(options.relayUrl), `${options.spaceId}/${options.roomId}`, options.doc, {
      connect: false,
      // FRAMED_ANSWERS_SUBPROTOCOL: this device's delivery check reads an answer in frames
      // (rooms/delivery-check.ts), so the relay may cut any big answer (issue 17; off by default: room.ts).
      protocols: [SUBPROTOCOL, ...(options.framedAnswers === true ? [FRAMED_ANSWERS_SUBPROTOCOL] : []), AUTH_SUBPROTOCOL_PREFIX + options.credential],
      disableBc: !options.crossTab,
      ...(options.WebSocketImpl ? { WebSocketPolyfill: options.WebSocketImpl } : {}),
    })
    this.provider.awareness.setLocalState(null)
    this.installHandlers()
    this.provider.on('status', ({ status }) => {
      if (status === 'connecting') this.socketGeneration++
      if (status === 'connecting') this.onEvent({ kind: 'connecting' })
      else if (status === 'connected') {
        this.clearOpenTimer()
        this.onEvent({ kind: 'open' })
      }
    })
    this.provider.on('sync', (synced: boolean) => {
      if (synced) this.onEvent({ kind: 'synced' })
    })
    this.provider.on('connection-close', (event) => {
      // Reconnection is the room's (header comment): the provider must not schedule its own.
      this.provider.shouldConnect = false
      this.clearOpenTimer()
      // Frames of a closed socket are not answered on the next one (its handshake starts over).
      this.socketGeneration++
      if (this.backlog) this.backlog.length = 0
      if (!this.destroyed) this.onEvent({ kind: 'closed', code: event?.code ?? null })
    })
  }

  /** Opens a socket unless one is open or opening. */
  connect(): void {
    if (this.destroyed || this.provider.ws !== null) return
    this.provider.connect()
    this.clearOpenTimer()
    const socket = this.provider.ws as WebSocket | null
    this.openTimer = setTimeout(() => {
      this.openTimer = null
      // Still this socket, still opening: closed, which the room hears as a socket that never opened.
      if (socket !== null && this.provider.ws === socket && !this.provider.wsconnected) socket.close()
    }, this.openTimeoutMs)
  }

  private clearOpenTimer(): void {
    if (this.openTimer !== null) clearTimeout(this.openTimer)
    this.openTimer = null
  }

  /** Closes the socket, if any; nothing reopens it but connect(). */
  disconnect(): void {
    this.provider.disconnect()
  }

  /** Whether a transaction of the envelope doc came from the relay (or another tab), through this link. */
  applied(origin: unknown): boolean {
    return origin === this.provider
  }

  /** Whether a socket exists (opening or open). */
  get hasSocket(): boolean {
    return this.provider.ws !== null
  }

  /**
   * When the socket last heard the relay (epoch ms; 0 before any socket): y-websocket closes a
   * socket that heard nothing for 30 s, which the relay's keep-alive prevents on a quiet link.
   */
  get lastHeardAt(): number {
    return this.provider.wsLastMessageReceived
  }

  /** For diagnostics (a timeout's message): the socket and handshake as the provider sees them. */
  describe(): string {
    return `socket ${this.provider.wsconnected ? 'open' : this.provider.ws === null ? 'none' : 'opening'}, synced ${this.provider.synced}`
  }

  /**
   * Sends a sync step 1 of `stateVector` on the open socket: the relay answers with a step 2 of
   * what it holds beyond it (rooms/delivery-check.ts asks for its copy of this device's entries).
   * False when no socket is open.
   */
  sendStep1(stateVector: Uint8Array): boolean {
    const ws = this.provider.ws
    if (ws === null || !this.provider.wsconnected) return false
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, MessageType.Sync)
    encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep1)
    encoding.writeVarUint8Array(encoder, stateVector)
    ws.send(encoding.toUint8Array(encoder))
    return true
  }

  destroy(): void {
    this.destroyed = true
    this.clearOpenTimer()
    this.provider.destroy()
    this.provider.awareness.destroy()
  }

  /**
   * Wraps the provider's handler of each message type it knows, and adds the ACK's: the frame is
   * decoded in full from the start of its buffer (`decoder.arr`), reported, then handed to the
   * provider's own handler from where that handler expects to read.
   */
  private installHandlers(): void {
    const handlers = this.provider.messageHandlers
    const wrap = (original: Handler | undefined): Handler => (encoder, decoder, provider, emitSynced, messageType) => {
      if (emitSynced && this.backlog !== null) {
        // Behind a big update still being applied: handled once it is, in the order received.
        const bytes = decoder.arr
        const generation = this.socketGeneration
        this.backlog.push(() => this.replay(handlers[messageType]!, bytes, generation))
        return
      }
      let frame: RelayFrame
      try {
        frame = decodeRelayFrame(decoder.arr)
      } catch (error) {
        if (!(error instanceof RelayFrameError)) throw error
        this.onEvent({ kind: 'bad-frame', error })
        this.provider.disconnect()
        return
      }
      // emitSynced is y-websocket's way of telling a socket's frame from another tab's.
      this.onEvent({ kind: 'frame', frame, from: emitSynced ? 'relay' : 'tab' })
      if (emitSynced && (frame.type === 'sync-step2' || frame.type === 'sync-update') && worthSlicing(frame.update)) {
        void this.applySliced(frame.update, frame.type === 'sync-step2')
        return
      }
      const answer = emitSynced && frame.type === 'sync-step1' ? this.answerStep1(frame.stateVector) : null
      if (answer !== null) {
        // What y-protocols' readSyncStep1 writes, with the room's update: [0 sync][1 step2][update].
        encoding.writeVarUint(encoder, MessageType.Sync)
        encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2)
        encoding.writeVarUint8Array(encoder, answer)
        return
      }
      original?.(encoder, decoder, provider, emitSynced, messageType)
      if (emitSynced && (frame.type === 'sync-step2' || frame.type === 'sync-update')) {
        this.unpacedBytes += frame.update.byteLength
        if (this.unpacedBytes >= this.pacedFrameBytes) void this.pause()
      }
    }
    // Auth (2) too: the relay never sends it, so decoding refuses it before y-websocket acts on it.
    for (const type of [MessageType.Sync, MessageType.Awareness, MessageType.Auth, MessageType.QueryAwareness]) handlers[type] = wrap(handlers[type])
    handlers[MessageType.Ack] = wrap(undefined)
    handlers[MessageType.KeepAlive] = wrap(undefined)
  }

  /**
   * Applies a big update from the relay slice by slice, with the page given back in between, then
   * what arrived meanwhile. A step 2 makes the handshake synced once its last slice is in, unless
   * its socket closed meanwhile (the next socket's step 2 will). An update that does not decode
   * is a bad frame: the socket is closed, as for any frame that does not decode.
   */
  private async applySliced(update: Uint8Array, stepTwo: boolean): Promise<void> {
    const generation = this.socketGeneration
    this.backlog = []
    try {
      const whole = await applyInSlices(this.provider.doc, update, this.provider, this.nextSlice, () => this.destroyed)
      if (whole && stepTwo && generation === this.socketGeneration && !this.provider.synced) this.provider.synced = true
    } catch (error) {
      this.onEvent({ kind: 'bad-frame', error: new RelayFrameError(`Undecodable update from the relay (${error instanceof Error ? error.message : 'unknown error'})`) })
      this.provider.disconnect()
    } finally {
      // Its last slice was applied in this task: what waited is handled once the page was given back.
      if (Number.isFinite(this.pacedFrameBytes) && this.backlog !== null && this.backlog.length > 0) await this.nextSlice().catch(() => undefined)
      this.unpacedBytes = 0
      this.release()
    }
  }

  /**
   * After PACED_FRAME_BYTES of sync frames: the frames that come meanwhile (or that came in the
   * same task, which a browser does with a socket's buffered messages) wait until the page was
   * given back, then are handled in order, paced again as they go.
   */
  private async pause(): Promise<void> {
    this.backlog = []
    this.unpacedBytes = 0
    await this.nextSlice().catch(() => undefined)
    this.release()
  }

  /** The frames that waited, in order, until one of them opens a backlog again (a sliced update, a pause). */
  private release(): void {
    const waiting = this.backlog ?? []
    this.backlog = null
    // A frame handled here may start another sliced update or pause, which opens a backlog of its
    // own: the rest wait in it, still in order.
    for (let i = 0; i < waiting.length; i++) {
      if (this.backlog !== null) {
        ;(this.backlog as Array<() => void>).push(...waiting.slice(i))
        break
      }
      waiting[i]!()
    }
  }

  /** A frame that waited behind a sliced update, handled as the provider would have, then answered. */
  private replay(handler: Handler, bytes: Uint8Array, generation: number): void {
    if (this.destroyed || generation !== this.socketGeneration) return
    const decoder = decoding.createDecoder(bytes)
    const messageType = decoding.readVarUint(decoder)
    const encoder = encoding.createEncoder()
    handler(encoder, decoder, this.provider, true, messageType)
    const ws = this.provider.ws
    if (encoding.length(encoder) > 1 && ws !== null && this.provider.wsconnected) ws.send(encoding.toUint8Array(encoder))
  }
}

/** http(s)://host → ws(s)://host/v1/sync (the provider appends /<spaceId>/<roomId>). */
export function syncUrl(relayUrl: string): string {
  const url = new URL(relayUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = Paths.syncPrefix.replace(/\/$/, '')
  url.search = ''
  return url.toString()
}
