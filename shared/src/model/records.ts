/**
 * Records are Y.Maps inside a collection Y.Map keyed by record id:
 *
 *   doc.getMap('patients')            collection: id → record
 *     'pQ3…' → Y.Map {                one record: one map key per field
 *       birthName: 'Martin', phones: ['0612345678'], address: { line1, postalCode, city },
 *       createdAt: 1795…, createdBy: { memberId, deviceId },
 *       updatedAt: 1795…, updatedBy: { memberId, deviceId },
 *       deletedAt?: 1795…, deletedBy?: { memberId, deviceId } }
 *
 * Each field is its own map key, so concurrent edits of different fields both survive and edits of
 * the same field resolve last-writer-wins (Yjs orders them by client id, deterministically on every
 * replica). Writes touch only the keys whose value changed, so an untouched field never overwrites
 * a concurrent edit from another device. Values that are plain objects or arrays (an address, a
 * list of phones) are one value: they are replaced whole, never merged key by key.
 *
 * These functions are the single write path of every collection, so they also append what they
 * did to the doc's change log (change-log.ts), in the same transaction: who changed which field,
 * when, from which value to which.
 */
import * as Y from 'yjs'
import type { z } from 'zod'
import type { Actor, Clock } from './actor'
import { appendChanges, fieldChange } from './change-log'
import type { ChangeEntry, FieldChange } from './change-log'
import { applyPatch, checkSchema } from './validation'
import type { ValidationIssue } from './validation'

export type RecordMeta = {
  createdAt: number
  createdBy: Actor
  updatedAt: number
  updatedBy: Actor
  deletedAt?: number
  deletedBy?: Actor
}

/** A record that could not be read: it is left out of lists and reported here instead. */
export type RecordIssue = { collection: string; id: string; issues: ValidationIssue[] }

export type ListResult<T> = { items: T[]; issues: RecordIssue[] }

export const META_KEYS = ['createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'deletedAt', 'deletedBy'] as const

export class RecordNotFoundError extends Error {
  override name = 'RecordNotFoundError'

  constructor(
    readonly collection: string,
    readonly id: string,
  ) {
    super(`No ${collection} record with id '${id}' in this doc: it may not have synced yet`)
  }
}

// A copy, so that a caller mutating its Actor object cannot alter what was stored.
function stamp(actor: Actor): Actor {
  return { memberId: actor.memberId, deviceId: actor.deviceId }
}

export function collection(doc: Y.Doc, name: string): Y.Map<unknown> {
  return doc.getMap<unknown>(name)
}

export function findRecord(doc: Y.Doc, collectionName: string, id: string): Y.Map<unknown> | undefined {
  const value = collection(doc, collectionName).get(id)
  return value instanceof Y.Map ? (value as Y.Map<unknown>) : undefined
}

export function requireRecord(doc: Y.Doc, collectionName: string, id: string): Y.Map<unknown> {
  const record = findRecord(doc, collectionName, id)
  if (!record) throw new RecordNotFoundError(collectionName, id)
  return record
}

/** Fields of a record as plain values (Y.Text as its string), without the stamps. */
export function recordFields(record: Y.Map<unknown>): Record<string, unknown> {
  const json = record.toJSON() as Record<string, unknown>
  for (const key of META_KEYS) delete json[key]
  return json
}

/**
 * Adds a record. `fields` are plain values or Y types (a Y.Text for collaborative text); undefined
 * fields are not written. Runs in one transaction so other replicas never see a half-made record.
 */
export function insertRecord(
  doc: Y.Doc,
  collectionName: string,
  id: string,
  fields: Record<string, unknown>,
  actor: Actor,
  clock: Clock,
): Y.Map<unknown> {
  const now = clock()
  const record = new Y.Map<unknown>()
  doc.transact(() => {
    collection(doc, collectionName).set(id, record)
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) record.set(key, value)
    record.set('createdAt', now)
    record.set('createdBy', stamp(actor))
    record.set('updatedAt', now)
    record.set('updatedBy', stamp(actor))
    appendChanges(doc, [{ kind: 'create', collection: collectionName, recordId: id, at: now, by: stamp(actor) }])
  })
  return record
}

/**
 * The collection and id of a record map, for its change-log entries. A record is a map inside a
 * top-level collection map; a singleton record (the practice settings) is a top-level map itself,
 * and is logged under its own name as both collection and id.
 */
function locate(record: Y.Map<unknown>): { collection: string; id: string } {
  const parent = record.parent
  if (parent === null) {
    const name = topLevelName(record)
    if (name !== undefined) return { collection: name, id: name }
  } else if (parent instanceof Y.Map) {
    const id = record._item?.parentSub
    const name = topLevelName(parent as Y.Map<unknown>)
    if (typeof id === 'string' && name !== undefined) return { collection: name, id }
  }
  throw new Error('A record must be a top-level map or sit in a top-level collection before it is written')
}

function topLevelName(type: Y.Map<unknown>): string | undefined {
  const doc = type.doc
  if (!doc) return undefined
  for (const [name, value] of doc.share) if ((value as unknown) === type) return name
  return undefined
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]))
  const ao = a as Record<string, unknown>
  const bo = b as Record<string, unknown>
  const keys = Object.keys(ao).filter((k) => ao[k] !== undefined)
  if (keys.length !== Object.keys(bo).filter((k) => bo[k] !== undefined).length) return false
  return keys.every((k) => jsonEqual(ao[k], bo[k]))
}

/**
 * Makes `keys` of `record` equal to `next`: sets changed values, deletes keys absent from `next`,
 * leaves equal ones alone. Stamps updatedAt/updatedBy only when something changed. Returns whether
 * anything was written.
 */
export function writeChangedFields(
  doc: Y.Doc,
  record: Y.Map<unknown>,
  next: Record<string, unknown>,
  keys: readonly string[],
  actor: Actor,
  clock: Clock,
): boolean {
  const changes: { field: string; previous: unknown; value: unknown }[] = []
  doc.transact(() => {
    for (const key of keys) {
      const value = next[key]
      const current: unknown = record.get(key)
      if (value === undefined) {
        if (record.has(key)) {
          record.delete(key)
          changes.push({ field: key, previous: current, value: undefined })
        }
      } else if (!jsonEqual(current instanceof Y.AbstractType ? current.toJSON() : current, value)) {
        record.set(key, value)
        changes.push({ field: key, previous: current, value })
      }
    }
    if (changes.length > 0) {
      const now = clock()
      const by = stamp(actor)
      record.set('updatedAt', now)
      record.set('updatedBy', by)
      const { collection: name, id } = locate(record)
      appendChanges(
        doc,
        changes.map((c) => fieldChange(name, id, c.field, c.previous, c.value, now, by)),
      )
    }
  })
  return changes.length > 0
}

/** Who made a record and when, and who changed it last and when. */
export type RecordStamps = Pick<RecordMeta, 'createdAt' | 'createdBy' | 'updatedAt' | 'updatedBy'>

/**
 * Gives a record the stamps it had in another practice: an archive's import
 * (client/src/import/archive-write.ts) writes back who created and last changed an appointment or
 * a note there, and when, from the archive's Provenance. For a record just inserted by the same
 * writer: the change log keeps its `create` entry (the import made the record in this doc, at its
 * instant, from its device); the stamps carry the record's own history. Not a field edit, so no
 * change-log entry of its own.
 */
export function restoreStamps(doc: Y.Doc, record: Y.Map<unknown>, stamps: RecordStamps): void {
  doc.transact(() => {
    record.set('createdAt', stamps.createdAt)
    record.set('createdBy', stamp(stamps.createdBy))
    record.set('updatedAt', stamps.updatedAt)
    record.set('updatedBy', stamp(stamps.updatedBy))
  })
}

/** Soft delete: the record and its history stay; lists hide it unless asked. */
export function markDeleted(doc: Y.Doc, record: Y.Map<unknown>, actor: Actor, clock: Clock): void {
  if (record.has('deletedAt')) return
  const now = clock()
  doc.transact(() => {
    record.set('deletedAt', now)
    record.set('deletedBy', stamp(actor))
    record.set('updatedAt', now)
    record.set('updatedBy', stamp(actor))
    const { collection: name, id } = locate(record)
    appendChanges(doc, [{ kind: 'delete', collection: name, recordId: id, at: now, by: stamp(actor) }])
  })
}

export function unmarkDeleted(doc: Y.Doc, record: Y.Map<unknown>, actor: Actor, clock: Clock): void {
  if (!record.has('deletedAt')) return
  const now = clock()
  doc.transact(() => {
    record.delete('deletedAt')
    record.delete('deletedBy')
    record.set('updatedAt', now)
    record.set('updatedBy', stamp(actor))
    const { collection: name, id } = locate(record)
    appendChanges(doc, [{ kind: 'restore', collection: name, recordId: id, at: now, by: stamp(actor) }])
  })
}

/** A history entry that cannot be restored (not an editable field, or another collection's). */
export class RestoreError extends Error {
  override name = 'RestoreError'
}

export type ReadResult<T> = { ok: true; record: T } | { ok: false; issue: RecordIssue }

export function readRecord<S extends z.ZodType>(
  collectionName: string,
  id: string,
  value: unknown,
  schema: S,
): ReadResult<{ id: string } & z.output<S>> {
  if (!(value instanceof Y.Map)) {
    const issue = { path: '', code: 'invalid_type' as const, message: 'Record is not a Y.Map' }
    return { ok: false, issue: { collection: collectionName, id, issues: [issue] } }
  }
  const checked = checkSchema(schema, value.toJSON())
  if (!checked.ok) return { ok: false, issue: { collection: collectionName, id, issues: checked.issues } }
  return { ok: true, record: { ...(checked.value as object), id } as { id: string } & z.output<S> }
}

/**
 * A cheap test on a record's raw map, run before it is validated. `false` means the record could
 * not be kept whatever its validation says: it is then neither validated nor reported. Validating
 * costs a `toJSON` and a zod parse per record, so a list that keeps a few records out of thousands
 * (a week out of a busy month) should not pay it for the others. A pre-filter must answer `true`
 * whenever it is unsure (a field missing or of an unexpected type), so that validation still
 * reports the malformed record in `issues`.
 */
export type RawPrefilter = (record: Y.Map<unknown>, id: string) => boolean

/**
 * Reads every record of a collection; invalid ones are reported, never thrown. With `prefilter`,
 * records it rejects are skipped unread (see RawPrefilter); values that are not even a Y.Map are
 * still reported.
 */
export function readAll<S extends z.ZodType>(
  doc: Y.Doc,
  collectionName: string,
  schema: S,
  keep: (record: { id: string } & z.output<S>) => boolean,
  prefilter?: RawPrefilter,
): ListResult<{ id: string } & z.output<S>> {
  const items: ({ id: string } & z.output<S>)[] = []
  const issues: RecordIssue[] = []
  collection(doc, collectionName).forEach((value, id) => {
    if (prefilter && value instanceof Y.Map && !prefilter(value as Y.Map<unknown>, id)) return
    const read = readRecord(collectionName, id, value, schema)
    if (!read.ok) issues.push(read.issue)
    else if (keep(read.record)) items.push(read.record)
  })
  return { items, issues }
}

/**
 * How a long read gives a page's thread back: `nextSlice()` (yieldToMain on a page) awaited after
 * every `perSlice` records validated. Validation (a `toJSON` and a zod parse per record) is what
 * costs: a few hundred records were one task of 34–140 ms in a join's CPU profile (issue 17).
 */
export interface ReadSlicing {
  readonly nextSlice: () => Promise<void>
  readonly perSlice?: number
}

/** Records validated between two of `nextSlice`'s turns: ≈ 5 ms on the 2-core machine, 4× that when busy. */
export const RECORDS_PER_SLICE = 50

/**
 * readAll, with the thread given back between slices of records (ReadSlicing). The ids are those
 * of the collection when the read starts; each record is read as it is when its slice runs (a
 * record changed meanwhile is read changed, one added meanwhile is not read). Same items and
 * issues as readAll when nothing changes in between.
 */
export async function readAllInSlices<S extends z.ZodType>(
  doc: Y.Doc,
  collectionName: string,
  schema: S,
  keep: (record: { id: string } & z.output<S>) => boolean,
  prefilter: RawPrefilter | undefined,
  { nextSlice, perSlice = RECORDS_PER_SLICE }: ReadSlicing,
): Promise<ListResult<{ id: string } & z.output<S>>> {
  const items: ({ id: string } & z.output<S>)[] = []
  const issues: RecordIssue[] = []
  const records = collection(doc, collectionName)
  let validated = 0
  for (const id of [...records.keys()]) {
    // Given back before a record is looked at, never after the last: what is read is read whole.
    if (validated === perSlice) {
      validated = 0
      await nextSlice()
    }
    const value = records.get(id)
    if (value === undefined) continue
    if (prefilter && value instanceof Y.Map && !prefilter(value as Y.Map<unknown>, id)) continue
    validated++
    const read = readRecord(collectionName, id, value, schema)
    if (!read.ok) issues.push(read.issue)
    else if (keep(read.record)) items.push(read.record)
  }
  return { items, issues }
}

export function isDeleted(record: { deletedAt?: number }): boolean {
  return record.deletedAt !== undefined
}

// Built once: `localeCompare` with a locale and options builds a collator on every call, which
// made sorting 20,000 patients take seconds. A collator is immutable, so sharing it is safe.
const FRENCH = new Intl.Collator('fr', { sensitivity: 'base' })

/** French alphabetical order, ignoring case and accents ('Émile' sorts with 'Emile'). */
export function compareFr(a: string, b: string): number {
  return FRENCH.compare(a, b)
}

/**
 * Edits a record: applies `patch` to its current fields, validates the result whole, and writes
 * only the fields whose value changed. `keys` are the record's editable fields.
 */
export function updateRecord(
  doc: Y.Doc,
  collectionName: string,
  id: string,
  patch: unknown,
  validate: (merged: Record<string, unknown>) => Record<string, unknown>,
  keys: readonly string[],
  actor: Actor,
  clock: Clock,
): boolean {
  const record = requireRecord(doc, collectionName, id)
  const next = validate(applyPatch(recordFields(record), patch, collectionName))
  return writeChangedFields(doc, record, next, keys, actor, clock)
}

/**
 * Writes a field's value from before a change back, as a new change (itself in the history).
 * `validate` is the collection's own check of the whole record (updatePatient's), so a restored
 * value obeys today's rules; a field that was absent before the change is cleared.
 */
export function restoreFieldValue(
  doc: Y.Doc,
  change: FieldChange,
  validate: (merged: Record<string, unknown>) => Record<string, unknown>,
  keys: readonly string[],
  actor: Actor,
  clock: Clock,
): boolean {
  if (!keys.includes(change.field)) {
    throw new RestoreError(`Field '${change.field}' of ${change.collection} cannot be restored: it is not an editable field`)
  }
  const patch = { [change.field]: change.previous === undefined ? null : change.previous }
  return updateRecord(doc, change.collection, change.recordId, patch, validate, keys, actor, clock)
}

export type { ChangeEntry, FieldChange }
