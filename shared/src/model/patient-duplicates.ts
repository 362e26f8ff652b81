/**
 * Duplicates: the same patient created on two devices (often both offline) becomes two records
 * with two ids. The rule, exactly: two live (not deleted) patients are duplicates when they have the
 * same birth date (both known), the same first names once folded (`foldText`: case, accents,
 * hyphens ignored), and share a folded name: birth name = birth name, or usual name = usual name,
 * or one's usual name = the other's birth name. Archived patients count: an archived duplicate still
 * needs merging.
 *
 * Merging keeps the older record (earlier createdAt, then smaller id, so two devices merging the
 * same pair choose the same one), copies into it the fields it lacks, and soft-deletes the other
 * with `mergedInto: <kept id>`; the kept patient's agenda months include the other's
 * (patient-months.ts). Both histories stay in the directory's change log; the kept
 * patient's history lists the merged one's entries too (`patientHistory`).
 *
 * Nothing is copied or relinked in other docs: `mergedInto` is a redirect that every reader
 * resolves (patient-redirects.ts), so the clinical file, appointments, ordonnances and
 * attachments of the merged record — those already there and those that reach it later from a
 * device that was offline — show under the kept patient. A copy made at merge time would miss
 * what arrives later, and two copies of one note would each be edited on their own.
 */
import * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { appendChanges } from './change-log'
import { patientFields } from './input-schemas'
import { mergePatientMonths } from './patient-months'
import { getPatient } from './patients'
import { foldText, type FoldedNames } from './patient-search'
import { mergeOrder, sameNames, type DuplicatePair } from './duplicate-pairs'
import type { Patient } from './record-schemas'
import { MERGED_INTO } from './patient-redirects'
import { collection, markDeleted, recordFields, requireRecord, writeChangedFields } from './records'

const PATIENTS = DIRECTORY_MAPS.patients
const EDITABLE = Object.keys(patientFields.shape)

export type { DuplicatePair }
export { mergeOrder }

/** What the duplicate rule compares: names and birth date, of a record or of one about to be made. */
export type PatientIdentity = {
  readonly birthName: string
  readonly usualName?: string | undefined
  readonly firstNames: string
  readonly birthDate?: string | undefined
}

function namesOf(p: PatientIdentity): FoldedNames {
  return { first: foldText(p.firstNames), birth: foldText(p.birthName), usual: p.usualName ? foldText(p.usualName) : null }
}

/**
 * A patient record's folded names, folded once per record: records are immutable snapshots (a
 * change gives a new one), and the rule may compare one record many times (findDuplicates over a
 * whole directory: ≈ 30 ms of foldText per run at 20,000).
 */
const foldedRecords = new WeakMap<Patient, FoldedNames>()

function recordNames(p: Patient): FoldedNames {
  let names = foldedRecords.get(p)
  if (!names) foldedRecords.set(p, (names = namesOf(p)))
  return names
}

export function areDuplicates(a: Patient, b: Patient): boolean {
  return a.id !== b.id && !!a.birthDate && a.birthDate === b.birthDate && sameNames(recordNames(a), recordNames(b))
}

/**
 * The duplicate rule on identities (module comment): a patient about to be created is checked
 * against the existing ones with it, so that creating a duplicate is offered a choice first.
 */
export function sameIdentity(a: PatientIdentity, b: PatientIdentity): boolean {
  if (!a.birthDate || a.birthDate !== b.birthDate) return false
  return sameNames(namesOf(a), namesOf(b))
}

/**
 * Every duplicate pair among `patients` (deleted ones ignored), grouped by birth date so the cost
 * stays linear for a real practice. A patient duplicated three times gives three pairs. Found
 * from scratch: a screen that follows the directory reads a search index's pairs instead, kept as
 * it changes (PatientSearchIndex.duplicatePairs, duplicate-pairs.ts).
 */
export function findDuplicates(patients: readonly Patient[], folded?: (patient: Patient) => FoldedNames | undefined): DuplicatePair[] {
  // Names folded already (a search index's, PatientSearchIndex.foldedNames) are not folded again.
  const names = folded ? (p: Patient) => folded(p) ?? recordNames(p) : recordNames
  const byBirthDate = new Map<string, Patient[]>()
  for (const p of patients) {
    if (p.deletedAt !== undefined || !p.birthDate) continue
    const group = byBirthDate.get(p.birthDate)
    if (group) group.push(p)
    else byBirthDate.set(p.birthDate, [p])
  }
  const pairs: DuplicatePair[] = []
  for (const group of byBirthDate.values()) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const a = group[i] as Patient
        const b = group[j] as Patient
        if (a.id !== b.id && sameNames(names(a), names(b))) pairs.push(mergeOrder(a, b))
      }
    }
  }
  return pairs
}

/**
 * The duplicate pairs one patient is part of, without reading the whole directory: a raw scan
 * picks the records with the same birth date, and only those are validated and compared.
 */
export function findDuplicatesOf(doc: Y.Doc, id: string): DuplicatePair[] {
  const patient = getPatient(doc, id)
  if (!patient?.birthDate || patient.deletedAt !== undefined) return []
  const pairs: DuplicatePair[] = []
  collection(doc, PATIENTS).forEach((value, otherId) => {
    if (otherId === id || !(value instanceof Y.Map) || value.get('birthDate') !== patient.birthDate) return
    const other = getPatient(doc, otherId)
    if (other && other.deletedAt === undefined && areDuplicates(patient, other)) pairs.push(mergeOrder(patient, other))
  })
  return pairs
}

export class MergeError extends Error {
  override name = 'MergeError'
}

/**
 * Merges `dropId` into `keepId` in the directory: fields the kept record lacks are copied, the
 * other is soft-deleted with `mergedInto` (the redirect readers follow, patient-redirects.ts).
 * One transaction; a 'merge' entry joins the log. A record already merged away is not merged
 * again: its redirect stays as it is, so a chain only ever grows at its survivor.
 */
export function mergePatients(doc: Y.Doc, keepId: string, dropId: string, actor: Actor, clock: Clock): void {
  if (keepId === dropId) throw new MergeError('A patient cannot be merged into itself')
  const keep = requireRecord(doc, PATIENTS, keepId)
  const drop = requireRecord(doc, PATIENTS, dropId)
  if (keep.has('deletedAt')) throw new MergeError('The patient to keep is deleted: restore it first')
  if (drop.get(MERGED_INTO) !== undefined) throw new MergeError('This patient was already merged into another one')
  doc.transact(() => {
    const kept = recordFields(keep)
    const dropped = recordFields(drop)
    const next: Record<string, unknown> = { ...kept }
    for (const key of EDITABLE) if (next[key] === undefined && dropped[key] !== undefined) next[key] = dropped[key]
    // Both were active or one was archived: the merged patient is active if either was.
    next.archived = kept.archived === true && dropped.archived === true
    writeChangedFields(doc, keep, next, EDITABLE, actor, clock)
    writeChangedFields(doc, drop, { [MERGED_INTO]: keepId }, [MERGED_INTO], actor, clock)
    markDeleted(doc, drop, actor, clock)
    mergePatientMonths(doc, keepId, dropId)
    appendChanges(doc, [{ kind: 'merge', collection: PATIENTS, recordId: keepId, from: dropId, at: clock(), by: { ...actor } }])
  })
}

