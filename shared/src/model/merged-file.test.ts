import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { addAppointment, listAppointments } from './agenda'
import { agendaDocId, patientDocId } from './doc-ids'
import { inFile, unionFileRecords } from './merged-file'
import { addNote, addPrescription, getNoteText, listNotes, listPrescriptions, newestDatedFirst } from './patient-file'
import { mergePatients } from './patient-duplicates'
import { bindPatientMonthIndex, membersMonths } from './patient-months'
import { PatientRedirects } from './patient-redirects'
import { insertRecord } from './records'
import { addPatient } from './patients'
import { alice, bob, exchange, fork, steppingClock } from './test-support'

/** One device: its directory and the patient-file and agenda docs it opened, by doc id. */
function device(directory: Y.Doc) {
  const docs = new Map<string, Y.Doc>()
  const open = (docId: string) => {
    let doc = docs.get(docId)
    if (!doc) {
      doc = new Y.Doc({ guid: docId })
      docs.set(docId, doc)
    }
    return doc
  }
  return { directory, open }
}

function sync(a: ReturnType<typeof device>, b: ReturnType<typeof device>, docIds: readonly string[]): void {
  exchange(a.directory, b.directory)
  for (const docId of docIds) exchange(a.open(docId), b.open(docId))
}

/** The notes the survivor of `patientId` shows: the union of its members' files. */
function notesShown(d: ReturnType<typeof device>, patientId: string): string[] {
  const [survivor, ...others] = PatientRedirects.fromDirectory(d.directory).membersOf(patientId)
  const own = inFile(d.open(patientDocId(survivor!)), listNotes(d.open(patientDocId(survivor!))).items)
  const rest = others.flatMap((id) => inFile(d.open(patientDocId(id)), listNotes(d.open(patientDocId(id))).items))
  return unionFileRecords(own, rest, newestDatedFirst).map((n) => n.record.text)
}

describe('what reaches a merged-away record later', () => {
  it('a note written offline on the duplicate after the merge shows in the kept file on both devices', () => {
    const clock = steppingClock()
    const a = device(new Y.Doc())
    const kept = addPatient(a.directory, { birthName: 'Durand', firstNames: 'Paul', birthDate: '1950-01-01' }, alice, clock)
    const b = device(fork(a.directory))
    const dropped = addPatient(b.directory, { birthName: 'DURAND', firstNames: 'Paul', birthDate: '1950-01-01' }, bob, clock)
    const files = [patientDocId(kept), patientDocId(dropped)]
    addNote(a.open(files[0]!), { date: '2026-11-17', kind: 'session', text: 'Note de A' }, alice, clock)
    exchange(a.directory, b.directory)
    // A merges before B's file reaches it; B, offline again, writes in the duplicate's file.
    mergePatients(a.directory, kept, dropped, alice, clock)
    const late = addNote(b.open(files[1]!), { date: '2026-11-18', kind: 'session', text: 'Note de B' }, bob, clock)
    expect(notesShown(a, kept)).toEqual(['Note de A'])

    sync(a, b, files)
    for (const d of [a, b]) {
      expect(notesShown(d, kept)).toEqual(['Note de B', 'Note de A'])
      expect(notesShown(d, dropped)).toEqual(['Note de B', 'Note de A'])
    }
    // Typed into later, on either device, the one note is edited: it lives in one doc.
    getNoteText(a.open(files[1]!), late).insert(0, '» ')
    sync(a, b, files)
    expect(notesShown(b, kept)).toEqual(['» Note de B', 'Note de A'])
  })

  it('an appointment booked for the duplicate in a new month is in the kept patient’s months', () => {
    const clock = steppingClock()
    const a = device(new Y.Doc())
    const kept = addPatient(a.directory, { birthName: 'Durand', firstNames: 'Paul' }, alice, clock)
    const dropped = addPatient(a.directory, { birthName: 'Durand', firstNames: 'Paul' }, alice, clock)
    const b = device(fork(a.directory))
    mergePatients(a.directory, kept, dropped, alice, clock)
    const march = b.open(agendaDocId('2027-03'))
    const unbind = bindPatientMonthIndex(b.directory, march)
    addAppointment(march, { start: '2027-03-02T09:00', durationMin: 30, practitionerId: 'pr', patientId: dropped }, bob, clock)
    unbind()
    sync(a, b, [agendaDocId('2027-03')])
    for (const d of [a, b]) {
      const members = PatientRedirects.fromDirectory(d.directory).membersOf(kept)
      expect(members).toEqual([kept, dropped])
      expect(membersMonths(d.directory, members)).toEqual({ months: ['2027-03'], complete: true })
      const found = members.flatMap((id) => listAppointments(d.open(agendaDocId('2027-03')), { patientId: id }).items)
      expect(found.map((x) => x.start)).toEqual(['2027-03-02T09:00'])
    }
  })
})

describe('union of file records', () => {
  it('keeps one record per id, the own file’s, in the list order', () => {
    const clock = steppingClock()
    const own = new Y.Doc()
    const other = new Y.Doc()
    const first = addPrescription(own, { prescriberName: 'Dr Petit', date: '2026-10-01', indication: 'Lombalgie' }, alice, clock)
    addPrescription(other, { prescriberName: 'Dr Roux', date: '2026-11-01', indication: 'Entorse' }, bob, clock)
    // A copy of the own ordonnance, under its id, as an earlier version's merge left it.
    insertRecord(other, 'prescriptions', first, { prescriberName: 'Dr Petit (copie)', date: '2026-10-01', indication: 'Lombalgie' }, alice, clock)
    const union = unionFileRecords(inFile(own, listPrescriptions(own).items), inFile(other, listPrescriptions(other).items), newestDatedFirst)
    expect(union.map((r) => [r.record.prescriberName, r.doc === own])).toEqual([
      ['Dr Roux', false],
      ['Dr Petit', true],
    ])
  })
})
