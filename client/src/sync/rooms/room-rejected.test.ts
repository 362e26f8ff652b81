/**
 * A real room (fake-indexeddb) against a real WebSocket server that answers each socket's
 * handshake — the room syncs — and then closes it as malformed (4400, CloseCode.BadFrame), as the
 * relay does at every reconnection of a device whose step 2 it refuses (docs/sync-protocol.md).
 * The sync must not start the backoff over each time: the room's tries space out.
 */
import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import * as Y from 'yjs'
import { CloseCode } from '../../../../shared/src/protocol/constants'
import { openTestRoom } from './test-room'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A y-protocols sync message: 0 (sync), then step 1 (0) or step 2 (1) and its payload. */
function syncFrame(step: 0 | 1, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, step)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

/** Answers each socket's step 1 with an empty room, then closes it with 4400 once the device has sent its part. */
async function refusingServer() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const empty = new Y.Doc()
  let connections = 0
  server.on('connection', (socket) => {
    connections++
    socket.send(syncFrame(0, Y.encodeStateVector(empty)))
    socket.send(syncFrame(1, Y.encodeStateAsUpdate(empty)))
    socket.once('message', () => setTimeout(() => socket.close(CloseCode.BadFrame.code, CloseCode.BadFrame.reason), 10))
  })
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, connections: () => connections }
}

describe('Room whose every connection syncs and is then closed as malformed (4400)', () => {
  it('spaces its tries out: the sync before each refusal does not restart the backoff', { timeout: 15_000 }, async () => {
    const server = await refusingServer()
    const synced: number[] = []
    await openTestRoom(
      server.url,
      {
        reconnect: { baseDelayMs: 40, maxDelayMs: 10_000 },
        onChange: (room) => {
          const at = room.getState().lastSyncedAt
          if (at !== null && synced.at(-1) !== at) synced.push(at)
        },
      },
      cleanups,
    )
    await new Promise((resolve) => setTimeout(resolve, 2000))
    // Each connection synced before its refusal.
    expect(synced.length).toBeGreaterThanOrEqual(2)
    // Delays of at least 20, 40, 80, 160, 320, 640 ms (equal jitter: half of 40·2^k at least): at
    // most 7 connections in 2 s, however slow the machine. Restarted at each sync, the base delay
    // (20–40 ms) gave dozens.
    expect(server.connections()).toBeLessThanOrEqual(7)
  })
})
