/**
 * Rows another node committed, as a room of a multi-node relay receives them (room.ts, header):
 * sent to the connections at once, held pending, and applied to the doc in one transaction when
 * the doc is next read. Two rooms on one SQLite storage play two nodes; the notices one publishes
 * (after its commits) are handed to the other as RoomFanout hands them over from Redis.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DefaultLimits } from '../../../shared/src/protocol/constants'
import type { RoomNotice } from '../fanout/bus-message'
import { silentLogger } from '../log'
import { createRelayMetrics } from '../metrics/relay-metrics'
import { SqliteStorage } from '../storage/sqlite-storage'
import { labelOf, testEntry, type TestEntry } from '../test-support/test-entries'
import { SpaceSigners } from './entry-signatures'
import { Room, type RoomPeer } from './room'
import { RecordingPeer } from '../test-support/recording-peer'

const SPACE = 'space-pending-test'
const ROOM = 'roomOfThePendingTestRR'
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

function labelsIn(doc: Y.Doc): string[] {
  return doc
    .getArray<TestEntry>('entries')
    .toArray()
    .map((entry) => labelOf(entry.d))
    .sort()
}

interface TwoNodes {
  storage: SqliteStorage
  /** The node whose device writes; its notices are in `notices`, in commit order. */
  writing: Room
  /** The node that hears them (each test hands them over). */
  receiving: Room
  notices: RoomNotice[]
}

async function twoNodes(): Promise<TwoNodes> {
  const dir = mkdtempSync(join(tmpdir(), 'tournee-room-pending-'))
  const storage = new SqliteStorage({ dataDir: dir })
  cleanups.push(() => {
    void storage.close()
    rmSync(dir, { recursive: true, force: true })
  })
  await storage.createSpace(SPACE, new Uint8Array(32))
  await storage.admitRoom(SPACE, ROOM, 10)
  const notices: RoomNotice[] = []
  const deps = (node: string, publish: (notice: RoomNotice) => void) => ({
    storage,
    signers: new SpaceSigners(storage),
    limits: DefaultLimits,
    logger: silentLogger,
    metrics: createRelayMetrics(),
    compactRowsWhileLoaded: 1000,
    compactBytesRatio: 1.25,
    // No timer fires within a test: each reads the doc (or catches up) itself.
    ackAllAfterMs: 60_000,
    gapGraceMs: 60_000,
    bus: { node, publishRoomNotice: (_space: string, _room: string, notice: RoomNotice) => publish(notice) },
  })
  const writing = await Room.load(SPACE, ROOM, deps('node-writing', (notice) => notices.push(notice)))
  const receiving = await Room.load(SPACE, ROOM, deps('node-receiving', () => undefined))
  cleanups.push(() => {
    writing.destroy()
    receiving.destroy()
  })
  return { storage, writing, receiving, notices }
}

/** A device on the writing node: each write is one entry, handled (stored, published) by its room. */
async function write(room: Room, device: RoomPeer, doc: Y.Doc, label: string): Promise<void> {
  let update: Uint8Array | null = null
  const take = (u: Uint8Array) => (update = u)
  doc.on('update', take)
  doc.getArray<TestEntry>('entries').push([testEntry(label, 28)])
  doc.off('update', take)
  await room.handle(device, { type: 'sync-update', update: update! })
}

async function writeAll(nodes: TwoNodes, labels: string[]): Promise<void> {
  const device = new RecordingPeer()
  nodes.writing.join(device)
  const doc = new Y.Doc()
  for (const label of labels) await write(nodes.writing, device, doc, label)
}

const labels = (n: number, prefix = 'row') => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`)

describe("Room: another node's rows, pending", () => {
  it('sends each row to its connections at once, and applies them only when the doc is read, all of them', async () => {
    const nodes = await twoNodes()
    const reader = new RecordingPeer()
    nodes.receiving.join(reader)
    await writeAll(nodes, labels(5))
    expect(nodes.notices.map((n) => n.kind)).toEqual(['row', 'row', 'row', 'row', 'row'])

    for (const notice of nodes.notices) await nodes.receiving.receiveNotice(notice)
    expect(labelsIn(applied(reader.updates))).toEqual(labels(5))
    expect(nodes.receiving.pendingRowCount).toBe(5)

    // A device's step 1 (its delivery check): the answer holds every pending row.
    const checker = new RecordingPeer()
    nodes.receiving.join(checker)
    await nodes.receiving.handle(checker, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) })
    expect(nodes.receiving.pendingRowCount).toBe(0)
    expect(labelsIn(applied(checker.updates))).toEqual(labels(5))
  })

  it("says in a joining device's step 1 and ACK that it holds the pending rows, so the device does not send them back", async () => {
    const nodes = await twoNodes()
    await writeAll(nodes, labels(3))
    for (const notice of nodes.notices) await nodes.receiving.receiveNotice(notice)
    expect(nodes.receiving.pendingRowCount).toBe(3)

    // The device already holds the rows (another device of the practice gave them to it, say).
    const deviceDoc = new Y.Doc()
    for (const notice of nodes.notices) if (notice.kind === 'row') Y.applyUpdate(deviceDoc, notice.row)
    const device = new RecordingPeer()
    nodes.receiving.join(device)
    expect(device.stepOnes).toHaveLength(1)
    // What the relay's step 1 says it lacks of the device's doc: nothing.
    const lacks = Y.encodeStateAsUpdate(deviceDoc, device.stepOnes[0]!)
    expect(labelsIn(applied(lacks))).toEqual([])
    // And its ACK covers them: the device counts nothing of them as pending.
    expect(device.acks[0]).toEqual(Y.decodeStateVector(Y.encodeStateVector(deviceDoc)))
  })

  it("checks a local device's update against the pending rows: an entry after another node's is taken, not refused as dangling", async () => {
    const nodes = await twoNodes()
    await writeAll(nodes, labels(2))
    const device = new RecordingPeer()
    nodes.receiving.join(device)
    // The device's step 2 (nothing to offer yet): from now on, a reference the room lacks is refused.
    await nodes.receiving.handle(device, { type: 'sync-step2', update: Y.encodeStateAsUpdate(new Y.Doc()) })
    for (const notice of nodes.notices) await nodes.receiving.receiveNotice(notice)
    expect(nodes.receiving.pendingRowCount).toBe(2)

    // The device got the rows live, and appends after them: its entry's left origin is the last one.
    const deviceDoc = new Y.Doc()
    for (const update of device.updates) Y.applyUpdate(deviceDoc, update)
    await write(nodes.receiving, device, deviceDoc, 'local-after')
    expect(labelsIn(applied((await nodes.storage.loadUpdates(SPACE, ROOM)).updates))).toEqual([...labels(2), 'local-after'].sort())
  })

  it('compacts with pending rows: the snapshot holds them, and every row is still there after', async () => {
    const nodes = await twoNodes()
    await writeAll(nodes, labels(4))
    for (const notice of nodes.notices) await nodes.receiving.receiveNotice(notice)
    expect(nodes.receiving.pendingRowCount).toBe(4)

    expect(await nodes.receiving.compactIfHeavy(0)).toBe(true)
    const stored = await nodes.storage.loadUpdates(SPACE, ROOM)
    expect(stored.updates).toHaveLength(1)
    expect(labelsIn(applied(stored.updates))).toEqual(labels(4))
  })

  it('catches up a gap with pending rows: the missed row is read from storage and sent', async () => {
    const nodes = await twoNodes()
    const reader = new RecordingPeer()
    nodes.receiving.join(reader)
    await writeAll(nodes, labels(4))
    const [first, second, lost, fourth] = nodes.notices
    for (const notice of [first!, second!, fourth!]) await nodes.receiving.receiveNotice(notice)
    expect(nodes.receiving.pendingRowCount).toBe(3)
    expect(reader.updates).toHaveLength(3)

    await nodes.receiving.catchUp('gap')
    expect(nodes.receiving.pendingRowCount).toBe(0)
    // One more frame: what the read added to the doc (the lost row, and the row after it, which
    // the doc could not integrate without it), and the reader now has all four.
    expect(reader.updates).toHaveLength(4)
    expect(labelsIn(applied(reader.updates.slice(0, 3)))).toEqual([labels(4)[0], labels(4)[1]])
    expect(labelsIn(applied(reader.updates))).toEqual(labels(4))
    // The lost notice arriving late changes nothing.
    await nodes.receiving.receiveNotice(lost!)
    expect(reader.updates).toHaveLength(4)
    expect(nodes.receiving.pendingRowCount).toBe(0)
    expect(labelsIn(nodes.receiving.doc)).toEqual(labels(4))
  })

  it('applies the pending rows once more than 64 wait', async () => {
    const nodes = await twoNodes()
    await writeAll(nodes, labels(65))
    for (const notice of nodes.notices.slice(0, 64)) await nodes.receiving.receiveNotice(notice)
    expect(nodes.receiving.pendingRowCount).toBe(64)
    await nodes.receiving.receiveNotice(nodes.notices[64]!)
    expect(nodes.receiving.pendingRowCount).toBe(0)
    expect(labelsIn(nodes.receiving.doc)).toEqual(labels(65))
  })
})

function applied(updates: Uint8Array | Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  for (const update of Array.isArray(updates) ? updates : [updates]) Y.applyUpdate(doc, update)
  return doc
}
