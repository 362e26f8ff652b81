import type * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { newRecordId } from './ids'
import { practitionerFields } from './input-schemas'
import type { Patch, PractitionerInput } from './input-schemas'
import { practitionerRecord } from './record-schemas'
import type { Practitioner } from './record-schemas'
import { collection, compareFr, findRecord, insertRecord, isDeleted, readAll, readRecord, updateRecord } from './records'
import type { ListResult } from './records'
import { validatePractitionerInput } from './validation'

const NAME = DIRECTORY_MAPS.practitioners
const KEYS = Object.keys(practitionerFields.shape)

/** Distinct on a white agenda and readable with white text; picked in turn for new practitioners. */
export const PRACTITIONER_COLOURS = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#dc2626'] as const

export function addPractitioner(doc: Y.Doc, input: PractitionerInput, actor: Actor, clock: Clock): string {
  const fields = validatePractitionerInput(input)
  const id = newRecordId()
  const colour = fields.colour ?? PRACTITIONER_COLOURS[collection(doc, NAME).size % PRACTITIONER_COLOURS.length]
  insertRecord(doc, NAME, id, { ...fields, colour, active: fields.active ?? true }, actor, clock)
  return id
}

/** Deactivating this practitioner would leave the practice with none to book appointments with. */
export class LastActivePractitionerError extends Error {
  override name = 'LastActivePractitionerError'

  constructor(readonly practitionerId: string) {
    super('The last active practitioner of a practice cannot be deactivated: add or reactivate another one first')
  }
}

/**
 * Edits a practitioner; only changed fields are written. Deactivating (`active: false`) keeps
 * their appointments and history, hides them from the agenda's columns and the editor, and is
 * refused for the last active practitioner (LastActivePractitionerError).
 */
export function updatePractitioner(
  doc: Y.Doc,
  id: string,
  patch: Patch<PractitionerInput>,
  actor: Actor,
  clock: Clock,
): boolean {
  const validate = (merged: Record<string, unknown>) => {
    const fields = validatePractitionerInput(merged)
    if (fields.active === false && !listPractitioners(doc).items.some((p) => p.id !== id)) throw new LastActivePractitionerError(id)
    return fields
  }
  return updateRecord(doc, NAME, id, patch, validate, KEYS, actor, clock)
}

export function getPractitioner(doc: Y.Doc, id: string): Practitioner | undefined {
  const record = findRecord(doc, NAME, id)
  if (!record) return undefined
  const read = readRecord(NAME, id, record, practitionerRecord)
  return read.ok ? read.record : undefined
}

export function listPractitioners(
  doc: Y.Doc,
  options: { includeInactive?: boolean; includeDeleted?: boolean } = {},
): ListResult<Practitioner> {
  const result = readAll(
    doc,
    NAME,
    practitionerRecord,
    (p) => (options.includeDeleted || !isDeleted(p)) && (options.includeInactive || p.active),
  )
  result.items.sort((a, b) => compareFr(a.displayName, b.displayName) || a.id.localeCompare(b.id))
  return result
}
