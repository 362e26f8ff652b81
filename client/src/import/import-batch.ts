/**
 * An import as the practice remembers it, so that « Annuler cet import » removes exactly what it
 * created — from this device or any other: the record lives in the directory doc, synced and
 * encrypted like the patients it lists.
 *
 *   doc.getMap('imports')                 collection: id → record (records.ts stamps)
 *     'iK2…' → Y.Map {
 *       source: 'patients-csv',           what was imported (other importers add their own)
 *       fileName: 'patients.csv',         as the person chose it
 *       planned: 1203,                    rows the dry run said to create
 *       patients: Y.Array<string>,        ids created, appended in the same transaction as the
 *                                         patients themselves: none created without being listed
 *       finishedAt?: 1795…,               every batch written (absent: stopped or interrupted)
 *       stopped?: true,                   the person stopped it between two batches
 *       undoneAt?: 1795…, undoneBy?: {…}, the undo, and the ids it kept (edited since, see below)
 *       kept?: ['pQ3…'],
 *       createdAt, createdBy, updatedAt, updatedBy }
 *
 * Patients are written by `addPatient`, the patient form's model function, its validation
 * included; an undo soft-deletes them (`softDeletePatient`), so each can still be restored and
 * its history stays. A created patient is *kept* by the undo, and named, when the practice has
 * used it since: a field edited (its `updatedAt` moved), an appointment made (its agenda months),
 * or another record merged into it. Notes written in its clinical file live in another doc, which
 * this check does not open: they stay in that file, and restoring the patient brings them back.
 */
import * as Y from 'yjs'
import {
  addPatient,
  DIRECTORY_MAPS,
  getPatient,
  isRecordId,
  MERGED_INTO,
  newRecordId,
  patientDisplayName,
  patientMonths,
  softDeletePatient,
} from '../../../shared/src/model'
import type { Actor, Clock, PatientFields } from '../../../shared/src/model'
import { collection, findRecord, insertRecord, writeChangedFields } from '../../../shared/src/model/records'

const IMPORTS = DIRECTORY_MAPS.imports

export const IMPORT_SOURCES = ['patients-csv'] as const
export type ImportSource = (typeof IMPORT_SOURCES)[number]

export type ImportBatch = {
  readonly id: string
  readonly source: ImportSource
  readonly fileName: string
  readonly planned: number
  readonly patients: readonly string[]
  readonly createdAt: number
  readonly finishedAt?: number
  readonly stopped: boolean
  readonly undoneAt?: number
  readonly kept: readonly string[]
}

const isSource = (v: unknown): v is ImportSource => (IMPORT_SOURCES as readonly unknown[]).includes(v)
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** A record read back (another device's data is untrusted too): undefined when it is not an import. */
function readBatch(id: string, record: Y.Map<unknown>): ImportBatch | undefined {
  const source = record.get('source')
  const fileName = record.get('fileName')
  const planned = record.get('planned')
  const patients = record.get('patients')
  const createdAt = record.get('createdAt')
  if (!isSource(source) || typeof fileName !== 'string' || !isTime(planned) || !(patients instanceof Y.Array) || !isTime(createdAt)) return undefined
  const finishedAt = record.get('finishedAt')
  const undoneAt = record.get('undoneAt')
  const kept = record.get('kept')
  return {
    id,
    source,
    fileName,
    planned,
    patients: (patients.toArray() as unknown[]).filter(isRecordId),
    createdAt,
    ...(isTime(finishedAt) ? { finishedAt } : {}),
    stopped: record.get('stopped') === true,
    ...(isTime(undoneAt) ? { undoneAt } : {}),
    kept: Array.isArray(kept) ? kept.filter(isRecordId) : [],
  }
}

export function getImportBatch(doc: Y.Doc, id: string): ImportBatch | undefined {
  const record = findRecord(doc, IMPORTS, id)
  return record ? readBatch(id, record) : undefined
}

/** Every import the practice holds, newest first. */
export function listImportBatches(doc: Y.Doc): ImportBatch[] {
  const batches: ImportBatch[] = []
  collection(doc, IMPORTS).forEach((value, id) => {
    const batch = value instanceof Y.Map ? readBatch(id, value as Y.Map<unknown>) : undefined
    if (batch) batches.push(batch)
  })
  return batches.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
}

export class ImportBatchError extends Error {
  override name = 'ImportBatchError'
}

export type ImportProgress = { readonly done: number; readonly total: number }

export type ImportOptions = {
  readonly source: ImportSource
  readonly fileName: string
  readonly actor: Actor
  readonly clock: Clock
  /** Patients written per transaction; between two, the page gets the hand back (`pause`). */
  readonly batchSize?: number
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: ImportProgress) => void
  /** Lets the page paint and take a click between batches; a macrotask by default. */
  readonly pause?: () => Promise<void>
}

export type ImportOutcome = { readonly batchId: string; readonly created: number; readonly stopped: boolean }

export const DEFAULT_BATCH_SIZE = 100

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/**
 * Creates `patients` (the dry run's « will be created » rows) in batches, each one transaction
 * that adds the patients and lists their ids in the import's record. Stops between batches when
 * `signal` aborts, or when another device undid this import meanwhile. A patient the model refuses
 * throws (ValidationError) after the ones before it were created and listed: the import can
 * still be undone.
 */
export async function importPatients(doc: Y.Doc, patients: readonly PatientFields[], options: ImportOptions): Promise<ImportOutcome> {
  const { actor, clock } = options
  const size = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE)
  const pause = options.pause ?? nextTask
  const batchId = newRecordId()
  const ids = new Y.Array<string>()
  const record = insertRecord(doc, IMPORTS, batchId, { source: options.source, fileName: options.fileName, planned: patients.length, patients: ids }, actor, clock)
  let created = 0
  options.onProgress?.({ done: 0, total: patients.length })
  while (created < patients.length) {
    if (options.signal?.aborted || record.has('undoneAt')) {
      writeChangedFields(doc, record, { stopped: true }, ['stopped'], actor, clock)
      return { batchId, created, stopped: true }
    }
    const batch = patients.slice(created, created + size)
    doc.transact(() => {
      for (const fields of batch) {
        ids.push([addPatient(doc, fields, actor, clock)])
        created++
      }
    })
    options.onProgress?.({ done: created, total: patients.length })
    await pause()
  }
  writeChangedFields(doc, record, { finishedAt: clock() }, ['finishedAt'], actor, clock)
  return { batchId, created, stopped: false }
}

/** Why the undo keeps a patient it created (module comment). */
export type KeptReason = 'edited' | 'appointments' | 'merged'

export type UndoPlan = {
  readonly batchId: string
  /** Created by the import, untouched since, not yet deleted: what the undo deletes. */
  readonly remove: readonly string[]
  /** Created by the import and used since: kept, and named to the person. */
  readonly keep: readonly { readonly id: string; readonly name: string; readonly reason: KeptReason }[]
  /** Created by the import and already deleted (by hand, by a merge, by an earlier undo). */
  readonly gone: number
}

/** Ids some record was merged into: deleting one of these would leave a redirect to a deleted patient. */
function mergeTargets(doc: Y.Doc): Set<string> {
  const targets = new Set<string>()
  collection(doc, DIRECTORY_MAPS.patients).forEach((value) => {
    const target = value instanceof Y.Map ? value.get(MERGED_INTO) : undefined
    if (typeof target === 'string') targets.add(target)
  })
  return targets
}

/** What « Annuler cet import » would do now, to show before doing it. */
export function planUndo(doc: Y.Doc, batchId: string): UndoPlan {
  const batch = getImportBatch(doc, batchId)
  if (!batch) throw new ImportBatchError(`No import '${batchId}' in this practice: it may not have synced yet`)
  const merged = mergeTargets(doc)
  const remove: string[] = []
  const keep: { id: string; name: string; reason: KeptReason }[] = []
  let gone = 0
  for (const id of batch.patients) {
    const patient = getPatient(doc, id)
    if (!patient || patient.deletedAt !== undefined) {
      gone++
      continue
    }
    const reason: KeptReason | null =
      patient.updatedAt !== patient.createdAt
        ? 'edited'
        : (patientMonths(doc, id)?.months.length ?? 0) > 0
          ? 'appointments'
          : merged.has(id)
            ? 'merged'
            : null
    if (reason === null) remove.push(id)
    else keep.push({ id, name: patientDisplayName(patient), reason })
  }
  return { batchId, remove, keep, gone }
}

/**
 * Undoes an import: deletes (softly) what `planUndo` says, in one transaction, and records who
 * undid it and which patients were kept. Returns the plan it carried out. Undoing again later
 * deletes what became removable since (a patient created by a batch that synced late).
 */
export function undoImport(doc: Y.Doc, batchId: string, actor: Actor, clock: Clock): UndoPlan {
  const plan = planUndo(doc, batchId)
  const record = findRecord(doc, IMPORTS, batchId)
  if (!record) throw new ImportBatchError(`No import '${batchId}' in this practice`)
  // One instant for the whole undo: its deletions and its record say the same time.
  const now = clock()
  const at: Clock = () => now
  doc.transact(() => {
    for (const id of plan.remove) softDeletePatient(doc, id, actor, at)
    const kept = plan.keep.map((k) => k.id)
    const undoneBy = { memberId: actor.memberId, deviceId: actor.deviceId }
    writeChangedFields(doc, record, { undoneAt: now, undoneBy, kept }, ['undoneAt', 'undoneBy', 'kept'], actor, at)
  })
  return plan
}
