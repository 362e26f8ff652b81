/**
 * A change made offline in a room nothing holds open after a reload still reaches the relay: the
 * practice remembers the rooms it wrote into until the relay acknowledges them
 * (client/src/sync/practice/unacknowledged-rooms.ts). Found by the hostile randomized test: a note
 * typed offline on a patient's file, the app reloaded, then online — the note reached nobody
 * until someone opened that file again, while the indicator said « 0 modification en attente ».
 * The devices run without the background pass, so that nothing else loads the file's room.
 */
import { describe, expect, it } from 'vitest'
import { createPractice, loadPractice, type DeviceEnvironment } from '../client/src/sync/device/device'
import { PATIENT_FILE_MAPS } from '../shared/src/model/collections'
import { DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { addNote } from '../shared/src/model/patient-file'
import { addPatient } from '../shared/src/model/patients'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { actorOf } from './helpers/relay-fixture'
import { TEST_TODAY } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useInMemoryRelay()
const track = fixture.track

describe('rooms with unacknowledged changes, across a reload', () => {
  it('a note written offline, the app reloaded, reaches the others once online, without its file being opened', async () => {
    const quiet: Partial<DeviceEnvironment> = { practice: { background: false } }
    const envA = fixture.device('cabinet', quiet)
    const a = await track(
      createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet du Port', practitioner: { displayName: 'Soizic Le Gall', profession: 'kine' } }, envA),
    )
    const patientId = addPatient(await a.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Morvan', firstNames: 'Tanguy' }, actorOf(a), Date.now)
    const fileA = await a.space.openDoc(patientDocId(patientId))
    await a.space.whenAcknowledged()

    const envB = fixture.device('tournee', quiet)
    const b = await track(joinWith(await pairingTicket(a.record.spaceId, envA), envB))
    const fileB = await b.space.openDoc(patientDocId(patientId))
    await waitFor(() => expect(fileB.getMap(PATIENT_FILE_MAPS.notes).size).toBe(0))
    b.space.disconnect()
    const noteId = addNote(fileB, { date: TEST_TODAY, kind: 'session' }, actorOf(b), Date.now)
    await b.space.flush()
    expect(b.space.getSyncState().pendingChanges).toBeGreaterThan(0)
    // The tab is closed offline; it opens again, still offline, and nothing opens the file.
    await b.space.destroy()
    const again = await track(loadPractice({ ...envB, connect: false }))
    // Honest while offline: the file's room is loaded with the start, its change counted.
    await waitFor(() => expect(again.space.getSyncState().pendingChanges).toBeGreaterThan(0))
    again.space.connect()
    await waitFor(() => expect(fileA.getMap(PATIENT_FILE_MAPS.notes).has(noteId)).toBe(true), { timeoutMs: 5_000 })
    await again.space.whenAcknowledged()
    expect(again.space.getSyncState().pendingChanges).toBe(0)
  })
})
