/**
 * « Annuler cet import » on real Y.Docs: a CSV import's patients, and an import that also made
 * appointments, a series and an absence (as the .ics and archive imports do) — undone from the
 * device that imported and from another that only received it.
 */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  addAbsence,
  addAppointment,
  addPatient,
  agendaDocId,
  createSeries,
  getAppointment,
  listAbsences,
  listAppointments,
  listPatients,
  listSeries,
  mergePatients,
  moveAppointment,
  newRecordId,
  notePatientMonths,
  updateAppointment,
  updatePatient,
} from '../../../shared/src/model'
import type { PatientFields } from '../../../shared/src/model'
import { findRecord, restoreStamps } from '../../../shared/src/model/records'
import { alice, bob, PracticeReplica, steppingClock } from '../../../shared/src/model/test-support'
import { getImportBatch, importPatients, ImportRecord, listImportBatches } from './import-batch'
import { planUndo, undoImport } from './import-undo'

const people = (n: number): PatientFields[] =>
  Array.from({ length: n }, (_, i) => ({ birthName: `Importé${i}`, firstNames: 'Léa', birthDate: '1980-01-01' }))

const names = (doc: Y.Doc) => listPatients(doc).items.map((p) => p.birthName).sort()

async function csvImport(practice: PracticeReplica, n: number) {
  return importPatients(practice.directory, people(n), { source: 'patients-csv', fileName: 'patients.csv', actor: alice, clock: steppingClock(), batchSize: 2, pause: async () => {} })
}

const SLOT = { timeZone: 'Europe/Paris', durationMin: 30, practitionerId: 'prat-1' }

/** An import as the .ics and archive writers make one: a patient, two appointments, a series of three, an absence. */
async function mixedImport(practice: PracticeReplica) {
  const { directory, openDoc } = practice
  const clock = () => Date.UTC(2026, 11, 1, 9)
  const record = ImportRecord.start(directory, { source: 'archive', fileName: 'export.zip', planned: 7 }, alice, clock)
  const patientId = addPatient(directory, { birthName: 'Archivé', firstNames: 'Jean' }, alice, clock)
  record.listPatient(patientId)
  const appointments: string[] = []
  for (const start of ['2026-12-14T09:00', '2027-01-04T10:00']) {
    const ref = { month: start.slice(0, 7), id: newRecordId() }
    record.listAppointment(ref)
    appointments.push(addAppointment(await openDoc(agendaDocId(ref.month)), { ...SLOT, start, patientId }, alice, clock, ref.id))
  }
  const series = await createSeries(directory, (m) => openDoc(agendaDocId(m)), { ...SLOT, start: '2026-12-07T11:00', title: 'Groupe dos' }, { freq: 'WEEKLY', byDay: ['MO'], interval: 1, count: 3 }, alice, clock)
  record.listSeries(series.seriesId)
  for (const id of series.appointmentIds) record.listAppointment({ month: '2026-12', id })
  const absence = addAbsence(directory, { practitionerId: 'prat-1', from: '2026-12-24', to: '2026-12-26' }, alice, clock)
  record.listAbsence(absence)
  record.finish()
  notePatientMonths(directory, [{ patientId, month: '2026-12' }, { patientId, month: '2027-01' }])
  return { batchId: record.batchId, patientId, appointments, series, absence }
}

const live = async (practice: PracticeReplica, month: string) => listAppointments(await practice.openDoc(agendaDocId(month))).items

describe('undoImport of a CSV import', () => {
  it('removes exactly the patients the import created, and nothing else', async () => {
    const practice = new PracticeReplica()
    addPatient(practice.directory, { birthName: 'Déjà', firstNames: 'Là' }, bob, steppingClock())
    const outcome = await csvImport(practice, 3)
    const plan = await undoImport(practice, outcome.batchId, alice, steppingClock(Date.UTC(2026, 10, 3)))
    expect(plan).toMatchObject({ removeCount: 3, keep: [], gone: 0 })
    expect(names(practice.directory)).toEqual(['Déjà'])
    // Soft-deleted, as every deletion in the app: each can still be restored.
    expect(listPatients(practice.directory, { includeDeleted: true }).items).toHaveLength(4)
    expect(getImportBatch(practice.directory, outcome.batchId)).toMatchObject({ undoneAt: Date.UTC(2026, 10, 3), kept: [] })
  })

  it('keeps, and names, the patients the practice used since: edited, booked, merged into', async () => {
    const practice = new PracticeReplica()
    const { directory } = practice
    const clock = steppingClock(Date.UTC(2026, 10, 5))
    const outcome = await csvImport(practice, 4)
    const [edited, booked, mergedInto, untouched] = getImportBatch(directory, outcome.batchId)?.patients ?? []
    updatePatient(directory, edited as string, { email: 'lea@example.fr' }, bob, clock)
    addAppointment(await practice.openDoc(agendaDocId('2026-12')), { ...SLOT, start: '2026-12-01T09:00', patientId: booked as string }, bob, clock)
    notePatientMonths(directory, [{ patientId: booked as string, month: '2026-12' }])
    const twin = addPatient(directory, { birthName: 'Importé2', firstNames: 'Léa', birthDate: '1980-01-01' }, bob, clock)
    mergePatients(directory, mergedInto as string, twin, bob, clock)
    const plan = await planUndo(practice, outcome.batchId)
    expect(plan.remove.patients).toEqual([untouched])
    expect(plan.keep).toEqual([
      { kind: 'patient', id: edited, name: 'Importé0 Léa', reason: 'edited' },
      { kind: 'patient', id: booked, name: 'Importé1 Léa', reason: 'appointments' },
      { kind: 'patient', id: mergedInto, name: 'Importé2 Léa', reason: 'merged' },
    ])
    await undoImport(practice, outcome.batchId, alice, clock)
    expect(names(directory)).toEqual(['Importé0', 'Importé1', 'Importé2'])
    expect(getImportBatch(directory, outcome.batchId)?.kept).toEqual([edited, booked, mergedInto])
  })

  it('can be done from another device that only received the import', async () => {
    const practice = new PracticeReplica()
    const outcome = await csvImport(practice, 3)
    const other = practice.fork()
    expect(listImportBatches(other.directory).map((b) => b.id)).toEqual([outcome.batchId])
    await undoImport(other, outcome.batchId, bob, steppingClock())
    practice.exchange(other)
    expect(names(practice.directory)).toEqual([])
    expect(await planUndo(practice, outcome.batchId)).toMatchObject({ removeCount: 0, gone: 3 })
  })

  it('skips a record that is not an import', () => {
    const doc = new Y.Doc()
    const junk = new Y.Map<unknown>()
    doc.getMap('imports').set('junk', junk)
    junk.set('source', 'somewhere')
    expect(listImportBatches(doc)).toEqual([])
  })
})

describe('undoImport of an import with appointments, series and absences', () => {
  it('removes every record the import listed — patient, appointments in their months, series and its occurrences, absence', async () => {
    const practice = new PracticeReplica()
    const { directory } = practice
    const mine = addAppointment(await practice.openDoc(agendaDocId('2026-12')), { ...SLOT, start: '2026-12-14T15:00', title: 'Réunion' }, bob, steppingClock())
    const made = await mixedImport(practice)
    const plan = await undoImport(practice, made.batchId, bob, steppingClock(Date.UTC(2026, 11, 3)))
    expect(plan).toMatchObject({ removeCount: 1 + 2 + 3 + 1 + 1, keep: [], gone: 0 })
    expect((await live(practice, '2026-12')).map((a) => a.id)).toEqual([mine])
    expect(await live(practice, '2027-01')).toEqual([])
    expect(listSeries(directory).items).toEqual([])
    expect(listAbsences(directory).items).toEqual([])
    expect(names(directory)).toEqual([])
    expect(getImportBatch(directory, made.batchId)).toMatchObject({ undoneAt: Date.UTC(2026, 11, 3) })
  })

  it('keeps what was edited since — an appointment moved to another month, its patient, a series with a changed occurrence — and names it', async () => {
    const practice = new PracticeReplica()
    const made = await mixedImport(practice)
    const later = steppingClock(Date.UTC(2026, 11, 5))
    const december = await practice.openDoc(agendaDocId('2026-12'))
    moveAppointment(december, await practice.openDoc(agendaDocId('2027-02')), made.appointments[0]!, { start: '2027-02-01T09:00' }, bob, later)
    updateAppointment(december, made.series.appointmentIds[1]!, { note: 'Salle 2' }, bob, later)
    const plan = await planUndo(practice, made.batchId)
    expect(plan.keep).toEqual([
      { kind: 'appointment', id: made.appointments[0], start: '2027-02-01T09:00', name: 'Archivé Jean', reason: 'edited' },
      { kind: 'appointment', id: made.series.appointmentIds[1], start: '2026-12-14T11:00', name: 'Groupe dos', reason: 'edited' },
      { kind: 'series', id: made.series.seriesId, name: 'Groupe dos', reason: 'appointments' },
      { kind: 'patient', id: made.patientId, name: 'Archivé Jean', reason: 'appointments' },
    ])
    expect(plan.remove.appointments.map((r) => r.id)).toEqual([made.appointments[1], made.series.appointmentIds[0], made.series.appointmentIds[2]])
    expect(plan.remove).toMatchObject({ series: [], absences: [made.absence], patients: [] })
    await undoImport(practice, made.batchId, bob, later)
    expect((await live(practice, '2027-02')).map((a) => a.id)).toEqual([made.appointments[0]])
    expect((await live(practice, '2026-12')).map((a) => a.id)).toEqual([made.series.appointmentIds[1]])
    expect(getAppointment(await practice.openDoc(agendaDocId('2027-01')), made.appointments[1]!)?.deletedAt).toBeGreaterThan(Date.UTC(2026, 11, 5))
  })

  it('works from another device after sync, and a listed appointment that never arrived counts as gone', async () => {
    const practice = new PracticeReplica()
    const made = await mixedImport(practice)
    const other = practice.fork()
    const record = ImportRecord.start(other.directory, { source: 'calendar-ics', fileName: 'agenda.ics', planned: 1 }, bob, steppingClock())
    record.listAppointment({ month: '2027-03', id: 'neverwrittenxxxx' })
    expect(await planUndo(other, record.batchId)).toMatchObject({ removeCount: 0, gone: 1 })
    await undoImport(other, made.batchId, bob, steppingClock(Date.UTC(2026, 11, 4)))
    practice.exchange(other)
    expect(await live(practice, '2026-12')).toEqual([])
    expect(listSeries(practice.directory).items).toEqual([])
    expect(await planUndo(practice, made.batchId)).toMatchObject({ removeCount: 0, gone: 8 })
  })
})

describe('undoImport of an archive import that gave appointments their stamps back', () => {
  const importedAt = Date.UTC(2026, 11, 1, 9)
  const carol = { memberId: 'member-carol', deviceId: 'device-carol' }
  /** Made and changed in the old practice, by two members on two devices. */
  const old = { createdAt: Date.UTC(2025, 0, 5, 8), createdBy: bob, updatedAt: Date.UTC(2025, 2, 1, 17), updatedBy: carol }

  it('compares each with the updatedAt the import wrote: changed in the old practice, it goes; changed since the import, it stays', async () => {
    const practice = new PracticeReplica()
    const december = await practice.openDoc(agendaDocId('2026-12'))
    const record = ImportRecord.start(practice.directory, { source: 'archive', fileName: 'export.zip', planned: 3 }, alice, () => importedAt)
    const made: string[] = []
    // The third had no Provenance in the archive: it keeps the import's stamps.
    for (const [start, stamps] of [['2026-12-14T09:00', old], ['2026-12-15T09:00', old], ['2026-12-16T09:00', undefined]] as const) {
      const ref = { month: '2026-12', id: newRecordId() }
      record.listAppointment(ref, stamps?.updatedAt)
      addAppointment(december, { ...SLOT, start, title: 'Groupe' }, alice, () => importedAt, ref.id)
      if (stamps) restoreStamps(december, findRecord(december, 'appointments', ref.id)!, stamps)
      made.push(ref.id)
    }
    record.finish()
    const batch = getImportBatch(practice.directory, record.batchId)!
    expect(batch.appointments.map((r) => r.id)).toEqual(made)
    expect([...batch.written]).toEqual([[made[0], old.updatedAt], [made[1], old.updatedAt]])

    updateAppointment(december, made[1]!, { note: 'Salle 2' }, alice, steppingClock(Date.UTC(2026, 11, 2)))
    const plan = await undoImport(practice, record.batchId, alice, steppingClock(Date.UTC(2026, 11, 3)))
    expect(plan.keep).toEqual([{ kind: 'appointment', id: made[1], start: '2026-12-15T09:00', name: 'Groupe', reason: 'edited' }])
    expect(plan.remove.appointments.map((r) => r.id)).toEqual([made[0], made[2]])
    expect((await live(practice, '2026-12')).map((a) => a.id)).toEqual([made[1]])
  })

  it('undoes an import recorded before stamps came back (no updatedAt listed) as before: compared with createdAt', async () => {
    const practice = new PracticeReplica()
    const { directory } = practice
    const december = await practice.openDoc(agendaDocId('2026-12'))
    const untouched = addAppointment(december, { ...SLOT, start: '2026-12-14T09:00', title: 'Groupe' }, alice, () => importedAt)
    const edited = addAppointment(december, { ...SLOT, start: '2026-12-15T09:00', title: 'Groupe' }, alice, () => importedAt)
    // The record exactly as the version before wrote it: refs only in `appointments`.
    directory.transact(() => {
      const record = new Y.Map<unknown>()
      directory.getMap('imports').set('avant', record)
      record.set('source', 'archive')
      record.set('fileName', 'export.zip')
      record.set('planned', 2)
      record.set('patients', new Y.Array<string>())
      const refs = new Y.Array<string>()
      refs.push([`2026-12/${untouched}`, `2026-12/${edited}`])
      record.set('appointments', refs)
      record.set('finishedAt', importedAt)
      for (const key of ['createdAt', 'updatedAt']) record.set(key, importedAt)
      for (const key of ['createdBy', 'updatedBy']) record.set(key, alice)
    })
    expect(getImportBatch(directory, 'avant')?.written.size).toBe(0)
    updateAppointment(december, edited, { note: 'Salle 2' }, bob, steppingClock(Date.UTC(2026, 11, 2)))
    const plan = await undoImport(practice, 'avant', alice, steppingClock(Date.UTC(2026, 11, 3)))
    expect(plan.keep).toEqual([{ kind: 'appointment', id: edited, start: '2026-12-15T09:00', name: 'Groupe', reason: 'edited' }])
    expect(plan.remove.appointments.map((r) => r.id)).toEqual([untouched])
  })
})
