/**
 * What reaches a merged-away patient after the merge follows it, on two devices and the relay in
 * this process (in-memory-relay.ts). Device B, offline, writes a note in its duplicate's file and
 * books an appointment for it in a month nobody else has opened; device A merges the duplicate
 * before any of it arrives. Once B is back, both devices read the kept patient with both notes
 * and the appointment — through the redirect the merge wrote (shared/src/model/patient-redirects.ts),
 * nothing having been copied — and again after A reloads from its own storage.
 *
 * Neither device runs the background pass, so A opens the duplicate's file room only because
 * the kept patient's file is read as the union of its members' files.
 */
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { loadPractice, createPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { shiftMonth } from '../client/src/state/agenda-docs'
import { addAppointment, listAppointments } from '../shared/src/model/agenda'
import { monthOf } from '../shared/src/model/dates'
import { DIRECTORY_DOC_ID, agendaDocId, patientDocId } from '../shared/src/model/doc-ids'
import { inFile, unionFileRecords } from '../shared/src/model/merged-file'
import { addNote, listNotes, newestDatedFirst } from '../shared/src/model/patient-file'
import { mergePatients } from '../shared/src/model/patient-duplicates'
import { bindPatientMonthIndex, membersMonths } from '../shared/src/model/patient-months'
import { PatientRedirects, patientsBySurvivor } from '../shared/src/model/patient-redirects'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { actorOf } from './helpers/relay-fixture'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useInMemoryRelay()
const track = fixture.track
const quietDevice = (name: string): DeviceEnvironment => fixture.device(name, { practice: { background: false } })

/** The notes the kept patient's page shows on a device: its file and its merged members' files. */
async function notesShown(p: OpenPractice, patientId: string): Promise<string[]> {
  const members = PatientRedirects.fromDirectory(await p.space.openDoc(DIRECTORY_DOC_ID)).membersOf(patientId)
  const files: Y.Doc[] = await Promise.all(members.map((id) => p.space.openDoc(patientDocId(id))))
  const [own, ...others] = files.map((doc) => inFile(doc, listNotes(doc).items))
  return unionFileRecords(own!, others.flat(), newestDatedFirst).map((note) => note.record.text)
}

/** The names the agenda shows for a month's appointments, and the months the kept patient's page opens. */
async function agendaView(p: OpenPractice, patientId: string, month: string): Promise<{ names: string[]; months: readonly string[] }> {
  const directory = await p.space.openDoc(DIRECTORY_DOC_ID)
  const patients = patientsBySurvivor(listPatients(directory, { includeDeleted: true }).items)
  const appointments = listAppointments(await p.space.openDoc(agendaDocId(month)), {}).items
  const members = PatientRedirects.fromDirectory(directory).membersOf(patientId)
  return {
    names: appointments.map((a) => `${patients.get(a.patientId ?? '')?.id === patientId ? 'kept' : 'other'}`),
    months: membersMonths(directory, members)?.months ?? [],
  }
}

describe('a merge followed by what a device wrote offline on the duplicate', () => {
  it('shows the late note and appointment under the kept patient on both devices, after a reload too', async () => {
    const envA = quietDevice('cabinet')
    const a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet des Tamaris', practitioner: { displayName: 'Solène Kerouac', profession: 'kine' } },
        envA,
      ),
    )
    const b = await track(joinWith(await pairingTicket(a.record.spaceId, envA), quietDevice('domicile')))
    const identity = { birthName: 'Durand', firstNames: 'Paul', birthDate: '1950-01-01' }
    const dirA = await a.space.openDoc(DIRECTORY_DOC_ID)
    const dirB = await b.space.openDoc(DIRECTORY_DOC_ID)
    const kept = addPatient(dirA, identity, actorOf(a), testClock)
    addNote(await a.space.openDoc(patientDocId(kept)), { date: TEST_TODAY, kind: 'session', text: 'Note de A' }, actorOf(a), testClock)
    await a.space.whenAcknowledged()
    await waitFor(() => expect(listPatients(dirB).items).toHaveLength(1))
    const dropped = addPatient(dirB, { ...identity, birthName: 'DURAND' }, actorOf(b), testClock)
    await b.space.whenAcknowledged()
    await waitFor(() => expect(listPatients(dirA).items).toHaveLength(2))

    // B goes offline and works on its duplicate: a note, and a session next-but-one month.
    b.space.disconnect()
    const month = shiftMonth(monthOf(TEST_TODAY), 2)
    addNote(await b.space.openDoc(patientDocId(dropped)), { date: TEST_TODAY, kind: 'session', text: 'Note de B' }, actorOf(b), testClock)
    const agendaB = await b.space.openDoc(agendaDocId(month))
    const unbind = bindPatientMonthIndex(dirB, agendaB)
    addAppointment(agendaB, { start: `${month}-10T09:00`, durationMin: 30, practitionerId: a.record.memberId!, patientId: dropped }, actorOf(b), testClock)
    unbind()

    // A merges before any of it arrives: the kept file holds A's note only, for now.
    mergePatients(dirA, kept, dropped, actorOf(a), testClock)
    await a.space.whenAcknowledged()
    expect(await notesShown(a, kept)).toEqual(['Note de A'])

    b.space.connect()
    await b.space.whenAcknowledged()
    for (const p of [a, b]) {
      await waitFor(async () => expect((await notesShown(p, kept)).sort()).toEqual(['Note de A', 'Note de B']))
      await waitFor(async () => expect(await agendaView(p, kept, month)).toEqual({ names: ['kept'], months: [month] }))
      expect(listPatients(await p.space.openDoc(DIRECTORY_DOC_ID)).items.map((x) => x.id)).toEqual([kept])
    }

    // A reloads from its own storage, offline: everything is still there.
    await a.space.destroy()
    const reloaded = await track(loadPractice({ ...envA, connect: false }))
    expect((await notesShown(reloaded, kept)).sort()).toEqual(['Note de A', 'Note de B'])
    expect(await agendaView(reloaded, kept, month)).toEqual({ names: ['kept'], months: [month] })
  })
})
