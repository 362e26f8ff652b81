import type * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { newRecordId } from './ids'
import { appointmentKindFields } from './input-schemas'
import type { AppointmentKindInput, Patch } from './input-schemas'
import { appointmentKindRecord } from './record-schemas'
import type { AppointmentKind } from './record-schemas'
import { foldText } from './patient-search'
import { compareFr, findRecord, insertRecord, isDeleted, markDeleted, readAll, readRecord, requireRecord, updateRecord } from './records'
import type { ListResult } from './records'
import { issueMessage, validateAppointmentKindInput, ValidationError } from './validation'

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

/**
 * Two kinds in use with the same name (« Séance » and « séance ») cannot be told apart in the
 * editor: refused on the way in. Retired kinds do not count (a name can be reused); two devices
 * adding the same name offline still both keep theirs (a merge refuses nothing).
 */
function checkLabelFree(doc: Y.Doc, fields: { label: string; active?: boolean | undefined }, exceptId: string | null): void {
  if (fields.active === false) return
  const folded = foldText(fields.label)
  const taken = listAppointmentKinds(doc).items.some((k) => k.id !== exceptId && foldText(k.label) === folded)
  if (taken) throw new ValidationError('appointment kind', [{ path: 'label', code: 'already_exists', message: issueMessage('already_exists') }])
}

export function addAppointmentKind(doc: Y.Doc, input: AppointmentKindInput, actor: Actor, clock: Clock): string {
  const fields = validateAppointmentKindInput(input)
  checkLabelFree(doc, fields, null)
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
  const validate = (merged: Record<string, unknown>) => {
    const fields = validateAppointmentKindInput(merged)
    checkLabelFree(doc, { ...fields, active: fields.active ?? true }, id)
    return fields
  }
  return updateRecord(doc, NAME, id, patch, validate, KEYS, actor, clock)
}

/** Retires a kind: no longer offered for new appointments; those that have it keep it. */
export function retireAppointmentKind(doc: Y.Doc, id: string, actor: Actor, clock: Clock): boolean {
  return updateAppointmentKind(doc, id, { active: false }, actor, clock)
}

/** Offers a retired kind again (refused if another kind in use took its name meanwhile). */
export function reinstateAppointmentKind(doc: Y.Doc, id: string, actor: Actor, clock: Clock): boolean {
  return updateAppointmentKind(doc, id, { active: true }, actor, clock)
}

/** The kinds a practitioner offers: active ones meant for everyone or naming them, in list order. */
export function kindsOfferedBy<K extends Pick<AppointmentKind, 'active' | 'practitionerIds'>>(kinds: readonly K[], practitionerId: string): K[] {
  return kinds.filter((k) => k.active && (k.practitionerIds === undefined || k.practitionerIds.includes(practitionerId)))
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
