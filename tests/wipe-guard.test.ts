/**
 * Issue 18, attack 1 (« Wipe »), against the devices: the relay's disk is edited by its operator
 * (or whoever holds it) so that every room of a practice holds a deletion of every entry, folded
 * into one snapshot (the ciphertext gone from the relay for good). The relay's checks of what
 * sockets send do not apply to its own disk, so the devices are the last line:
 *   - each device that receives the wipe refuses it (no snapshot it can read covers the deletion),
 *     writes the entries back and shows the alarm line;
 *   - reloaded offline, each device still shows all its data;
 *   - the relay holds the entries again, and a fresh device sees the whole practice.
 * Devices are real (their own fake IndexedDB and sockets), the relay runs in this process.
 */
import { describe, expect, it } from 'vitest'
import { createPractice, getPairingCode, joinPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { createTranslator } from '../client/src/i18n'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import { addAppointment, listAppointments } from '../shared/src/model/agenda'
import { monthOf } from '../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { addNote, getNoteText } from '../shared/src/model/patient-file'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { listPractitioners } from '../shared/src/model/practitioners'
import { storedLiveEntries, storedRoomIds, wipeStoredSpace } from './helpers/hostile-storage'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { actorOf } from './helpers/relay-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

const fixture = useInMemoryRelay()
const track = fixture.track
const fr = createTranslator('fr', 'Europe/Paris')

const NAMES = ['Quenouille', 'Vaucanson', 'Éparvier', 'Margelle', 'Tiercelin'] as const
const STARTS = ['08:30', '14:00'].map((time) => `${TEST_TODAY}T${time}`)
const NOTE = 'Lombalgie, mobilité réduite.'

function device(name: string): DeviceEnvironment {
  return fixture.device(name, { practice: { background: false } })
}

interface Shown {
  readonly patients: string[]
  readonly starts: string[]
  readonly note: string
}

/** What a device shows of the practice: every patient, this month's appointments, one clinical note. */
async function shown(practice: OpenPractice, patientId: string, noteId: string): Promise<Shown> {
  const directory = await practice.space.openDoc(DIRECTORY_DOC_ID)
  const month = await practice.space.openDoc(agendaDocId(monthOf(TEST_TODAY)))
  const file = await practice.space.openDoc(patientDocId(patientId))
  return {
    patients: listPatients(directory).items.map((p) => p.birthName).sort(),
    starts: listAppointments(month, {}).items.map((a) => a.start).sort(),
    note: file.getMap('notes').has(noteId) ? getNoteText(file, noteId).toString() : '',
  }
}

const EVERYTHING: Shown = { patients: [...NAMES].sort(), starts: STARTS, note: NOTE }

describe('a wipe of the relay’s disk (issue 18, attack 1)', () => {
  it('is refused by every device: data kept after a reload, the alarm shown, the relay given everything back', async () => {
    const envA = device('secrétariat')
    const a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet de la Herse', practitioner: { displayName: 'Roseline Vautrin', profession: 'kine' } },
        envA,
      ),
    )
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    const ids = NAMES.map((birthName) => addPatient(directory, { birthName, firstNames: 'Aude', birthDate: '1970-05-06' }, actorOf(a), testClock))
    const [practitioner] = listPractitioners(directory).items
    const month = await a.space.openDoc(agendaDocId(monthOf(TEST_TODAY)))
    for (const start of STARTS) addAppointment(month, { start, durationMin: 30, practitionerId: practitioner!.id, title: 'Bilan' }, actorOf(a), testClock)
    const patientId = ids[0]!
    const noteId = addNote(await a.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: NOTE }, actorOf(a), testClock)
    await a.space.whenAcknowledged()

    const code = await getPairingCode(a.record.spaceId, envA)
    const envB = device('tablette')
    const b = await track(joinPractice(code, envB))
    await waitFor(async () => expect(await shown(b, patientId, noteId)).toEqual(EVERYTHING))
    await b.space.whenAcknowledged()

    // The attack: with every room unloaded, the relay's disk is wiped and folded.
    const spaceId = a.record.spaceId
    const relay = fixture.relay
    relay.network.up = false
    await waitFor(() => expect(relay.loadedRooms()).toBe(0))
    const rooms = storedRoomIds(relay, spaceId)
    expect(rooms.length).toBeGreaterThanOrEqual(3) // main, the month, the patient's file shard
    expect(await wipeStoredSpace(relay, spaceId)).toBeGreaterThan(0)
    for (const roomId of rooms) expect(await storedLiveEntries(relay, spaceId, roomId)).toBe(0)

    // Back online: each device receives the deletions, refuses them, and says so.
    relay.network.up = true
    // What the devices wrote back is on the relay's disk again, in every room.
    for (const roomId of rooms) await waitFor(async () => expect(await storedLiveEntries(relay, spaceId, roomId)).toBeGreaterThan(0))
    for (const d of [a, b]) {
      // Every room held entries: each was written back (its count at least one per room).
      await waitFor(() => expect(d.space.getSyncState().restoredEntries).toBeGreaterThanOrEqual(rooms.length))
      expect(describeSyncState(d.space.getSyncState(), fr).restored).toMatch(/^\d+ entrées supprimées sans instantané couvrant : rétablies$/)
      expect(await shown(d, patientId, noteId)).toEqual(EVERYTHING)
      await d.space.whenAcknowledged()
    }

    // Reloaded with no network, from IndexedDB alone: nothing lost.
    relay.network.up = false
    for (const [env, d] of [[envA, a], [envB, b]] as const) {
      await d.space.destroy()
      const reloaded = await track(loadPractice(env))
      expect(await shown(reloaded, patientId, noteId)).toEqual(EVERYTHING)
    }
    relay.network.up = true

    // A fresh device, after that honest period, sees the whole practice from the relay.
    const fresh = await track(joinPractice(code, device('remplaçant')))
    await waitFor(async () => expect(await shown(fresh, patientId, noteId)).toEqual(EVERYTHING))
    expect(fresh.space.getSyncState()).toMatchObject({ restoredEntries: 0, undecryptableEntries: 0 })
  })
})
