/**
 * « Annuler cet import », for every source (import-batch.ts holds the record): removes exactly what
 * the import listed — patients, appointments and blocks, series, absences — and keeps, naming it,
 * what the practice has used since:
 *
 * - a record edited since (its `updatedAt` is no longer the one the import wrote: its `createdAt`,
 *   or for an appointment whose stamps an archive gave back, the one listed with it; an
 *   appointment moved to another month is found through `movedTo` and counts as edited);
 * - a patient with an appointment the undo does not remove, or into whom a duplicate was merged;
 * - a series with an occurrence the undo keeps.
 *
 * Deletion is soft, as everywhere in Tournée: each record stays restorable and its history stays.
 * Records in patient files (notes, ordonnances, attachments an archive brought) live in other
 * docs, which the undo does not open: they stay in the file, hidden with their patient, and
 * restoring the patient brings them back. Settings, practitioners, kinds and sites an archive
 * brought are the practice's setup now, and stay.
 */
import * as Y from 'yjs'
import {
  agendaDocId,
  DIRECTORY_MAPS,
  getAbsence,
  getAppointment,
  getPatient,
  getSeries,
  isMonth,
  listAppointments,
  MERGED_INTO,
  patientDisplayName,
  patientMonths,
  softDeleteAbsence,
  softDeleteAppointment,
  softDeletePatient,
  type Actor,
  type Appointment,
  type Clock,
} from '../../../shared/src/model'
import { collection, findRecord, markDeleted, writeChangedFields } from '../../../shared/src/model/records'
import { getImportBatch, refText, type AppointmentRef, type ImportBatch } from './import-batch'
import { ImportBatchError } from './import-batch'

export interface UndoTarget {
  readonly directory: Y.Doc
  /** Opens a doc of the practice ('agenda/2026-11') for reading and writing. */
  openDoc(docId: string): Promise<Y.Doc>
}

/** Why the undo keeps a record it created (module comment). */
export type KeptReason = 'edited' | 'appointments' | 'merged'

export type KeptRecord =
  | { readonly kind: 'patient'; readonly id: string; readonly name: string; readonly reason: KeptReason }
  | { readonly kind: 'appointment'; readonly id: string; readonly start: string; readonly name: string; readonly reason: 'edited' }
  | { readonly kind: 'series'; readonly id: string; readonly name: string; readonly reason: 'edited' | 'appointments' }
  | { readonly kind: 'absence'; readonly id: string; readonly name: string; readonly reason: 'edited' }

export interface UndoPlan {
  readonly batchId: string
  /** Created by the import, untouched since, not yet deleted: what the undo deletes. */
  readonly remove: {
    readonly patients: readonly string[]
    readonly appointments: readonly AppointmentRef[]
    readonly series: readonly string[]
    readonly absences: readonly string[]
  }
  readonly removeCount: number
  /** Created by the import and used since: kept, and named to the person. */
  readonly keep: readonly KeptRecord[]
  /** Created by the import and already deleted (by hand, by a merge, by an earlier undo). */
  readonly gone: number
}

/** Moved appointments leave a deleted copy pointing at their new month: a chain a year long at most. */
const MAX_MOVES = 24

/** Where the appointment lives now, following `movedTo`; undefined when it never arrived there. */
export async function locateAppointment(target: UndoTarget, ref: AppointmentRef): Promise<{ ref: AppointmentRef; appointment: Appointment } | undefined> {
  let month = ref.month
  for (let hop = 0; hop < MAX_MOVES; hop++) {
    const doc = await target.openDoc(agendaDocId(month))
    const appointment = getAppointment(doc, ref.id)
    if (!appointment) return undefined
    const movedTo: unknown = findRecord(doc, 'appointments', ref.id)?.get('movedTo')
    if (appointment.deletedAt !== undefined && isMonth(movedTo) && movedTo !== month) {
      month = movedTo
      continue
    }
    return { ref: { month, id: ref.id }, appointment }
  }
  return undefined
}

/**
 * Whether a record changed since the import wrote it: its `updatedAt` is no longer the one the
 * import wrote — listed in the import's record when the stamps came from an archive (the old
 * practice's, so a record changed there is not « changed since »), else the import's instant,
 * its `createdAt` (every other import, and archive imports made before stamps came back).
 */
const editedSince = (batch: ImportBatch) => (r: { id: string; createdAt: number; updatedAt: number }) => r.updatedAt !== (batch.written.get(r.id) ?? r.createdAt)

/** Ids some record was merged into: deleting one of these would leave a redirect to a deleted patient. */
function mergeTargets(directory: Y.Doc): Set<string> {
  const targets = new Set<string>()
  collection(directory, DIRECTORY_MAPS.patients).forEach((value) => {
    const target = value instanceof Y.Map ? value.get(MERGED_INTO) : undefined
    if (typeof target === 'string') targets.add(target)
  })
  return targets
}

/** Patients among `ids` with a live appointment the undo does not remove (their month index says where to look). */
async function patientsStillBooked(target: UndoTarget, ids: readonly string[], removed: ReadonlySet<string>): Promise<Set<string>> {
  const wanted = new Set(ids)
  const months = new Set<string>()
  for (const id of ids) for (const month of patientMonths(target.directory, id)?.months ?? []) months.add(month)
  const booked = new Set<string>()
  for (const month of [...months].sort()) {
    const doc = await target.openDoc(agendaDocId(month))
    for (const a of listAppointments(doc).items) {
      if (a.patientId !== undefined && wanted.has(a.patientId) && !removed.has(a.id)) booked.add(a.patientId)
    }
  }
  return booked
}

/** What « Annuler cet import » would do now, to show before doing it. */
export async function planUndo(target: UndoTarget, batchId: string): Promise<UndoPlan> {
  const { directory } = target
  const batch = getImportBatch(directory, batchId)
  if (!batch) throw new ImportBatchError(`No import '${batchId}' in this practice: it may not have synced yet`)
  const edited = editedSince(batch)
  const keep: KeptRecord[] = []
  let gone = 0

  const appointments: AppointmentRef[] = []
  const keptSeries = new Set<string>()
  // Patients of the appointments kept: booked, whatever the month index says yet.
  const keptPatients = new Set<string>()
  for (const listed of batch.appointments) {
    const found = await locateAppointment(target, listed)
    if (!found || found.appointment.deletedAt !== undefined) {
      gone++
      continue
    }
    const { appointment } = found
    if (edited(appointment)) {
      const patient = appointment.patientId === undefined ? undefined : getPatient(directory, appointment.patientId)
      const name = patient ? patientDisplayName(patient) : (appointment.title ?? '')
      keep.push({ kind: 'appointment', id: appointment.id, start: appointment.start, name, reason: 'edited' })
      if (appointment.seriesId !== undefined) keptSeries.add(appointment.seriesId)
      if (appointment.patientId !== undefined) keptPatients.add(appointment.patientId)
    } else appointments.push(found.ref)
  }
  const removedAppointments = new Set(appointments.map((r) => r.id))

  const series: string[] = []
  for (const id of batch.series) {
    const s = getSeries(directory, id)
    if (!s || s.deletedAt !== undefined) gone++
    else if (edited(s) || keptSeries.has(id)) keep.push({ kind: 'series', id, name: s.title ?? '', reason: edited(s) ? 'edited' : 'appointments' })
    else series.push(id)
  }

  const absences: string[] = []
  for (const id of batch.absences) {
    const a = getAbsence(directory, id)
    if (!a || a.deletedAt !== undefined) gone++
    else if (edited(a)) keep.push({ kind: 'absence', id, name: `${a.from} – ${a.to}`, reason: 'edited' })
    else absences.push(id)
  }

  const merged = mergeTargets(directory)
  const live = batch.patients.filter((id) => {
    const p = getPatient(directory, id)
    return p !== undefined && p.deletedAt === undefined
  })
  gone += batch.patients.length - live.length
  const booked = await patientsStillBooked(target, live, removedAppointments)
  for (const id of keptPatients) booked.add(id)
  const patients: string[] = []
  for (const id of live) {
    const patient = getPatient(directory, id)!
    const reason: KeptReason | null = edited(patient) ? 'edited' : booked.has(id) ? 'appointments' : merged.has(id) ? 'merged' : null
    if (reason === null) patients.push(id)
    else keep.push({ kind: 'patient', id, name: patientDisplayName(patient), reason })
  }

  const removeCount = patients.length + appointments.length + series.length + absences.length
  return { batchId, remove: { patients, appointments, series, absences }, removeCount, keep, gone }
}

/**
 * Undoes an import: deletes (softly) what `planUndo` says — appointments in their month docs
 * first, then the directory's records and the import's « undone » mark in one transaction — and
 * records who undid it and what was kept. Returns the plan it carried out. Undoing again later
 * deletes what became removable since (a record created by a step that synced late).
 */
export async function undoImport(target: UndoTarget, batchId: string, actor: Actor, clock: Clock): Promise<UndoPlan> {
  const { directory } = target
  const plan = await planUndo(target, batchId)
  const record = findRecord(directory, DIRECTORY_MAPS.imports, batchId)
  if (!record) throw new ImportBatchError(`No import '${batchId}' in this practice`)
  // One instant for the whole undo: its deletions and its record say the same time.
  const now = clock()
  const at: Clock = () => now
  for (const ref of plan.remove.appointments) softDeleteAppointment(await target.openDoc(agendaDocId(ref.month)), ref.id, actor, at)
  directory.transact(() => {
    for (const id of plan.remove.series) {
      const series = findRecord(directory, DIRECTORY_MAPS.series, id)
      if (series) markDeleted(directory, series, actor, at)
    }
    for (const id of plan.remove.absences) softDeleteAbsence(directory, id, actor, at)
    for (const id of plan.remove.patients) softDeletePatient(directory, id, actor, at)
    const kept = plan.keep.map((k) => (k.kind === 'appointment' ? refText({ month: k.start.slice(0, 7), id: k.id }) : k.id))
    const undoneBy = { memberId: actor.memberId, deviceId: actor.deviceId }
    writeChangedFields(directory, record, { undoneAt: now, undoneBy, kept }, ['undoneAt', 'undoneBy', 'kept'], actor, at)
  })
  return plan
}
