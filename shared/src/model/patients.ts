/**
 * The patient index: identity and contact of every patient, in the directory doc. This is the only
 * place identity lives; the patient's file (`patient/<id>`) and appointments refer to it by id.
 */
import type * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { historyArray, recordHistory } from './change-log'
import type { ChangeEntry, FieldChange } from './change-log'
import { DIRECTORY_MAPS } from './collections'
import { newRecordId } from './ids'
import { patientFields } from './input-schemas'
import type { Patch, PatientInput } from './input-schemas'
import { patientRecord } from './record-schemas'
import type { Patient } from './record-schemas'
import {
  compareFr,
  findRecord,
  insertRecord,
  isDeleted,
  markDeleted,
  readAll,
  readRecord,
  requireRecord,
  restoreFieldValue,
  RestoreError,
  unmarkDeleted,
  updateRecord,
} from './records'
import type { ListResult } from './records'
import type { PatientChecks } from './validation'
import { todayIn } from './dates'
import { APPOINTMENT_MONTHS, newAppointmentMonths } from './patient-months'
import { practiceTimeZone } from './practice'
import { validatePatientInput } from './validation'

const NAME = DIRECTORY_MAPS.patients
const KEYS = Object.keys(patientFields.shape)

export type PatientPatch = Patch<PatientInput>

/**
 * The clock read once for a write: the birth-date check (today in the practice's zone, see
 * birth-date.ts) and the record's stamps see the same instant, and a stepping test clock one step.
 */
function readOnce(doc: Y.Doc, clock: Clock): { checks: PatientChecks; at: Clock } {
  const now = clock()
  return { checks: { today: todayIn(practiceTimeZone(doc), () => now) }, at: () => now }
}

export function addPatient(doc: Y.Doc, input: PatientInput, actor: Actor, clock: Clock): string {
  const { checks, at } = readOnce(doc, clock)
  const fields = validatePatientInput(input, checks)
  const id = newRecordId()
  // The list of months its appointments are in starts with the patient, complete (patient-months.ts).
  insertRecord(doc, NAME, id, { ...fields, archived: fields.archived ?? false, [APPOINTMENT_MONTHS]: newAppointmentMonths() }, actor, at)
  return id
}

/**
 * Only fields whose value changes are written, so a field this device did not touch never
 * overwrites another device's concurrent edit of it. Returns whether anything changed.
 */
export function updatePatient(doc: Y.Doc, id: string, patch: PatientPatch, actor: Actor, clock: Clock): boolean {
  const { checks, at } = readOnce(doc, clock)
  return updateRecord(
    doc,
    NAME,
    id,
    patch,
    // A birth date stored before these checks existed is judged when it is edited, not when the
    // phone or the archive flag is.
    (merged) => validatePatientRecord(merged, patch.birthDate != null ? checks : {}),
    KEYS,
    actor,
    at,
  )
}

export function softDeletePatient(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  markDeleted(doc, requireRecord(doc, NAME, id), actor, clock)
}

export function restorePatient(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  unmarkDeleted(doc, requireRecord(doc, NAME, id), actor, clock)
}

/** The patient, deleted or not; undefined if absent or unreadable (see listPatients' issues). */
export function getPatient(doc: Y.Doc, id: string): Patient | undefined {
  const record = findRecord(doc, NAME, id)
  if (!record) return undefined
  const read = readRecord(NAME, id, record, patientRecord)
  return read.ok ? read.record : undefined
}

/** The name a patient is called by: usual name if any, else birth name. */
export function patientFamilyName(p: Pick<Patient, 'birthName' | 'usualName'>): string {
  return p.usualName ?? p.birthName
}

/** 'Dupont Jeanne', the order French agendas and lists use. */
export function patientDisplayName(p: Pick<Patient, 'birthName' | 'usualName' | 'firstNames'>): string {
  return `${patientFamilyName(p)} ${p.firstNames}`
}

export function comparePatients(a: Patient, b: Patient): number {
  return (
    compareFr(patientFamilyName(a), patientFamilyName(b)) ||
    compareFr(a.firstNames, b.firstNames) ||
    compareFr(a.birthName, b.birthName) ||
    (a.birthDate ?? '').localeCompare(b.birthDate ?? '') ||
    a.id.localeCompare(b.id)
  )
}

/**
 * The id of every patient the directory holds, deleted, archived or invalid included: the patient
 * files a file shard may hold (what a device needs to name them, shared/src/envelope/envelope.ts).
 */
export function patientIds(doc: Y.Doc): string[] {
  return [...doc.getMap(NAME).keys()]
}

export type ListPatientsOptions = { includeArchived?: boolean; includeDeleted?: boolean }

/** Sorted by usual (else birth) name, then first names, in French order ignoring case and accents. */
export function listPatients(doc: Y.Doc, options: ListPatientsOptions = {}): ListResult<Patient> {
  const result = readAll(
    doc,
    NAME,
    patientRecord,
    (p) => (options.includeDeleted || !isDeleted(p)) && (options.includeArchived || !p.archived),
  )
  result.items.sort(comparePatients)
  return result
}

/**
 * Who changed what on this patient, newest first, with the entries of patients merged into it
 * (found from the log's 'merge' entries, transitively: a duplicate of a duplicate counts too).
 */
export function patientHistory(doc: Y.Doc, id: string): ChangeEntry[] {
  const ids = new Set([id])
  const merges: { into: string; from: string }[] = []
  historyArray(doc).forEach((item) => {
    const raw = item as { kind?: unknown; collection?: unknown; recordId?: unknown; from?: unknown } | null
    if (raw?.kind === 'merge' && raw.collection === NAME && typeof raw.recordId === 'string' && typeof raw.from === 'string') {
      merges.push({ into: raw.recordId, from: raw.from })
    }
  })
  for (let grown = true; grown; ) {
    grown = false
    for (const m of merges) {
      if (ids.has(m.into) && !ids.has(m.from)) {
        ids.add(m.from)
        grown = true
      }
    }
  }
  return recordHistory(doc, NAME, [...ids])
}

function validatePatientRecord(merged: Record<string, unknown>, checks: PatientChecks): Record<string, unknown> {
  const fields = validatePatientInput(merged, checks)
  return { ...fields, archived: fields.archived ?? false }
}

/** Puts back the value a field had before `change`, as a new change; checked like any edit. */
export function restorePatientField(doc: Y.Doc, change: FieldChange, actor: Actor, clock: Clock): boolean {
  if (change.collection !== NAME) throw new RestoreError(`A ${change.collection} change is not a patient's`)
  const { checks, at } = readOnce(doc, clock)
  const judged = change.field === 'birthDate' ? checks : {}
  return restoreFieldValue(doc, change, (merged) => validatePatientRecord(merged, judged), KEYS, actor, at)
}
