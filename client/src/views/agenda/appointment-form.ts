import { ValidationError, validateAppointmentInput } from '../../../../shared/src/model'
import type { AppointmentFields, AppointmentKind, AppointmentPatch } from '../../../../shared/src/model'
import { fieldsByPath, placeIssues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'

export const FIELDS = [
  'date',
  'start',
  'durationMin',
  'practitionerId',
  'patientId',
  'title',
  'kindId',
  'place',
  'address.line1',
  'address.postalCode',
  'address.city',
  'address.accessNotes',
  'note',
  'prescriptionId',
] as const
export type AppointmentField = (typeof FIELDS)[number]
const fieldOf = fieldsByPath<AppointmentField>(FIELDS, { address: 'address.line1' })

export const DEFAULT_DURATION = '30'

/** The fields the editor owns; status, series and stamps are left to their own actions. */
export const EDITOR_KEYS = ['start', 'durationMin', 'practitionerId', 'patientId', 'kindId', 'title', 'place', 'address', 'note', 'prescriptionId'] as const

/** The label of the kind a new appointment starts with: a kiné's day is mostly « Séance ». */
export const DEFAULT_KIND_LABEL = 'Séance'

/** The kind a new appointment is preset to: « Séance » when the practice has it, else its first kind. */
export function defaultKind(kinds: readonly AppointmentKind[]): AppointmentKind | undefined {
  return kinds.find((k) => k.label.localeCompare(DEFAULT_KIND_LABEL, 'fr', { sensitivity: 'base' }) === 0) ?? kinds[0]
}

type Checked = { ok: true; fields: AppointmentFields } | { ok: false; errors: FieldErrors<AppointmentField> }

/**
 * The form boundary: strings from the form become an appointment the model accepts, or field
 * errors. The day comes from the form's `date` field when it has one (the editor), else `day`.
 * A home visit's address fields override the patient's address; left empty, the patient's is used.
 */
export function checkAppointmentForm(values: Record<string, string>, day: string, timeZone: string): Checked {
  const duration = (values.durationMin ?? '').trim()
  const durationMin = duration === '' ? undefined : Number(duration)
  const date = values.date ?? day
  const home = values.place === 'home'
  const input = {
    start: values.start ? `${date}T${values.start}` : '',
    timeZone,
    durationMin: durationMin !== undefined && Number.isFinite(durationMin) ? durationMin : duration || undefined,
    practitionerId: values.practitionerId,
    patientId: values.patientId,
    title: values.title,
    kindId: values.kindId,
    place: values.place,
    address: home
      ? {
          line1: values['address.line1'],
          postalCode: values['address.postalCode'],
          city: values['address.city'],
          accessNotes: values['address.accessNotes'],
        }
      : undefined,
    note: values.note,
    // Only an appointment with a patient counts against one of the patient's ordonnances.
    prescriptionId: values.patientId ? values.prescriptionId : undefined,
  }
  try {
    return { ok: true, fields: validateAppointmentInput(input) }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    const { fields } = placeIssues(error.issues, fieldOf)
    // A duration that is not a number is, for the person typing it, not a whole number.
    if (fields.durationMin === 'invalid_type') fields.durationMin = 'not_integer'
    // A start whose date part is wrong points at the date field, when the form has one.
    if (fields.start === 'invalid_date' && values.date !== undefined) {
      delete fields.start
      fields.date = 'invalid_date'
    }
    return { ok: false, errors: fields }
  }
}

/** An edit as a patch: every editor field set, and those left empty cleared (null). */
export function editorPatch(fields: AppointmentFields): AppointmentPatch {
  const patch: Record<string, unknown> = {}
  for (const key of EDITOR_KEYS) patch[key] = fields[key] ?? null
  return patch as AppointmentPatch
}
