/**
 * Long offline and wiped storage, against the relay in this process (in-memory-relay.ts): a
 * device that was offline while another one worked sees both backlogs counted while it syncs; a
 * device whose envelope database the browser erased says so and gets everything back from the
 * relay.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import type { SyncState } from '../client/src/sync/sync-state'
import type { RoomState } from '../client/src/sync/rooms/room'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { DIRECTORY_DOC_ID, agendaDocId } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { addAppointment, listAppointments } from '../shared/src/model/agenda'
import { actorOf } from './helpers/relay-fixture'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { MAIN_ROOM, type RoomName } from '../shared/src/space/rooms'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useInMemoryRelay()
const track = fixture.track

function idbRequest<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

/** Reads the device registry the way a test may: straight from IndexedDB. */
function registryRecord(env: DeviceEnvironment, spaceId: string): Promise<{ hasSynced?: boolean } | undefined> {
  return new DeviceRegistry(env.idbPrefix).get(spaceId)
}

describe('long offline, wiped storage', () => {
  let envA: DeviceEnvironment
  let envB: DeviceEnvironment
  let a: OpenPractice
  let b: OpenPractice
  const month = '2026-12'

  beforeAll(async () => {
    envA = fixture.device('cabinet')
    envB = fixture.device('tournee')
    a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet des Aubépines', practitioner: { displayName: 'Maëlle Tanguy', profession: 'infirmier' } },
        envA,
      ),
    )
    addPatient(await a.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Kerhervé', firstNames: 'Yannig' }, actorOf(a), Date.now)
    await a.space.whenAcknowledged()
    b = await track(joinWith(await pairingTicket(a.record.spaceId, envA), envB))
    await waitFor(async () => expect(listPatients(await b.space.openDoc(DIRECTORY_DOC_ID)).items).toHaveLength(1))
  })

  it('a device back from a long offline spell counts what it receives and sends, then settles at 0 pending', async () => {
    const N = 12
    const M = 40
    b.space.disconnect()
    const dirB = await b.space.openDoc(DIRECTORY_DOC_ID)
    for (let i = 0; i < N; i++) {
      addPatient(dirB, { birthName: `Horsligne${i}`, firstNames: 'Tournée' }, actorOf(b), Date.now)
      await b.space.flush()
    }
    // Offline, each flushed burst is one envelope entry the relay does not have.
    expect(b.space.getSyncState()).toMatchObject({ status: 'offline', pendingChanges: N })

    // Meanwhile the practice works on: half in the directory, half in an agenda month, so that no
    // doc reaches the compaction threshold (a compaction adds a snapshot entry of its own).
    const dirA = await a.space.openDoc(DIRECTORY_DOC_ID)
    const agendaA = await a.space.openDoc(agendaDocId(month))
    for (let i = 0; i < M; i++) {
      if (i % 2 === 0) addPatient(dirA, { birthName: `Cabinet${i}`, firstNames: 'Resté' }, actorOf(a), Date.now)
      else addAppointment(agendaA, { start: `2026-12-0${1 + (i % 9)}T08:00`, durationMin: 30, practitionerId: a.record.memberId!, title: `Visite ${i}`, place: 'home' }, actorOf(a), Date.now)
      await a.space.flush()
    }
    await a.space.whenAcknowledged()

    // Directory and agenda month are two rooms, each counting its own backlog.
    const roomNames: RoomName[] = [MAIN_ROOM, await b.space.roomOfDoc(agendaDocId(month))]
    const rooms = await Promise.all(roomNames.map((name) => b.space.inspect.room(name)))
    const seen: SyncState[] = []
    const seenPerRoom = rooms.map(() => ({ states: [] as RoomState[] }))
    const unsubscribe = b.space.subscribe(() => {
      seen.push(b.space.getSyncState())
      rooms.forEach((room, i) => seenPerRoom[i]!.states.push(room.getState()))
    })
    b.space.connect()
    await b.space.whenAcknowledged()
    const agendaB = await b.space.openDoc(agendaDocId(month))
    await waitFor(() => {
      expect(listPatients(dirB).items).toHaveLength(1 + N + M / 2)
      expect(listAppointments(agendaB, {}).items).toHaveLength(M / 2)
    })
    await waitFor(() => expect(b.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0, incoming: 0, outgoing: 0 }))
    unsubscribe()

    const firstCounted = seenPerRoom.map(({ states }) => {
      const counted = states.filter((s) => s.phase.kind === 'syncing' && s.incoming + s.outgoing > 0)
      expect(counted.length, `states seen: ${JSON.stringify(states.map((s) => [s.phase, s.incoming, s.outgoing]))}`).toBeGreaterThan(0)
      return counted[0]!
    })
    // One clock tick per entry: exactly what each side wrote while apart, room by room.
    expect(firstCounted.map((s) => [s.incoming, s.outgoing])).toEqual([
      [M / 2, N],
      [M / 2, 0],
    ])
    // The practice showed the backlog while syncing.
    expect(seen.some((s) => s.status === 'syncing' && s.incoming > 0)).toBe(true)
    // Online again: nothing left to count.
    expect(seen.at(-1)).toMatchObject({ status: 'online', incoming: 0, outgoing: 0 })
  })

  it('a device whose envelope database was erased says it is restoring, and gets everything back from the relay', async () => {
    await waitFor(async () => expect((await registryRecord(envB, b.record.spaceId))?.hasSynced).toBe(true))
    // A has B's changes of the previous test too (it reads the registry once to learn B's signature).
    await waitFor(async () => expect(listPatients(await a.space.openDoc(DIRECTORY_DOC_ID)).items).toHaveLength(listPatients(await b.space.openDoc(DIRECTORY_DOC_ID)).items.length))
    const expectedPatients = listPatients(await a.space.openDoc(DIRECTORY_DOC_ID)).items.length
    const expectedAppointments = listAppointments(await a.space.openDoc(agendaDocId(month)), {}).items.length
    await b.space.destroy()

    // What Safari's 7-day rule or an eviction under pressure does: the rooms' envelope databases
    // go, the registry (keys, credential) stays.
    const rooms = (await indexedDB.databases()).map((d) => d.name ?? '').filter((name) => name.startsWith(`${envB.idbPrefix}tournee-space-${b.record.spaceId}-`))
    expect(rooms.length).toBeGreaterThan(0)
    for (const name of rooms) await idbRequest(indexedDB.deleteDatabase(name))

    const offline: DeviceEnvironment = { ...envB, connect: false }
    const reopened = await track(loadPractice(offline))
    expect(reopened.space.getSyncState()).toMatchObject({ restoring: true, status: 'offline', pendingChanges: 0 })
    expect(listPatients(await reopened.space.openDoc(DIRECTORY_DOC_ID)).items).toHaveLength(0)

    reopened.space.connect()
    await waitFor(() => expect(reopened.space.getSyncState()).toMatchObject({ restoring: false, status: 'online' }))
    const directory = await reopened.space.openDoc(DIRECTORY_DOC_ID)
    const agenda = await reopened.space.openDoc(agendaDocId(month))
    await waitFor(() => {
      expect(listPatients(directory).items).toHaveLength(expectedPatients)
      expect(listAppointments(agenda, {}).items).toHaveLength(expectedAppointments)
    })
    // A device that never synced is not "restoring": an empty envelope is simply new.
    const fresh = await track(joinWith(await pairingTicket(a.record.spaceId, envA), fixture.device('neuf', { connect: false })))
    expect(fresh.space.getSyncState().restoring).toBe(false)
  })
})
