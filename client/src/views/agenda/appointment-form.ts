import { ValidationError, validateAppointmentInput } from '../../../../shared/src/model'
import type { AppointmentFields } from '../../../../shared/src/model'
import { fieldsByPath, placeIssues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'

export const FIELDS = ['start', 'durationMin', 'practitionerId', 'patientId', 'title', 'kindId', 'place', 'note'] as const
export type AppointmentField = (typeof FIELDS)[number]
const fieldOf = fieldsByPath<AppointmentField>(FIELDS)

export const DEFAULT_DURATION = '30'

type Checked = { ok: true; fields: AppointmentFields } | { ok: false; errors: FieldErrors<AppointmentField> }

/** The form boundary: strings from the form become an appointment the model accepts, or field errors. */
export function checkAppointmentForm(values: Record<string, string>, day: string, timeZone: string): Checked {
  const duration = (values.durationMin ?? '').trim()
  const durationMin = duration === '' ? undefined : Number(duration)
  const input = {
    start: values.start ? `${day}T${values.start}` : '',
    timeZone,
    durationMin: durationMin !== undefined && Number.isFinite(durationMin) ? durationMin : duration || undefined,
    practitionerId: values.practitionerId,
    patientId: values.patientId,
    title: values.title,
    kindId: values.kindId,
    place: values.place,
    note: values.note,
  }
  try {
    return { ok: true, fields: validateAppointmentInput(input) }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    const { fields } = placeIssues(error.issues, fieldOf)
    // A duration that is not a number is, for the person typing it, not a whole number.
    if (fields.durationMin === 'invalid_type') fields.durationMin = 'not_integer'
    return { ok: false, errors: fields }
  }
}
