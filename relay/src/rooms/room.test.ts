/**
 * The room's write path with a storage whose appends wait on a gate: what each connection is sent
 * while an update is between fan-out and its durable row, and after. Peers record the frames they
 * are sent synchronously, so "not sent yet" is exact, not a matter of timing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { DefaultLimits, type Limits } from '../../../shared/src/protocol/constants'
import { silentLogger } from '../log'
import { createRelayMetrics } from '../metrics/relay-metrics'
import type { RelayStorage } from '../storage/relay-storage'
import { delegatingStorage } from '../storage/delegating-storage'
import { SqliteStorage } from '../storage/sqlite-storage'
import { testEntry, type TestEntry } from '../test-support/test-entries'
import { FrameError } from './frame-error'
import { Room } from './room'
import { RecordingPeer } from '../test-support/recording-peer'
import { SpaceSigners } from './entry-signatures'

const SPACE = 'space-room-test'
const ROOM = 'roomOfTheTestRRRRRRRRR'
const cleanups: (() => void)[] = []
afterEach(() => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

/** SQLite storage whose appends wait, while `hold()` is in force, until `release()`. */
function gatedStorage(): { storage: RelayStorage; real: SqliteStorage; hold(): void; release(): void; appendStarted(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'tournee-room-test-'))
  const real = new SqliteStorage({ dataDir: dir })
  cleanups.push(() => {
    void real.close()
    rmSync(dir, { recursive: true, force: true })
  })
  let gate: Promise<void> | null = null
  let open: () => void = () => undefined
  let started: () => void = () => undefined
  let whenStarted = new Promise<void>((resolve) => (started = resolve))
  const storage = delegatingStorage(real, {
    appendUpdate: async (id, room, update, max) => {
      started()
      if (gate) await gate
      return real.appendUpdate(id, room, update, max)
    },
  })
  return {
    storage,
    real,
    hold: () => {
      gate = new Promise((resolve) => (open = resolve))
      whenStarted = new Promise((resolve) => (started = resolve))
    },
    release: () => {
      gate = null
      open()
    },
    appendStarted: () => whenStarted,
  }
}

async function loadRoom(storage: RelayStorage, ackAllAfterMs?: number, limits: Partial<Limits> = {}): Promise<Room> {
  await storage.createSpace(SPACE, new Uint8Array(32))
  await storage.admitRoom(SPACE, ROOM, 10)
  return Room.load(SPACE, ROOM, {
    storage,
    signers: new SpaceSigners(storage),
    limits: { ...DefaultLimits, ...limits },
    logger: silentLogger,
    metrics: createRelayMetrics(),
    compactRowsWhileLoaded: 1000,
    compactBytesRatio: 1.25,
    ...(ackAllAfterMs === undefined ? {} : { ackAllAfterMs }),
  })
}

/** One envelope entry written by a device: the update and the clock it reaches. */
function entryUpdate(label: string): { update: Uint8Array; client: number } {
  const doc = new Y.Doc()
  doc.getArray('entries').push([testEntry(label, new Uint8Array(28))])
  return { update: Y.encodeStateAsUpdate(doc), client: doc.clientID }
}

const covers = (ack: Map<number, number> | undefined, client: number) => (ack?.get(client) ?? 0) >= 1

describe('Room write path', () => {
  it('forwards an update before its row is written, and ACKs the writer only after', async () => {
    const gated = gatedStorage()
    const room = await loadRoom(gated.storage)
    const writer = new RecordingPeer()
    const reader = new RecordingPeer()
    room.join(writer)
    room.join(reader)
    const joinAcks = writer.acks.length

    gated.hold()
    const { update, client } = entryUpdate('in-flight')
    const handled = room.handle(writer, { type: 'sync-update', update })
    await gated.appendStarted()
    // The append is under way and held: the reader already has the update, the writer no ACK,
    // and the relay's doc (what every ACK is read from) does not hold it either.
    expect(reader.updates).toHaveLength(1)
    expect(Y.decodeUpdate(reader.updates[0]!).structs.some((s) => s.id.client === client)).toBe(true)
    expect(writer.acks).toHaveLength(joinAcks)
    expect(Y.encodeStateVector(room.doc)).toEqual(Y.encodeStateVector(new Y.Doc()))

    gated.release()
    await handled
    expect((await gated.real.loadUpdates(SPACE, ROOM)).updates).toHaveLength(1)
    expect(writer.acks).toHaveLength(joinAcks + 1)
    expect(covers(writer.acks.at(-1), client)).toBe(true)
    // The other device is sent nothing more: no ACK for what it received.
    expect(reader.acks).toHaveLength(joinAcks)
    expect(reader.updates).toHaveLength(1)
    room.destroy()
  })

  it('does not hold the append behind the quota\'s look, and forwards the update once whichever answers first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tournee-room-test-'))
    const real = new SqliteStorage({ dataDir: dir })
    cleanups.push(() => {
      void real.close()
      rmSync(dir, { recursive: true, force: true })
    })
    let answerLook: () => void = () => undefined
    const look = new Promise<void>((resolve) => (answerLook = resolve))
    let appended = false
    const storage = delegatingStorage(real, {
      spaceUsage: async (id) => {
        await look
        return real.spaceUsage(id)
      },
      appendUpdate: async (id, room, update, max) => {
        const seq = await real.appendUpdate(id, room, update, max)
        appended = true
        return seq
      },
    })
    const room = await loadRoom(storage)
    const writer = new RecordingPeer()
    const reader = new RecordingPeer()
    room.join(writer)
    room.join(reader)
    const { update, client } = entryUpdate('look-held')
    // The look is held: the append commits regardless, and the queue forwards the update then.
    await room.handle(writer, { type: 'sync-update', update })
    expect(appended).toBe(true)
    expect(covers(writer.acks.at(-1), client)).toBe(true)
    expect(reader.updates).toHaveLength(1)
    // The look answering late (it fits) must not send the update a second time.
    answerLook()
    await look
    await new Promise((resolve) => setImmediate(resolve))
    expect(reader.updates).toHaveLength(1)
    room.destroy()
  })

  it('answers the step 1 of a device that joined during an append only once the row is written', async () => {
    const gated = gatedStorage()
    const room = await loadRoom(gated.storage)
    const writer = new RecordingPeer()
    room.join(writer)

    gated.hold()
    const { update, client } = entryUpdate('before-join')
    const handled = room.handle(writer, { type: 'sync-update', update })
    await gated.appendStarted()
    // Joined after the fan-out: the forward did not reach it.
    const late = new RecordingPeer()
    room.join(late)
    const answered = room.handle(late, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) })
    await Promise.resolve()
    expect(late.updates).toHaveLength(0)
    expect(late.acks.every((ack) => !covers(ack, client))).toBe(true)

    gated.release()
    await Promise.all([handled, answered])
    // Its step 2 carries the update, and the ACK after it covers it: the row is written.
    const received = new Y.Doc()
    for (const u of late.updates) Y.applyUpdate(received, u)
    expect(received.getArray('entries').toArray()).toEqual([testEntry('before-join', new Uint8Array(28))])
    expect(covers(late.acks.at(-1), client)).toBe(true)
    room.destroy()
  })

  it('answers every step 1 of a connection, a second one too (a device\'s delivery check), with what it holds past it', async () => {
    const room = await loadRoom(gatedStorage().storage)
    const device = new RecordingPeer()
    room.join(device)
    await room.handle(device, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) })
    const { update, client } = entryUpdate('mine')
    await room.handle(device, { type: 'sync-step2', update })
    const before = device.updates.length
    // The check: the device's own state vector with its writer lowered to 0.
    await room.handle(device, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) })
    expect(device.updates).toHaveLength(before + 1)
    const copy = new Y.Doc()
    Y.applyUpdate(copy, device.updates.at(-1)!)
    expect(copy.getArray('entries').toArray()).toEqual([testEntry('mine', new Uint8Array(28))])
    expect(covers(device.acks.at(-1), client)).toBe(true)
    room.destroy()
  })

  it('answers a device that holds nothing of a big room with updates of about half a megabyte (an entry at least), then the step 2', async () => {
    const room = await loadRoom(gatedStorage().storage)
    const writer = new RecordingPeer()
    room.join(writer)
    // 6 MB of entries from one writer, in one struct (Yjs merges a writer's consecutive entries).
    const doc = new Y.Doc()
    doc.getArray('entries').push(Array.from({ length: 12 }, (_, i) => testEntry(`big-${i}`, new Uint8Array(500_000).fill(i))))
    await room.handle(writer, { type: 'sync-step2', update: Y.encodeStateAsUpdate(doc) })
    const fresh = new RecordingPeer()
    room.join(fresh)
    await room.handle(fresh, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) })
    // Updates first, the step 2 last: the device is synced once it has applied them all.
    expect(fresh.syncTypes.length).toBeGreaterThanOrEqual(10)
    expect(fresh.syncTypes.slice(0, -1).every((type) => type === 2)).toBe(true)
    expect(fresh.syncTypes.at(-1)).toBe(1)
    for (const update of fresh.updates.slice(0, -1)) expect(update.byteLength).toBeLessThan(600_000)
    const copy = new Y.Doc()
    for (const update of fresh.updates) Y.applyUpdate(copy, update)
    expect(copy.store.pendingStructs).toBeNull()
    expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(room.doc))
    expect(copy.getArray('entries').length).toBe(12)
    // A device that holds part of the room: one step 2, as y-protocols writes it.
    const known = new RecordingPeer()
    room.join(known)
    await room.handle(known, { type: 'sync-step1', stateVector: Y.encodeStateVector(copy) })
    expect(known.syncTypes).toEqual([1])
    room.destroy()
  })

  it('frames its answer to a device that holds part of a big room when the device reads framed answers, and only then', async () => {
    const room = await loadRoom(gatedStorage().storage)
    const writer = new RecordingPeer()
    room.join(writer)
    // Two writers: the device holds the first one's 2 entries; the second's 12 of 500 KB it lacks.
    const held = new Y.Doc()
    held.getArray('entries').push([testEntry('held-0', new Uint8Array(1_000)), testEntry('held-1', new Uint8Array(1_000))])
    await room.handle(writer, { type: 'sync-step2', update: Y.encodeStateAsUpdate(held) })
    const other = new Y.Doc()
    other.getArray('entries').push(Array.from({ length: 12 }, (_, i) => testEntry(`lacked-${i}`, new Uint8Array(500_000).fill(i))))
    await room.handle(writer, { type: 'sync-update', update: Y.encodeStateAsUpdate(other) })
    const stateVector = Y.encodeStateVector(held)

    // An older device: one step 2, its check judges it alone.
    const older = new RecordingPeer()
    room.join(older)
    await room.handle(older, { type: 'sync-step1', stateVector })
    expect(older.syncTypes).toEqual([1])
    expect(older.updates[0]!.byteLength).toBeGreaterThan(6_000_000)

    const framed = Object.assign(new RecordingPeer(), { framedAnswers: true })
    room.join(framed)
    await room.handle(framed, { type: 'sync-step1', stateVector })
    // Updates first, the step 2 last, none of them megabytes; the ACK after the step 2.
    expect(framed.syncTypes.length).toBeGreaterThanOrEqual(10)
    expect(framed.syncTypes.slice(0, -1).every((type) => type === 2)).toBe(true)
    expect(framed.syncTypes.at(-1)).toBe(1)
    for (const update of framed.updates) expect(update.byteLength).toBeLessThan(600_000)
    const copy = new Y.Doc()
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(held))
    for (const update of framed.updates) Y.applyUpdate(copy, update)
    expect(copy.store.pendingStructs).toBeNull()
    expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(room.doc))
    expect(copy.getArray('entries').length).toBe(14)
    // Nothing the device holds is sent again.
    const sent = new Set(framed.updates.flatMap((update) => Y.decodeUpdate(update).structs.map((struct) => struct.id.client)))
    expect(sent.has(held.clientID)).toBe(false)
    room.destroy()
  })

  it('a failed append leaves the update out of the doc, so no later ACK covers it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tournee-room-test-'))
    const real = new SqliteStorage({ dataDir: dir })
    cleanups.push(() => {
      real.close()
      rmSync(dir, { recursive: true, force: true })
    })
    let fail = true
    const storage = delegatingStorage(real, {
      appendUpdate: (id, room, update, max) => (fail ? Promise.reject(new Error('disk full')) : real.appendUpdate(id, room, update, max)),
    })
    const room = await loadRoom(storage)
    const writer = new RecordingPeer()
    const other = new RecordingPeer()
    room.join(writer)
    room.join(other)
    const lost = entryUpdate('lost')
    await expect(room.handle(writer, { type: 'sync-update', update: lost.update })).rejects.toThrow('disk full')
    expect(other.updates).toHaveLength(1) // forwarded before the write

    fail = false
    const kept = entryUpdate('kept')
    await room.handle(other, { type: 'sync-update', update: kept.update })
    const ack = other.acks.at(-1)
    expect(covers(ack, kept.client)).toBe(true)
    expect(covers(ack, lost.client)).toBe(false)
    room.destroy()
  })

  it('ACKs every connection once per window after writes, not once per update', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gated = gatedStorage()
    const room = await loadRoom(gated.storage, 500)
    const writer = new RecordingPeer()
    const reader = new RecordingPeer()
    room.join(writer)
    room.join(reader)
    const written = Array.from({ length: 5 }, (_, i) => entryUpdate(`entry-${i}`))
    for (const { update } of written) await room.handle(writer, { type: 'sync-update', update })
    // The writer has one ACK per update; the reader, only the ACK of its join so far.
    expect(writer.acks).toHaveLength(1 + 5)
    expect(reader.acks).toHaveLength(1)

    vi.advanceTimersByTime(499)
    expect(reader.acks).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(reader.acks).toHaveLength(2)
    expect(written.every(({ client }) => covers(reader.acks[1], client))).toBe(true)
    expect(writer.acks).toHaveLength(1 + 5 + 1)
    // No write since: no further ACK.
    vi.advanceTimersByTime(5000)
    expect(reader.acks).toHaveLength(2)
    room.destroy()
  })
})

/** A device's envelope doc whose local updates are kept, as y-websocket would send them. */
function deviceDoc(): { doc: Y.Doc; array: Y.Array<TestEntry>; sent: Uint8Array[] } {
  const doc = new Y.Doc()
  const sent: Uint8Array[] = []
  doc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'relay' && sent.push(update))
  return { doc, array: doc.getArray<TestEntry>('entries'), sent }
}

async function refusal(handled: Promise<void>): Promise<{ reason: string; code: number }> {
  const error: unknown = await handled.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof FrameError)) throw new Error(`not refused with a FrameError: ${String(error)}`)
  return { reason: error.reason, code: error.close.code }
}

describe('Room: what it takes', () => {
  it('neither forwards nor stores an update it refuses, and keeps serving the others', async () => {
    const gated = gatedStorage()
    const room = await loadRoom(gated.storage)
    const honest = deviceDoc()
    const attacker = new RecordingPeer()
    const reader = new RecordingPeer()
    room.join(attacker)
    room.join(reader)
    honest.array.push([testEntry('doc'), testEntry('doc')])
    await room.handle(reader, { type: 'sync-update', update: honest.sent.pop()! })
    const rows = (await gated.real.loadUpdates(SPACE, ROOM)).updates.length
    // A wipe: no struct, every entry deleted.
    const wipe = deviceDoc()
    Y.applyUpdate(wipe.doc, Y.encodeStateAsUpdate(room.doc), 'relay')
    wipe.array.delete(0, wipe.array.length)
    expect(await refusal(room.handle(attacker, { type: 'sync-update', update: wipe.sent.pop()! }))).toEqual({ reason: 'uncovered_deletion', code: 4400 })
    expect(reader.updates).toHaveLength(0)
    expect((await gated.real.loadUpdates(SPACE, ROOM)).updates).toHaveLength(rows)
    expect(room.doc.getArray('entries').length).toBe(2)
  })

  it('checks again, behind the writes queued before it, an update that refers to one not stored yet', async () => {
    const gated = gatedStorage()
    const room = await loadRoom(gated.storage)
    const [a, b] = [deviceDoc(), deviceDoc()]
    const [peerA, peerB, reader] = [new RecordingPeer(), new RecordingPeer(), new RecordingPeer()]
    for (const peer of [peerA, peerB, reader]) room.join(peer)
    gated.hold()
    a.array.push([testEntry('doc')])
    const first = a.sent.pop()!
    const handledA = room.handle(peerA, { type: 'sync-update', update: first })
    await gated.appendStarted()
    // B got A's entry forwarded, and writes after it before the relay stored it.
    Y.applyUpdate(b.doc, first, 'relay')
    b.array.push([testEntry('doc')])
    const handledB = room.handle(peerB, { type: 'sync-update', update: b.sent.pop()! })
    await Promise.resolve()
    expect(reader.updates).toHaveLength(1)
    gated.release()
    await Promise.all([handledA, handledB])
    expect(reader.updates).toHaveLength(2)
    expect(room.doc.getArray('entries').length).toBe(2)
    expect((await gated.real.loadUpdates(SPACE, ROOM)).updates).toHaveLength(2)
  })

  it('refuses, once the writes before it are in, an update that refers to what nobody sent', async () => {
    const gated = gatedStorage()
    const room = await loadRoom(gated.storage)
    const [a, b] = [deviceDoc(), deviceDoc()]
    a.array.push([testEntry('doc')])
    Y.applyUpdate(b.doc, a.sent.pop()!, 'relay')
    b.array.push([testEntry('doc')])
    const peer = new RecordingPeer()
    room.join(peer)
    // Its step 2 answered the relay's step 1 (it held nothing the room lacked: A's entry it got is
    // not A's to send), so what it refers to later must be there.
    await room.handle(peer, { type: 'sync-step2', update: Y.encodeStateAsUpdate(new Y.Doc()) })
    expect(await refusal(room.handle(peer, { type: 'sync-update', update: b.sent.pop()! }))).toEqual({ reason: 'dangling_reference', code: 4400 })
    expect((await gated.real.loadUpdates(SPACE, ROOM)).updates).toHaveLength(0)
  })

  it('drops, without closing, a write sent live before the step 2 that carries it and what it follows', async () => {
    const gated = gatedStorage()
    const room = await loadRoom(gated.storage)
    const [peer, reader] = [new RecordingPeer(), new RecordingPeer()]
    room.join(reader)
    // A device wrote while its socket was opening: its first entry is in no update the relay got.
    const a = deviceDoc()
    a.array.push([testEntry('doc')])
    a.sent.splice(0)
    room.join(peer)
    a.array.push([testEntry('doc')])
    await room.handle(peer, { type: 'sync-update', update: a.sent.pop()! })
    expect(reader.updates).toHaveLength(0)
    await room.handle(peer, { type: 'sync-step2', update: Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(room.doc)) })
    expect(room.doc.getArray('entries').length).toBe(2)
    expect(reader.updates).toHaveLength(1)
    expect((await gated.real.loadUpdates(SPACE, ROOM)).updates).toHaveLength(1)
  })

  it('stores no row for a step 2 that brings nothing new, and ACKs it', async () => {
    const gated = gatedStorage()
    const room = await loadRoom(gated.storage)
    const a = deviceDoc()
    const peer = new RecordingPeer()
    room.join(peer)
    a.array.push([testEntry('doc'), testEntry('doc')])
    await room.handle(peer, { type: 'sync-update', update: a.sent.pop()! })
    // A compaction: a new entry of the doc, the old ones deleted.
    Y.transact(a.doc, () => {
      a.array.push([testEntry('doc')])
      a.array.delete(0, 2)
    })
    await room.handle(peer, { type: 'sync-update', update: a.sent.pop()! })
    const rows = (await gated.real.loadUpdates(SPACE, ROOM)).updates.length
    const acks = peer.acks.length
    // Reconnected: its step 2 repeats the deletions, nothing else.
    await room.handle(peer, { type: 'sync-step2', update: Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(room.doc)) })
    expect((await gated.real.loadUpdates(SPACE, ROOM)).updates).toHaveLength(rows)
    expect(peer.acks).toHaveLength(acks + 1)
  })

  it('at the space quota, folds its rows first, then closes the writer with 4507, forwarding nothing', async () => {
    const gated = gatedStorage()
    const heavy = 40 * 1024
    const room = await loadRoom(gated.storage, undefined, { maxSpaceEnvelopeBytes: 3 * heavy, maxUpdateBytes: heavy * 2 })
    const a = deviceDoc()
    const [writer, reader] = [new RecordingPeer(), new RecordingPeer()]
    room.join(writer)
    room.join(reader)
    a.array.push([testEntry('doc', heavy)])
    await room.handle(writer, { type: 'sync-update', update: a.sent.pop()! })
    // A compaction: the old entry deleted beside its snapshot. Two heavy rows, one entry live.
    Y.transact(a.doc, () => {
      a.array.push([testEntry('doc', heavy)])
      a.array.delete(0, 1)
    })
    await room.handle(writer, { type: 'sync-update', update: a.sent.pop()! })
    // A third heavy entry fits only once the rows are folded (the deleted ciphertext goes).
    a.array.push([testEntry('other', heavy)])
    await room.handle(writer, { type: 'sync-update', update: a.sent.pop()! })
    expect(reader.updates).toHaveLength(3)
    expect((await gated.real.loadUpdates(SPACE, ROOM)).updates).toHaveLength(2)
    // A fourth does not fit at all.
    a.array.push([testEntry('more', heavy)])
    expect(await refusal(room.handle(writer, { type: 'sync-update', update: a.sent.pop()! }))).toEqual({ reason: 'space_full', code: 4507 })
    expect(reader.updates).toHaveLength(3)
    expect(room.doc.getArray('entries').length).toBe(2)
    expect((await gated.real.spaceUsage(SPACE))!.envelopeBytes).toBeLessThanOrEqual(3 * heavy)
  })
})
