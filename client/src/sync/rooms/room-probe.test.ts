/**
 * A socket that never opened cannot say why, so the room asks the relay over HTTP (probeAccess)
 * before it retries. A real room (fake-indexeddb) against a server whose upgrades are cut before
 * they open and whose HTTP requests are never answered (a half-open connection, a relay or proxy
 * that lost the request): the probe must end by itself, and the room must try the socket again —
 * not wait for an answer that never comes, « syncing (offline) », no socket, no retry scheduled.
 */
import { createServer, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openTestRoom } from './test-room'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Cuts every upgrade before it opens; holds every HTTP request unanswered. */
async function silentServer() {
  const held: ServerResponse[] = []
  let upgrades = 0
  let requests = 0
  const server = createServer((_request, response) => {
    requests++
    held.push(response)
  })
  server.on('upgrade', (_request, socket) => {
    upgrades++
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  cleanups.push(async () => {
    for (const response of held) response.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, upgrades: () => upgrades, requests: () => requests }
}

function openRoom(relayUrl: string, probeTimeoutMs: number) {
  return openTestRoom(relayUrl, { reconnect: { baseDelayMs: 10, maxDelayMs: 10 }, probeTimeoutMs }, cleanups)
}

describe('Room whose socket never opened and whose probe is never answered', () => {
  it('gives the probe up and tries the socket again', { timeout: 15_000 }, async () => {
    const server = await silentServer()
    const room = await openRoom(server.url, 200)
    await vi.waitFor(() => expect(server.requests()).toBe(1), { timeout: 5000 })
    // Each failed socket is probed in turn: a second upgrade follows a probe given up.
    await vi.waitFor(() => expect(server.upgrades()).toBeGreaterThanOrEqual(3), { timeout: 5000 })
    expect(room.getState().phase.kind).toBe('syncing')
  })

  it('says, while the probe is unanswered, that its next try waits for it, and how the socket closed', { timeout: 15_000 }, async () => {
    const server = await silentServer()
    const room = await openRoom(server.url, 60_000)
    await vi.waitFor(() => expect(server.requests()).toBe(1), { timeout: 5000 })
    // What a whenAcknowledged timeout prints: offline, no socket, and why no retry has come yet.
    expect(room.describe()).toMatch(/^syncing \(offline\); socket none, synced false; next try after the probe; last close 1006;/)
  })
})
