/**
 * The floors: what the network and Yjs alone cost, on the same loopback, with no relay, no
 * envelope, no crypto, no IndexedDB.
 *
 *   BytesServer   sends a fixed list of frames to each client that connects, then nothing
 *   EchoServer    forwards every frame a client sends to every other client
 *
 * A bytes frame is lib0-encoded: varString(docId) ‖ varUint8Array(Yjs update).
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

export interface FloorServer {
  readonly url: string
  close(): Promise<void>
}

async function listen(server: WebSocketServer): Promise<string> {
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return `ws://127.0.0.1:${port}`
}

async function closeServer(server: WebSocketServer): Promise<void> {
  for (const client of server.clients) client.terminate()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

export function encodeDocFrame(docId: string, update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, docId)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

export function decodeDocFrame(frame: Uint8Array): { docId: string; update: Uint8Array } {
  const decoder = decoding.createDecoder(frame)
  return { docId: decoding.readVarString(decoder), update: decoding.readVarUint8Array(decoder) }
}

export async function startBytesServer(frames: readonly Uint8Array[]): Promise<FloorServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('connection', (socket) => {
    for (const frame of frames) socket.send(frame)
  })
  const url = await listen(server)
  return { url, close: () => closeServer(server) }
}

export async function startEchoServer(): Promise<FloorServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      for (const other of server.clients) if (other !== socket && other.readyState === WebSocket.OPEN) other.send(data, { binary: isBinary })
    })
  })
  const url = await listen(server)
  return { url, close: () => closeServer(server) }
}

export async function connect(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url)
  socket.binaryType = 'arraybuffer'
  await once(socket, 'open')
  return socket
}
