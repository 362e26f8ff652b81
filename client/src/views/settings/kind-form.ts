/**
 * The appointment-kind form boundary: name, default duration (whole minutes, as typed), colour,
 * and who offers it — everyone (`offeredBy` 'all'), or the practitioners ticked ('some').
 */
import { ValidationError, validateAppointmentKindInput } from '../../../../shared/src/model'
import type { AppointmentKind, AppointmentKindFields } from '../../../../shared/src/model'
import { fieldsByPath, placeIssueDetails } from '../form/field-errors'
import type { FieldIssues } from '../form/field-errors'

export const KIND_FIELDS = ['label', 'defaultDurationMin', 'colour', 'practitionerIds'] as const
export type KindField = (typeof KIND_FIELDS)[number]

/** Where the model's issues about a kind go in the form. */
export const kindFieldOf = fieldsByPath<KindField>(KIND_FIELDS)

export type KindFormValues = {
  readonly label: string
  readonly defaultDurationMin: string
  readonly colour: string
  readonly offeredBy: 'all' | 'some'
  readonly practitionerIds: readonly string[]
}

type Checked = { ok: true; fields: AppointmentKindFields } | { ok: false; errors: FieldIssues<KindField> }

export function checkKindForm(values: KindFormValues): Checked {
  const minutes = values.defaultDurationMin.trim()
  const input = {
    label: values.label,
    // '45' is a duration; '45 min', 'trois quarts d'heure' or '' are not (the field says why).
    defaultDurationMin: /^\d+$/.test(minutes) ? Number(minutes) : minutes === '' ? undefined : Number.NaN,
    colour: values.colour,
    practitionerIds: values.offeredBy === 'some' ? [...values.practitionerIds] : undefined,
  }
  try {
    return { ok: true, fields: validateAppointmentKindInput(input) }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    const { fields } = placeIssueDetails(error.issues, kindFieldOf)
    if (fields.defaultDurationMin?.code === 'invalid_type') fields.defaultDurationMin = { code: 'not_integer' }
    return { ok: false, errors: fields }
  }
}

/** A stored kind as the form starts from it. */
export function kindFormValues(kind: AppointmentKind): KindFormValues {
  return {
    label: kind.label,
    defaultDurationMin: String(kind.defaultDurationMin),
    colour: kind.colour,
    offeredBy: kind.practitionerIds === undefined ? 'all' : 'some',
    practitionerIds: kind.practitionerIds ?? [],
  }
}
