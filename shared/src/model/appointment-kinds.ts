import type * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { newRecordId } from './ids'
import { appointmentKindFields } from './input-schemas'
import type { AppointmentKindInput, Patch } from './input-schemas'
import { appointmentKindRecord } from './record-schemas'
import type { AppointmentKind } from './record-schemas'
import { compareFr, findRecord, insertRecord, isDeleted, markDeleted, readAll, readRecord, requireRecord, updateRecord } from './records'
import type { ListResult } from './records'
import { validateAppointmentKindInput } from './validation'

const NAME = DIRECTORY_MAPS.appointmentKinds
const KEYS = Object.keys(appointmentKindFields.shape)
const DEFAULT_KIND_COLOUR = '#64748b'

/** Seeded when a practice is created; the practice edits or retires them like any other kind. */
export const DEFAULT_APPOINTMENT_KINDS: readonly AppointmentKindInput[] = [
  { label: 'Séance', defaultDurationMin: 30, colour: '#2563eb' },
  { label: 'Bilan', defaultDurationMin: 45, colour: '#7c3aed' },
  { label: 'Première consultation', defaultDurationMin: 45, colour: '#059669' },
  { label: 'Visite à domicile', defaultDurationMin: 30, colour: '#d97706' },
]

export function addAppointmentKind(doc: Y.Doc, input: AppointmentKindInput, actor: Actor, clock: Clock): string {
  const fields = validateAppointmentKindInput(input)
  const id = newRecordId()
  insertRecord(
    doc,
    NAME,
    id,
    { ...fields, colour: fields.colour ?? DEFAULT_KIND_COLOUR, active: fields.active ?? true },
    actor,
    clock,
  )
  return id
}

export function updateAppointmentKind(
  doc: Y.Doc,
  id: string,
  patch: Patch<AppointmentKindInput>,
  actor: Actor,
  clock: Clock,
): boolean {
  return updateRecord(doc, NAME, id, patch, validateAppointmentKindInput, KEYS, actor, clock)
}

export function softDeleteAppointmentKind(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  markDeleted(doc, requireRecord(doc, NAME, id), actor, clock)
}

export function getAppointmentKind(doc: Y.Doc, id: string): AppointmentKind | undefined {
  const record = findRecord(doc, NAME, id)
  if (!record) return undefined
  const read = readRecord(NAME, id, record, appointmentKindRecord)
  return read.ok ? read.record : undefined
}

/** Sorted by creation time, then by label (French order). */
export function listAppointmentKinds(
  doc: Y.Doc,
  options: { includeInactive?: boolean; includeDeleted?: boolean } = {},
): ListResult<AppointmentKind> {
  const result = readAll(
    doc,
    NAME,
    appointmentKindRecord,
    (k) => (options.includeDeleted || !isDeleted(k)) && (options.includeInactive || k.active),
  )
  result.items.sort((a, b) => a.createdAt - b.createdAt || compareFr(a.label, b.label))
  return result
}
