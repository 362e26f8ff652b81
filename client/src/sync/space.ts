/**
 * One room of a space on this device: its envelope persisted in IndexedDB (y-indexeddb), synced
 * with the relay (y-websocket), and its inner docs opened on demand through the Envelope.
 * Everything per room lives here (envelope, provider, persistence, acknowledged vector, pending
 * counts); the practice-level object that routes docs to rooms is practice-space.ts.
 *
 * The UI sees only `openDoc` and a SyncState; sockets and keys stay here.
 *
 * Local storage is treated as fragile (tablets evict, quotas overflow): every write's outcome is
 * watched (local-store.ts), a failure is shown at once and retried by rewriting the whole local
 * state, and an envelope found empty on a device that had synced before is restored from the relay
 * with the UI told so (`restoring`).
 */
import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider } from 'y-websocket'
import { Envelope, type EnvelopeOptions } from '../../../shared/src/envelope/envelope'
import {
  countUnacknowledged,
  decodeStateVector,
  mergeAcknowledged,
  mergeReceived,
  type StateVector,
} from '../../../shared/src/envelope/sync-progress'
import type { SpaceKeys } from '../../../shared/src/crypto/space-keys'
import type { RoomName } from '../../../shared/src/space/rooms'
import { AUTH_SUBPROTOCOL_PREFIX, CloseCode, MessageType, Paths, SUBPROTOCOL } from '../../../shared/src/protocol/constants'
import { ReconnectPolicy, type ReconnectPolicyOptions } from './reconnect-policy'
import { ConnectionStatus, RefusalReason, initialSyncState, type SyncState } from './sync-state'
import { probeRelayAccess } from './relay-http'
import { installLocalWriter, rewriteLocalState } from './local-store'
import { AttachmentSync } from './attachment-sync'

export interface SpaceOptions {
  spaceId: string
  relayUrl: string
  credential: string
  keys: SpaceKeys
  /** The room this is (shared/src/space/rooms.ts), bound into its entries' associated data. */
  room: RoomName
  /** IndexedDB database holding the envelope; one per room (and per simulated device in tests). */
  idbName: string
  /** The room's blinded id (wire path /v1/sync/<spaceId>/<roomId>). */
  roomId: string
  /** Called when this device writes into the envelope (not for what the relay or IndexedDB gave). */
  onLocalWrite?: () => void
  WebSocketImpl?: typeof WebSocket
  fetchImpl?: typeof fetch
  /** Share changes between tabs of this browser through BroadcastChannel. */
  crossTab?: boolean
  /** Start connecting at once (default true). */
  connect?: boolean
  /**
   * Connect only once this resolves (when `connect` is on): the status stays "connecting"
   * meanwhile, and an explicit connect() does not wait. PracticeSpace holds a new device's main
   * room back while the directory digest and today's rooms arrive (practice-space.ts).
   */
  connectAfter?: Promise<void>
  envelope?: EnvelopeOptions
  reconnect?: ReconnectPolicyOptions
  now?: () => number
  /**
   * This device had completed a sync with the relay before (the registry says so): an empty local
   * envelope then means the browser erased it, and the space shows that it is restoring.
   */
  previouslySynced?: boolean
  /** After a failed local write, how often to try rewriting the local state (default 15 s). */
  storageRetryMs?: number
  /** The space's attachment key and the IndexedDB database of its attachments; none: no attachments. */
  attachments?: { key: CryptoKey; idbName: string }
}

/** Close codes after which retrying cannot help until someone acts. */
const TERMINAL_CLOSE: ReadonlyMap<number, RefusalReason> = new Map([
  [CloseCode.Unauthorized.code, RefusalReason.Unauthorized],
  [CloseCode.Forbidden.code, RefusalReason.Forbidden],
  [CloseCode.SpaceNotFound.code, RefusalReason.SpaceNotFound],
  [CloseCode.ProtocolMismatch.code, RefusalReason.ProtocolMismatch],
  [CloseCode.TooManyRooms.code, RefusalReason.TooManyRooms],
])

const ACKED_KEY = 'tournee:acknowledged-state-vector'
const STORAGE_RETRY_MS = 15_000

export class Space {
  readonly spaceId: string
  readonly envelope: Envelope
  private readonly envelopeDoc: Y.Doc
  private readonly persistence: IndexeddbPersistence
  private readonly provider: WebsocketProvider
  private readonly options: SpaceOptions
  private readonly policy: ReconnectPolicy
  private readonly now: () => number
  private readonly acknowledged: StateVector
  private readonly listeners = new Set<() => void>()
  private state: SyncState = initialSyncState
  /** Whether this device wants a connection (false after disconnect(), offline, or a refusal). */
  private wanted: boolean
  private everFailed = false
  private socketOpened = false
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private trimTimer: ReturnType<typeof setTimeout> | null = null
  private ackSaveTimer: ReturnType<typeof setTimeout> | null = null
  private storageRetryTimer: ReturnType<typeof setTimeout> | null = null
  private storageRetrying = false
  /** The relay's state vector from its sync step 1 on this connection, to count what each side lacks. */
  private relayVector: StateVector | null = null
  private destroyed = false
  private readonly cleanups: Array<() => void> = []
  private attachmentSync: AttachmentSync | null = null
  private attachmentStartError: unknown = null

  /** Opens the space from IndexedDB first (works offline), then connects to the relay. */
  static async open(options: SpaceOptions): Promise<Space> {
    const envelopeDoc = new Y.Doc({ gc: true })
    const persistence = new IndexeddbPersistence(options.idbName, envelopeDoc)
    await persistence.whenSynced
    const restoring = (options.previouslySynced ?? false) && Y.encodeStateVector(envelopeDoc).byteLength <= 1
    const acked = await persistence.get(ACKED_KEY).catch(() => undefined)
    const ackedBytes = acked instanceof ArrayBuffer ? new Uint8Array(acked) : acked instanceof Uint8Array ? acked : null
    const space = new Space(options, envelopeDoc, persistence, ackedBytes ? decodeStateVector(ackedBytes) : new Map(), restoring)
    if (options.attachments) {
      // Attachments have their own database: if it cannot open, the practice still opens, and
      // the attachments say why they are unavailable.
      await space.startAttachments(options.attachments).catch((error: unknown) => {
        space.attachmentStartError = error
      })
    }
    return space
  }

  /** Uploads wait for the connection: drained each time the space comes online. */
  private async startAttachments(config: { key: CryptoKey; idbName: string }): Promise<void> {
    const sync = await AttachmentSync.open({
      ...config,
      spaceId: this.spaceId,
      relayUrl: this.options.relayUrl,
      credential: this.options.credential,
      now: this.now,
      isOnline: () => this.state.status === ConnectionStatus.Online,
      ...(this.options.fetchImpl ? { fetchImpl: this.options.fetchImpl } : {}),
    })
    this.attachmentSync = sync
    let wasOnline = false
    const onState = () => {
      const online = this.state.status === ConnectionStatus.Online
      if (online && !wasOnline) void sync.drain()
      wasOnline = online
    }
    this.cleanups.push(this.subscribe(onState))
    onState()
  }

  /** Why attachments could not start on this device (their database would not open), or null. */
  get attachmentFailure(): unknown {
    return this.attachmentStartError
  }

  /** This space's attachments on this device; null when the space was opened without a key. */
  get attachments(): AttachmentSync | null {
    return this.attachmentSync
  }

  private constructor(
    options: SpaceOptions,
    envelopeDoc: Y.Doc,
    persistence: IndexeddbPersistence,
    acknowledged: StateVector,
    restoring: boolean,
  ) {
    this.options = options
    this.spaceId = options.spaceId
    this.envelopeDoc = envelopeDoc
    this.persistence = persistence
    this.acknowledged = acknowledged
    this.now = options.now ?? Date.now
    this.policy = new ReconnectPolicy(options.reconnect)
    if (restoring) this.state = { ...this.state, restoring: true }
    this.envelope = new Envelope(envelopeDoc, options.keys, options.room, {
      ...options.envelope,
      onError: (error) => {
        this.setState({ undecryptableEntries: this.envelope.stats().undecryptable })
        options.envelope?.onError?.(error)
      },
      onEntriesRemoved: () => this.scheduleLocalTrim(),
    })
    // y-websocket appends "/<room name>" to the URL: the room's path segment rides along.
    const roomPath = `${options.spaceId}/${options.roomId}`
    this.provider = new WebsocketProvider(syncUrl(options.relayUrl), roomPath, envelopeDoc, {
      connect: false,
      protocols: [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + options.credential],
      disableBc: !(options.crossTab ?? false),
      ...(options.WebSocketImpl ? { WebSocketPolyfill: options.WebSocketImpl } : {}),
    })
    // Presence is plaintext to the relay: announce nothing until it travels encrypted.
    this.provider.awareness.setLocalState(null)
    this.installMessageHooks()
    this.installProviderListeners()
    this.installStorageWatch()
    installLocalWriter(persistence, envelopeDoc, {
      onFailure: (error) => this.reportStorageError(error),
      onManyRows: () => this.scheduleLocalTrim(),
    })
    this.installBrowserHooks()
    const onEnvelopeUpdate = (update: Uint8Array, origin: unknown) => {
      // What the relay sent us, it has (its writer keeps it pending until the relay's ACK): count
      // it as acknowledged, or other devices' entries would look like ours-not-yet-sent. The relay
      // does not ACK what it fans out update by update (only once a second, coalesced).
      if (origin === this.provider) {
        mergeReceived(this.acknowledged, update)
        this.scheduleAckSave()
      } else if (origin !== this.persistence) {
        options.onLocalWrite?.()
      }
      this.recountPending()
      this.recountProgress()
    }
    envelopeDoc.on('update', onEnvelopeUpdate)
    this.cleanups.push(() => envelopeDoc.off('update', onEnvelopeUpdate))
    this.recountPending()
    this.wanted = options.connect ?? true
    if (this.wanted && isBrowserOffline()) this.wanted = false
    if (!this.wanted) this.setState({ status: ConnectionStatus.Offline })
    else if (options.connectAfter === undefined) this.provider.connect()
    else {
      void options.connectAfter.then(() => {
        if (this.wanted && !this.destroyed && this.provider.ws === null) this.provider.connect()
      })
    }
  }

  // --- the UI's surface ---

  openDoc(docId: string): Promise<Y.Doc> {
    return this.envelope.openDoc(docId)
  }

  getSyncState(): SyncState {
    return this.state
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** "Synchroniser maintenant": push queued changes and reconnect right away. */
  syncNow(): void {
    void this.envelope.flush()
    if (this.state.storageError !== null) void this.retryStorage()
    this.connect()
  }

  // --- control (tests, browser online/offline) ---

  /** Whether this room wants a connection (false after disconnect(), offline, or a refusal). */
  get wantsConnection(): boolean {
    return this.wanted
  }

  connect(): void {
    if (this.destroyed) return
    this.wanted = true
    this.clearReconnect()
    this.policy.reset()
    if (this.state.status === ConnectionStatus.Refused) this.setState({ refusal: null })
    if (this.provider.ws === null) this.provider.connect()
  }

  disconnect(): void {
    this.wanted = false
    this.clearReconnect()
    this.provider.disconnect()
    this.setState({ status: ConnectionStatus.Offline })
  }

  /** Encrypts and pushes every queued local change into the envelope (and so to IndexedDB). */
  flush(): Promise<void> {
    return this.envelope.flush()
  }

  /** Resolves once the relay has acknowledged every local entry as durable. */
  async whenAcknowledged(timeoutMs = 30_000): Promise<void> {
    await this.flush()
    if (this.state.pendingChanges === 0) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe()
        reject(
          new Error(
            `Relay did not acknowledge ${this.state.pendingChanges} change(s) in ${timeoutMs} ms ` +
              `(status ${this.state.status}; behind: ${this.describeBacklog()})`,
          ),
        )
      }, timeoutMs)
      const unsubscribe = this.subscribe(() => {
        if (this.state.pendingChanges === 0) {
          clearTimeout(timer)
          unsubscribe()
          resolve()
        }
      })
    })
  }

  /** Which writers the relay has not caught up with, as client:local/acknowledged (diagnostics). */
  private describeBacklog(): string {
    const local = decodeStateVector(Y.encodeStateVector(this.envelopeDoc))
    return [...local]
      .filter(([client, clock]) => (this.acknowledged.get(client) ?? 0) < clock)
      .map(([client, clock]) => `${client}:${clock}/${this.acknowledged.get(client) ?? 0}${client === this.envelopeDoc.clientID ? '(this session)' : ''}`)
      .concat(`socket ${this.provider.wsconnected ? 'open' : 'closed'}, synced ${this.provider.synced}, last frame ${this.state.lastExchangeAt === null ? 'never' : `${this.now() - this.state.lastExchangeAt} ms ago`}`)
      .join(', ')
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return
    await this.envelope.destroy()
    this.destroyed = true
    this.clearReconnect()
    for (const timer of [this.trimTimer, this.ackSaveTimer, this.storageRetryTimer]) if (timer !== null) clearTimeout(timer)
    await this.saveAcknowledged()
    for (const cleanup of this.cleanups) cleanup()
    await this.attachmentSync?.destroy()
    this.provider.destroy()
    await this.persistence.destroy()
    this.envelopeDoc.destroy()
    this.listeners.clear()
  }

  // --- internals ---

  private setState(patch: Partial<SyncState>): void {
    const next = { ...this.state, ...patch }
    const keys = Object.keys(patch) as Array<keyof SyncState>
    if (keys.every((k) => next[k] === this.state[k])) return
    this.state = next
    for (const listener of this.listeners) listener()
  }

  private recountPending(): void {
    const local = decodeStateVector(Y.encodeStateVector(this.envelopeDoc))
    this.setState({ pendingChanges: countUnacknowledged(local, this.acknowledged) })
  }

  /** While syncing: what the relay has that this device lacks, and the reverse, in entries. */
  private recountProgress(): void {
    if (this.relayVector === null || this.state.status !== ConnectionStatus.Syncing) return
    const local = decodeStateVector(Y.encodeStateVector(this.envelopeDoc))
    const relayHas = new Map(this.relayVector)
    mergeAcknowledged(relayHas, this.acknowledged)
    this.setState({ incoming: countUnacknowledged(this.relayVector, local), outgoing: countUnacknowledged(local, relayHas) })
  }

  private installMessageHooks(): void {
    const handlers = this.provider.messageHandlers
    // The relay opens each connection with its sync step 1, `[0 sync][0 step1][varUint8Array sv]`:
    // its state vector, from which each side's backlog follows. Read it with a second decoder over
    // the same bytes, so the provider's own handler still reads the frame from where it starts.
    const syncHandler = handlers[MessageType.Sync]
    if (syncHandler) {
      handlers[MessageType.Sync] = (encoder, decoder, ...rest) => {
        const peek = decoding.createDecoder(decoder.arr)
        peek.pos = decoder.pos
        if (decoding.readVarUint(peek) === syncProtocol.messageYjsSyncStep1) {
          this.relayVector = decodeStateVector(decoding.readVarUint8Array(peek))
          this.recountProgress()
        }
        syncHandler(encoder, decoder, ...rest)
      }
    }
    handlers[MessageType.Ack] = (_encoder, decoder) => {
      mergeAcknowledged(this.acknowledged, decodeStateVector(decoding.readVarUint8Array(decoder)))
      this.recountPending()
      this.recountProgress()
      this.scheduleAckSave()
    }
    // Every frame from the relay is an exchange: wrap the handlers rather than the socket, which
    // the provider replaces on each reconnection.
    handlers.forEach((handler, type) => {
      if (!handler) return
      handlers[type] = (...args) => {
        const now = this.now()
        // Throttled to the second: the UI shows minutes, and each change re-renders the status bar.
        if (this.state.lastExchangeAt === null || now - this.state.lastExchangeAt >= 1000) {
          this.setState({ lastExchangeAt: now })
        }
        handler(...args)
      }
    })
  }

  private installProviderListeners(): void {
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') {
        this.socketOpened = true
        this.setState({ status: ConnectionStatus.Syncing, refusal: null })
      } else if (status === 'connecting' && !this.everFailed) {
        this.setState({ status: ConnectionStatus.Connecting })
      }
    })
    this.provider.on('sync', (synced: boolean) => {
      if (synced) {
        this.policy.reset()
        this.everFailed = false
        this.relayVector = null
        // The relay's state is merged: whatever the browser had erased is back.
        this.setState({ status: ConnectionStatus.Online, restoring: false, incoming: 0, outgoing: 0 })
      }
    })
    this.provider.on('connection-close', (event) => {
      // Take the reconnection schedule away from the provider: it has no jitter, and it would
      // retry after a refusal that only a person can fix.
      this.provider.shouldConnect = false
      this.relayVector = null
      this.setState({ incoming: 0, outgoing: 0 })
      const opened = this.socketOpened
      this.socketOpened = false
      this.everFailed = true
      if (!this.wanted || this.destroyed) return
      const refusal = event ? TERMINAL_CLOSE.get(event.code) : undefined
      if (refusal) return this.refuse(refusal)
      this.setState({ status: ConnectionStatus.Offline })
      if (!opened) void this.classifyFailure()
      else this.scheduleReconnect()
    })
  }

  /** A socket that never opened: offline, or refused at the upgrade? Only HTTP can tell. */
  private async classifyFailure(): Promise<void> {
    const access = await probeRelayAccess(this.options.relayUrl, this.spaceId, this.options.credential, this.options.fetchImpl)
    if (!this.wanted || this.destroyed) return
    if (access.kind === 'refused') this.refuse(access.reason)
    else this.scheduleReconnect()
  }

  private refuse(reason: RefusalReason): void {
    this.wanted = false
    this.clearReconnect()
    this.setState({ status: ConnectionStatus.Refused, refusal: reason })
  }

  private scheduleReconnect(): void {
    this.clearReconnect()
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (this.wanted && !this.destroyed && this.provider.ws === null) this.provider.connect()
    }, this.policy.nextDelay())
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
  }

  private scheduleAckSave(): void {
    if (this.ackSaveTimer !== null) return
    this.ackSaveTimer = setTimeout(() => {
      this.ackSaveTimer = null
      void this.saveAcknowledged()
    }, 500)
  }

  /** Remembered so that a reload offline does not count the whole envelope as pending. */
  private async saveAcknowledged(): Promise<void> {
    await this.persistence.set(ACKED_KEY, acknowledgedRecord(this.acknowledged)).catch((error: unknown) => this.reportStorageError(error))
  }

  /** After a compaction, rewrite the local store as one snapshot so removed ciphertext goes. */
  private scheduleLocalTrim(): void {
    if (this.trimTimer !== null) return
    this.trimTimer = setTimeout(() => {
      this.trimTimer = null
      if (!this.destroyed) rewriteLocalState(this.persistence, this.envelopeDoc).catch((e: unknown) => this.reportStorageError(e))
    }, 1000)
  }

  /** IndexedDB failures (quota, connection lost) bubble to the database: never a silent loss. */
  private installStorageWatch(): void {
    const db = this.persistence.db
    if (!db) return
    const onFailure = (event: Event) => {
      const target = event.target as { error?: DOMException | null } | null
      this.reportStorageError(target?.error ?? new Error(event.type))
    }
    db.addEventListener('abort', onFailure)
    db.addEventListener('error', onFailure)
    db.addEventListener('close', onFailure)
    this.cleanups.push(() => {
      db.removeEventListener('abort', onFailure)
      db.removeEventListener('error', onFailure)
      db.removeEventListener('close', onFailure)
    })
  }

  private reportStorageError(error: unknown): void {
    if (this.destroyed) return
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    this.setState({ storageError: message })
    this.scheduleStorageRetry()
  }

  private scheduleStorageRetry(): void {
    if (this.storageRetryTimer !== null || this.destroyed) return
    this.storageRetryTimer = setTimeout(() => {
      this.storageRetryTimer = null
      void this.retryStorage()
    }, this.options.storageRetryMs ?? STORAGE_RETRY_MS)
  }

  /**
   * After a failed write, rows may be missing anywhere in the local store, so a later successful
   * write proves nothing: only rewriting the whole state (and the acknowledged vector) does.
   * Meanwhile nothing is lost: the envelope is in memory and the provider still sends it.
   */
  private async retryStorage(): Promise<void> {
    if (this.storageRetrying || this.destroyed || this.state.storageError === null) return
    this.storageRetrying = true
    try {
      await rewriteLocalState(this.persistence, this.envelopeDoc)
      await this.persistence.set(ACKED_KEY, acknowledgedRecord(this.acknowledged))
      if (this.storageRetryTimer !== null) clearTimeout(this.storageRetryTimer)
      this.storageRetryTimer = null
      this.setState({ storageError: null })
    } catch (error) {
      this.reportStorageError(error)
    } finally {
      this.storageRetrying = false
    }
  }

  private installBrowserHooks(): void {
    const target = globalThis as { addEventListener?: typeof addEventListener; removeEventListener?: typeof removeEventListener }
    if (typeof target.addEventListener !== 'function' || typeof document === 'undefined') return
    const onOffline = () => this.disconnect()
    const onOnline = () => this.connect()
    // A tab being hidden may be the last moment it runs: push the batch now, and remember what
    // the relay acknowledged (saved on a 500 ms debounce otherwise), or a tab closed right after
    // a sync would reopen offline counting already-stored changes as pending.
    const onHide = (event: Event) => {
      if (event.type !== 'pagehide' && document.visibilityState !== 'hidden') return
      void this.envelope.flush()
      if (this.ackSaveTimer !== null) {
        clearTimeout(this.ackSaveTimer)
        this.ackSaveTimer = null
        void this.saveAcknowledged()
      }
    }
    target.addEventListener('offline', onOffline)
    target.addEventListener('online', onOnline)
    document.addEventListener('visibilitychange', onHide)
    target.addEventListener('pagehide', onHide)
    this.cleanups.push(() => {
      target.removeEventListener?.('pagehide', onHide)
      target.removeEventListener?.('offline', onOffline)
      target.removeEventListener?.('online', onOnline)
      document.removeEventListener('visibilitychange', onHide)
    })
  }
}

function isBrowserOffline(): boolean {
  return typeof navigator !== 'undefined' && typeof document !== 'undefined' && navigator.onLine === false
}

/** http(s)://host → ws(s)://host/v1/sync (the provider appends /<spaceId>/<roomId>). */
export function syncUrl(relayUrl: string): string {
  const url = new URL(relayUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = Paths.syncPrefix.replace(/\/$/, '')
  url.search = ''
  return url.toString()
}

/** The acknowledged state vector as y-indexeddb's custom store keeps it (an ArrayBuffer). */
function acknowledgedRecord(sv: StateVector): ArrayBuffer {
  // Y.encodeStateVector takes a doc or a map: the map form is what we hold.
  const bytes = Y.encodeStateVector(sv)
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}
