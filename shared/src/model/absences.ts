/**
 * Absences and leave of practitioners (congés, formation, arrêt), in the directory's `absences`
 * collection, one record per period:
 *
 *   directory  absences  id → Y.Map { practitionerId, from: '2026-12-21', to: '2027-01-03',
 *                                     label?: 'Congés', stamps, deletedAt? }
 *
 * `from` and `to` are local dates, both inclusive: a whole-day absence, as a practice plans leave.
 * Records follow records.ts: stable random ids, last writer wins per field, soft delete, every
 * write in the change log. The agenda shades the days and warns when a booking or a series falls
 * on them; nothing is blocked (a home visit during leave may be a colleague's replacement).
 */
import type * as Y from 'yjs'
import { z } from 'zod'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { addDays } from './dates'
import * as f from './field-schemas'
import { newRecordId } from './ids'
import type { Patch } from './input-schemas'
import { compareFr, findRecord, insertRecord, isDeleted, markDeleted, readAll, readRecord, requireRecord, updateRecord } from './records'
import type { ListResult } from './records'
import { dropBlanks, runSchema } from './validation'

const NAME = DIRECTORY_MAPS.absences

/** The longest absence one record holds: a year (a longer leave is two records, or an inactive practitioner). */
export const MAX_ABSENCE_DAYS = 366

export const absenceFields = z
  .object({
    practitionerId: f.recordId,
    from: f.localDate,
    to: f.localDate,
    label: f.text(f.LIMITS.label).optional(),
  })
  .superRefine((a, ctx) => {
    if (a.to < a.from) ctx.addIssue({ code: 'custom', message: 'out_of_range', path: ['to'] })
    else if (a.to > addDays(a.from, MAX_ABSENCE_DAYS - 1)) ctx.addIssue({ code: 'custom', message: 'out_of_range', path: ['to'] })
  })

const KEYS = ['practitionerId', 'from', 'to', 'label'] as const

export const absenceRecord = z.object({
  practitionerId: z.string(),
  from: f.localDate,
  to: f.localDate,
  label: z.string().optional(),
  ...f.recordMeta,
})

export type AbsenceInput = z.input<typeof absenceFields>
export type AbsenceFields = z.output<typeof absenceFields>
export type Absence = { readonly id: string } & z.output<typeof absenceRecord>

export function validateAbsenceInput(input: unknown): AbsenceFields {
  return runSchema(absenceFields, dropBlanks(input), 'absence')
}

export function addAbsence(doc: Y.Doc, input: AbsenceInput, actor: Actor, clock: Clock): string {
  const fields = validateAbsenceInput(input)
  const id = newRecordId()
  insertRecord(doc, NAME, id, fields, actor, clock)
  return id
}

export function updateAbsence(doc: Y.Doc, id: string, patch: Patch<AbsenceInput>, actor: Actor, clock: Clock): boolean {
  return updateRecord(doc, NAME, id, patch, validateAbsenceInput, KEYS, actor, clock)
}

export function softDeleteAbsence(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  markDeleted(doc, requireRecord(doc, NAME, id), actor, clock)
}

export function getAbsence(doc: Y.Doc, id: string): Absence | undefined {
  const record = findRecord(doc, NAME, id)
  if (!record) return undefined
  const read = readRecord(NAME, id, record, absenceRecord)
  return read.ok ? read.record : undefined
}

/** Live absences (or all), by start date, then practitioner and label. */
export function listAbsences(doc: Y.Doc, options: { includeDeleted?: boolean } = {}): ListResult<Absence> {
  const result = readAll(doc, NAME, absenceRecord, (a) => options.includeDeleted || !isDeleted(a))
  result.items.sort((a, b) => a.from.localeCompare(b.from) || a.practitionerId.localeCompare(b.practitionerId) || compareFr(a.label ?? '', b.label ?? '') || a.id.localeCompare(b.id))
  return result
}

/** The absence of `practitionerId` covering `date`, if any (the first by start when several do). */
export function absenceOn(absences: readonly Absence[], practitionerId: string, date: string): Absence | undefined {
  return absences.find((a) => a.practitionerId === practitionerId && a.deletedAt === undefined && a.from <= date && date <= a.to)
}
