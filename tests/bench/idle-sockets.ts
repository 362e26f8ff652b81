/**
 * Idle sync sockets for the relay's memory figures: plain `ws` clients that do what a device's
 * socket does on a room it keeps open and nobody edits — the handshake with its credential, its
 * step 1 of an empty envelope, the relay's step 1, step 2 and ACK received, pings answered — and
 * then nothing. No Yjs device behind them: the bench process would otherwise hold ten thousand
 * practices' worth of decrypted docs, and the relay sees exactly the same socket either way.
 */
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { randomBytes, randomId, toBase64Url } from '../../shared/src/crypto/base64url'
import { AUTH_SUBPROTOCOL_PREFIX, MessageType, SUBPROTOCOL } from '../../shared/src/protocol/constants'

export interface IdleSpace {
  spaceId: string
  credential: string
}

export async function createIdleSpace(relayUrl: string): Promise<IdleSpace> {
  const space = { spaceId: randomId(), credential: toBase64Url(randomBytes(32)) }
  const response = await fetch(`${relayUrl}/v1/spaces/${space.spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${space.credential}` } })
  if (response.status !== 201) throw new Error(`Creating a space answered ${response.status}: ${await response.text()}`)
  return space
}

/** A device's opening frame on a room it holds nothing of: step 1 of an empty doc. */
const EMPTY_STEP1 = (() => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Sync)
  syncProtocol.writeSyncStep1(encoder, new Y.Doc())
  return encoding.toUint8Array(encoder)
})()

/**
 * Opens one socket on a room and resolves once the relay has answered the step 1 (the relay's
 * frames after the join: its step 1 and ACK, then the step 2): the room is loaded and the
 * connection is as idle as a device's.
 */
export function openIdleSocket(relayUrl: string, space: IdleSpace, roomId: string): Promise<WebSocket> {
  const socket = new WebSocket(`${relayUrl.replace(/^http/, 'ws')}/v1/sync/${space.spaceId}/${roomId}`, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + space.credential])
  return new Promise<WebSocket>((resolve, reject) => {
    let frames = 0
    socket.on('message', () => {
      // Join: step 1 + ACK; the answer to our step 1: step 2 (one frame for an empty room) + ACK.
      if (++frames === 4) resolve(socket)
    })
    socket.once('open', () => socket.send(EMPTY_STEP1))
    socket.once('error', reject)
    socket.once('close', (code, reason) => reject(new Error(`Idle socket closed before it synced: ${code} ${reason.toString()}`)))
  })
}

/** `count` sockets, `concurrency` opening at a time, room `roomOf(i)` of space `spaceOf(i)`. */
export async function openIdleSockets(
  relayUrl: string,
  count: number,
  target: (i: number) => { space: IdleSpace; roomId: string },
  concurrency = 64,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = new Array<WebSocket>(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      const { space, roomId } = target(i)
      sockets[i] = await openIdleSocket(relayUrl, space, roomId)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return sockets
}

export async function closeIdleSockets(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve()
          socket.once('close', () => resolve())
          socket.terminate()
        }),
    ),
  )
}

/** A room id as devices make them (blinded: 22 base64url characters, random to the relay). */
export function idleRoomId(): string {
  return randomId()
}
