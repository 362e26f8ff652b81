/**
 * Merging two duplicate patients across the docs of a space: the directory record (model's
 * `mergePatients`), the clinical file (patient/<dropped> copied into patient/<kept>) and the
 * appointments that point at the dropped id, in every agenda month doc that may hold them.
 *
 * Which month docs: the ones the dropped patient's appointments are in, from the directory's
 * index of each patient's months (shared/src/model/patient-months.ts), when that list is known
 * complete. A patient created by an older version has no complete list; the envelope stores doc
 * ids blinded, so a device cannot list the months that exist without opening them. We open a
 * bounded range instead: from 12 months before the older patient was created (past sessions typed
 * in after the fact) to 24 months after today (series booked ahead). An appointment outside that
 * range keeps the dropped id; it still shows the patient's name, since the dropped record is
 * soft-deleted, not removed, and its `mergedInto` points at the kept one. Opening an empty month
 * writes nothing.
 */
import type * as Y from 'yjs'
import {
  agendaDocId,
  mergePatientFiles,
  mergePatients,
  patientDocId,
  patientMonths,
  relinkAppointments,
  todayIn,
} from '../../../shared/src/model'
import type { Actor, Clock, Patient } from '../../../shared/src/model'

export const MONTHS_BEFORE_CREATION = 12
export const MONTHS_AFTER_TODAY = 24

function addMonths(month: string, count: number): string {
  const [y = 0, m = 1] = month.split('-').map(Number)
  const index = y * 12 + (m - 1) + count
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`
}

/** The 'YYYY-MM' months to scan for appointments of two patients, oldest first. */
export function monthsToScan(patients: readonly Pick<Patient, 'createdAt'>[], timeZone: string, clock: Clock): string[] {
  const oldest = Math.min(...patients.map((p) => p.createdAt))
  const first = addMonths(todayIn(timeZone, () => oldest).slice(0, 7), -MONTHS_BEFORE_CREATION)
  const last = addMonths(todayIn(timeZone, clock).slice(0, 7), MONTHS_AFTER_TODAY)
  const months: string[] = []
  for (let month = first; month <= last; month = addMonths(month, 1)) months.push(month)
  return months
}

/** The months to relink: the dropped patient's indexed months, or the bounded range (see above). */
export function monthsToRelink(
  directory: Y.Doc,
  keep: Pick<Patient, 'createdAt'>,
  drop: Pick<Patient, 'id' | 'createdAt'>,
  timeZone: string,
  clock: Clock,
): string[] {
  const indexed = patientMonths(directory, drop.id)
  return indexed?.complete ? [...indexed.months] : monthsToScan([keep, drop], timeZone, clock)
}

export type MergeReport = { appointments: number; fileRecords: number }

/**
 * Runs the whole merge. Every step is safe to repeat, so a merge interrupted (tab closed) and run
 * again from the other device finishes the job without doubling anything.
 */
export async function mergeDuplicatePatients(options: {
  openDoc: (docId: string) => Promise<Y.Doc>
  directory: Y.Doc
  keep: Patient
  drop: Patient
  timeZone: string
  actor: Actor
  clock: Clock
}): Promise<MergeReport> {
  const { openDoc, directory, keep, drop, timeZone, actor, clock } = options
  // Clinical file and appointments first: if this stops halfway, the duplicate is still offered.
  const [from, to] = await Promise.all([openDoc(patientDocId(drop.id)), openDoc(patientDocId(keep.id))])
  const fileRecords = mergePatientFiles(from, to, actor, clock)
  let appointments = 0
  for (const month of monthsToRelink(directory, keep, drop, timeZone, clock)) {
    appointments += relinkAppointments(await openDoc(agendaDocId(month)), drop.id, keep.id, actor, clock)
  }
  mergePatients(directory, keep.id, drop.id, actor, clock)
  return { appointments, fileRecords }
}
