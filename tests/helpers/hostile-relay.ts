/**
 * A hostile relay on the wire, for tests of issue 18 (« trust no relay »): a proxy in front of a
 * real relay process (relay-process.ts) that forwards HTTP untouched and every sync socket frame by
 * frame, and misbehaves on the sockets — on command or at random from a seeded PRNG:
 *
 *   drop      a frame is not forwarded (either direction);
 *   reorder   a frame is held back and forwarded after the next one of its direction (or 30 ms later);
 *   replay    after a frame, an earlier frame of the same socket and direction is sent again;
 *   cut       both ends of a socket are closed at once (as a connection reset: 1006 on the device);
 *   withhold  a device named in `withheld` gets only part of each room: the relay's live updates
 *             to it are dropped, and each step 2 it receives keeps about half of each writer's
 *             structs (the delete set whole).
 *
 * Devices name themselves to the proxy with a header (`hostileWebSocket(name)`), which the proxy
 * strips: the relay sees what a device sends, nothing more. The storage side of a hostile relay
 * (a wipe, a rollback, rows moved, a bit flipped on disk) is hostile-storage.ts; a credential-only
 * attacker is `credentialHolder()` below. A PRNG seeded by the test decides what happens to each
 * frame, so the *choices* repeat with the seed; the timing of real sockets does not, so a replayed
 * seed meets the same kinds of trouble, not necessarily at the same frames.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as prng from 'lib0/prng'
import WebSocket, { WebSocketServer, type RawData } from 'ws'
import type { Struct } from '../../relay/src/rooms/yjs-structs'
import { decodeUpdate, encodeUpdate } from '../../relay/src/rooms/yjs-structs'
import { SyncTestClient } from '../../relay/src/test-support/sync-test-client'
import { MessageType } from '../../shared/src/protocol/constants'
import { decodePairingCode } from '../../shared/src/space/pairing-code'

/** How long the proxy waits for the relay to answer an upgrade before failing the device's. */
const UPGRADE_TIMEOUT_MS = 5_000

/** The header a test device names itself with (stripped by the proxy). */
const DEVICE_HEADER = 'x-tournee-test-device'

export type Direction = 'up' | 'down'

/** Per-frame probabilities (0 to 1) of each misbehaviour, and the devices served only part of each room. */
export interface HostilePolicy {
  drop: number
  reorder: number
  replay: number
  cut: number
  withheld: Set<string>
}

export interface HostileCounts {
  forwarded: number
  dropped: number
  reordered: number
  replayed: number
  cut: number
  withheld: number
}

export interface HostileRelay {
  /** The address devices use (their pairing code's relay). */
  readonly url: string
  /** What the proxy does now; change it at any time. */
  readonly policy: HostilePolicy
  readonly counts: HostileCounts
  /** Sockets open through the proxy now. */
  openSockets(): number
  /** Upgrades waiting for the relay's answer now. */
  upgrading(): number
  /** Closes every socket (each device reconnects by itself). */
  cutAll(): void
  /** From now on an honest pipe: no misbehaviour, nothing withheld, held frames dropped, every socket cut so that devices start over. */
  honest(): void
  dispose(): Promise<void>
}

export function honestPolicy(): HostilePolicy {
  return { drop: 0, reorder: 0, replay: 0, cut: 0, withheld: new Set() }
}

/** A browser WebSocket class for a test device that names itself to the hostile proxy. */
export function hostileWebSocket(device: string): typeof globalThis.WebSocket {
  class NamedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers: { [DEVICE_HEADER]: device } })
    }
  }
  return NamedWebSocket as unknown as typeof globalThis.WebSocket
}

/** One device socket through the proxy: its two ends and what each direction sent. */
interface Pipe {
  readonly device: string
  readonly path: string
  readonly down: WebSocket
  readonly up: WebSocket
  readonly history: Record<Direction, Uint8Array[]>
  readonly held: Record<Direction, { frame: Uint8Array; timer: NodeJS.Timeout } | null>
  closed: boolean
}

/**
 * Starts the proxy on an ephemeral loopback port, in front of the relay at `upstream()` (read at
 * each connection: a restarted relay keeps its port, but the proxy does not depend on it).
 */
export async function startHostileRelay(upstream: () => string, seed: number): Promise<HostileRelay> {
  const gen = prng.create(seed)
  const policy = honestPolicy()
  const counts: HostileCounts = { forwarded: 0, dropped: 0, reordered: 0, replayed: 0, cut: 0, withheld: 0 }
  const pipes = new Set<Pipe>()
  let upgrading = 0
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 * 1024, handleProtocols: (offered) => [...offered][0] ?? false })

  const server: Server = createServer((req, res) => {
    // HTTP (space routes, digests, attachments) goes through untouched.
    const target = new URL(req.url ?? '/', upstream())
    const headers = { ...req.headers, host: target.host }
    const forward = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    req.pipe(forward)
  })

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const device = String(req.headers[DEVICE_HEADER] ?? 'anonymous')
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean)
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && (name === 'origin' || name === 'authorization')) headers[name] = value
    }
    upgrading++
    let answered = false
    const answer = () => {
      if (!answered) upgrading--
      answered = true
    }
    // A relay that never answers the upgrade would leave the device's socket connecting for good.
    const up = new WebSocket(new URL(req.url ?? '/', upstream().replace(/^http/, 'ws')), offered, { headers, maxPayload: 256 * 1024 * 1024, handshakeTimeout: UPGRADE_TIMEOUT_MS })
    up.binaryType = 'nodebuffer'
    const early: Uint8Array[] = []
    let pipe: Pipe | null = null
    up.on('message', (data: RawData) => {
      const frame = toBytes(data)
      if (pipe) onFrame(pipe, 'down', frame)
      else early.push(frame)
    })
    up.once('unexpected-response', (_request, response) => {
      answer()
      // The relay refused the upgrade: the device gets the same status.
      socket.end(`HTTP/1.1 ${response.statusCode ?? 502} ${response.statusMessage ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      response.resume()
      up.terminate()
    })
    up.once('error', () => {
      answer()
      socket.destroy()
    })
    up.once('open', () => {
      answer()
      wss.handleUpgrade(req, socket, head, (down) => {
        down.binaryType = 'nodebuffer'
        const opened: Pipe = { device, path: req.url ?? '', down, up, history: { up: [], down: [] }, held: { up: null, down: null }, closed: false }
        pipe = opened
        pipes.add(opened)
        down.on('message', (data: RawData) => onFrame(opened, 'up', toBytes(data)))
        down.on('close', (code, reason) => close(opened, code, reason.toString()))
        up.on('close', (code, reason) => close(opened, code, reason.toString()))
        down.on('error', () => cut(opened))
        up.on('error', () => cut(opened))
        for (const frame of early.splice(0)) onFrame(opened, 'down', frame)
      })
    })
  })

  function onFrame(pipe: Pipe, direction: Direction, frame: Uint8Array): void {
    if (pipe.closed) return
    if (direction === 'down' && policy.withheld.has(pipe.device)) {
      const partial = withhold(frame)
      if (partial !== frame) counts.withheld++
      if (partial === null) return
      frame = partial
    }
    if (chance(policy.cut)) {
      counts.cut++
      return cut(pipe)
    }
    if (chance(policy.drop)) {
      counts.dropped++
      return
    }
    const held = pipe.held[direction]
    if (held === null && chance(policy.reorder)) {
      counts.reordered++
      pipe.held[direction] = { frame, timer: setTimeout(() => release(pipe, direction), 30) }
      return
    }
    send(pipe, direction, frame)
    if (held) release(pipe, direction)
    if (chance(policy.replay) && pipe.history[direction].length > 1) {
      counts.replayed++
      send(pipe, direction, prng.oneOf(gen, pipe.history[direction]))
    }
  }

  function send(pipe: Pipe, direction: Direction, frame: Uint8Array): void {
    const to = direction === 'up' ? pipe.up : pipe.down
    if (to.readyState !== WebSocket.OPEN) return
    to.send(frame)
    counts.forwarded++
    const history = pipe.history[direction]
    history.push(frame)
    if (history.length > 64) history.shift()
  }

  function release(pipe: Pipe, direction: Direction): void {
    const held = pipe.held[direction]
    if (!held) return
    clearTimeout(held.timer)
    pipe.held[direction] = null
    send(pipe, direction, held.frame)
  }

  function close(pipe: Pipe, code: number, reason: string): void {
    if (pipe.closed) return
    pipe.closed = true
    pipes.delete(pipe)
    for (const held of Object.values(pipe.held)) if (held) clearTimeout(held.timer)
    // 1005 and 1006 cannot be sent: the other end is reset instead.
    const sendable = code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
    for (const end of [pipe.down, pipe.up]) {
      if (end.readyState !== WebSocket.OPEN) end.terminate()
      else if (sendable) end.close(code, reason)
      else end.terminate()
    }
  }

  function cut(pipe: Pipe): void {
    if (pipe.closed) return
    pipe.closed = true
    pipes.delete(pipe)
    for (const held of Object.values(pipe.held)) if (held) clearTimeout(held.timer)
    pipe.down.terminate()
    pipe.up.terminate()
  }

  function chance(p: number): boolean {
    return p > 0 && prng.real53(gen) < p
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('The hostile proxy has no port')
  const cutAll = () => {
    for (const pipe of [...pipes]) cut(pipe)
  }

  return {
    url: `http://127.0.0.1:${address.port}`,
    policy,
    counts,
    openSockets: () => pipes.size,
    upgrading: () => upgrading,
    cutAll,
    honest: () => {
      Object.assign(policy, honestPolicy())
      cutAll()
    },
    dispose: async () => {
      cutAll()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  return new Uint8Array(data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
}

/**
 * What a withheld device gets of a frame from the relay: a live update, nothing; a step 2, about
 * half of each writer's structs (its first ones) and the whole delete set; anything else as is.
 */
function withhold(frame: Uint8Array): Uint8Array | null {
  const decoder = decoding.createDecoder(frame)
  if (decoding.readVarUint(decoder) !== MessageType.Sync) return frame
  const kind = decoding.readVarUint(decoder)
  if (kind === 2) return null
  if (kind !== 1) return frame
  const { structs, deletes } = decodeUpdate(decoding.readVarUint8Array(decoder))
  const byClient = new Map<number, Struct[]>()
  for (const struct of structs) byClient.set(struct.id.client, [...(byClient.get(struct.id.client) ?? []), struct])
  const runs = [...byClient]
    .map(([client, own]) => ({ client, structs: own.slice(0, Math.floor(own.length / 2)), offset: 0 }))
    .filter((run) => run.structs.length > 0)
    // Yjs writes clients in decreasing order; the reader does not depend on it, but keep its habit.
    .sort((a, b) => b.client - a.client)
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Sync)
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint8Array(encoder, encodeUpdate(runs, deletes))
  return encoding.toUint8Array(encoder)
}

/**
 * Someone who holds a practice's credential and nothing else (a proxy log, the relay's disk): it
 * reads the space id and credential of a pairing code — never its root secret — and opens rooms by
 * their blinded ids, as seen in socket paths. Each socket is a SyncTestClient: it syncs the room's
 * ciphertext into its doc and can push well-shaped entries or raw frames.
 */
export function credentialHolder(relayUrl: string, pairingCode: string): { spaceId: string; openRoom(roomId: string): Promise<SyncTestClient> } {
  const { spaceId, credential } = decodePairingCode(pairingCode)
  return {
    spaceId,
    openRoom: (roomId) => SyncTestClient.connect(relayUrl, spaceId, credential, { roomId }),
  }
}
