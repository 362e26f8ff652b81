/**
 * A real room (fake-indexeddb) against a real WebSocket server that closes each socket with the
 * relay's role refusal (4403, CloseCode.RoleForbidden): the room ends refused « role-forbidden »
 * and opens no second socket — no reconnect loop for a device made secretary.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocketServer } from 'ws'
import { CloseCode } from '../../../../shared/src/protocol/constants'
import { RefusalReason } from '../errors'
import { openTestRoom } from './test-room'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function closingServer(close: { code: number; reason: string }) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  let connections = 0
  server.on('connection', (socket) => {
    connections++
    socket.close(close.code, close.reason)
  })
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, connections: () => connections }
}

function openRoom(relayUrl: string) {
  // A backoff of zero: a room that retried would open a second socket at once.
  return openTestRoom(relayUrl, { reconnect: { baseDelayMs: 0, maxDelayMs: 0 } }, cleanups)
}

describe('Room closed with 4403 (the relay’s role refusal)', () => {
  it('ends refused « role-forbidden » and does not reconnect', async () => {
    const server = await closingServer(CloseCode.RoleForbidden)
    const room = await openRoom(server.url)
    await vi.waitFor(() => expect(room.getState().phase).toEqual({ kind: 'refused', reason: RefusalReason.RoleForbidden }), { timeout: 5000 })
    // Refused, the room holds no reconnect timer: the relay saw one socket (a retried close would
    // have left the room offline, with a zero backoff's second socket on its way).
    expect(server.connections()).toBe(1)
  })
})
