/**
 * The relay, in this process: its real hono app (HTTP routes through `fetchImpl`), its real room
 * registry, connections and SQLite storage (in a temp folder), and devices' sockets connected
 * straight to its connections — no TCP, no process, no port. Cross-part tests whose subject is the
 * devices and the relay's logic run here, on the test clock, fast; the few whose subject is the
 * wire or the process (a crash, an upgrade refused over HTTP, frames on a real socket) keep a real
 * relay process (relay-process.ts).
 *
 * Each socket is a pair: the device's end speaks the browser's WebSocket API (what y-websocket
 * drives, `WebSocketImpl`), the relay's end the part of a `ws` socket a SyncConnection uses
 * (relay/src/rooms/connection.ts). Frames are copied, and delivered on the next microtask, in
 * order, each direction on its own. The same admission decides as on the real relay
 * (relay/src/rooms/admission.ts): a refused upgrade fails the socket as a browser sees it (an
 * error, then a close with 1006), a room over the limit opens and closes with 4507.
 *
 * `network.up = false` cuts every socket (1006) and fails every request and new socket, as a
 * tablet losing its network does; back up, devices reconnect by themselves.
 */
import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CloseCode, DefaultLimits, type Limits } from '../../shared/src/protocol/constants'
import { createApp } from '../../relay/src/app/create-app'
import { createLogger, type Logger } from '../../relay/src/log'
import { createRelayMetrics, type RelayMetrics } from '../../relay/src/metrics/relay-metrics'
import { admitSyncSocket } from '../../relay/src/rooms/admission'
import { SyncConnection, type SyncSocket } from '../../relay/src/rooms/connection'
import { RoomRegistry } from '../../relay/src/rooms/room-registry'
import { SpaceSigners } from '../../relay/src/rooms/entry-signatures'
import type { RelayStorage } from '../../relay/src/storage/relay-storage'
import { SqliteStorage } from '../../relay/src/storage/sqlite-storage'
import { testClock } from './test-clock'

export const IN_MEMORY_RELAY_URL = 'http://relay.test'

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

export interface InMemoryRelay {
  readonly url: string
  /** The relay's own data folder (SQLite): tests search it for plaintext. */
  readonly dataDir: string
  /** Every line the relay logged. */
  readonly logs: string[]
  readonly metrics: RelayMetrics
  /** A browser WebSocket class whose sockets reach this relay. */
  readonly WebSocketImpl: typeof WebSocket
  readonly fetchImpl: typeof fetch
  /** Cut to fail every request and socket (open ones close with 1006); back up to let them through. */
  readonly network: { up: boolean }
  /** Every frame a device sent, in order (tests search them for plaintext). */
  readonly sent: Uint8Array[]
  /**
   * The relay's storage, for tests that play a hostile operator editing its disk (hostile-storage.ts).
   * Rows written while a room is loaded reach devices only once it is unloaded and loaded again.
   */
  readonly storage: RelayStorage
  /** Rooms the relay holds in memory now (none once every socket of them closed and they unloaded). */
  loadedRooms(): number
  dispose(): Promise<void>
}

export function startInMemoryRelay(options: { limits?: Partial<Limits>; allowedOrigins?: string[] } = {}): InMemoryRelay {
  const dataDir = mkdtempSync(join(tmpdir(), 'tournee-in-memory-relay-'))
  const storage = new SqliteStorage({ dataDir, now: testClock })
  const logs: string[] = []
  const logger: Logger = createLogger({ level: 'debug', write: (line) => logs.push(line) })
  const metrics = createRelayMetrics()
  const limits = { ...DefaultLimits, ...options.limits }
  const allowedOrigins = options.allowedOrigins ?? []
  const signers = new SpaceSigners(storage)
  const registry = new RoomRegistry({ storage, signers, limits, logger, metrics, compactRowsOnUnload: 50, compactRowsWhileLoaded: 1000, compactBytesRatio: 1.25 })
  const app = createApp({ storage, metrics, logger, enrolmentSecret: null, allowedOrigins, staticDir: null, limits, onRegistryChanged: (spaceId) => signers.changed(spaceId) })
  const sockets = new Set<DeviceSocket>()
  const sent: Uint8Array[] = []
  let up = true
  let disposed = false

  const network = {
    get up() {
      return up
    },
    set up(value: boolean) {
      up = value
      if (!value) for (const socket of [...sockets]) socket.drop()
    },
  }

  const fetchImpl: typeof fetch = async (input, init) => {
    if (!up || disposed) throw new TypeError('Failed to fetch')
    return app.request(String(input), init)
  }

  /** The relay's end of a socket: what a SyncConnection reads and writes. */
  class RelayEnd extends EventEmitter implements SyncSocket {
    binaryType = 'nodebuffer'
    readyState = OPEN
    readonly OPEN = OPEN
    constructor(private readonly device: DeviceSocket) {
      super()
    }
    send(data: Uint8Array): void {
      if (this.readyState !== OPEN) return
      const copy = new Uint8Array(data)
      queueMicrotask(() => this.device.receive(copy))
    }
    close(code: number, reason: string): void {
      if (this.readyState !== OPEN) return
      this.readyState = CLOSING
      queueMicrotask(() => this.device.closed(code, reason))
    }
    /** The connection is gone: the relay leaves its room. */
    gone(): void {
      if (this.readyState === CLOSED) return
      this.readyState = CLOSED
      this.emit('close')
    }
  }

  /** The device's end, with the browser's WebSocket API. */
  class DeviceSocket {
    static readonly CONNECTING = CONNECTING
    static readonly OPEN = OPEN
    static readonly CLOSING = CLOSING
    static readonly CLOSED = CLOSED
    readonly CONNECTING = CONNECTING
    readonly OPEN = OPEN
    readonly CLOSING = CLOSING
    readonly CLOSED = CLOSED
    binaryType: 'arraybuffer' | 'blob' = 'blob'
    readyState = CONNECTING
    protocol = ''
    onopen: ((event: unknown) => void) | null = null
    onmessage: ((event: { data: ArrayBuffer }) => void) | null = null
    onerror: ((event: unknown) => void) | null = null
    onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null
    private relayEnd: RelayEnd | null = null

    constructor(url: string, protocols: string | string[] = []) {
      sockets.add(this)
      const offered = Array.isArray(protocols) ? protocols : [protocols]
      queueMicrotask(() => void this.connect(new URL(url), offered))
    }

    send(data: Uint8Array | ArrayBuffer): void {
      if (this.readyState !== OPEN) throw new Error('WebSocket is not open')
      const bytes = new Uint8Array(data instanceof ArrayBuffer ? data.slice(0) : data.slice())
      sent.push(bytes)
      // A socket refused for the room limit has no connection: the relay reads nothing of it.
      const relayEnd = this.relayEnd
      if (relayEnd) queueMicrotask(() => relayEnd.readyState === OPEN && relayEnd.emit('message', Buffer.from(bytes), true))
    }

    close(code = 1000, reason = ''): void {
      if (this.readyState === CLOSING || this.readyState === CLOSED) return
      this.readyState = CLOSING
      queueMicrotask(() => this.closed(code, reason))
    }

    receive(data: Uint8Array): void {
      if (this.readyState !== OPEN) return
      this.onmessage?.({ data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer })
    }

    closed(code: number, reason: string): void {
      if (this.readyState === CLOSED) return
      this.readyState = CLOSED
      sockets.delete(this)
      this.relayEnd?.gone()
      this.onclose?.({ code, reason, wasClean: code !== 1006 })
    }

    /** The network went away under it. */
    drop(): void {
      if (this.readyState === CONNECTING) this.fail()
      else this.closed(1006, '')
    }

    private fail(): void {
      this.readyState = CLOSED
      sockets.delete(this)
      this.onerror?.({ type: 'error' })
      this.onclose?.({ code: 1006, reason: '', wasClean: false })
    }

    private async connect(url: URL, protocols: string[]): Promise<void> {
      if (!up || disposed) return this.fail()
      let admission: Awaited<ReturnType<typeof admitSyncSocket>>
      try {
        admission = await admitSyncSocket(
          { url: url.pathname + url.search, headers: { host: url.host, 'sec-websocket-protocol': protocols.join(', ') } },
          { storage, allowedOrigins, limits },
        )
      } catch {
        // The relay failed (its storage closed under it): as a 500 on the upgrade, the socket fails.
        return this.fail()
      }
      if (this.readyState !== CONNECTING) return
      if (!up || disposed || admission.kind === 'refused') return this.fail()
      this.protocol = protocols[0] ?? ''
      this.readyState = OPEN
      if (admission.kind === 'room-limit' || admission.kind === 'role') {
        const close = admission.kind === 'role' ? CloseCode.RoleForbidden : CloseCode.TooManyRooms
        this.onopen?.({ type: 'open' })
        queueMicrotask(() => this.closed(close.code, close.reason))
        return
      }
      const relayEnd = new RelayEnd(this)
      this.relayEnd = relayEnd
      new SyncConnection(relayEnd, admission.spaceId, admission.roomId, { registry, limits, logger, metrics, now: testClock }, admission.framedAnswers)
      this.onopen?.({ type: 'open' })
    }
  }

  return {
    url: IN_MEMORY_RELAY_URL,
    dataDir,
    logs,
    metrics,
    WebSocketImpl: DeviceSocket as unknown as typeof WebSocket,
    fetchImpl,
    network,
    sent,
    storage,
    loadedRooms: () => registry.loadedCount,
    dispose: async () => {
      disposed = true
      for (const socket of [...sockets]) socket.drop()
      await registry.closeAll()
      await storage.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
