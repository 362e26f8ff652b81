/**
 * A practice's rooms (shared/src/space/rooms.ts: main, a room per agenda month, 16 file shards)
 * against the relay in this process (in-memory-relay.ts): each month in its own room; a fresh device that starts from the
 * directory and this week's months only and opens an old month when asked; offline edits in two
 * rooms on two devices; the background pass that brings every month to another device a few rooms
 * at a time and releases each from memory once synced; a released room reopened with its data
 * intact; a month first written while a device is online reaching it through the pass; the
 * rooms-per-space limit as a device sees it; no month name on the relay.
 *
 * Dates come from the test clock (tests/helpers/test-clock.ts): run at pinned days, this week may
 * span two months or two years, and the expectations follow.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { afterEach } from 'vitest'
import { createPractice, getPairingCode, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { shiftMonth } from '../client/src/state/agenda-docs'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import { DIRECTORY_DOC_ID, agendaDocId, patientDocId } from '../shared/src/model/doc-ids'
import { addPatient, getPatient } from '../shared/src/model/patients'
import { addNote, getNote } from '../shared/src/model/patient-file'
import { monthOf } from '../shared/src/model/dates'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { MAIN_ROOM, monthRoom, startupRooms, type RoomName } from '../shared/src/space/rooms'
import { ROOMS_INDEX_MAP } from '../client/src/sync/practice/room-index'
import { actorOf } from './helpers/relay-fixture'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { startInMemoryRelay, type InMemoryRelay } from './helpers/in-memory-relay'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { appointmentsIn, bookIn } from './helpers/room-devices'
import { filesUnder } from './helpers/files-under'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useInMemoryRelay()
const track = fixture.track

const today = TEST_TODAY
const thisMonth = monthOf(today)
const startup = startupRooms(today)
/** A recent month, a future one (appointments to come) and an old one, none of them a start-up room. */
const recentMonth = shiftMonth(thisMonth, -3)
const futureMonth = shiftMonth(thisMonth, 3)
const oldMonth = '2019-03'

/** A device that opens nothing in the background: what it connects is only what it asked for. */
const quietDevice = (name: string): DeviceEnvironment => fixture.device(name, { practice: { background: false } })

describe('a practice in rooms', () => {
  let a: OpenPractice
  let envA: DeviceEnvironment
  let patientId: string
  let written: RoomName[]

  const book = (p: OpenPractice, month: string, day?: string, hour?: string) => bookIn(p, month, { practitionerId: a.record.memberId!, patientId }, day, hour)

  it('writes each month into its own room, and lists the rooms it wrote in the directory', async () => {
    envA = quietDevice('tablette')
    a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet des Mélèzes', practitioner: { displayName: 'Bérénice Mélézin', profession: 'kine' } },
        envA,
      ),
    )
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    patientId = addPatient(directory, { birthName: 'Pervenchères', firstNames: 'Léonce', birthDate: '1958-09-14' }, actorOf(a), testClock)
    for (const month of [oldMonth, recentMonth, thisMonth, futureMonth]) await book(a, month)
    addNote(await a.space.openDoc(patientDocId(patientId)), { date: '2019-03-10', kind: 'session', text: 'Capsulite rétractile.' }, actorOf(a), testClock)
    await a.space.whenAcknowledged()

    const fileRoom = await a.space.roomOfDoc(patientDocId(patientId))
    written = [monthRoom(oldMonth), monthRoom(recentMonth), monthRoom(futureMonth), fileRoom]
    expect(new Set(a.space.inspect.openRoomNames())).toEqual(new Set([...startup, ...written]))
    // Listed: the rooms written to, this month's included; not a start-up month left unwritten
    // (this week's other month, when it spans two).
    const index = directory.getMap<boolean>(ROOMS_INDEX_MAP)
    await waitFor(() => expect(new Set([MAIN_ROOM, ...index.keys()])).toEqual(new Set([MAIN_ROOM, monthRoom(thisMonth), ...written])))
    await a.space.whenAcknowledged()
  })

  it('a fresh device starts from the directory and this week; an old month opens when asked', async () => {
    const fresh = await track(joinWith(await pairingTicket(a.record.spaceId, envA), quietDevice('nouvelle-tablette')))
    const directory = await fresh.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(getPatient(directory, patientId)?.birthName).toBe('Pervenchères'))
    await waitFor(async () => expect(await appointmentsIn(fresh, thisMonth)).toBe(1))
    await waitFor(() => expect(fresh.space.getSyncState().status).toBe('online'))
    expect(new Set(fresh.space.inspect.openRoomNames())).toEqual(new Set(startup))
    expect(new Set(fresh.space.inspect.connectedRoomNames())).toEqual(new Set(startup))

    // The agenda pages back to March 2019: that month's room alone opens, connects and loads.
    await waitFor(async () => expect(await appointmentsIn(fresh, oldMonth)).toBe(1))
    expect(fresh.space.inspect.connectedRoomNames()).toContain(monthRoom(oldMonth))
    expect(fresh.space.inspect.openRoomNames()).not.toContain(monthRoom(recentMonth))
    expect(fresh.space.inspect.openRoomNames()).not.toContain(monthRoom('2019-04'))
    // A write there reaches the first device.
    await book(fresh, oldMonth, '11', '10')
    await fresh.space.whenAcknowledged()
    await waitFor(async () => expect(await appointmentsIn(a, oldMonth)).toBe(2))
  })

  it('a held doc says how far it can be trusted: not known until its room has synced, current while live, behind offline, known after a reload', async () => {
    const env = quietDevice('poste-accueil')
    const d = await track(joinWith(await pairingTicket(a.record.spaceId, envA), env))
    const handle = d.space.handle()
    const recent = agendaDocId(recentMonth)
    let first: ReturnType<typeof handle.docFreshness> | null = null
    const seen: string[] = []
    handle.subscribeRooms(() => {
      const f = handle.docFreshness(recent)
      first ??= f
      seen.push(`${f.currency}/${f.known}`)
    })
    await handle.acquireDoc(recent, 'view')
    // Loaded from this device's (empty) copy before the relay answers: never shown as known.
    expect(first, 'told before the room synced').toMatchObject({ known: false })
    await waitFor(() => expect(handle.docFreshness(recent)).toMatchObject({ currency: 'current', known: true }))
    expect(seen.indexOf('current/true')).toBeGreaterThan(seen.findIndex((s) => s.endsWith('/false')))
    expect(await appointmentsIn(d, recentMonth)).toBe(1)

    d.space.disconnect()
    expect(handle.docFreshness(recent)).toMatchObject({ currency: 'behind', known: true })
    expect(handle.docFreshness(recent).lastExchangeAt).not.toBeNull()
    await d.space.flush()
    await d.space.destroy()

    // Reopened offline: what it synced is still known, only not current.
    const reopened = await track(loadPractice({ ...env, connect: false }).then((p) => p!))
    const again = reopened.space.handle()
    await again.acquireDoc(recent, 'view')
    await waitFor(() => expect(again.docFreshness(recent)).toMatchObject({ currency: 'behind', known: true }))
  })

  it('offline edits in two rooms on two devices reconcile', async () => {
    const b = await track(joinWith(await pairingTicket(a.record.spaceId, envA), quietDevice('telephone')))
    await waitFor(async () => expect(await appointmentsIn(b, oldMonth)).toBe(2))
    const fileB = await b.space.openDoc(patientDocId(patientId))
    await waitFor(() => expect(fileB.getMap('notes').size).toBe(1))
    a.space.disconnect()
    b.space.disconnect()

    await book(a, oldMonth, '12', '10')
    await book(b, thisMonth, '12', '11')
    const noteB = addNote(fileB, { date: today, kind: 'session', text: 'Reprise de la course.' }, actorOf(b), testClock)
    const noteA = addNote(await a.space.openDoc(patientDocId(patientId)), { date: today, kind: 'assessment', text: 'Bilan.' }, actorOf(a), testClock)
    await a.space.flush()
    await b.space.flush()
    expect(a.space.getSyncState()).toMatchObject({ status: 'offline' })
    expect(b.space.getSyncState().pendingChanges).toBeGreaterThan(0)

    b.space.connect()
    a.space.connect()
    await a.space.whenAcknowledged()
    await b.space.whenAcknowledged()
    for (const p of [a, b]) {
      await waitFor(async () => expect(await appointmentsIn(p, oldMonth)).toBe(3))
      await waitFor(async () => expect(await appointmentsIn(p, thisMonth)).toBe(2))
      const file = await p.space.openDoc(patientDocId(patientId))
      await waitFor(() => expect([getNote(file, noteA)?.kind, getNote(file, noteB)?.kind]).toEqual(['assessment', 'session']))
    }
  })

  it('another device gets every month through the background pass, a few rooms at a time, and releases them once synced', async () => {
    const concurrency = 2
    const env: DeviceEnvironment = fixture.device('bureau', { practice: { background: true, backgroundConcurrency: concurrency } })
    const c = await track(joinWith(await pairingTicket(a.record.spaceId, envA), env))
    let mostOpen = 0
    const stop = c.space.subscribe(() => (mostOpen = Math.max(mostOpen, c.space.inspect.openRoomNames().length)))
    try {
      await waitFor(() => expect(new Set(c.space.inspect.caughtUpRoomNames())).toEqual(new Set(written)), { timeoutMs: 30_000 })
      // Released: only the start-up rooms stay in memory, and the practice is honestly online.
      await waitFor(() => expect(new Set(c.space.inspect.openRoomNames())).toEqual(new Set(startup)))
      await waitFor(() => expect(c.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0, incoming: 0 }))
    } finally {
      stop()
    }
    expect(mostOpen).toBeGreaterThan(startup.length)
    expect(mostOpen).toBeLessThanOrEqual(startup.length + concurrency)

    // The network goes: every month the pass brought is on this device, read from IndexedDB.
    c.space.disconnect()
    expect(await appointmentsIn(c, oldMonth)).toBe(3)
    expect(await appointmentsIn(c, recentMonth)).toBe(1)
    expect(await appointmentsIn(c, futureMonth)).toBe(1)
    expect((await c.space.openDoc(patientDocId(patientId))).getMap('notes').size).toBe(3)
    expect(c.space.getSyncState().status).toBe('offline')
  })

  it('a released room reopens with its data intact and catches up what was written meanwhile', async () => {
    const env: DeviceEnvironment = fixture.device('accueil', { practice: { background: true } })
    const d = await track(joinWith(await pairingTicket(a.record.spaceId, envA), env))
    await waitFor(() => expect(new Set(d.space.inspect.caughtUpRoomNames())).toEqual(new Set(written)), { timeoutMs: 30_000 })
    await waitFor(() => expect(d.space.inspect.openRoomNames()).not.toContain(monthRoom(recentMonth)))
    // Written on A while the room is released on D.
    await book(a, recentMonth, '12', '15')
    await a.space.whenAcknowledged()
    // D's agenda shows that month: the room reopens from IndexedDB (the first appointment is
    // there at once, before any exchange) and then receives the new one.
    d.space.disconnect()
    expect(await appointmentsIn(d, recentMonth)).toBe(1)
    d.space.connect()
    await waitFor(async () => expect(await appointmentsIn(d, recentMonth)).toBe(2))
    // In use now: it stays in memory, and its writes reach A.
    await book(d, recentMonth, '13', '16')
    await d.space.whenAcknowledged()
    await waitFor(async () => expect(await appointmentsIn(a, recentMonth)).toBe(3))
    expect(d.space.inspect.openRoomNames()).toContain(monthRoom(recentMonth))
  })

  it('a month first written while a device is online reaches it through the pass', async () => {
    const env: DeviceEnvironment = fixture.device('cabinet-secondaire', { practice: { background: true } })
    const e = await track(joinWith(await pairingTicket(a.record.spaceId, envA), env))
    await waitFor(() => expect(new Set(e.space.inspect.caughtUpRoomNames())).toEqual(new Set(written)), { timeoutMs: 30_000 })
    const newMonth = '2017-05'
    await book(a, newMonth)
    await a.space.whenAcknowledged()
    // A listed the room in the directory; E's pass opens it, syncs it, releases it.
    await waitFor(() => expect(e.space.inspect.caughtUpRoomNames()).toContain(monthRoom(newMonth)), { timeoutMs: 30_000 })
    await waitFor(() => expect(e.space.inspect.openRoomNames()).not.toContain(monthRoom(newMonth)))
    e.space.disconnect()
    expect(await appointmentsIn(e, newMonth)).toBe(1)
  })

  it('the relay sees no month: no room name, no name, no note', async () => {
    await a.space.whenAcknowledged()
    const needles = ['Pervenchères', 'Léonce', 'Capsulite', `agenda/${oldMonth}`, 'agenda/', 'files/', oldMonth]
    const sent = Buffer.concat(fixture.relay.sent)
    const stored = filesUnder(fixture.relay.dataDir).map((f) => readFileSync(f))
    const logs = Buffer.from(fixture.relay.logs.join('\n'))
    for (const needle of needles.map((n) => Buffer.from(n, 'utf8'))) {
      expect(sent.includes(needle), `frames contain ${needle}`).toBe(false)
      for (const file of stored) expect(file.includes(needle), `relay storage contains ${needle}`).toBe(false)
      expect(logs.includes(needle), `relay logs contain ${needle}`).toBe(false)
    }
    // Positive control: the blinded id of the old month's room is what the relay stored.
    const info = decodePairingCode(await getPairingCode(a.record.spaceId, envA))
    const blinded = await blindRoomName(await derivePracticeKeys(info.spaceId, info.tiers), monthRoom(oldMonth))
    expect(Buffer.concat(stored).includes(Buffer.from(blinded))).toBe(true)
  })
})

describe('the rooms-per-space limit, as a device sees it', () => {
  let relay: InMemoryRelay | null = null
  afterEach(async () => {
    await relay?.dispose()
    relay = null
  })

  it('a room refused by the relay makes the practice refused, with the reason', async () => {
    // The start-up rooms (main counts like any room) fill the limit: the first other room is refused.
    relay = startInMemoryRelay({ limits: { maxRoomsPerSpace: startup.length } })
    const p = await track(
      createPractice(
        { relayUrl: relay.url, practiceName: 'Cabinet limité', practitioner: { displayName: 'Oriane Limousin', profession: 'kine' } },
        { ...quietDevice('limite'), WebSocketImpl: relay.WebSocketImpl, fetchImpl: relay.fetchImpl },
      ),
    )
    await waitFor(() => expect(p.space.getSyncState().status).toBe('online'))
    await p.space.openDoc(agendaDocId('2019-03'))
    await waitFor(() => expect(p.space.getSyncState()).toMatchObject({ status: 'refused', refusal: 'too-many-rooms' }))
  })
})
