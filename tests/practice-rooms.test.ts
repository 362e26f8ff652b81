/**
 * A practice in rooms per year (layout 2, the practices created before rooms per month) against a
 * real relay process: years of agenda and patient files in their own rooms, a fresh device that
 * starts from the directory and this year only, opens 2019 when asked, background opening for
 * offline use, idle sockets, offline edits in two rooms, the rooms-per-space limit seen by the
 * device, no plaintext on the relay, and a layout-1 practice that still works as before.
 * Layout 3 (a room per month, every new practice): practice-month-rooms.test.ts.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createPractice, getPairingCode, joinPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device'
import { deriveSpaceKeys } from '../shared/src/crypto/space-keys'
import { DIRECTORY_DOC_ID, agendaDocId, patientDocId } from '../shared/src/model/doc-ids'
import { addPatient, getPatient } from '../shared/src/model/patients'
import { addAppointment } from '../shared/src/model/agenda'
import { addNote, getNote } from '../shared/src/model/patient-file'
import { monthOf, todayIn } from '../shared/src/model/dates'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { MAIN_ROOM, roomOf, SpaceLayout, startupRooms, type RoomName } from '../shared/src/space/rooms'
import { ROOMS_INDEX_MAP } from '../client/src/sync/practice-space'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { nodeDeviceEnvironment, type RecordedFrames } from './helpers/node-device'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { waitFor } from './helpers/wait-for'
import { appointmentsIn, bookIn, quietDevice as quietRoomDevice } from './helpers/room-devices'
import { filesUnder } from './helpers/files-under'

const frames: RecordedFrames = { sent: [] }
const fixture = useRelayFixture()
const track = fixture.track

const today = todayIn('Europe/Paris', Date.now)
const thisMonth = monthOf(today)
const startup: RoomName[] = startupRooms(SpaceLayout.Rooms, today)

const quietDevice = (name: string): DeviceEnvironment => quietRoomDevice(name, frames)

describe('a practice in rooms', () => {
  let a: OpenPractice
  let envA: DeviceEnvironment
  let patients: string[]
  let memberId: string

  const book = (p: OpenPractice, month: string, day?: string, hour?: string) => bookIn(p, month, { practitionerId: memberId, patientId: patients[0]! }, day, hour)

  it('writes 2019, 2025 and this year plus patient files, each in its own room', async () => {
    envA = quietDevice('tablette')
    a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet des Saules', practitioner: { displayName: 'Aurèle Saulnier', profession: 'kine' }, layout: SpaceLayout.Rooms },
        envA,
      ),
    )
    memberId = a.record.memberId!
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    patients = ['Quintavalle', 'Brunehilde'].map((birthName) =>
      addPatient(directory, { birthName, firstNames: 'Ysolde', birthDate: '1961-05-02' }, actorOf(a), Date.now),
    )
    await book(a, '2019-03')
    await book(a, '2025-06')
    await book(a, thisMonth)
    for (const id of patients) {
      addNote(await a.space.openDoc(patientDocId(id)), { date: '2019-03-10', kind: 'session', text: 'Tendinopathie achilléenne.' }, actorOf(a), Date.now)
    }
    await a.space.whenAcknowledged()

    const expectedRooms = new Set<RoomName>([...startup, 'agenda/2019', 'agenda/2025', ...(await Promise.all(patients.map((id) => roomOf(patientDocId(id), SpaceLayout.Rooms))))])
    expect(new Set(a.space.openRoomNames())).toEqual(expectedRooms)
    // Every room written to is listed in the directory, for the other devices' background pass.
    const index = directory.getMap<boolean>(ROOMS_INDEX_MAP)
    await waitFor(() => expect(new Set([MAIN_ROOM, ...index.keys()])).toEqual(expectedRooms))
    await a.space.whenAcknowledged()
    expect(decodePairingCode(await getPairingCode(a.record.spaceId, envA)).layout).toBe(2)
  })

  it('a fresh device gets the directory and this year first; 2019 connects only when asked', async () => {
    const fresh = await track(joinPractice(await getPairingCode(a.record.spaceId, envA), quietDevice('nouvelle-tablette')))
    const directory = await fresh.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(getPatient(directory, patients[0]!)?.birthName).toBe('Quintavalle'))
    await waitFor(async () => expect(await appointmentsIn(fresh, thisMonth)).toBe(1))
    await waitFor(() => expect(fresh.space.getSyncState().status).toBe('online'))
    expect(new Set(fresh.space.openRoomNames())).toEqual(new Set(startup))
    expect(new Set(fresh.space.connectedRoomNames())).toEqual(new Set(startup))
    // Still so after a round trip through the relay and another device (a background pass would
    // have opened rooms by then: this device was told not to run one).
    await book(fresh, thisMonth, '13', '16')
    await fresh.space.whenAcknowledged()
    await waitFor(async () => expect(await appointmentsIn(a, thisMonth)).toBe(2))
    expect(new Set(fresh.space.openRoomNames())).toEqual(new Set(startup))

    // The agenda shows 2019: that room opens, connects and loads.
    await waitFor(async () => expect(await appointmentsIn(fresh, '2019-03')).toBe(1))
    expect(fresh.space.connectedRoomNames()).toContain('agenda/2019')
    expect(fresh.space.openRoomNames()).not.toContain('agenda/2025')
    const file = await fresh.space.openDoc(patientDocId(patients[1]!))
    await waitFor(() => expect(file.getMap('notes').size).toBe(1))
  })

  it('offline edits in two rooms on two devices reconcile', async () => {
    const b = await track(joinPractice(await getPairingCode(a.record.spaceId, envA), quietDevice('telephone')))
    await waitFor(async () => expect(await appointmentsIn(b, '2019-03')).toBe(1))
    const fileB = await b.space.openDoc(patientDocId(patients[0]!))
    await waitFor(() => expect(fileB.getMap('notes').size).toBe(1))
    a.space.disconnect()
    b.space.disconnect()

    await book(a, '2019-03', '11', '10')
    await book(b, thisMonth, '12', '11')
    const noteB = addNote(fileB, { date: today, kind: 'session', text: 'Reprise de la course.' }, actorOf(b), Date.now)
    const noteA = addNote(await a.space.openDoc(patientDocId(patients[0]!)), { date: today, kind: 'assessment', text: 'Bilan.' }, actorOf(a), Date.now)
    await a.space.flush()
    await b.space.flush()
    expect(a.space.getSyncState()).toMatchObject({ status: 'offline' })
    expect(b.space.getSyncState().pendingChanges).toBeGreaterThan(0)

    b.space.connect()
    a.space.connect()
    await a.space.whenAcknowledged()
    await b.space.whenAcknowledged()
    for (const p of [a, b]) {
      await waitFor(async () => expect(await appointmentsIn(p, '2019-03')).toBe(2))
      await waitFor(async () => expect(await appointmentsIn(p, thisMonth)).toBe(3))
      const file = await p.space.openDoc(patientDocId(patients[0]!))
      await waitFor(() => expect([getNote(file, noteA)?.kind, getNote(file, noteB)?.kind]).toEqual(['assessment', 'session']))
    }
  })

  it('a device opens the rooms the practice wrote to in the background, and keeps them offline', async () => {
    const env: DeviceEnvironment = { ...nodeDeviceEnvironment('bureau', frames), rooms: { background: true } }
    const c = await track(joinPractice(await getPairingCode(a.record.spaceId, envA), env))
    const written = a.space.openRoomNames().filter((name) => !startup.includes(name))
    await waitFor(() => expect(new Set(c.space.caughtUpRoomNames())).toEqual(new Set(written)), { timeoutMs: 30_000 })
    await waitFor(() => expect(c.space.getSyncState()).toMatchObject({ status: 'online', incoming: 0 }), { timeoutMs: 30_000 })
    // Synced and used by no view, the rooms of the pass left memory; their data stayed on the
    // device: with the network off, each reopens from IndexedDB with it.
    await waitFor(() => expect(new Set(c.space.openRoomNames())).toEqual(new Set(startup)))
    c.space.disconnect()
    await waitFor(async () => expect(await appointmentsIn(c, '2025-06')).toBe(1))
    expect(await appointmentsIn(c, '2019-03')).toBe(2)
    expect((await c.space.openDoc(patientDocId(patients[1]!))).getMap('notes').size).toBe(1)
  })

  it('closes an idle historical room socket, keeps its copy, and reconnects it to write', async () => {
    const env: DeviceEnvironment = { ...quietDevice('poste-accueil'), rooms: { background: false, idleCloseMs: 300 } }
    const d = await track(joinPractice(await getPairingCode(a.record.spaceId, envA), env))
    await waitFor(async () => expect(await appointmentsIn(d, '2019-03')).toBe(2))
    await waitFor(() => expect(d.space.connectedRoomNames()).not.toContain('agenda/2019'))
    expect(d.space.openRoomNames()).toContain('agenda/2019')
    // Idle is not offline: the practice still shows online.
    await waitFor(() => expect(d.space.getSyncState().status).toBe('online'))
    expect(await appointmentsIn(d, '2019-03')).toBe(2)
    await book(d, '2019-03', '12', '14')
    await d.space.whenAcknowledged()
    await waitFor(async () => expect(await appointmentsIn(a, '2019-03')).toBe(3))
  })

  it('the relay holds no plaintext: no name, no note, no doc id, no room name', async () => {
    await a.space.whenAcknowledged()
    const needles = ['Quintavalle', 'Brunehilde', 'Ysolde', 'Tendinopathie', 'Reprise de la course', patientDocId(patients[0]!), 'agenda/2019', 'agenda/', 'files/']
    const sent = Buffer.concat(frames.sent)
    const stored = filesUnder(fixture.relay.dataDir).map((f) => readFileSync(f))
    const logs = Buffer.from(fixture.relay.logs.join('\n'))
    for (const needle of needles.map((n) => Buffer.from(n, 'utf8'))) {
      expect(sent.includes(needle), `frames contain ${needle}`).toBe(false)
      for (const file of stored) expect(file.includes(needle), `relay storage contains ${needle}`).toBe(false)
      expect(logs.includes(needle), `relay logs contain ${needle}`).toBe(false)
    }
    // Positive control: the blinded id of the 2019 room is what the relay stored.
    const info = decodePairingCode(await getPairingCode(a.record.spaceId, envA))
    const blinded = await blindRoomName(await deriveSpaceKeys(info.spaceId, info.rootSecret), 'agenda/2019')
    expect(Buffer.concat(stored).includes(Buffer.from(blinded))).toBe(true)
  })
})

describe('the rooms-per-space limit, as a device sees it', () => {
  let relay: RelayProcess | null = null
  afterEach(async () => {
    await relay?.dispose()
    relay = null
  })

  it.each([
    { layout: SpaceLayout.Rooms, name: 'a room per year' },
    { layout: SpaceLayout.Months, name: 'a room per month' },
  ])('a room refused by the relay makes the practice refused, with the reason ($name)', async ({ layout }) => {
    // Main is not counted: the start-up rooms fill the limit, and the first other agenda room is refused.
    relay = await startRelayProcess({ env: { TOURNEE_MAX_ROOMS_PER_SPACE: String(startupRooms(layout, today).length - 1) } })
    const p = await track(
      createPractice(
        { relayUrl: relay.url, practiceName: 'Cabinet limité', practitioner: { displayName: 'Oriane Limousin', profession: 'kine' }, layout },
        quietDevice('limite'),
      ),
    )
    await waitFor(() => expect(p.space.getSyncState().status).toBe('online'))
    await p.space.openDoc(agendaDocId('2019-03'))
    await waitFor(() => expect(p.space.getSyncState()).toMatchObject({ status: 'refused', refusal: 'too-many-rooms' }))
  })
})

describe('a practice created before rooms (layout 1)', () => {
  it('keeps every doc in the one main room, and a joining device does the same', async () => {
    const env = quietDevice('ancien')
    const old = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet ancien', practitioner: { displayName: 'Gaspard Ancel', profession: 'kine' }, layout: 1 },
        env,
      ),
    )
    const directory = await old.space.openDoc(DIRECTORY_DOC_ID)
    const patientId = addPatient(directory, { birthName: 'Vieillecase', firstNames: 'Amaury', birthDate: '1950-01-01' }, actorOf(old), Date.now)
    addAppointment(
      await old.space.openDoc(agendaDocId('2019-03')),
      { start: '2019-03-10T09:00', durationMin: 30, practitionerId: old.record.memberId!, patientId, place: 'practice' },
      actorOf(old),
      Date.now,
    )
    addNote(await old.space.openDoc(patientDocId(patientId)), { date: '2019-03-10', kind: 'session', text: 'Ancien dossier.' }, actorOf(old), Date.now)
    await old.space.whenAcknowledged()
    expect(old.space.openRoomNames()).toEqual([MAIN_ROOM])
    // Everything went through the one envelope: the old wire format, the old path.
    expect(old.space.envelope.stats().entries).toBeGreaterThanOrEqual(3)

    const code = await getPairingCode(old.record.spaceId, env)
    expect(decodePairingCode(code).layout).toBe(1)
    const joined = await track(joinPractice(code, quietDevice('ancien-telephone')))
    await waitFor(async () => expect(await appointmentsIn(joined, '2019-03')).toBe(1))
    const file = await joined.space.openDoc(patientDocId(patientId))
    await waitFor(() => expect(file.getMap('notes').size).toBe(1))
    expect(joined.space.openRoomNames()).toEqual([MAIN_ROOM])
  })
})
