/**
 * One room of a practice on this device: its envelope (shared/src/envelope/envelope.ts), its copy
 * in IndexedDB (room-store.ts) and its link to the relay (adapters/relay-link.ts), and its life as
 * one state machine (room-lifecycle.ts), which this class alone drives. The pool (room-pool.ts)
 * decides whether it loads, connects or goes; the room does what it is told and reports its state.
 *
 * Connecting: told `connect`, the room opens a socket and keeps one open, retrying with backoff
 * and jitter (reconnect-policy.ts) after a failure; a close code only a person can fix (a refusal)
 * stops it until `retry()`. A socket that never opened cannot say why: an HTTP probe tells a
 * refusal (act) from an unreachable relay (wait).
 */
import * as Y from 'yjs'
import type { SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { Envelope, type EnvelopeOptions } from '../../../../shared/src/envelope/envelope'
import { EntryRepair } from '../../../../shared/src/envelope/entry-repair'
import type { WriterGap } from '../../../../shared/src/envelope/continuity'
import type { RoomName } from '../../../../shared/src/space/rooms'
import { RelayLink, type LinkEvent } from '../adapters/relay-link'
import type { RefusalReason } from '../errors'
import type { RelayClient } from '../relay/relay-client'
import { CloseCode } from '../../../../shared/src/protocol/constants'
import { refusalOfClose } from './close-refusal'
import { CLOSED, isLoaded, nextPhase, type RoomEvent, type RoomPhase } from './room-lifecycle'
import { RoomProgress } from './room-progress'
import { RoomDelivery } from './room-delivery'
import type { RowWriter } from '../adapters/row-writer'
import { RoomStore } from './room-store'
import { ReconnectPolicy, type ReconnectPolicyOptions } from './reconnect-policy'

/** What every room of a practice shares (batching, backoff, sockets, clock). */
export interface RoomSettings {
  readonly envelope?: EnvelopeOptions
  readonly reconnect?: ReconnectPolicyOptions
  readonly WebSocketImpl?: typeof WebSocket
  /** Share changes between tabs of this browser through BroadcastChannel. */
  readonly crossTab?: boolean
  /**
   * Offer the relay FRAMED_ANSWERS_SUBPROTOCOL (default false): it then cuts its answer to any
   * step 1 into frames, which the delivery check reads (delivery-check.ts), and which the link
   * applies paced (adapters/relay-link.ts, PACED_FRAME_BYTES). Off in the app: with it on, issue
   * 17's bench still measured tasks of 0.6–0.8 s after a join (a compaction and a fold of the
   * directory, in one task each) and 60–79 tasks over 100 ms at the next cold start, against
   * 0.2 s and 0–3 on main (docs/performance.md « (10) », eleventh pass).
   */
  readonly framedAnswers?: boolean
  /** Bytes of the relay's sync frames applied between two turns of the page (relay-link.ts PACED_FRAME_BYTES; tests make it small). */
  readonly pacedFrameBytes?: number
  /** After a failed local write, how often to try rewriting the local state (default 15 s). */
  readonly storageRetryMs?: number
  /** Writes the local rows off the page's thread (adapters/row-writer.ts); none: on this thread. */
  readonly rowWriter?: RowWriter
  readonly now: () => number
}

export interface RoomConfig extends RoomSettings {
  readonly name: RoomName
  /**
   * Where the room lives, computed when it loads: its blinded id (the socket path; the relay never
   * learns the name) and its IndexedDB database's name.
   */
  readonly locate: () => Promise<{ readonly roomId: string; readonly idbName: string }>
  readonly spaceId: string
  readonly relayUrl: string
  readonly credential: string
  readonly keys: SpaceKeys
  readonly relay: RelayClient
  /**
   * This device completed a sync of this room before (main: the registry says so): an empty local
   * envelope then means the browser erased it, and the room shows that it is restoring.
   */
  readonly previouslySynced: boolean
}

/** What a room tells the practice; a new object on every change. */
export interface RoomState {
  readonly phase: RoomPhase
  /** Envelope entries written here that the relay has not acknowledged as durable. */
  readonly pendingChanges: number
  /** Local changes not yet encrypted into the envelope (a batch waiting its delay). */
  readonly queuedWrites: boolean
  readonly incoming: number
  readonly outgoing: number
  readonly lastExchangeAt: number | null
  /**
   * When the room last completed a handshake with the relay (it then held all the relay held):
   * null while what it shows is not known to be complete (never synced here, or erased).
   */
  readonly lastSyncedAt: number | null
  readonly storageError: string | null
  readonly undecryptableEntries: number
  /**
   * Entries that did not decrypt here, asked for in the room's repair doc, that no device has
   * republished yet; and the changes Yjs holds back behind them (shared/src/envelope/entry-repair.ts).
   */
  readonly unrepairedEntries: number
  readonly heldBackChanges: number
  /** Entries that did not decrypt here whose content another device republished. */
  readonly repairedEntries: number
  /**
   * Entries of this device found replaced on the relay (a clock taken) and written again under a
   * new client id, in this session (delivery-check.ts).
   */
  readonly resentEntries: number
  /** Entries a deletion from the relay or another tab removed uncovered, written back (Envelope). */
  readonly restoredEntries: number
  /** Entries the relay had acknowledged and lost (restored from a backup), sent back (room-progress.ts). */
  readonly returnedEntries: number
  /** Open docs whose device-held state brought back what the envelope had lost (held-docs.ts). */
  readonly heldRestoredDocs: number
  /** Open docs whose device-held state the browser's storage refused to write, and has not since. */
  readonly heldFailingDocs: number
  /**
   * Changes the open docs' entries say were written and that no live entry holds, per writer
   * (shared/src/envelope/continuity.ts): the same array until they change.
   */
  readonly missingEntries: readonly WriterGap[]
  readonly restoring: boolean
}

export interface RoomHooks {
  /** The state changed (phase, counts, storage). */
  readonly onChange: (room: Room) => void
  /** This device wrote into the envelope (not what the relay or IndexedDB gave). */
  readonly onLocalWrite: (room: Room) => void
}

export type ConnectionMode = 'connect' | 'defer' | 'disconnect'

const NO_GAPS: readonly WriterGap[] = []

/** The last exchange is a minute-precise fact for the person: recorded at most once a second. */
const EXCHANGE_RESOLUTION_MS = 1000

export class Room {
  readonly name: RoomName
  private readonly config: RoomConfig
  private readonly hooks: RoomHooks
  private readonly policy: ReconnectPolicy
  private phase: RoomPhase = CLOSED
  private mode: ConnectionMode = 'defer'
  private state: RoomState
  private doc: Y.Doc | null = null
  private env: Envelope | null = null
  private store: RoomStore | null = null
  private link: RelayLink | null = null
  private progress: RoomProgress | null = null
  /** Delivered means stored: the check of what the relay holds of this device's entries. */
  private delivery: RoomDelivery | null = null
  /** A corrupted entry costs only itself: asking for entries that do not decrypt, answering others. */
  private repair: EntryRepair | null = null
  private lastExchangeAt: number | null = null
  private lastSyncedAt: number | null = null
  private restoring = false
  /** The blinded id, once loaded (diagnostics name rooms by it, never by their name). */
  private roomId = '?'
  /** The current socket opened (a close before that is a failed attempt, maybe a refusal). */
  private socketOpened = false
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  /** Sockets that never opened being classified (classifyFailure): the retry waits for the probe. */
  private probes = 0
  /** The last socket's close code (null: closed by this side; undefined: none closed yet), for describe(). */
  private lastCloseCode: number | null | undefined = undefined
  private readonly cleanups: Array<() => void> = []

  constructor(config: RoomConfig, hooks: RoomHooks) {
    this.name = config.name
    this.config = config
    this.hooks = hooks
    this.policy = new ReconnectPolicy(config.reconnect)
    this.state = this.read()
  }

  /** Reads the room from IndexedDB (works offline): closed → loading → syncing (deferred). */
  async load(): Promise<void> {
    this.apply({ type: 'open' })
    const doc = new Y.Doc({ gc: true })
    try {
      const { roomId, idbName } = await this.config.locate()
      this.roomId = roomId
      const decoder = this.config.envelope?.decoder
      const { store, records } = await RoomStore.open(idbName, doc, {
        retryMs: this.config.storageRetryMs,
        onChange: () => this.recount(),
        ...(decoder ? { nextSlice: () => decoder.nextSlice() } : {}),
        ...(this.config.rowWriter ? { rowWriter: this.config.rowWriter } : {}),
      })
      this.doc = doc
      this.store = store
      this.lastExchangeAt = records.lastExchangeAt
      this.lastSyncedAt = records.lastSyncedAt
      this.progress = new RoomProgress(doc, RoomProgress.decode(records.acknowledged))
      this.restoring = this.config.previouslySynced && Y.encodeStateVector(doc).byteLength <= 1
      this.env = new Envelope(doc, this.config.keys, this.name, {
        ...this.config.envelope,
        onError: (error) => {
          this.recount()
          this.config.envelope?.onError?.(error)
        },
        onEntriesRemoved: () => store.trimSoon(),
        onQueueChange: () => this.recount(),
        onContinuityChange: () => this.recount(),
        onUndecryptable: (docId, entries) => this.repair?.noteUndecryptable(docId, entries),
      })
      this.repair = new EntryRepair(this.env, this.config.keys, {
        onChange: () => this.recount(),
        onError: (error) => this.config.envelope?.onError?.(error),
      })
      const progress = this.progress
      this.delivery = new RoomDelivery(
        {
          doc,
          envelope: this.env,
          progress,
          sendStep1: (stateVector) => this.link?.sendStep1(stateVector) ?? false,
          roomId,
          report: (error) => this.config.envelope?.onError?.(error),
          changed: (now) => {
            this.saveSoon()
            if (now) void store.saveNow()
            this.recount()
          },
        },
        records.shadowed,
      )
      this.link = new RelayLink({
        relayUrl: this.config.relayUrl,
        spaceId: this.config.spaceId,
        roomId,
        credential: this.config.credential,
        doc,
        crossTab: this.config.crossTab ?? false,
        framedAnswers: this.config.framedAnswers ?? false,
        ...(this.config.pacedFrameBytes === undefined ? {} : { pacedFrameBytes: this.config.pacedFrameBytes }),
        ...(this.config.WebSocketImpl ? { WebSocketImpl: this.config.WebSocketImpl } : {}),
        ...(decoder ? { nextSlice: () => decoder.nextSlice() } : {}),
        onEvent: (event) => this.onLink(event),
        answerStep1: (stateVector) => this.delivery?.answerStep1(stateVector) ?? null,
      })
      const onUpdate = (update: Uint8Array, origin: unknown) => this.onEnvelopeUpdate(update, origin)
      doc.on('update', onUpdate)
      this.cleanups.push(() => doc.off('update', onUpdate))
    } catch (error) {
      doc.destroy()
      this.apply({ type: 'load-failed' })
      throw error
    }
    this.apply({ type: 'loaded' })
    this.setConnection(this.mode)
  }

  get envelope(): Envelope {
    if (this.env === null) throw new Error(`Room ${this.name} is not loaded`)
    return this.env
  }

  getState(): RoomState {
    return this.state
  }

  openDoc(docId: string): Promise<Y.Doc> {
    return this.envelope.openDoc(docId)
  }

  /** The pool's word: connect, wait its turn, or stay off while the practice is offline. */
  setConnection(mode: ConnectionMode): void {
    this.mode = mode
    if (!isLoaded(this.phase) || this.link === null) return
    if (mode === 'connect') {
      if (this.phase.kind === 'syncing' && (this.phase.link === 'deferred' || this.phase.link === 'disconnected')) this.link.connect()
      return
    }
    this.clearReconnect()
    this.apply({ type: mode })
    this.link.disconnect()
  }

  /** Someone asked again: a refusal is retried, an offline room reconnects now. */
  retry(): void {
    if (!isLoaded(this.phase) || this.link === null) return
    this.policy.reset()
    this.policy.accepted()
    this.apply({ type: 'retry' })
    if (this.mode === 'connect' && this.phase.kind === 'syncing' && this.phase.link !== 'connecting' && this.phase.link !== 'exchanging') {
      this.clearReconnect()
      this.link.connect()
    }
    if (this.state.storageError !== null) void this.store?.retry()
  }

  /** Encrypts and pushes every queued local change into the envelope (and so to IndexedDB). */
  async flush(): Promise<void> {
    if (this.env !== null) await this.env.flush()
  }

  /** Resolves once the relay has acknowledged every local entry as durable. */
  async whenAcknowledged(timeoutMs = 30_000): Promise<void> {
    await this.flush()
    if (this.state.pendingChanges === 0) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`Relay did not acknowledge ${this.state.pendingChanges} change(s) of ${this.name} in ${timeoutMs} ms (${this.describe()})`))
      }, timeoutMs)
      const check = () => {
        if (this.state.pendingChanges !== 0) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve()
      }
      this.waiters.add(check)
    })
  }

  /** Saves the room's records now (a tab being hidden may be the last moment it runs). */
  async saveNow(): Promise<void> {
    await this.env?.flush()
    await this.store?.saveNow()
  }

  /** idle → released: the socket closes, queued writes are flushed, the database closes. */
  async release(): Promise<void> {
    if (this.phase.kind === 'released') return
    this.clearReconnect()
    if (isLoaded(this.phase)) this.apply({ type: 'unwant' })
    try {
      // Before the envelope closes: a pass then would publish into a closed envelope.
      this.repair?.destroy()
      await this.env?.destroy()
      this.link?.destroy()
      for (const cleanup of this.cleanups.splice(0)) cleanup()
      await this.store?.destroy()
      this.doc?.destroy()
    } finally {
      if (this.phase.kind === 'idle') this.apply({ type: 'released' })
      this.waiters.clear()
    }
  }

  /**
   * For a timeout's message: phase, socket, what the next attempt waits for, the last close, and
   * which writers the relay lags behind. « next try none » while offline is a room that will not
   * reconnect by itself: the one thing a stuck room's message must tell (issue 17).
   */
  describe(): string {
    const phase = this.phase.kind === 'syncing' ? `syncing (${this.phase.link})` : this.phase.kind
    const exchange = this.lastExchangeAt === null ? 'never' : `${this.config.now() - this.lastExchangeAt} ms ago`
    const next = this.reconnectTimer !== null ? 'scheduled' : this.probes > 0 ? 'after the probe' : 'none'
    const close = this.lastCloseCode === undefined ? 'none' : this.lastCloseCode === null ? 'by this device' : String(this.lastCloseCode)
    return `${phase}; ${this.link?.describe() ?? 'no link'}; next try ${next}; last close ${close}; last frame ${exchange}; behind: ${this.progress?.describeBacklog() || 'nothing'}`
  }

  private readonly waiters = new Set<() => void>()

  private onLink(event: LinkEvent): void {
    switch (event.kind) {
      case 'connecting':
        this.socketOpened = false
        this.apply({ type: 'connecting' })
        return
      case 'open':
        this.socketOpened = true
        this.delivery?.opened()
        this.apply({ type: 'socket-open' })
        return
      case 'frame':
        if (event.from !== 'relay') return
        this.exchanged()
        // Before the provider applies it (Yjs would skip what writes over this device's entries)
        // and before the progress takes it (the check's answer settles what the next ACK covers).
        this.delivery?.frame(event.frame, this.phase.kind === 'live')
        if (this.progress?.onRelayFrame(event.frame)) {
          this.saveSoon()
          // Everything acknowledged: stored at once, not half a second later. The indicator says
          // « 0 modification en attente » now, and a tab closed right after (the save on pagehide
          // may not finish) must not count those changes as pending at its next, offline, opening.
          if (this.progress.pending() === 0) void this.store?.saveNow()
        }
        this.recount()
        return
      case 'synced':
        this.policy.reset()
        // The relay's state is merged: whatever the browser had erased is back.
        this.restoring = false
        this.progress?.endHandshake()
        this.lastSyncedAt = this.config.now()
        this.saveSoon()
        this.apply({ type: 'synced' })
        // After the device's step 2 (sent when the relay's step 1 came): the answer shows it too.
        this.delivery?.synced()
        return
      case 'bad-frame':
        console.warn(`Room ${this.roomId}: the relay sent a frame that does not decode (${event.error.message}); reconnecting`)
        return
      case 'closed':
        this.onClosed(event.code)
        return
    }
  }

  private onClosed(code: number | null): void {
    this.lastCloseCode = code
    this.progress?.endConnection()
    this.delivery?.closed(code)
    const opened = this.socketOpened
    this.socketOpened = false
    if (this.mode !== 'connect' || this.phase.kind === 'released' || this.phase.kind === 'idle') {
      this.apply({ type: 'link-lost' })
      return
    }
    const refusal = refusalOfClose(code)
    if (refusal !== null) return this.refuse(refusal)
    // The relay refused what this device sent: it will again at the next connection, which
    // syncs first — so that sync does not start the backoff over (reconnect-policy.ts).
    if (opened && code === CloseCode.BadFrame.code) this.policy.rejected()
    else if (opened) this.policy.accepted()
    this.apply({ type: 'link-lost' })
    if (opened) this.scheduleReconnect()
    else void this.classifyFailure()
  }

  /** A socket that never opened: offline, or refused at the upgrade? Only HTTP can tell. */
  private async classifyFailure(): Promise<void> {
    this.probes++
    const access = await this.config.relay.probeAccess().finally(() => {
      this.probes--
    })
    if (this.mode !== 'connect' || !isLoaded(this.phase)) return
    if (access.kind === 'refused') this.refuse(access.reason)
    else this.scheduleReconnect()
  }

  private refuse(reason: RefusalReason): void {
    this.clearReconnect()
    this.apply({ type: 'refused', reason })
  }

  private scheduleReconnect(): void {
    this.clearReconnect()
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (this.mode === 'connect' && this.phase.kind === 'syncing' && this.phase.link === 'offline') this.link?.connect()
    }, this.policy.nextDelay())
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
  }

  private onEnvelopeUpdate(update: Uint8Array, origin: unknown): void {
    if (this.link?.applied(origin)) {
      this.progress?.onReceived(update)
      this.saveSoon()
    } else if (!this.store?.applied(origin)) {
      this.hooks.onLocalWrite(this)
    }
    this.recount()
  }

  private exchanged(): void {
    const now = this.config.now()
    if (this.lastExchangeAt !== null && now - this.lastExchangeAt < EXCHANGE_RESOLUTION_MS) return
    this.lastExchangeAt = now
    this.saveSoon()
  }

  private saveSoon(): void {
    const progress = this.progress
    if (progress === null) return
    this.store?.saveSoon({
      acknowledged: () => progress.encodeAcknowledged(),
      lastExchangeAt: this.lastExchangeAt,
      lastSyncedAt: this.lastSyncedAt,
      shadowed: this.delivery?.shadowed ?? [],
    })
  }

  private apply(event: RoomEvent): void {
    const next = nextPhase(this.phase, event)
    if (next instanceof Error) {
      console.warn(`Room ${this.roomId}: ${next.message}`)
      return
    }
    if (next === this.phase) return
    this.phase = next
    this.recount()
  }

  private recount(): void {
    const next = this.read()
    const keys = Object.keys(next) as Array<keyof RoomState>
    if (keys.every((key) => next[key] === this.state[key])) return
    this.state = next
    this.hooks.onChange(this)
    for (const waiter of [...this.waiters]) waiter()
  }

  private read(): RoomState {
    const backlog = this.phase.kind === 'syncing' ? (this.progress?.backlog() ?? { incoming: 0, outgoing: 0 }) : { incoming: 0, outgoing: 0 }
    // Each stats() walks its entries: read once per recount (a recount follows every frame).
    const envelope = this.env?.stats()
    const repair = this.repair?.stats()
    return {
      phase: this.phase,
      pendingChanges: this.progress?.pending() ?? 0,
      queuedWrites: this.env?.hasQueuedWrites() ?? false,
      incoming: backlog.incoming,
      outgoing: backlog.outgoing,
      lastExchangeAt: this.lastExchangeAt,
      lastSyncedAt: this.lastSyncedAt,
      storageError: this.store?.storageError ?? null,
      // An entry whose signature does not hold is as unusable here as one that does not decrypt,
      // and is asked for again the same way (envelope.ts): one count, one alarm line.
      undecryptableEntries: (envelope?.undecryptable ?? 0) + (envelope?.unverified ?? 0),
      unrepairedEntries: repair?.waiting ?? 0,
      heldBackChanges: repair?.heldBack ?? 0,
      repairedEntries: repair?.repaired ?? 0,
      resentEntries: this.delivery?.resentEntries ?? 0,
      restoredEntries: envelope?.restored ?? 0,
      returnedEntries: this.progress?.returnedEntries ?? 0,
      heldRestoredDocs: envelope?.heldRestored ?? 0,
      heldFailingDocs: envelope?.heldFailing ?? 0,
      missingEntries: this.env?.gaps() ?? NO_GAPS,
      restoring: this.restoring,
    }
  }
}
