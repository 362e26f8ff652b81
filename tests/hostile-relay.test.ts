/**
 * Issue 18, attacks 3 and 4 — a bit flipped in a stored ciphertext, a rollback, withholding, rows
 * moved between rooms — against a real relay process, its disk edited while it is stopped
 * (helpers/hostile-storage.ts) or its sockets served through a hostile proxy
 * (helpers/hostile-relay.ts). (Attacks 1, 2, 5–8 have theirs: wipe-guard, delivered-means-stored,
 * relay-envelope-shape, relay-server's awareness, digest-poisoning, relay-perimeter.)
 * The last test plays a registered device in the wrong hands (helpers/stolen-device.ts) copying an
 * entry into another room: it signs the copy, so the relay takes it, and only the devices can tell.
 *
 * Each asserts what holds **today**: no device loses what it holds; after an honest period a device
 * that holds what the relay lacks has put it back, so a fresh device gets everything; what a device
 * cannot read is counted and shown (« données illisibles ignorées »). Not built yet, so not asserted:
 * repair of a corrupted entry (another device republishing what it covers) and the detection of a
 * rollback or of withholding before the honest period (continuity per writer).
 */
import { describe, expect, it } from 'vitest'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { createTranslator } from '../client/src/i18n'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import { listAppointments } from '../shared/src/model/agenda'
import { monthOf } from '../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { listPractitioners } from '../shared/src/model/practitioners'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { MAIN_ROOM, monthRoom, type RoomName } from '../shared/src/space/rooms'
import { flipStoredBit, moveStoredRows, readStoredRooms, rollBackStoredRooms } from './helpers/hostile-storage'
import { hostileWebSocket, startHostileRelay } from './helpers/hostile-relay'
import { stolenDevice } from './helpers/stolen-device'
import { SyncTestClient } from '../relay/src/test-support/sync-test-client'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { bookIn } from './helpers/room-devices'
import { TEST_TODAY } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'

const fixture = useRelayFixture()
const fr = createTranslator('fr', 'Europe/Paris')
const MONTH = monthOf(TEST_TODAY)
const PATIENTS = ['Quenouille', 'Vaucanson', 'Éparvier']

/** A device that names itself to the hostile proxy (when there is one) and opens no room in the background. */
function device(name: string): DeviceEnvironment {
  return { ...nodeDeviceEnvironment(name), WebSocketImpl: hostileWebSocket(name), practice: { background: false } }
}

interface Practice {
  a: OpenPractice
  envA: DeviceEnvironment
  code: PairingTicket
  spaceId: string
  who: { practitionerId: string; patientId: string }
  roomId(name: RoomName): Promise<string>
}

/** Device A's practice on `relayUrl`: three patients, `bookings` appointments this month (one entry each), all acknowledged. */
async function practice(relayUrl: string, bookings: number): Promise<Practice> {
  const envA = device('secrétariat')
  const a = await fixture.track(
    createPractice({ relayUrl, practiceName: 'Cabinet Tamis', practitioner: { displayName: 'Aude Perrin', profession: 'kine' } }, envA),
  )
  const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
  const ids = PATIENTS.map((birthName) => addPatient(directory, { birthName, firstNames: 'Aude' }, actorOf(a), Date.now))
  const who = { practitionerId: listPractitioners(directory).items[0]!.id, patientId: ids[0]! }
  for (let i = 0; i < bookings; i++) {
    await bookIn(a, MONTH, who, String(10 + i), '09')
    await a.space.flush()
  }
  await a.space.whenAcknowledged()
  const code = await pairingTicket(a.record.spaceId, envA)
  const info = decodePairingCode(code.code)
  const keys = await derivePracticeKeys(info.spaceId, info.tiers)
  return { a, envA, code, spaceId: info.spaceId, who, roomId: (name) => blindRoomName(keys, name) }
}

async function starts(p: OpenPractice): Promise<string[]> {
  return listAppointments(await p.space.openDoc(agendaDocId(MONTH)), {}).items.map((x) => x.start).sort()
}

async function patients(p: OpenPractice): Promise<string[]> {
  return listPatients(await p.space.openDoc(DIRECTORY_DOC_ID)).items.map((x) => x.birthName).sort()
}

/** Stops the relay, edits its disk, starts it again on the same port; devices reconnect by themselves. */
async function withRelayStopped(edit: () => Promise<unknown> | unknown): Promise<void> {
  await fixture.relay.stop()
  await edit()
  await fixture.relay.restart()
}

describe('a hostile relay, today', () => {
  it('a bit flipped in a stored entry (attack 3): the device holding it keeps it and republishes it, a new device ends with everything', async () => {
    const p = await practice(fixture.relay.url, 5)
    const expected = await starts(p.a)
    expect(expected).toHaveLength(5)
    const monthRoomId = await p.roomId(monthRoom(MONTH))
    await withRelayStopped(() => flipStoredBit(fixture.relay.dataDir, p.spaceId, monthRoomId, (entries) => entries.length - 1))

    // The device that wrote it keeps it, live and after a reload with no relay at all.
    await waitFor(() => expect(p.a.space.getSyncState().status).toBe('online'))
    expect(await starts(p.a)).toEqual(expected)
    await p.a.space.destroy()
    await fixture.relay.stop()
    const reloaded = await fixture.track(loadPractice({ ...p.envA, connect: false }))
    expect(await starts(reloaded)).toEqual(expected)
    await fixture.relay.restart()
    reloaded.space.connect()

    // A new device cannot read that entry: counted, never applied. The writer's device, online,
    // publishes its content again (entry-repair.ts): the new device ends with every appointment,
    // and nothing left to show (tests/corrupted-entry.test.ts: the alarm while nobody can).
    const b = await fixture.track(joinWith(p.code, device('remplaçant')))
    await waitFor(async () => expect(b.space.getSyncState().undecryptableEntries).toBe(1))
    await waitFor(async () => expect(await patients(b)).toEqual([...PATIENTS].sort()))
    await waitFor(async () => expect(await starts(b)).toEqual(expected))
    await waitFor(() => expect(describeSyncState(b.space.getSyncState(), fr).undecryptable).toBeNull())
  })

  it('a room rolled back to an older state (attack 4) is put back by the device that wrote what it lost: a new device then gets everything', async () => {
    const p = await practice(fixture.relay.url, 2)
    const older = readStoredRooms(fixture.relay.dataDir, p.spaceId)
    for (let i = 0; i < 3; i++) await bookIn(p.a, MONTH, p.who, String(20 + i), '14')
    addPatient(await p.a.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Tardieu', firstNames: 'Noé' }, actorOf(p.a), Date.now)
    await p.a.space.flush()
    await p.a.space.whenAcknowledged()
    const expected = await starts(p.a)
    expect(expected).toHaveLength(5)

    await withRelayStopped(() => expect(rollBackStoredRooms(fixture.relay.dataDir, p.spaceId, older)).toBeGreaterThanOrEqual(2))
    // A reconnects: the relay's step 1 shows what it lacks, A's step 2 sends it.
    await waitFor(() => expect(p.a.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    const b = await fixture.track(joinWith(p.code, device('remplaçant')))
    await waitFor(async () => expect(await starts(b)).toEqual(expected))
    await waitFor(async () => expect(await patients(b)).toEqual([...PATIENTS, 'Tardieu'].sort()))
    expect(b.space.getSyncState().undecryptableEntries).toBe(0)
  })

  it('withholding (attack 4): a device served part of each room keeps what it writes; once served honestly it has everything, and so has everyone', async () => {
    const proxy = await startHostileRelay(() => fixture.relay.url, 18)
    try {
      const p = await practice(proxy.url, 2)
      const b = await fixture.track(joinWith(p.code, device('tablette')))
      await waitFor(async () => expect(await starts(b)).toHaveLength(2))
      proxy.policy.withheld = new Set(['tablette'])
      proxy.cutAll()
      for (let i = 0; i < 4; i++) await bookIn(p.a, MONTH, p.who, String(20 + i), '11')
      await p.a.space.flush()
      await bookIn(b, MONTH, p.who, '27', '16')
      await b.space.flush()
      await p.a.space.whenAcknowledged()
      // B reconnects to a relay that keeps A's new appointments from it, but takes B's.
      await waitFor(async () => expect(await starts(p.a)).toHaveLength(7))
      expect((await starts(b)).length).toBeLessThan(7)
      expect(proxy.counts.withheld).toBeGreaterThan(0)

      proxy.honest()
      const expected = await starts(p.a)
      await waitFor(async () => expect(await starts(b)).toEqual(expected))
      const c = await fixture.track(joinWith(p.code, device('remplaçant')))
      await waitFor(async () => expect(await starts(c)).toEqual(expected))
    } finally {
      await proxy.dispose()
    }
  })

  it('rows moved to another room (attack 4): inert there, never applied; the device holding the room puts it back', async () => {
    const p = await practice(fixture.relay.url, 3)
    const expected = await starts(p.a)
    const mainA = await p.a.space.inspect.room(MAIN_ROOM)
    const mainBefore = mainA.envelope.stats().entries
    const monthRoomId = await p.roomId(monthRoom(MONTH))
    const mainRoomId = await p.roomId(MAIN_ROOM)
    await withRelayStopped(() => expect(moveStoredRows(fixture.relay.dataDir, p.spaceId, monthRoomId, mainRoomId)).toBeGreaterThan(0))

    // A holds both rooms: main receives the month's entries, of a doc main never opens (and that
    // another room's associated data would refuse): they are kept, never applied; the directory is
    // intact. The month's room, empty on the relay, gets its entries again from A's step 2.
    await waitFor(() => expect(mainA.envelope.stats().entries).toBeGreaterThan(mainBefore))
    await waitFor(() => expect(p.a.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    expect(await starts(p.a)).toEqual(expected)
    expect(await patients(p.a)).toEqual([...PATIENTS].sort())
    expect(p.a.space.getSyncState()).toMatchObject({ undecryptableEntries: 0, restoredEntries: 0 })

    const b = await fixture.track(joinWith(p.code, device('remplaçant')))
    await waitFor(async () => expect(await starts(b)).toEqual(expected))
    await waitFor(async () => expect(await patients(b)).toEqual([...PATIENTS].sort()))
  })

  it('an entry copied into another room by a stolen registered device, signed there: the relay takes it (a device signed it at its position), the devices never apply it', async () => {
    const p = await practice(fixture.relay.url, 2)
    const expected = await starts(p.a)
    const mainA = await p.a.space.inspect.room(MAIN_ROOM)
    const mainBefore = mainA.envelope.stats().entries
    // The attacker reads the month room's ciphertext (room ids are in every socket's path) and
    // writes one of its entries into main, signed by the stolen device at its new position. (Copied
    // with its writer's signature, or by a credential holder with no key, the relay refuses it:
    // tests/signed-entries.test.ts.)
    const thief = await stolenDevice(p.code)
    const month = await SyncTestClient.connect(fixture.relay.url, thief.spaceId, thief.credential, { roomId: await p.roomId(monthRoom(MONTH)) })
    await waitFor(() => expect(month.doc.getArray<{ d: string; c: Uint8Array }>('entries').length).toBeGreaterThan(0))
    const taken = month.doc.getArray<{ d: string; c: Uint8Array }>('entries').get(0)
    month.destroy()
    const mainRoomId = await p.roomId(MAIN_ROOM)
    const main = await SyncTestClient.connect(fixture.relay.url, thief.spaceId, thief.credential, { roomId: mainRoomId })
    await waitFor(() => expect(main.acks.length).toBeGreaterThanOrEqual(2))
    await thief.pushSigned(main.doc, mainRoomId, [{ d: taken.d, c: new Uint8Array(taken.c) }])
    await waitFor(() => expect(main.ackCovers()).toBe(true))
    expect(main.closed).toBeNull()
    main.destroy()

    await waitFor(() => expect(mainA.envelope.stats().entries).toBe(mainBefore + 1))
    expect(await patients(p.a)).toEqual([...PATIENTS].sort())
    expect(await starts(p.a)).toEqual(expected)
    expect(p.a.space.getSyncState()).toMatchObject({ undecryptableEntries: 0, restoredEntries: 0 })
    const b = await fixture.track(joinWith(p.code, device('remplaçant')))
    await waitFor(async () => expect(await starts(b)).toEqual(expected))
    await waitFor(async () => expect(await patients(b)).toEqual([...PATIENTS].sort()))
  })
})
