/**
 * An import as the practice remembers it, so that « Annuler cet import » removes exactly what it
 * created — from this device or any other: the record lives in the directory doc, synced and
 * encrypted like the patients it lists.
 *
 *   doc.getMap('imports')                 collection: id → record (records.ts stamps)
 *     'iK2…' → Y.Map {
 *       source: 'patients-csv',           what was imported: 'patients-csv', 'calendar-ics', 'archive'
 *       fileName: 'patients.csv',         as the person chose it
 *       planned: 1203,                    records the preview said to create
 *       patients: Y.Array<string>,        ids created in the directory, appended in the same
 *                                         transaction as the records themselves
 *       appointments?: Y.Array<string>,   'YYYY-MM/<id>': the month doc and id of each appointment
 *                                         (or block) created; listed *before* it is written, since
 *                                         the month doc is another doc: a listed id that never came
 *                                         is « already gone » to the undo, never a stray record.
 *                                         An appointment whose stamps an archive gave back is
 *                                         followed, in the same push, by 'YYYY-MM/<id>@<updatedAt>':
 *                                         the updatedAt the import wrote, which the undo compares
 *                                         with (its createdAt is the old practice's, and so is its
 *                                         updatedAt). Versions before it skip that entry (not a
 *                                         ref); one list, not a second array, so that the entries
 *                                         of a long import stay merged into few Yjs items
 *       series?: Y.Array<string>,         series created (directory), listed as each is made
 *       absences?: Y.Array<string>,       absences created (directory), same transaction
 *       events?: Y.Map<{ ref, hash }>,    .ics only: event key (UID, RECURRENCE-ID) → the appointment
 *                                         it made or updated ('YYYY-MM/<id>') and a hash of what the
 *                                         file said, so a second import of the file does not
 *                                         duplicate (ical-known.ts)
 *       finishedAt?: 1795…,               every batch written (absent: stopped or interrupted)
 *       stopped?: true,                   the person stopped it between two batches
 *       undoneAt?: 1795…, undoneBy?: {…}, the undo, and the ids it kept (used since, import-undo.ts)
 *       kept?: ['pQ3…'],
 *       createdAt, createdBy, updatedAt, updatedBy }
 *
 * Patients are written by `addPatient`, the patient form's model function, its validation
 * included; appointments by `addAppointment`. The undo is import-undo.ts.
 */
import * as Y from 'yjs'
import { addPatient, DIRECTORY_MAPS, isMonth, isRecordId, newRecordId } from '../../../shared/src/model'
import type { Actor, Clock, PatientFields } from '../../../shared/src/model'
import { collection, findRecord, insertRecord, writeChangedFields } from '../../../shared/src/model/records'

const IMPORTS = DIRECTORY_MAPS.imports

export const IMPORT_SOURCES = ['patients-csv', 'calendar-ics', 'archive'] as const
export type ImportSource = (typeof IMPORT_SOURCES)[number]

/** Where an appointment lives: its month doc and its id. */
export interface AppointmentRef {
  readonly month: string
  readonly id: string
}

export const refText = (ref: AppointmentRef): string => `${ref.month}/${ref.id}`

/** 'YYYY-MM/<id>@<updatedAt>' (module comment) → the id and the updatedAt the import wrote. */
function parseWritten(value: unknown): { id: string; updatedAt: number } | undefined {
  if (typeof value !== 'string') return undefined
  const at = value.lastIndexOf('@')
  const ref = at < 0 ? undefined : parseRef(value.slice(0, at))
  const updatedAt = Number(value.slice(at + 1))
  return ref && /^\d+$/.test(value.slice(at + 1)) && Number.isSafeInteger(updatedAt) ? { id: ref.id, updatedAt } : undefined
}

export function parseRef(value: unknown): AppointmentRef | undefined {
  if (typeof value !== 'string') return undefined
  const [month, id, ...rest] = value.split('/')
  return rest.length === 0 && isMonth(month) && isRecordId(id) ? { month, id } : undefined
}

export type ImportBatch = {
  readonly id: string
  readonly source: ImportSource
  readonly fileName: string
  readonly planned: number
  readonly patients: readonly string[]
  readonly appointments: readonly AppointmentRef[]
  /**
   * Appointment id → the `updatedAt` the import wrote, for those whose stamps came from an
   * archive; the others were written at the import's instant, their `createdAt`.
   */
  readonly written: ReadonlyMap<string, number>
  readonly series: readonly string[]
  readonly absences: readonly string[]
  readonly createdAt: number
  readonly finishedAt?: number
  readonly stopped: boolean
  readonly undoneAt?: number
  readonly kept: readonly string[]
}

const isSource = (v: unknown): v is ImportSource => (IMPORT_SOURCES as readonly unknown[]).includes(v)
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const listed = (v: unknown): unknown[] => (v instanceof Y.Array ? (v.toArray() as unknown[]) : [])

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
    patients: listed(patients).filter(isRecordId),
    appointments: listed(record.get('appointments'))
      .map(parseRef)
      .filter((r): r is AppointmentRef => r !== undefined),
    written: new Map(
      listed(record.get('appointments'))
        .map(parseWritten)
        .filter((w): w is { id: string; updatedAt: number } => w !== undefined)
        .map((w) => [w.id, w.updatedAt]),
    ),
    series: listed(record.get('series')).filter(isRecordId),
    absences: listed(record.get('absences')).filter(isRecordId),
    createdAt,
    ...(isTime(finishedAt) ? { finishedAt } : {}),
    stopped: record.get('stopped') === true,
    ...(isTime(undoneAt) ? { undoneAt } : {}),
    kept: Array.isArray(kept) ? kept.filter((k) => isRecordId(k) || parseRef(k) !== undefined) : [],
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

/**
 * The record of an import being written: each writer lists what it creates through it, in the
 * transaction that creates it where the record and the created record share the directory doc.
 */
export class ImportRecord {
  private constructor(
    readonly batchId: string,
    private readonly doc: Y.Doc,
    private readonly record: Y.Map<unknown>,
    private readonly actor: Actor,
    private readonly clock: Clock,
  ) {}

  static start(doc: Y.Doc, what: { source: ImportSource; fileName: string; planned: number }, actor: Actor, clock: Clock): ImportRecord {
    const batchId = newRecordId()
    const record = insertRecord(doc, IMPORTS, batchId, { ...what, patients: new Y.Array<string>() }, actor, clock)
    return new ImportRecord(batchId, doc, record, actor, clock)
  }

  private list(key: 'patients' | 'appointments' | 'series' | 'absences', ...values: string[]): void {
    this.doc.transact(() => {
      let array = this.record.get(key)
      if (!(array instanceof Y.Array)) {
        array = new Y.Array<string>()
        this.record.set(key, array)
      }
      ;(array as Y.Array<string>).push(values)
    })
  }

  listPatient(id: string): void {
    this.list('patients', id)
  }
  /**
   * `updatedAt`: the one the import writes when it is not the import's instant (stamps given back
   * by an archive), listed with the appointment so that the undo compares with it.
   */
  listAppointment(ref: AppointmentRef, updatedAt?: number): void {
    if (updatedAt === undefined) this.list('appointments', refText(ref))
    else this.list('appointments', refText(ref), `${refText(ref)}@${updatedAt}`)
  }
  /** The updatedAt the import wrote on an appointment listed already (a series' occurrence, its stamps given back once written). */
  listWritten(ref: AppointmentRef, updatedAt: number): void {
    this.list('appointments', `${refText(ref)}@${updatedAt}`)
  }
  listSeries(id: string): void {
    this.list('series', id)
  }
  listAbsence(id: string): void {
    this.list('absences', id)
  }

  /** .ics: what the file's event `key` made or updated, and the hash of what the file said. */
  rememberEvent(key: string, ref: AppointmentRef, hash: string): void {
    this.doc.transact(() => {
      let events = this.record.get('events')
      if (!(events instanceof Y.Map)) {
        events = new Y.Map<unknown>()
        this.record.set('events', events)
      }
      ;(events as Y.Map<unknown>).set(key, { ref: refText(ref), hash })
    })
  }

  /** Another device undid this import while it was being written: stop at the next step. */
  get undone(): boolean {
    return this.record.has('undoneAt')
  }

  stop(): void {
    writeChangedFields(this.doc, this.record, { stopped: true }, ['stopped'], this.actor, this.clock)
  }

  finish(): void {
    writeChangedFields(this.doc, this.record, { finishedAt: this.clock() }, ['finishedAt'], this.actor, this.clock)
  }
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
  const record = ImportRecord.start(doc, { source: options.source, fileName: options.fileName, planned: patients.length }, actor, clock)
  const { batchId } = record
  let created = 0
  options.onProgress?.({ done: 0, total: patients.length })
  while (created < patients.length) {
    if (options.signal?.aborted || record.undone) {
      record.stop()
      return { batchId, created, stopped: true }
    }
    const batch = patients.slice(created, created + size)
    doc.transact(() => {
      for (const fields of batch) {
        record.listPatient(addPatient(doc, fields, actor, clock))
        created++
      }
    })
    options.onProgress?.({ done: created, total: patients.length })
    await pause()
  }
  record.finish()
  return { batchId, created, stopped: false }
}
