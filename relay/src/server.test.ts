/**
 * The relay as devices meet it: startRelay on port 0, real `ws` clients speaking y-protocols, on a
 * real storage: SQLite in a temp folder, and in the unit-postgres project a fresh PostgreSQL
 * database (test-storages.ts, vite.config.ts). Every wait is for a condition, with a deadline.
 */
import { Agent, IncomingMessage, request as httpRequest } from 'node:http'
import { Session } from 'node:inspector/promises'
import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { randomBytes, randomId, toBase64Url } from '../../shared/src/crypto/base64url'
import { AUTH_SUBPROTOCOL_PREFIX, MessageType, SUBPROTOCOL, type Limits } from '../../shared/src/protocol/constants'
import type { RelayConfig } from './config'
import { DefaultPerimeter, type PerimeterConfig } from './perimeter/perimeter'
import { startRelay, type RelayOptions, type RunningRelay } from './server'
import { delegatingStorage } from './storage/delegating-storage'
import { RELAY_FRAME_BYTES } from './rooms/frames'
import { SyncTestClient, TEST_ROOM_ID, upgradeAnswer, upgradeStatus } from './test-support/sync-test-client'
import { labelOf, testEntry } from './test-support/test-entries'
import { waitFor } from './test-support/wait-for'
import { testRelayConfig } from './test-support/relay-config'
import { testStorage, type TestStorageLocation } from './test-support/test-storages'
import { silentLogger } from './log'

type Entry = { d: string; c: Uint8Array }

const sumOf = (values: readonly number[]): number => values.reduce((n, v) => n + v, 0)

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A fresh location on the storage under test. */
function place(): Promise<TestStorageLocation> {
  return testStorage().location(cleanups)
}

/** The relay these tests start, storing at `where`, answering the practice's origin. */
function config(where: TestStorageLocation, limits: Partial<Limits> = {}, extra: Partial<RelayConfig> = {}): RelayConfig {
  return testRelayConfig(where.dataDir, limits, { storage: where.storage, allowedOrigins: ['https://cabinet.example.fr'], ...extra })
}

async function start(cfg: RelayConfig, options: RelayOptions = {}): Promise<{ relay: RunningRelay; url: string }> {
  const relay = await startRelay(cfg, { logger: silentLogger, ...options })
  cleanups.push(() => relay.close())
  return { relay, url: `http://127.0.0.1:${relay.port}` }
}

async function createSpace(url: string): Promise<{ spaceId: string; credential: string }> {
  const spaceId = randomId()
  const credential = toBase64Url(randomBytes(32))
  const response = await fetch(`${url}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })
  expect(response.status).toBe(201)
  return { spaceId, credential }
}

async function connect(url: string, space: { spaceId: string; credential: string }, roomId?: string, headers?: Record<string, string>): Promise<SyncTestClient> {
  const client = await SyncTestClient.connect(url, space.spaceId, space.credential, { ...(roomId === undefined ? {} : { roomId }), ...(headers === undefined ? {} : { headers }) })
  cleanups.push(() => client.destroy())
  return client
}

function entries(client: SyncTestClient): Entry[] {
  return client.doc.getArray<Entry>('entries').toArray()
}

/** The labels of the entries' docs (test-entries.ts), in the array's order. */
function docs(client: SyncTestClient): string[] {
  return entries(client).map((e) => labelOf(e.d))
}

function pushEntry(client: SyncTestClient, label: string, bytes?: number): void {
  client.doc.getArray<Entry>('entries').push([testEntry(label, bytes)])
}

function frame(...parts: ((encoder: encoding.Encoder) => void)[]): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const part of parts) part(encoder)
  return encoding.toUint8Array(encoder)
}

const syncUpdateFrame = (update: Uint8Array): Uint8Array =>
  frame(
    (e) => encoding.writeVarUint(e, MessageType.Sync),
    (e) => encoding.writeVarUint(e, 2),
    (e) => encoding.writeVarUint8Array(e, update),
  )
describe('keep-alive', () => {
  it('is never silent on a quiet socket for longer than keepAliveMs: a keep-alive frame after each silence', async () => {
    const { url } = await start(config(await place(), {}, { keepAliveMs: 100 }))
    const space = await createSpace(url)
    const quiet = await connect(url, space)
    await waitFor(() => expect(quiet.keepAlives).toBeGreaterThanOrEqual(3), { timeoutMs: 5000 })
    expect(quiet.closed).toBeNull()
  })

  it('cuts a device that leaves its WebSocket pings unanswered, counts it, and keeps the others', async () => {
    const { url, relay } = await start(config(await place(), {}, { keepAliveMs: 100 }))
    const space = await createSpace(url)
    const present = await connect(url, space)
    const vanished = await SyncTestClient.connect(url, space.spaceId, space.credential, { autoPong: false })
    cleanups.push(() => vanished.destroy())
    await waitFor(() => expect(vanished.closed?.code).toBe(1006), { timeoutMs: 5000 })
    expect(relay.metrics.registry.value('tournee_connections_unresponsive_total')).toBe(1)
    expect(present.closed).toBeNull()
    pushEntry(present, 'still-here')
    await waitFor(() => expect(present.ackCovers()).toBe(true))
  })
})

/**
 * Server-side upgrade requests still reachable in this process, counted by the inspector
 * (Runtime.queryObjects collects garbage first): GET requests with a WebSocket subprotocol header.
 */
async function liveUpgradeRequests(): Promise<number> {
  const session = new Session()
  session.connect()
  const holder = globalThis as { __upgradeRequestPrototype?: object }
  holder.__upgradeRequestPrototype = IncomingMessage.prototype
  try {
    const { result } = await session.post('Runtime.evaluate', { expression: 'globalThis.__upgradeRequestPrototype' })
    const { objects } = await session.post('Runtime.queryObjects', { prototypeObjectId: result.objectId! })
    const { result: count } = await session.post('Runtime.callFunctionOn', {
      objectId: objects.objectId!,
      functionDeclaration: "function () { return this.filter((m) => m.method === 'GET' && m.headers['sec-websocket-protocol'] !== undefined).length }",
      returnByValue: true,
    })
    return count.value as number
  } finally {
    delete holder.__upgradeRequestPrototype
    session.disconnect()
  }
}

describe('what an idle socket costs', () => {
  it('declines permessage-deflate, which browsers offer: no zlib context per socket (≈240 KiB each)', async () => {
    const { url } = await start(config(await place()))
    const space = await createSpace(url)
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + space.credential], {
      perMessageDeflate: true,
    })
    cleanups.push(() => socket.terminate())
    const accepted = await new Promise<string>((resolve, reject) => {
      socket.once('upgrade', (response) => resolve(String(response.headers['sec-websocket-extensions'] ?? '')))
      socket.once('error', reject)
    })
    await new Promise<void>((resolve) => (socket.readyState === WebSocket.OPEN ? resolve() : socket.once('open', () => resolve())))
    expect(accepted).toBe('')
    expect(socket.extensions).toBe('')
  })

  it('keeps no upgrade request (its headers hold the credential) once its socket is open', async () => {
    const { url } = await start(config(await place()))
    const space = await createSpace(url)
    for (let i = 0; i < 20; i++) await connect(url, space)
    // The relay's side of each upgrade is a GET request carrying the subprotocols; each open
    // socket kept its own alive before accept() moved out of the upgrade handler (≈1 KiB each).
    expect(await liveUpgradeRequests()).toBeLessThan(5)
  })
})

describe('sync on envelope rooms', () => {
  it('two devices converge on an envelope doc', async () => {
    const { url } = await start(config(await place()))
    const space = await createSpace(url)
    const a = await connect(url, space)
    const b = await connect(url, space)
    pushEntry(a, 'from-a')
    pushEntry(b, 'from-b')
    await waitFor(() => {
      expect(entries(a)).toHaveLength(2)
      expect(entries(b)).toHaveLength(2)
    })
    expect(Y.encodeStateVector(a.doc)).toEqual(Y.encodeStateVector(b.doc))
    expect(docs(a).sort()).toEqual(['from-a', 'from-b'])
  })

  it('a device joining later catches up through the state-vector handshake', async () => {
    const { url } = await start(config(await place()))
    const space = await createSpace(url)
    const a = await connect(url, space)
    for (let i = 0; i < 20; i++) pushEntry(a, `entry-${i}`)
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    const late = await connect(url, space)
    await waitFor(() => expect(entries(late)).toHaveLength(20))
  })

  it('answers a device that holds nothing of a big room in frames of about joinFrameBytes, in order, synced at the step 2 with everything', async () => {
    // 640 entries of 1 KiB from two writers: ≈ 660 KB, ten frames and more of 64 KiB. Before the
    // seventh pass the relay cut at half a megabyte: two frames, the first ≈ 530 KB.
    const { url } = await start(config(await place()))
    const space = await createSpace(url)
    const a = await connect(url, space)
    const b = await connect(url, space)
    const entryBytes = 1024
    for (let i = 0; i < 320; i++) {
      pushEntry(a, `a-${i}`, entryBytes)
      pushEntry(b, `b-${i}`, entryBytes)
    }
    await waitFor(() => expect(a.ackCoversAll() && b.ackCoversAll() && entries(a).length === 640).toBe(true), { timeoutMs: 20_000 })
    const held = Y.decodeStateVector(Y.encodeStateVector(a.doc))

    const late = await connect(url, space)
    // Synced: the step 2, then an ACK of everything (the one sent on connect came before it).
    const stepTwoAt = () => late.syncFrames.findIndex((f) => f.kind === 'step2')
    await waitFor(() => expect(late.acksAfterFrames.some((n) => stepTwoAt() >= 0 && n > stepTwoAt())).toBe(true), { timeoutMs: 20_000 })
    const frames = late.syncFrames.filter((f) => f.kind !== 'step1')
    const sizes = frames.map((f) => f.bytes)
    console.info(`join of a room of ${sumOf(sizes)} bytes: ${frames.length} frames, largest ${Math.max(...sizes)} bytes`)
    expect(frames.length).toBeGreaterThanOrEqual(10)
    // Each frame: about RELAY_FRAME_BYTES of entries, never more than one entry (and the structs'
    // own bytes) over it.
    for (const size of sizes) expect(size).toBeLessThanOrEqual(RELAY_FRAME_BYTES + entryBytes + 4096)
    // Updates first, the step 2 last: the device holds everything when it is told it is synced…
    expect(frames.map((f) => f.kind)).toEqual([...frames.slice(1).map(() => 'update'), 'step2'])
    expect(frames.at(-1)!.heldAfter).toEqual(held)
    // …and not before (the frames did split the room), and the ACK comes after all of it.
    expect(frames.at(-2)!.heldAfter).not.toEqual(held)
    const ackAfter = late.acksAfterFrames.findIndex((n) => n > stepTwoAt())
    expect(late.acksAfterFrames[ackAfter]).toBe(late.syncFrames.length)
    expect(late.acks[ackAfter]).toEqual(held)
    expect(docs(late).sort()).toEqual(docs(a).sort())
  }, 60_000)

  it('acknowledges on connect, and after a write with a state vector covering it', async () => {
    const { url, relay } = await start(config(await place()))
    const space = await createSpace(url)
    const a = await connect(url, space)
    await waitFor(() => expect(a.acks.length).toBeGreaterThan(0))
    expect(a.acks[0]!.size).toBe(0)
    expect(a.ackCovers()).toBe(true) // empty doc: trivially covered
    pushEntry(a, 'to-ack')
    expect(a.ackCovers()).toBe(false)
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    expect(relay.metrics.registry.value('tournee_updates_persisted_total')).toBeGreaterThanOrEqual(1)
  })

  it('fans an update out to the other devices with no ACK per update: they count what it sent as on the relay', async () => {
    // The coalesced ACK to every connection (room.test.ts) is pushed out of this test's way.
    const { url } = await start(config(await place()), { ackAllAfterMs: 60_000 })
    const space = await createSpace(url)
    const writer = await connect(url, space)
    const reader = await connect(url, space)
    // A write of the reader's own and its ACK: after it, the reader has every ACK of its opening.
    pushEntry(reader, 'own-0')
    await waitFor(() => expect(reader.ackCovers()).toBe(true))
    await waitFor(() => expect(entries(writer)).toHaveLength(1))
    const before = reader.acks.length
    for (let i = 0; i < 3; i++) pushEntry(writer, `broadcast-${i}`)
    await waitFor(() => expect(entries(reader)).toHaveLength(4))
    await waitFor(() => expect(writer.ackCovers()).toBe(true))
    // Frames on one socket keep their order: an ACK sent to the reader for the writer's entries
    // would arrive before the ACK of this second write of its own.
    pushEntry(reader, 'own-1')
    await waitFor(() => expect(reader.ackCovers()).toBe(true))
    expect(reader.acks.length).toBe(before + 1)
    // The relay's state vector covers the writer's entries all the same: they are durable.
    expect(reader.ackCoversAll()).toBe(true)
  })

})

describe('malformed and abusive frames', () => {
  it.each([
    ['garbage bytes', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['an unknown message type', frame((e) => encoding.writeVarUint(e, 42))],
    ['an ack sent by a device', frame((e) => encoding.writeVarUint(e, MessageType.Ack), (e) => encoding.writeVarUint8Array(e, new Uint8Array([0])))],
    ['an unknown sync type', frame((e) => encoding.writeVarUint(e, MessageType.Sync), (e) => encoding.writeVarUint(e, 9), (e) => encoding.writeVarUint8Array(e, new Uint8Array()))],
    ['an update that is not Yjs', syncUpdateFrame(new Uint8Array([7, 7, 7, 7, 200, 1, 2]))],
    ['trailing bytes', frame((e) => encoding.writeVarUint(e, MessageType.QueryAwareness), (e) => encoding.writeVarUint(e, 5))],
    ['an empty frame', new Uint8Array()],
    ['an awareness message longer than its frame', frame((e) => encoding.writeVarUint(e, MessageType.Awareness), (e) => encoding.writeVarUint(e, 50), (e) => encoding.writeUint8(e, 1))],
  ])('%s closes only that connection with 4400', async (_label, bad) => {
    const { url, relay } = await start(config(await place()))
    const space = await createSpace(url)
    const a = await connect(url, space)
    const b = await connect(url, space)
    const bad_ = await connect(url, space)
    await waitFor(() => expect(bad_.acks.length).toBeGreaterThan(0))
    bad_.send(bad)
    await waitFor(() => expect(bad_.closed).toEqual({ code: 4400, reason: 'Malformed frame' }))
    pushEntry(a, 'still-working')
    await waitFor(() => expect(docs(b)).toEqual(['still-working']))
    // b gets the update before it is stored (fan-out does not wait for the write); a's ACK does.
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    expect(a.closed).toBeNull()
    expect(relay.metrics.registry.value('tournee_frames_rejected_total', { reason: 'bad_frame' })).toBe(1)
    // Nothing of the bad frame reached storage: the one update stored is a's.
    expect(relay.metrics.registry.value('tournee_updates_persisted_total')).toBe(1)
  })

  it('a text frame is refused', async () => {
    const { url } = await start(config(await place()))
    const client = await connect(url, await createSpace(url))
    client.socket.send('hello')
    await waitFor(() => expect(client.closed?.code).toBe(4400))
  })

  it('a frame over maxFrameBytes closes with 1009', async () => {
    const { url, relay } = await start(config(await place(), { maxFrameBytes: 4096 }))
    const space = await createSpace(url)
    const client = await connect(url, space)
    const other = await connect(url, space)
    pushEntry(client, 'big', 8192)
    await waitFor(() => expect(client.closed?.code).toBe(1009))
    expect(relay.metrics.registry.value('tournee_frames_rejected_total', { reason: 'too_big' })).toBe(1)
    expect(entries(other)).toEqual([])
    expect(other.closed).toBeNull()
  })

  it('an update over maxUpdateBytes closes with 4413 and is not stored', async () => {
    const where = await place()
    const { url } = await start(config(where, { maxUpdateBytes: 1024 }))
    const space = await createSpace(url)
    const client = await connect(url, space)
    pushEntry(client, 'big', 2048)
    await waitFor(() => expect(client.closed?.code).toBe(4413))
    const storage = await where.open()
    cleanups.push(() => storage.close())
    expect((await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates).toEqual([])
  })

  it('a flood of messages closes with 4429', async () => {
    const { url } = await start(config(await place(), { messagesPerSecond: 5, messageBurst: 10 }))
    const space = await createSpace(url)
    const flooder = await connect(url, space)
    const calm = await connect(url, space)
    const query = frame((e) => encoding.writeVarUint(e, MessageType.QueryAwareness))
    for (let i = 0; i < 50; i++) flooder.send(query)
    await waitFor(() => expect(flooder.closed).toEqual({ code: 4429, reason: 'Too many messages' }))
    expect(calm.closed).toBeNull()
  })

  it('closes with 4429 a socket whose frames waiting to be handled pass maxInFlightBytes, storing none of those', async () => {
    const where = await place()
    const real = await where.open()
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    // The first write waits: frames pile up behind it, as behind a slow disk.
    const storage = delegatingStorage(real, {
      appendUpdate: async (id, room, update, max) => {
        await held
        return real.appendUpdate(id, room, update, max)
      },
    })
    const kib = 1024
    const { url, relay } = await start(config(where, { maxFrameBytes: 64 * kib, maxInFlightBytes: 100 * kib }), { storage })
    const space = await createSpace(url)
    const flooder = await connect(url, space)
    const calm = await connect(url, space)
    await waitFor(() => expect(flooder.acks.length).toBeGreaterThan(0))
    for (let i = 0; i < 4; i++) pushEntry(flooder, `heavy-${i}`, 40 * kib)
    await waitFor(() => expect(flooder.closed).toEqual({ code: 4429, reason: 'Too many messages' }))
    expect(relay.metrics.registry.value('tournee_frames_rejected_total', { reason: 'in_flight' })).toBe(1)
    release()
    // The update being written when the limit was passed is stored; those queued behind it are
    // dropped with the connection (its device sends them again in its next step 2).
    await waitFor(async () => expect((await real.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates.length).toBe(1))
    expect(calm.closed).toBeNull()
    pushEntry(calm, 'calm')
    await waitFor(() => expect(calm.ackCovers()).toBe(true))
    expect((await real.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates).toHaveLength(2)
  })

  it('drops awareness: a flood of presence reaches no other device, is not stored, and cuts nobody', async () => {
    const where = await place()
    const { url, relay } = await start(config(where))
    const space = await createSpace(url)
    const honest = await connect(url, space)
    const flooders = await Promise.all([0, 1, 2, 3].map(() => connect(url, space)))
    // Issue 18's attack 6, scaled down: each connection announces 8 clients of 16 KiB, again and again.
    for (const flooder of flooders) {
      for (let id = 1; id <= 8; id++) flooder.awareness.states.set(flooder.doc.clientID * 10 + id, { blob: 'x'.repeat(16 * 1024) })
      for (let id = 1; id <= 8; id++) flooder.awareness.meta.set(flooder.doc.clientID * 10 + id, { clock: 1, lastUpdated: 0 })
      for (let round = 0; round < 5; round++) flooder.sendAwareness([...flooder.awareness.states.keys()])
      flooder.send(frame((e) => encoding.writeVarUint(e, MessageType.QueryAwareness)))
    }
    // A write after the flood, from each flooder: once the honest device has them all, every
    // awareness frame sent before them has been handled (frames are handled in order).
    flooders.forEach((flooder, i) => pushEntry(flooder, `after-${i}`))
    await waitFor(() => expect(entries(honest)).toHaveLength(4))
    expect(honest.awarenessFrames).toBe(0)
    expect(flooders.map((f) => f.awarenessFrames)).toEqual([0, 0, 0, 0])
    expect(flooders.map((f) => f.closed)).toEqual([null, null, null, null])
    expect(relay.metrics.registry.render()).toMatch(/^tournee_awareness_dropped_total 24$/m)
    // Nothing of it on disk: the room holds the four entries only.
    const storage = await where.open()
    cleanups.push(() => storage.close())
    const stored = (await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates
    expect(stored.reduce((sum, row) => sum + row.byteLength, 0)).toBeLessThan(16 * 1024)
  })

  it('keeps a stock y-websocket client working: its awareness announcement is dropped, its sync goes through', async () => {
    const { url } = await start(config(await place()))
    const space = await createSpace(url)
    const honest = await connect(url, space)
    const doc = new Y.Doc()
    // The stock provider announces `{}` on connect (its default local state) and syncs.
    const provider = new WebsocketProvider(url.replace(/^http/, 'ws') + `/v1/sync/${space.spaceId}`, TEST_ROOM_ID, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      protocols: [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + space.credential],
      disableBc: true,
    })
    cleanups.push(() => provider.destroy())
    expect(provider.awareness.getLocalState()).toEqual({})
    doc.getArray<Entry>('entries').push([testEntry('stock')])
    await waitFor(() => expect(docs(honest)).toEqual(['stock']))
    expect(honest.awarenessFrames).toBe(0)
    expect(provider.wsconnected).toBe(true)
  })
})

describe('storage failure', () => {
  it('closes the writing device with 4500, acknowledges nothing, and keeps the room serving', async () => {
    const where = await place()
    const real = await where.open()
    let failWrites = true
    // The write fails once the quota's look (which runs beside it) has answered, so the update was
    // forwarded by then; a write that fails before the look answers is never forwarded.
    let looked: Promise<unknown> = Promise.resolve()
    const flaky = delegatingStorage(real, {
      spaceUsage: (id) => (looked = real.spaceUsage(id)),
      appendUpdate: async (id, room, update, max) => {
        if (!failWrites) return real.appendUpdate(id, room, update, max)
        await looked
        await new Promise((resolve) => setImmediate(resolve))
        throw new Error('disk full')
      },
    })
    const { url } = await start(config(where), { storage: flaky })
    const space = await createSpace(url)
    const writer = await connect(url, space)
    const reader = await connect(url, space)
    pushEntry(writer, 'lost-for-now')
    await waitFor(() => expect(writer.closed).toEqual({ code: 4500, reason: 'Relay storage failure' }))
    expect(writer.ackCovers()).toBe(false)
    // Fanned out before the write failed: the reader holds it, the relay neither stored it nor
    // took it into its doc, so no ACK covers it and a device joining now does not get it.
    await waitFor(() => expect(docs(reader)).toEqual(['lost-for-now']))
    expect(reader.ackCoversAll()).toBe(false)

    failWrites = false
    const fresh = await connect(url, space)
    // Its own write acknowledged: the relay has answered its step 1 (and sent what it holds).
    pushEntry(fresh, 'fresh')
    await waitFor(() => expect(fresh.ackCovers()).toBe(true))
    expect(docs(fresh)).toEqual(['fresh'])
    // The writer comes back with the change it still holds as pending: stored this time.
    const again = await connect(url, space)
    Y.applyUpdate(again.doc, Y.encodeStateAsUpdate(writer.doc))
    pushEntry(again, 'stored')
    await waitFor(() => expect(again.ackCoversAll()).toBe(true))
    await waitFor(() => expect(docs(fresh).sort()).toEqual(['fresh', 'lost-for-now', 'stored']))
    await waitFor(() => expect(docs(reader).sort()).toEqual(['fresh', 'lost-for-now', 'stored']))
    expect(reader.closed).toBeNull()
  })
})

describe('upgrade refusals', () => {
  it('refuses before the upgrade with the right status, and allocates nothing', async () => {
    const { url, relay } = await start(config(await place()))
    const space = await createSpace(url)
    const ws = url.replace('http', 'ws')
    const good = [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + space.credential]
    const wrong = [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + toBase64Url(randomBytes(32))]

    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`, wrong)).toBe(401)
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`, [SUBPROTOCOL])).toBe(401)
    expect(await upgradeStatus(`${ws}/v1/sync/${randomId()}/${TEST_ROOM_ID}`, good)).toBe(404)
    // The room is part of every sync path: a space alone names no room.
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}`, good)).toBe(404)
    expect(await upgradeStatus(`${ws}/v1/elsewhere/${space.spaceId}/${TEST_ROOM_ID}`, good)).toBe(404)
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`, good, { origin: 'https://evil.example' })).toBe(403)
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`, [AUTH_SUBPROTOCOL_PREFIX + space.credential])).toBe(426)
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`, ['tournee.2', AUTH_SUBPROTOCOL_PREFIX + space.credential])).toBe(426)
    expect(relay.metrics.registry.value('tournee_loaded_rooms')).toBe(0)
    expect(relay.metrics.registry.value('tournee_upgrades_accepted_total')).toBe(0)
    expect(relay.metrics.registry.value('tournee_upgrades_refused_total', { reason: 'credential' })).toBe(2)

    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`, good, { origin: 'https://cabinet.example.fr' })).toBe(101)
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`, good, { origin: url })).toBe(101)
  })

  it('answers tournee.1 only, never echoing the credential', async () => {
    const { url } = await start(config(await place()))
    const client = await connect(url, await createSpace(url))
    expect(client.socket.protocol).toBe(SUBPROTOCOL)
  })
})

describe('per-address limits on sync upgrades', () => {
  /** A relay behind one trusted proxy: each test poses as addresses through X-Forwarded-For. */
  const behindProxy = async (perimeter: Partial<PerimeterConfig>) => config(await place(), {}, { perimeter: { ...DefaultPerimeter, trustedProxies: 1, ...perimeter } })
  const as = (address: string) => ({ 'x-forwarded-for': address })

  it('refuses with 429 and Retry-After an address that failed too often, before its credential is checked, and lets it in once it waited', async () => {
    const clock = { now: 1_000_000 }
    const { url, relay } = await start(await behindProxy({ failedCredentials: { burst: 3, perMinute: 6 } }), { now: () => clock.now })
    const space = await createSpace(url)
    const path = `${url.replace('http', 'ws')}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`
    const good = [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + space.credential]
    const wrong = () => [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + toBase64Url(randomBytes(32))]

    for (let i = 0; i < 3; i++) expect(await upgradeStatus(path, wrong(), as('203.0.113.9'))).toBe(401)
    const refused = await upgradeAnswer(path, good, as('203.0.113.9'))
    expect(refused.status).toBe(429)
    expect(refused.headers).toMatchObject({ 'retry-after': '10', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' })
    // The address's HTTP requests wait too: one budget per address.
    const probe = await fetch(`${url}/v1/spaces/${space.spaceId}`, { headers: { authorization: `Bearer ${space.credential}`, ...as('203.0.113.9') } })
    expect(probe.status).toBe(429)
    expect(probe.headers.get('retry-after')).toBe('10')
    // Others are not concerned: another address, and this machine itself.
    expect(await upgradeStatus(path, good, as('198.51.100.4'))).toBe(101)
    expect(await upgradeStatus(path, good)).toBe(101)
    clock.now += 10_000
    expect(await upgradeStatus(path, good, as('203.0.113.9'))).toBe(101)

    const value = (name: string, labels: Record<string, string>) => relay.metrics.registry.value(name, labels)
    expect(value('tournee_upgrades_refused_total', { reason: 'throttled' })).toBe(1)
    expect(value('tournee_credential_failures_total', { surface: 'websocket' })).toBe(3)
    expect(value('tournee_perimeter_refusals_total', { reason: 'failed_credentials' })).toBe(2)
  })

  it('caps open sockets per address; a closed, refused or failed upgrade gives its slot back', async () => {
    const { url, relay } = await start(await behindProxy({ maxConnectionsPerAddress: 2 }))
    const space = await createSpace(url)
    const path = `${url.replace('http', 'ws')}/v1/sync/${space.spaceId}/${TEST_ROOM_ID}`
    const wrong = [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + toBase64Url(randomBytes(32))]
    for (let i = 0; i < 5; i++) expect(await upgradeStatus(path, wrong, as('203.0.113.9'))).toBe(401)
    expect(await upgradeStatus(`${path}/not-a-room`, [SUBPROTOCOL], as('203.0.113.9'))).toBe(404)

    const first = await connect(url, space, undefined, as('203.0.113.9'))
    await connect(url, space, undefined, as('203.0.113.9'))
    const refused = await upgradeAnswer(path, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + space.credential], as('203.0.113.9'))
    expect(refused.status).toBe(429)
    expect(refused.headers['retry-after']).toBe('30')
    expect(relay.metrics.registry.value('tournee_upgrades_refused_total', { reason: 'address_connections' })).toBe(1)
    await connect(url, space, undefined, as('198.51.100.4'))

    first.socket.close()
    await waitFor(async () => expect(await upgradeStatus(path, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + space.credential], as('203.0.113.9'))).toBe(101))
  })
})

describe('rooms of a space', () => {
  const roomA = 'roomAAAAAAAAAAAAAAAAAA'
  const roomB = 'roomBBBBBBBBBBBBBBBBBB'
  const roomC = 'roomCCCCCCCCCCCCCCCCCC'

  it('keeps each room its own envelope, persisted apart and loaded on its own', async () => {
    const where = await place()
    const first = await start(config(where))
    const space = await createSpace(first.url)
    const main = await connect(first.url, space)
    const a = await connect(first.url, space, roomA)
    pushEntry(main, 'in-main')
    pushEntry(a, 'in-a')
    await waitFor(() => expect(main.ackCovers()).toBe(true))
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    expect(first.relay.metrics.registry.value('tournee_loaded_rooms')).toBe(2)
    await first.relay.close()

    const second = await start(config(where))
    const mainAgain = await connect(second.url, space)
    await waitFor(() => expect(docs(mainAgain)).toEqual(['in-main']))
    // Only the room asked for is loaded.
    expect(second.relay.metrics.registry.value('tournee_loaded_rooms')).toBe(1)
    const aAgain = await connect(second.url, space, roomA)
    await waitFor(() => expect(docs(aAgain)).toEqual(['in-a']))
    const b = await connect(second.url, space, roomB)
    await waitFor(() => expect(b.acks.length).toBeGreaterThan(0))
    expect(entries(b)).toEqual([])
  })

  it('refuses a room past the rooms-per-space limit with 4507, storing and loading nothing', async () => {
    const { url, relay } = await start(config(await place(), { maxRoomsPerSpace: 3 }))
    const space = await createSpace(url)
    // The main room is a room like the others: it counts.
    const admitted = [await connect(url, space), await connect(url, space, roomA), await connect(url, space, roomB)]
    // Each room loaded (its first answer sent) before the count is read.
    for (const client of admitted) await waitFor(() => expect(client.acks.length).toBeGreaterThan(0))
    const loaded = relay.metrics.registry.value('tournee_loaded_rooms')
    const refused = await connect(url, space, roomC)
    await waitFor(() => expect(refused.closed).toEqual({ code: 4507, reason: 'Too many rooms for this space' }))
    expect(relay.metrics.registry.value('tournee_loaded_rooms')).toBe(loaded)
    expect(relay.metrics.registry.value('tournee_upgrades_refused_total', { reason: 'room_limit' })).toBe(1)
    // The rooms already admitted still open; another space has its own count.
    const main = await connect(url, space)
    const again = await connect(url, space, roomA)
    const other = await connect(url, await createSpace(url), roomC)
    for (const client of [main, again, other]) await waitFor(() => expect(client.acks.length).toBeGreaterThan(0))
    for (const client of [main, again, other]) expect(client.closed).toBeNull()
  })

  it('refuses a wrong credential or a malformed room before the upgrade, allocating nothing', async () => {
    const { url, relay } = await start(config(await place()))
    const space = await createSpace(url)
    const ws = url.replace('http', 'ws')
    const wrong = [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + toBase64Url(randomBytes(32))]
    const good = [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + space.credential]
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${roomA}`, wrong)).toBe(401)
    expect(await upgradeStatus(`${ws}/v1/sync/${randomId()}/${roomA}`, good)).toBe(404)
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/agenda%2F2019`, good)).toBe(404)
    expect(await upgradeStatus(`${ws}/v1/sync/${space.spaceId}/${roomA}/x`, good)).toBe(404)
    expect(relay.metrics.registry.value('tournee_loaded_rooms')).toBe(0)
    expect(relay.metrics.registry.value('tournee_upgrades_accepted_total')).toBe(0)
  })
})

describe('stopping', () => {
  /** One GET on `agent`'s kept-alive connection: status and Connection header, or the socket error. */
  function get(url: string, agent: Agent, credential: string): Promise<{ status: number; connection: string | undefined } | { error: string }> {
    return new Promise((resolve) => {
      const request = httpRequest(url, { agent, headers: { authorization: `Bearer ${credential}` } }, (response) => {
        response.resume()
        response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }))
      })
      request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
      request.end()
    })
  }

  it('answers the requests in flight from an open storage, then 503 on a kept-alive connection, never 500', async () => {
    const real = await (await place()).open()
    let release: () => void = () => {}
    let held: () => void = () => {}
    const holding = new Promise<void>((resolve) => (held = resolve))
    let hold = false
    const storage = delegatingStorage(real, {
      // The first read of a digest waits while the relay starts stopping, as a slow disk would.
      getDigest: async (id, name) => {
        if (hold) {
          hold = false
          held()
          await new Promise<void>((resolve) => (release = resolve))
        }
        return real.getDigest(id, name)
      },
    })
    const relay = await startRelay(config(await place()), { logger: silentLogger, storage, closeGraceMs: 5000 })
    const url = `http://127.0.0.1:${relay.port}`
    const space = await createSpace(url)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    cleanups.push(() => agent.destroy())
    const digest = `${url}/v1/spaces/${space.spaceId}/digests/directory`

    hold = true
    const inFlight = get(digest, agent, space.credential)
    // Queued behind it on the same kept-alive socket: it reaches the relay once the first is answered.
    const next = get(digest, agent, space.credential)
    await holding
    const closed = relay.close()
    release()

    expect(await inFlight, 'a request admitted before the stop is answered from the storage').toEqual({ status: 204, connection: 'keep-alive' })
    const after = await next
    // A stopping relay closes the connection with its 503; a socket cut first is as good (the device retries).
    if ('status' in after) expect(after).toEqual({ status: 503, connection: 'close' })
    else expect(after.error).toMatch(/ECONNRESET|ECONNREFUSED|EPIPE/)
    await closed
  })
})

describe('durability and compaction', () => {
  it('a restarted relay on the same data folder still has the content', async () => {
    const where = await place()
    const first = await startRelay(config(where), { logger: silentLogger })
    const firstUrl = `http://127.0.0.1:${first.port}`
    const space = await createSpace(firstUrl)
    const a = await SyncTestClient.connect(firstUrl, space.spaceId, space.credential)
    for (let i = 0; i < 5; i++) pushEntry(a, `durable-${i}`)
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    await first.close()
    await waitFor(() => expect(a.closed?.code).toBe(1001))
    a.destroy()

    const { url } = await start(config(where))
    const b = await connect(url, space)
    await waitFor(() => expect(docs(b)).toEqual([0, 1, 2, 3, 4].map((i) => `durable-${i}`)))
  })

  it('compacts when the last device leaves, erasing the ciphertext of deleted entries', async () => {
    const where = await place()
    const storage = await where.open()
    // The row rule alone: the weight rule would compact while loaded, once the marker is deleted.
    const { url } = await start(config(where), { storage, compactRowsOnUnload: 3, compactBytesRatio: 1000 })
    const space = await createSpace(url)
    const a = await connect(url, space)
    const marker = new TextEncoder().encode('CIPHERTEXT-OF-AN-ERASED-PATIENT')
    a.doc.getArray<Entry>('entries').push([testEntry('erased', marker)])
    for (let i = 0; i < 5; i++) pushEntry(a, `kept-${i}`)
    // An erasure as a device makes it: an entry of the empty doc, the doc's other entries deleted.
    Y.transact(a.doc, () => {
      a.doc.getArray<Entry>('entries').push([testEntry('erased')])
      a.doc.getArray<Entry>('entries').delete(0, 1)
    })
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    expect((await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates.length).toBeGreaterThan(3)

    await a.close()
    await waitFor(async () => expect((await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates).toHaveLength(1))
    const [snapshot] = (await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates
    expect(Buffer.from(snapshot!).includes(Buffer.from(marker))).toBe(false)

    const b = await connect(url, space)
    await waitFor(() => expect(docs(b)).toEqual([...[0, 1, 2, 3, 4].map((i) => `kept-${i}`), 'erased']))
  })

  it('compacts on unload when a few rows outweigh the doc, as after a device compacted its entries', async () => {
    const where = await place()
    // A first relay with the weight rule off leaves the heavy rows of a device's compaction behind.
    const first = await start(config(where), { compactBytesRatio: 1000 })
    const space = await createSpace(first.url)
    const a = await connect(first.url, space)
    const marker = new TextEncoder().encode('CIPHERTEXT-OF-A-COMPACTED-DOC')
    const heavy = new Uint8Array(64 * 1024).fill(7)
    heavy.set(marker)
    a.doc.getArray<Entry>('entries').push([testEntry('doc', heavy)])
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    // A device compaction: the doc's snapshot as a new entry, its old entries deleted.
    Y.transact(a.doc, () => {
      a.doc.getArray<Entry>('entries').delete(0, 1)
      a.doc.getArray<Entry>('entries').push([testEntry('doc', new Uint8Array(64 * 1024).fill(8))])
    })
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    await a.close()
    await first.relay.close()
    const storage = await where.open()
    // Far fewer rows than compactRowsOnUnload (50), twice the doc's weight.
    expect((await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates).toHaveLength(2)

    // The default rules: loading does not compact, the unload does, for the weight alone.
    const { url } = await start(config(where), { storage })
    const b = await connect(url, space)
    await waitFor(() => expect(entries(b).map((e) => e.c[0])).toEqual([8]))
    expect((await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates).toHaveLength(2)
    await b.close()
    await waitFor(async () => expect((await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates).toHaveLength(1))
    const [snapshot] = (await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates
    expect(Buffer.from(snapshot!).includes(Buffer.from(marker))).toBe(false)
    expect(snapshot!.byteLength).toBeLessThan(1.25 * 64 * 1024)
  })

  it('compacts a loaded room once its rows outweigh the doc, while devices stay connected', async () => {
    const where = await place()
    const storage = await where.open()
    const { url, relay } = await start(config(where), { storage })
    const space = await createSpace(url)
    const a = await connect(url, space)
    const list = a.doc.getArray<Entry>('entries')
    for (let round = 0; round < 4; round++) {
      Y.transact(a.doc, () => {
        if (list.length > 0) list.delete(0, list.length)
        list.push([testEntry('doc', new Uint8Array(32 * 1024).fill(round))])
      })
      await waitFor(() => expect(a.ackCovers()).toBe(true))
    }
    await waitFor(() => expect(relay.metrics.registry.value('tournee_compactions_total')).toBeGreaterThan(0))
    const rows = (await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates
    const stored = rows.reduce((sum, row) => sum + row.byteLength, 0)
    expect(stored).toBeLessThan(2.5 * 32 * 1024)
    const b = await connect(url, space)
    await waitFor(() => expect(entries(b).map((e) => e.c[0])).toEqual([3]))
  })

  it('compacts a loaded room once it passes the row threshold, without losing later writes', async () => {
    const where = await place()
    const storage = await where.open()
    const { url, relay } = await start(config(where), { storage, compactRowsWhileLoaded: 10 })
    const space = await createSpace(url)
    const a = await connect(url, space)
    const b = await connect(url, space)
    for (let i = 0; i < 30; i++) pushEntry(i % 2 === 0 ? a : b, `entry-${i}`)
    await waitFor(() => expect(a.ackCovers() && b.ackCovers()).toBe(true))
    await waitFor(() => expect(relay.metrics.registry.value('tournee_compactions_total')).toBeGreaterThan(0))
    const rows = (await storage.loadUpdates(space.spaceId, TEST_ROOM_ID)).updates
    expect(rows.length).toBeLessThanOrEqual(11)
    const check = new Y.Doc()
    for (const row of rows) Y.applyUpdate(check, row)
    await waitFor(() => expect(check.getArray('entries').length).toBe(30))
  })

  it('closes devices with 1001 on shutdown', async () => {
    const relay = await startRelay(config(await place()), { logger: silentLogger })
    const url = `http://127.0.0.1:${relay.port}`
    const client = await SyncTestClient.connect(url, ...Object.values(await createSpace(url)) as [string, string])
    cleanups.push(() => client.destroy())
    await relay.close()
    await waitFor(() => expect(client.closed).toEqual({ code: 1001, reason: 'Relay shutting down' }))
  })
})
