/**
 * A practice with a relay room per agenda month (layout 3, every new practice) against a real
 * relay process: each month in its own room; a fresh device that starts from the directory and
 * this month only and opens an old month when asked; the background pass that brings every month
 * to another device a few rooms at a time and releases each from memory once synced; a released
 * room reopened with its data intact; a month first written while a device is online reaching it
 * through the pass; no month name on the relay. (The rooms-per-space limit, for both layouts with
 * rooms, is in practice-rooms.test.ts.)
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createPractice, getPairingCode, joinPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device'
import { shiftMonth } from '../client/src/state/agenda-docs'
import { DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { addPatient, getPatient } from '../shared/src/model/patients'
import { addNote } from '../shared/src/model/patient-file'
import { monthOf, todayIn } from '../shared/src/model/dates'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { MAIN_ROOM, monthRoom, SpaceLayout, startupRooms, type RoomName } from '../shared/src/space/rooms'
import { ROOMS_INDEX_MAP } from '../client/src/sync/practice-space'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { nodeDeviceEnvironment, type RecordedFrames } from './helpers/node-device'
import { waitFor } from './helpers/wait-for'
import { appointmentsIn, bookIn, quietDevice as quietRoomDevice } from './helpers/room-devices'
import { filesUnder } from './helpers/files-under'

const frames: RecordedFrames = { sent: [] }
const fixture = useRelayFixture()
const track = fixture.track

const today = todayIn('Europe/Paris', Date.now)
const thisMonth = monthOf(today)
const startup = startupRooms(SpaceLayout.Months, today)
/** A recent month, a future one (appointments to come) and an old one, none of them a start-up room. */
const recentMonth = shiftMonth(thisMonth, -3)
const futureMonth = shiftMonth(thisMonth, 3)
const oldMonth = '2019-03'

const quietDevice = (name: string): DeviceEnvironment => quietRoomDevice(name, frames)

describe('a practice with a room per month', () => {
  let a: OpenPractice
  let envA: DeviceEnvironment
  let patientId: string
  let written: RoomName[]

  const book = (p: OpenPractice, month: string, day?: string, hour?: string) => bookIn(p, month, { practitionerId: a.record.memberId!, patientId }, day, hour)

  it('is created in layout 3 and writes each month into its own room', async () => {
    envA = quietDevice('tablette')
    a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet des Mélèzes', practitioner: { displayName: 'Bérénice Mélézin', profession: 'kine' } },
        envA,
      ),
    )
    expect(a.space.layout).toBe(SpaceLayout.Months)
    expect(decodePairingCode(await getPairingCode(a.record.spaceId, envA)).layout).toBe(3)
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    patientId = addPatient(directory, { birthName: 'Pervenchères', firstNames: 'Léonce', birthDate: '1958-09-14' }, actorOf(a), Date.now)
    for (const month of [oldMonth, recentMonth, thisMonth, futureMonth]) await book(a, month)
    addNote(await a.space.openDoc(patientDocId(patientId)), { date: '2019-03-10', kind: 'session', text: 'Capsulite rétractile.' }, actorOf(a), Date.now)
    await a.space.whenAcknowledged()

    const fileRoom = await a.space.roomOfDoc(patientDocId(patientId))
    written = [monthRoom(oldMonth), monthRoom(recentMonth), monthRoom(futureMonth), fileRoom]
    expect(new Set(a.space.openRoomNames())).toEqual(new Set([...startup, ...written]))
    const index = directory.getMap<boolean>(ROOMS_INDEX_MAP)
    await waitFor(() => expect(new Set([MAIN_ROOM, ...index.keys()])).toEqual(new Set([...startup, ...written])))
    await a.space.whenAcknowledged()
  })

  it('a fresh device starts from the directory and this month; an old month opens when asked', async () => {
    const fresh = await track(joinPractice(await getPairingCode(a.record.spaceId, envA), quietDevice('nouvelle-tablette')))
    expect(fresh.space.layout).toBe(SpaceLayout.Months)
    const directory = await fresh.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(getPatient(directory, patientId)?.birthName).toBe('Pervenchères'))
    await waitFor(async () => expect(await appointmentsIn(fresh, thisMonth)).toBe(1))
    await waitFor(() => expect(fresh.space.getSyncState().status).toBe('online'))
    expect(new Set(fresh.space.openRoomNames())).toEqual(new Set(startup))
    expect(new Set(fresh.space.connectedRoomNames())).toEqual(new Set(startup))

    // The agenda pages back to March 2019: that month's room alone opens, connects and loads.
    await waitFor(async () => expect(await appointmentsIn(fresh, oldMonth)).toBe(1))
    expect(fresh.space.connectedRoomNames()).toContain(monthRoom(oldMonth))
    expect(fresh.space.openRoomNames()).not.toContain(monthRoom(recentMonth))
    expect(fresh.space.openRoomNames()).not.toContain(monthRoom('2019-04'))
    // A write there reaches the first device.
    await book(fresh, oldMonth, '11', '10')
    await fresh.space.whenAcknowledged()
    await waitFor(async () => expect(await appointmentsIn(a, oldMonth)).toBe(2))
  })

  it('another device gets every month through the background pass, a few rooms at a time, and releases them once synced', async () => {
    const concurrency = 2
    const env: DeviceEnvironment = { ...nodeDeviceEnvironment('bureau', frames), rooms: { background: true, backgroundConcurrency: concurrency } }
    const c = await track(joinPractice(await getPairingCode(a.record.spaceId, envA), env))
    let mostOpen = 0
    const stop = c.space.subscribe(() => (mostOpen = Math.max(mostOpen, c.space.openRoomNames().length)))
    try {
      await waitFor(() => expect(new Set(c.space.caughtUpRoomNames())).toEqual(new Set(written)), { timeoutMs: 30_000 })
      // Released: only the start-up rooms stay in memory, and the practice is honestly online.
      await waitFor(() => expect(new Set(c.space.openRoomNames())).toEqual(new Set(startup)))
      await waitFor(() => expect(c.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0, incoming: 0 }))
    } finally {
      stop()
    }
    expect(mostOpen).toBeGreaterThan(startup.length)
    expect(mostOpen).toBeLessThanOrEqual(startup.length + concurrency)

    // The network goes: every month the pass brought is on this device, read from IndexedDB.
    c.space.disconnect()
    expect(await appointmentsIn(c, oldMonth)).toBe(2)
    expect(await appointmentsIn(c, recentMonth)).toBe(1)
    expect(await appointmentsIn(c, futureMonth)).toBe(1)
    expect((await c.space.openDoc(patientDocId(patientId))).getMap('notes').size).toBe(1)
    expect(c.space.getSyncState().status).toBe('offline')
  })

  it('a released room reopens with its data intact and catches up what was written meanwhile', async () => {
    const env: DeviceEnvironment = { ...nodeDeviceEnvironment('accueil', frames), rooms: { background: true } }
    const d = await track(joinPractice(await getPairingCode(a.record.spaceId, envA), env))
    await waitFor(() => expect(new Set(d.space.caughtUpRoomNames())).toEqual(new Set(written)), { timeoutMs: 30_000 })
    await waitFor(() => expect(d.space.openRoomNames()).not.toContain(monthRoom(recentMonth)))
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
    expect(d.space.openRoomNames()).toContain(monthRoom(recentMonth))
  })

  it('a month first written while a device is online reaches it through the pass', async () => {
    const env: DeviceEnvironment = { ...nodeDeviceEnvironment('cabinet-secondaire', frames), rooms: { background: true } }
    const e = await track(joinPractice(await getPairingCode(a.record.spaceId, envA), env))
    await waitFor(() => expect(new Set(e.space.caughtUpRoomNames())).toEqual(new Set(written)), { timeoutMs: 30_000 })
    const newMonth = '2017-05'
    await book(a, newMonth)
    await a.space.whenAcknowledged()
    // A listed the room in the directory; E's pass opens it, syncs it, releases it.
    await waitFor(() => expect(e.space.caughtUpRoomNames()).toContain(monthRoom(newMonth)), { timeoutMs: 30_000 })
    await waitFor(() => expect(e.space.openRoomNames()).not.toContain(monthRoom(newMonth)))
    e.space.disconnect()
    expect(await appointmentsIn(e, newMonth)).toBe(1)
  })

  it('the relay sees no month: no room name, no name, no note', async () => {
    await a.space.whenAcknowledged()
    const needles = ['Pervenchères', 'Léonce', 'Capsulite', `agenda/${oldMonth}`, 'agenda/', 'files/', oldMonth]
    const sent = Buffer.concat(frames.sent)
    const stored = filesUnder(fixture.relay.dataDir).map((f) => readFileSync(f))
    const logs = Buffer.from(fixture.relay.logs.join('\n'))
    for (const needle of needles.map((n) => Buffer.from(n, 'utf8'))) {
      expect(sent.includes(needle), `frames contain ${needle}`).toBe(false)
      for (const file of stored) expect(file.includes(needle), `relay storage contains ${needle}`).toBe(false)
      expect(logs.includes(needle), `relay logs contain ${needle}`).toBe(false)
    }
  })
})
