/**
 * A device as the relay sees it, for tests: a real `ws` client speaking y-protocols sync and
 * awareness on an envelope doc, recording ACKs and how the socket closed. It also sends raw bytes,
 * to play a broken or hostile device.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { AUTH_SUBPROTOCOL_PREFIX, MessageType, SUBPROTOCOL } from '../../../shared/src/protocol/constants'

export interface ClientOptions {
  /** Subprotocols to offer; defaults to the version and the credential. */
  protocols?: string[]
  headers?: Record<string, string>
  /** The room to connect to (a blinded room id); TEST_ROOM_ID by default. */
  roomId?: string
  /** Answer the relay's WebSocket pings (true, as browsers do); false plays a vanished device. */
  autoPong?: boolean
}

const SYNC_KINDS: Record<number, 'step1' | 'step2' | 'update'> = {
  [syncProtocol.messageYjsSyncStep1]: 'step1',
  [syncProtocol.messageYjsSyncStep2]: 'step2',
  [syncProtocol.messageYjsUpdate]: 'update',
}

/** The room a test client connects to unless told otherwise: any blinded id is a room. */
export const TEST_ROOM_ID = 'roomTestTTTTTTTTTTTTTT'

export class SyncTestClient {
  readonly doc = new Y.Doc()
  readonly awareness = new awarenessProtocol.Awareness(this.doc)
  /** State vectors of every ACK received, in order. */
  readonly acks: Map<number, number>[] = []
  /**
   * Every sync frame received, in order: its kind, its size, and the state vector this device held
   * once it was applied (whether the step 2 came with everything, frame sizes of a join).
   */
  readonly syncFrames: Array<{ kind: 'step1' | 'step2' | 'update'; bytes: number; heldAfter: Map<number, number> }> = []
  /** How many sync frames had arrived when each ACK did (acks[i] after syncFrames[0..n)). */
  readonly acksAfterFrames: number[] = []
  /** Keep-alive frames received (the relay's, after a silence). */
  keepAlives = 0
  /** Awareness frames received (the relay relays none). */
  awarenessFrames = 0
  closed: { code: number; reason: string } | null = null
  private readonly ackListeners: ((ack: Map<number, number>) => void)[] = []

  private constructor(readonly socket: WebSocket) {
    socket.binaryType = 'nodebuffer'
    socket.on('message', (data: Buffer) => this.receive(new Uint8Array(data)))
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
    })
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === this) return
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, MessageType.Sync)
      syncProtocol.writeUpdate(encoder, update)
      this.send(encoding.toUint8Array(encoder))
    })
  }

  static async connect(baseUrl: string, spaceId: string, credential: string, options: ClientOptions = {}): Promise<SyncTestClient> {
    const protocols = options.protocols ?? [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + credential]
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/sync/${spaceId}/${options.roomId ?? TEST_ROOM_ID}`, protocols, {
      headers: options.headers,
      autoPong: options.autoPong ?? true,
    })
    // Listen before `open`: the relay's first frames can arrive in the same tick as the handshake.
    const client = new SyncTestClient(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    // y-websocket's opening: our step 1, so the relay sends what we lack.
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, MessageType.Sync)
    syncProtocol.writeSyncStep1(encoder, client.doc)
    client.send(encoding.toUint8Array(encoder))
    return client
  }

  send(frame: Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame)
  }

  /** Sends this device's awareness state (as y-websocket does on change). */
  sendAwareness(clients: number[] = [this.doc.clientID]): void {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, MessageType.Awareness)
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients))
    this.send(encoding.toUint8Array(encoder))
  }

  /**
   * True once an ACK covers everything this device wrote itself. (What it received from the relay
   * is on the relay already; ACKs answer this device's writes, so they need not cover later ones.)
   */
  ackCovers(): boolean {
    const own = Y.decodeStateVector(Y.encodeStateVector(this.doc)).get(this.doc.clientID) ?? 0
    return this.acks.some((ack) => (ack.get(this.doc.clientID) ?? 0) >= own)
  }

  /** True once an ACK covers every (client, clock) this device holds, others' entries included. */
  ackCoversAll(): boolean {
    const held = Y.decodeStateVector(Y.encodeStateVector(this.doc))
    return this.acks.some((ack) => [...held].every(([client, clock]) => (ack.get(client) ?? 0) >= clock))
  }

  /** Calls `listener` with each ACK's state vector as it arrives (the bench times ACKs by it). */
  onAck(listener: (ack: Map<number, number>) => void): void {
    this.ackListeners.push(listener)
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.close()
    })
  }

  destroy(): void {
    this.awareness.destroy()
    this.socket.terminate()
  }

  private receive(data: Uint8Array): void {
    const decoder = decoding.createDecoder(data)
    const type = decoding.readVarUint(decoder)
    if (type === MessageType.Sync) {
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, MessageType.Sync)
      const kind = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this)
      this.syncFrames.push({ kind: SYNC_KINDS[kind] ?? 'update', bytes: data.byteLength, heldAfter: Y.decodeStateVector(Y.encodeStateVector(this.doc)) })
      if (encoding.length(encoder) > 1) this.send(encoding.toUint8Array(encoder))
    } else if (type === MessageType.Awareness) {
      this.awarenessFrames++
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this)
    } else if (type === MessageType.Ack) {
      const ack = Y.decodeStateVector(decoding.readVarUint8Array(decoder))
      this.acks.push(ack)
      this.acksAfterFrames.push(this.syncFrames.length)
      for (const listener of this.ackListeners) listener(ack)
    } else if (type === MessageType.KeepAlive) {
      this.keepAlives++
    } else {
      throw new Error(`relay sent unexpected message type ${type}`)
    }
  }
}

/** Attempts an upgrade and reports the HTTP status of a refusal, or 101 when it opened. */
export async function upgradeStatus(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<number> {
  return (await upgradeAnswer(url, protocols, headers)).status
}

/** Attempts an upgrade: the status and headers of a refusal, or 101 (and no headers) when it opened. */
export function upgradeAnswer(
  url: string,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers })
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers })
      response.resume()
      socket.terminate()
    })
    socket.once('open', () => {
      resolve({ status: 101, headers: {} })
      socket.terminate()
    })
    socket.on('error', (error) => reject(error))
  })
}
