/**
 * A practice on fake-indexeddb with no relay (nothing listens on port 9) or a silent one: which
 * rooms it holds, and when, as its policies say (wanted-rooms.ts), without a network.
 */
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import * as Y from 'yjs'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { deriveSpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { DIRECTORY_DOC_ID } from '../../../../shared/src/model/doc-ids'
import { newRecordId } from '../../../../shared/src/model/ids'
import { SUBPROTOCOL } from '../../../../shared/src/protocol/constants'
import { monthOfDay, weekOf } from '../../../../tests/helpers/calendar-oracle'
import { TEST_TODAY, testClock } from '../../../../tests/helpers/test-clock'
import { Practice, type PracticeOptions } from './practice'
import { ROOMS_INDEX_MAP } from './room-index'
import { practiceExportSource } from '../../export/practice-export-source'

const opened: Practice[] = []
afterEach(async () => {
  for (const practice of opened.splice(0)) await practice.destroy()
})

/** A practice that never connects (nothing listens on port 9), on fake-indexeddb, at `at`. */
async function options(at: string, extra: Partial<PracticeOptions> = {}): Promise<PracticeOptions> {
  const spaceId = randomId()
  return {
    spaceId,
    relayUrl: 'http://127.0.0.1:9',
    credential: randomId(32),
    keys: await deriveSpaceKeys(spaceId, randomBytes(32)),
    idbName: `unit-${randomId()}:tournee-space-${spaceId}`,
    connect: false,
    now: () => Date.parse(at),
    rooms: { envelope: { batchDelayMs: 0 }, WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket },
    ...extra,
  }
}

async function open(o: PracticeOptions): Promise<Practice> {
  const practice = await Practice.open(o)
  opened.push(practice)
  return practice
}

/** A relay that accepts every socket and never answers: the start-up rooms stay "syncing". */
async function silentRelay(): Promise<{ url: string; sockets: ReadonlySet<WebSocket>; close(): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => SUBPROTOCOL })
  await new Promise((resolve) => server.once('listening', resolve))
  const sockets = new Set<WebSocket>()
  server.on('connection', (socket) => sockets.add(socket))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.terminate()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

function write(doc: Y.Doc, key: string): void {
  doc.getMap('test').set(key, 'valeur')
}

/** Rooms open concurrently, so the order they finish opening in is not part of the contract. */
function sortedNames(names: readonly string[]): string[] {
  return [...names].sort()
}

describe('Practice: the rooms it holds', () => {
  it(`at the test's today (${TEST_TODAY}): main and the month of every day of its week, and what this week holds`, async () => {
    const practice = await open(await options(TEST_TODAY, { now: testClock }))
    const months = [...new Set(weekOf(TEST_TODAY).map(monthOfDay))]
    expect(sortedNames(practice.inspect.openRoomNames())).toEqual(sortedNames(['main', ...months.map((m) => `agenda/${m}`)]))
    // A booking on each day of the week lands in its own month's room, which the practice holds already.
    for (const day of weekOf(TEST_TODAY)) write(await practice.openDoc(`agenda/${monthOfDay(day)}`), day)
    expect(sortedNames(practice.inspect.openRoomNames())).toEqual(sortedNames(['main', ...months.map((m) => `agenda/${m}`)]))
  })

  it('opens main and this month at start, and both months of a week that straddles two', async () => {
    expect(sortedNames((await open(await options('2026-06-15T10:00:00Z'))).inspect.openRoomNames())).toEqual(sortedNames(['main', 'agenda/2026-06']))
    // Tuesday 1 December 2026 (Paris): the week began on Monday 30 November.
    expect(sortedNames((await open(await options('2026-12-01T10:00:00Z'))).inspect.openRoomNames())).toEqual(sortedNames(['main', 'agenda/2026-12', 'agenda/2026-11']))
    // 23:30 UTC on 31 May is already Monday 1 June in Paris: the practice's date, not the machine's.
    expect(sortedNames((await open(await options('2026-05-31T23:30:00Z'))).inspect.openRoomNames())).toEqual(sortedNames(['main', 'agenda/2026-06']))
  })

  it('opens a month room when its doc is asked for, writes there alone, lists it, and reopens it from IndexedDB', async () => {
    const o = await options('2026-06-15T10:00:00Z')
    const practice = await open(o)
    const patient = `patient/${newRecordId()}`
    write(await practice.openDoc('agenda/2019-03'), 'rdv')
    write(await practice.openDoc(patient), 'note')
    await practice.flush()
    const fileRoom = await practice.roomOfDoc(patient)
    expect(fileRoom).toMatch(/^files\/[0-9a-f]$/)
    expect(sortedNames(practice.inspect.openRoomNames())).toEqual(sortedNames(['main', 'agenda/2026-06', 'agenda/2019-03', fileRoom]))
    expect((await practice.inspect.room('agenda/2019-03')).envelope.stats().entries).toBe(1)
    // Another month of 2019 is another room, empty.
    await practice.openDoc('agenda/2019-04')
    expect((await practice.inspect.room('agenda/2019-04')).envelope.stats().entries).toBe(0)
    const directory = await practice.openDoc(DIRECTORY_DOC_ID)
    await expect.poll(() => [...directory.getMap(ROOMS_INDEX_MAP).keys()].sort()).toEqual(['agenda/2019-03', fileRoom].sort())
    expect(practice.getSyncState().status).toBe('offline')
    await practice.flush()
    expect(practice.getSyncState().pendingChanges).toBeGreaterThanOrEqual(3)

    await practice.destroy()
    const again = await open(o)
    // The rooms written into offline are loaded with the start too: their changes wait for the
    // relay, and nothing else would open them (unacknowledged-rooms.ts).
    await expect.poll(() => sortedNames(again.inspect.openRoomNames())).toEqual(sortedNames(['main', 'agenda/2026-06', 'agenda/2019-03', fileRoom]))
    expect(again.getSyncState().pendingChanges).toBeGreaterThanOrEqual(3)
    expect((await again.openDoc('agenda/2019-03')).getMap('test').get('rdv')).toBe('valeur')
    expect((await again.openDoc(patient)).getMap('test').get('note')).toBe('valeur')
  })

  it('holds a room while a lease is held, for the grace period after, then lets it go with its data kept', async () => {
    let now = Date.parse('2026-06-15T10:00:00Z')
    const practice = await open(await options('2026-06-15T10:00:00Z', { now: () => now, graceMs: 60_000 }))
    const lease = await practice.acquireDoc('agenda/2019-03', 'view')
    write(lease.doc, 'rdv')
    expect(practice.inspect.openRoomNames()).toContain('agenda/2019-03')
    expect(practice.inspect.wantedRooms().get('agenda/2019-03')?.reasons).toContain('view')
    lease.release()
    // Within the grace period: still there.
    now += 30_000
    await practice.flush()
    await expect.poll(() => practice.inspect.wantedRooms().get('agenda/2019-03')?.reasons).toEqual(expect.arrayContaining(['view']))
    // The write is not on the relay (offline): the room stays for it, lease or not.
    now += 60_000
    practice.syncNow()
    await expect.poll(() => practice.inspect.wantedRooms().get('agenda/2019-03')?.reasons).toEqual(['pending'])
    expect(practice.inspect.openRoomNames()).toContain('agenda/2019-03')
  })

  it('lets a room go once its grace period ends, when nothing of it is pending', async () => {
    let now = Date.parse('2026-06-15T10:00:00Z')
    const practice = await open(await options('2026-06-15T10:00:00Z', { now: () => now, graceMs: 50 }))
    const lease = await practice.acquireDoc('agenda/2019-03', 'view')
    lease.release()
    now += 51
    await expect.poll(() => practice.inspect.openRoomNames()).not.toContain('agenda/2019-03')
    // Asked for again: it loads anew from IndexedDB.
    const again = await practice.acquireDoc('agenda/2019-03', 'view')
    expect(again.doc).not.toBe(lease.doc)
    expect(practice.inspect.openRoomNames()).toContain('agenda/2019-03')
  })

  it('holds a prefetch back while a start-up room is still syncing', async () => {
    const relay = await silentRelay()
    try {
      const o = await options('2026-06-15T10:00:00Z')
      const practice = await open({ ...o, relayUrl: relay.url, connect: true, background: false })
      await expect.poll(() => practice.getSyncState().status).toBe('syncing')
      let prefetched = false
      const prefetch = practice.acquireDoc('agenda/2026-07', 'prefetch').then(() => (prefetched = true))
      // A room asked for after the prefetch opens and connects at once; the prefetched one has
      // not even opened its room, though it was asked for first.
      await practice.openDoc('agenda/2026-08')
      await expect.poll(() => relay.sockets.size).toBe(3)
      expect(prefetched).toBe(false)
      expect(sortedNames(practice.inspect.openRoomNames())).toEqual(sortedNames(['main', 'agenda/2026-06', 'agenda/2026-08']))
      // This device goes offline: the start-up rooms settle, and the prefetch proceeds.
      practice.disconnect()
      await prefetch
      expect(sortedNames(practice.inspect.openRoomNames())).toEqual(sortedNames(['main', 'agenda/2026-06', 'agenda/2026-08', 'agenda/2026-07']))
    } finally {
      await relay.close()
    }
  })

  it("opens today's week's month docs ahead of the views, once their rooms have synced or failed to", async () => {
    const relay = await silentRelay()
    try {
      // Tuesday 1 December 2026: the week straddles November and December.
      const o = await options('2026-12-01T10:00:00Z')
      const writer = await open(o)
      write(await writer.openDoc('agenda/2026-11'), 'lundi')
      write(await writer.openDoc('agenda/2026-12'), 'mardi')
      await writer.flush()
      await writer.destroy()
      const practice = await open({ ...o, relayUrl: relay.url, connect: true, background: false })
      const november = await practice.inspect.room('agenda/2026-11')
      const december = await practice.inspect.room('agenda/2026-12')
      await expect.poll(() => relay.sockets.size).toBe(3)
      // Still syncing: what the relay holds may change this month, so nothing is integrated yet.
      expect([november.envelope.stats().openDocs, december.envelope.stats().openDocs]).toEqual([0, 0])
      // The relay is given up on (offline): each month doc is opened from what the device holds.
      practice.disconnect()
      await expect.poll(() => [november.envelope.stats().openDocs, december.envelope.stats().openDocs]).toEqual([1, 1])
      expect((await practice.openDoc('agenda/2026-11')).getMap('test').get('lundi')).toBe('valeur')
    } finally {
      await relay.close()
    }
  })

  it('prefetches a neighbour month at once when the start-up rooms have settled (offline)', async () => {
    const practice = await open(await options('2026-06-15T10:00:00Z'))
    const { doc } = await practice.acquireDoc('agenda/2026-07', 'prefetch')
    write(doc, 'rdv')
    expect(sortedNames(practice.inspect.openRoomNames())).toEqual(sortedNames(['main', 'agenda/2026-06', 'agenda/2026-07']))
    expect(await practice.openDoc('agenda/2026-07')).toBe(doc)
  })

  it('lists a room written to before an export reads the months, even while the relay has not answered', async () => {
    // An export taken right after a save must hold what was saved: the months it reads come from
    // the directory's room index, which a write updates in the background (room-index.ts).
    const relay = await silentRelay()
    try {
      const practice = await open(await options('2026-06-15T10:00:00Z', { relayUrl: relay.url, connect: true }))
      const handle = practice.handle()
      const lease = await handle.acquireDoc('agenda/2026-07', 'view')
      write(lease.doc, 'rdv')
      const source = await practiceExportSource(handle)
      try {
        expect(source.months).toContain('2026-07')
      } finally {
        source.release()
        lease.release()
      }
    } finally {
      await relay.close()
    }
  })

  it('hands views a narrow handle: docs, sync state, digests, attachments — no rooms, no test hooks', async () => {
    const practice = await open(await options('2026-06-15T10:00:00Z'))
    const handle = practice.handle()
    expect(Object.keys(handle).sort()).toEqual(
      [
        'acquireDoc',
        'attachmentFailure',
        'attachments',
        'directoryDigest',
        'docFreshness',
        'firstScreenShown',
        'getSyncState',
        'nextSlice',
        'readsClinical',
        'roomsListed',
        'spaceId',
        'subscribe',
        'subscribeRooms',
        'syncNow',
        'weekDigest',
      ].sort(),
    )
    expect(Object.isFrozen(handle)).toBe(true)
    const lease = await handle.acquireDoc('agenda/2026-06', 'view')
    expect(lease.doc).toBe(await practice.openDoc('agenda/2026-06'))
    // Never connected (the practice is offline on purpose): behind, and not known complete.
    expect(handle.docFreshness('agenda/2026-06')).toEqual({ currency: 'behind', known: false, lastExchangeAt: null })
  })

  it('tells a held doc as on its way while its room waits for the relay, and behind once the practice goes offline', async () => {
    const relay = await silentRelay()
    const practice = await open(await options('2026-06-15T10:00:00Z', { relayUrl: relay.url, connect: true }))
    const handle = practice.handle()
    await handle.acquireDoc('agenda/2026-06', 'view')
    let changes = 0
    handle.subscribeRooms(() => changes++)
    // A silent relay answers nothing: the room is on its way, and what it holds is not known.
    await expect.poll(() => handle.docFreshness('agenda/2026-06')).toMatchObject({ currency: 'updating', known: false })
    practice.disconnect()
    expect(handle.docFreshness('agenda/2026-06')).toMatchObject({ currency: 'behind', known: false })
    await expect.poll(() => changes, { message: 'going offline is told to the views' }).toBeGreaterThan(0)
    await relay.close()
  })
})
