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
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { revokePracticeDevice } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { RelayClient } from '../client/src/sync/relay/relay-client'
import { RelayError, RelayFailure } from '../client/src/sync/errors'
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

/** The backup of docs/relay.md (« Backups »), taken while the relay runs. */
function backUp(name: string): string {
  const backup = join(backups, name)
  execFileSync('sqlite3', [join(fixture.relay.dataDir, 'relay.db'), `.backup '${backup}'`])
  return backup
}

/** The restore of docs/relay.md: stop, no WAL of the newer database left beside it, the backup in place, start. */
async function restore(backup: string): Promise<void> {
  const db = join(fixture.relay.dataDir, 'relay.db')
  await fixture.relay.stop()
  for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true })
  copyFileSync(backup, db)
  await fixture.relay.restart()
}

/** The practice's patients as a device shows them. */
async function patientNames(p: OpenPractice): Promise<string[]> {
  return listPatients(await p.space.openDoc(DIRECTORY_DOC_ID)).items.map((x) => x.birthName).sort()
}

/** What the relay says to a device's credential about the registry: its length, or why it refused. */
async function relaySeen(env: DeviceEnvironment, spaceId: string): Promise<{ entries: number } | { refused: string }> {
  const stored = (await new DeviceRegistry(env.idbPrefix).get(spaceId))!
  const relay = new RelayClient({ relayUrl: fixture.relay.url, spaceId, credential: stored.credential })
  return relay.getDeviceEntries().then(
    (entries) => ({ entries: entries.length }),
    (error: unknown) => ({ refused: error instanceof RelayError ? error.reason : String(error) }),
  )
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

  it('after a device paired, a device revoked and a key epoch rotated since the backup: the revoked device stays refused, the new one is admitted again, epoch-1 entries come back', async () => {
    const envA = device('tablette-admin')
    const a = await fixture.track(
      createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet Ormeau', practitioner: { displayName: 'Yann Le Goff', profession: 'kine' } }, envA),
    )
    const spaceId = a.record.spaceId
    await writeTestPractice(a, NAMES)
    const ticket = await pairingTicket(spaceId, envA)
    const b = await fixture.track(joinWith(ticket, device('ordinateur')))
    const envR = device('tablette-perdue')
    const r = await fixture.track(joinWith(ticket, envR))
    await waitFor(async () => expect(await patientNames(b)).toEqual([...NAMES].sort()), { timeoutMs: 30_000 })

    // 2. The backup: the registry holds A, B and R; no key epoch yet.
    const backup = backUp('before-trust-changes.db')
    const before = await relaySeen(envA, spaceId)
    expect(before).toEqual({ entries: 3 })

    // 3. After it: D paired, the tablet R lost and revoked (epoch 1, sealed to A, B and D), then
    //    writes under epoch 1 by A and by D, acknowledged by the relay.
    const envD = device('telephone')
    const d = await fixture.track(joinWith(ticket, envD))
    await r.space.destroy()
    await revokePracticeDevice(spaceId, r.record.deviceId, envA)
    const directoryA = await a.space.openDoc(DIRECTORY_DOC_ID)
    addPatient(directoryA, { birthName: 'Tardieu', firstNames: 'Noé' }, actorOf(a), testClock)
    await waitFor(async () => expect(await patientNames(d)).toContain('Tardieu'), { timeoutMs: 30_000 })
    await waitFor(async () => expect((await new DeviceRegistry(envD.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1]), { timeoutMs: 30_000 })
    addPatient(await d.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Lemarchand', firstNames: 'Iris' }, actorOf(d), testClock)
    for (const p of [a, b, d]) await p.space.flush()
    await Promise.all([a, b, d].map((p) => p.space.whenAcknowledged()))
    const afterBackup = [...NAMES, 'Lemarchand', 'Tardieu'].sort()
    await waitFor(async () => expect(await patientNames(b)).toEqual(afterBackup), { timeoutMs: 30_000 })
    expect(await relaySeen(envR, spaceId)).toEqual({ refused: RelayFailure.Unauthorized })
    const chainOnA = (await new DeviceRegistry(envA.idbPrefix).chain(spaceId)).length
    expect(chainOnA).toBe(5)
    const heldOnA = await new DeviceRegistry(envA.idbPrefix).epochSecrets(spaceId)
    expect(heldOnA.map((e) => e.epoch)).toEqual([1])

    // 4. Restore: the relay's registry is the backup's again (A, B, R: R admitted, D unknown), and
    //    it has no epoch 1.
    await restore(backup)

    // 5. The administrator's device, back online, sends the relay the entries it signed since (D's
    //    pairing, R's revocation), then epoch 1 again, with the secrets it made then: R is refused
    //    again, D's credential opens again.
    await waitFor(async () => expect(await relaySeen(envA, spaceId)).toEqual({ entries: chainOnA }), { timeoutMs: 30_000 })
    expect(await relaySeen(envR, spaceId)).toEqual({ refused: RelayFailure.Unauthorized })
    const relayOfA = new RelayClient({ relayUrl: fixture.relay.url, spaceId, credential: (await new DeviceRegistry(envA.idbPrefix).get(spaceId))!.credential })
    await waitFor(async () => expect((await relayOfA.getKeyEpochs()).epochs).toEqual([1]), { timeoutMs: 30_000 })
    expect(await relaySeen(envD, spaceId)).toEqual({ entries: chainOnA })
    // Published again, not made again: A holds the one epoch 1 it held before, with its secrets.
    const heldAfter = await new DeviceRegistry(envA.idbPrefix).epochSecrets(spaceId)
    expect(heldAfter.map((e) => [e.epoch, Buffer.from(e.practice).toString('hex')])).toEqual(heldOnA.map((e) => [e.epoch, Buffer.from(e.practice).toString('hex')]))

    // D, refused while the relay did not know it, is opened again (as a person reopens the app)
    // and syncs; B and D write after the restore, under epoch 1.
    await d.space.destroy()
    const dAgain = await fixture.track(loadPractice(envD))
    await waitFor(() => expect(dAgain.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }), { timeoutMs: 30_000 })
    addPatient(await b.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Ferrand', firstNames: 'Lou' }, actorOf(b), testClock)
    addPatient(await dAgain.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Gwenaël', firstNames: 'Rose' }, actorOf(dAgain), testClock)
    const everyone = [...afterBackup, 'Ferrand', 'Gwenaël'].sort()
    for (const p of [a, b, dAgain]) await waitFor(async () => expect(await patientNames(p)).toEqual(everyone), { timeoutMs: 30_000 })
    for (const p of [a, b, dAgain]) await waitFor(() => expect(p.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }), { timeoutMs: 30_000 })

    // 6. A device joining now knows only what the relay serves: the entries written under epoch 1
    //    before the restore open with the seal A published again (the same secrets), nothing is
    //    missing or unreadable.
    const envC = device('remplacant')
    const c = await fixture.track(joinWith(await pairingTicket(spaceId, envA), envC))
    await waitFor(async () => expect(await patientNames(c)).toEqual(everyone), { timeoutMs: 30_000 })
    expect(c.space.getSyncState()).toMatchObject({ missingEntries: [], undecryptableEntries: 0 })
    expect((await new DeviceRegistry(envC.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1])
    expect(await relaySeen(envR, spaceId)).toEqual({ refused: RelayFailure.Unauthorized })
  })
})
