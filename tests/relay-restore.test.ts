/**
 * Issue 21, « Backup and restore of the relay », the procedure of docs/relay.md (« Backups »)
 * carried out on a real relay process with real devices (their own fake IndexedDB, real
 * WebSockets, real Yjs and WebCrypto):
 *
 *   1. a practice on two devices, synced;
 *   2. a backup taken while the relay runs, with the command docs/relay.md gives
 *      (`sqlite3 relay.db ".backup '…'"`);
 *   3. more edits on both devices after it, acknowledged by the relay (durable there);
 *   4. the relay stopped, its database replaced by the backup (the WAL files with it), started
 *      again on the same address;
 *   5. the devices reconnect by themselves: the relay's step 1 shows it lacks what it had
 *      acknowledged, the device sends it back in its step 2 and says so (SyncState.returnedEntries,
 *      « N modifications perdues par le relais : renvoyées depuis cet appareil ») — the first one
 *      back may return its colleague's edits too, and the colleague then has nothing to report;
 *   6. a device that joins afterwards, which knows only what the relay serves, sees every edit:
 *      nothing was lost, and no gap is reported.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { createTranslator } from '../client/src/i18n'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import { listAppointments } from '../shared/src/model/agenda'
import { monthOf } from '../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { addNote, getNoteText } from '../shared/src/model/patient-file'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { listPractitioners } from '../shared/src/model/practitioners'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'
import { shown, wholePractice, writeTestPractice } from './helpers/practice-shown'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { bookIn } from './helpers/room-devices'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()
const fr = createTranslator('fr', 'Europe/Paris')
const NAMES = ['Quenouille', 'Vaucanson', 'Éparvier']
const MONTH = monthOf(TEST_TODAY)
const LATER_NOTE = 'Reprise de la marche, sans douleur.'

const backups = mkdtempSync(join(tmpdir(), 'tournee-backup-'))
afterAll(() => rmSync(backups, { recursive: true, force: true }))

/** The practice's devices open rooms in the background too, as in the app: what they wrote anywhere comes back. */
function device(name: string): DeviceEnvironment {
  return nodeDeviceEnvironment(name)
}

/** What a device shows of the practice, the edits made after the backup included. */
async function everything(p: OpenPractice, patientId: string, noteIds: readonly string[]) {
  const base = await shown(p, patientId, noteIds[0]!)
  const file = await p.space.openDoc(patientDocId(patientId))
  const month = await p.space.openDoc(agendaDocId(MONTH))
  return {
    patients: listPatients(await p.space.openDoc(DIRECTORY_DOC_ID)).items.map((x) => x.birthName).sort(),
    appointments: listAppointments(month, {}).items.map((x) => x.start).sort(),
    notes: noteIds.map((id) => (file.getMap('notes').has(id) ? getNoteText(file, id).toString() : '')),
    note: base.note,
  }
}

describe('a relay restored from a backup', () => {
  it('gets back from the devices what they held after the backup: nothing lost, and the devices say what they sent back', async () => {
    const envA = device('secrétariat')
    const a = await fixture.track(
      createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet Tamis', practitioner: { displayName: 'Aude Perrin', profession: 'kine' } }, envA),
    )
    const { patientId, noteId } = await writeTestPractice(a, NAMES)
    const ticket = await pairingTicket(a.record.spaceId, envA)
    const b = await fixture.track(joinWith(ticket, device('cabinet')))
    await waitFor(async () => expect(await shown(b, patientId, noteId)).toEqual(wholePractice(NAMES)), { timeoutMs: 30_000 })

    // 2. The backup, while the relay runs, as docs/relay.md says.
    const db = join(fixture.relay.dataDir, 'relay.db')
    const backup = join(backups, 'tournee.db')
    execFileSync('sqlite3', [db, `.backup '${backup}'`])

    // 3. After the backup: A adds a patient and a note to the first patient's file; B a patient
    //    and an appointment. The relay acknowledges all of it: it was durable there.
    const directoryA = await a.space.openDoc(DIRECTORY_DOC_ID)
    addPatient(directoryA, { birthName: 'Tardieu', firstNames: 'Noé' }, actorOf(a), testClock)
    const laterNoteId = addNote(await a.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: LATER_NOTE }, actorOf(a), testClock)
    const directoryB = await b.space.openDoc(DIRECTORY_DOC_ID)
    const lemarchand = addPatient(directoryB, { birthName: 'Lemarchand', firstNames: 'Iris' }, actorOf(b), testClock)
    const practitionerId = listPractitioners(directoryB).items[0]!.id
    const laterStart = await bookIn(b, MONTH, { practitionerId, patientId: lemarchand }, TEST_TODAY.slice(8, 10), '17')
    await Promise.all([a.space.flush(), b.space.flush()])
    await Promise.all([a.space.whenAcknowledged(), b.space.whenAcknowledged()])
    const expected = {
      patients: [...NAMES, 'Lemarchand', 'Tardieu'].sort(),
      appointments: [...wholePractice(NAMES).starts, `${TEST_TODAY}T17:00`].sort(),
      notes: [wholePractice(NAMES).note, LATER_NOTE],
      note: wholePractice(NAMES).note,
    }
    await waitFor(async () => expect(await everything(a, patientId, [noteId, laterNoteId])).toEqual(expected), { timeoutMs: 30_000 })
    await waitFor(async () => expect((await everything(b, patientId, [noteId, laterNoteId])).patients).toEqual(expected.patients), { timeoutMs: 30_000 })
    expect(laterStart).toBeTruthy()
    expect(a.space.getSyncState().returnedEntries).toBe(0)
    expect(b.space.getSyncState().returnedEntries).toBe(0)

    // 4. Restore: stop, put the backup in place (no WAL of the newer database may stay beside
    //    it), start again on the same address.
    await fixture.relay.stop()
    for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true })
    copyFileSync(backup, db)
    await fixture.relay.restart()

    // 5. Both devices reconnect, find the relay lacking what it had acknowledged, send it back,
    //    and say so. Then nothing is pending: the relay acknowledged it again.
    //    Each holds the other's edits too, so the first to reconnect may send back everything, and
    //    the other then finds the relay whole again and has nothing to report: which one reports
    //    depends on who reconnects first, so the test asks that the devices together report it,
    //    and that each one that does says it in words.
    for (const p of [a, b]) {
      await waitFor(() => expect(p.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }), { timeoutMs: 30_000 })
    }
    await waitFor(() => expect(a.space.getSyncState().returnedEntries + b.space.getSyncState().returnedEntries).toBeGreaterThan(0), { timeoutMs: 30_000 })
    for (const p of [a, b]) {
      if (p.space.getSyncState().returnedEntries === 0) continue
      expect(describeSyncState(p.space.getSyncState(), fr).returned).toMatch(/^\d+ modifications? perdues? par le relais : renvoyées? depuis cet appareil$/)
    }

    // 6. A device joining now knows only what the relay serves: everything is there.
    const c = await fixture.track(joinWith(await pairingTicket(a.record.spaceId, envA), device('remplaçant')))
    await waitFor(async () => expect(await everything(c, patientId, [noteId, laterNoteId])).toEqual(expected), { timeoutMs: 30_000 })
    expect(c.space.getSyncState()).toMatchObject({ missingEntries: [], undecryptableEntries: 0, returnedEntries: 0 })
    for (const p of [a, b]) expect(p.space.getSyncState().missingEntries).toEqual([])
  })
})
