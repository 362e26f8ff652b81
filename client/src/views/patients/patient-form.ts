import { ValidationError, validatePatientInput } from '../../../../shared/src/model'
import type { PatientFields } from '../../../../shared/src/model'
import { fieldsByPath, placeIssues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'

/** The patient form's fields, named by the model's paths (one phone for now: 'phones.0'). */
export const PATIENT_FIELDS = [
  'birthName',
  'usualName',
  'firstNames',
  'birthDate',
  'phone',
  'email',
  'address.line1',
  'address.postalCode',
  'address.city',
  'address.accessNotes',
  'nir',
] as const
export type PatientField = (typeof PATIENT_FIELDS)[number]

const fieldOf = fieldsByPath<PatientField>(PATIENT_FIELDS, { phones: 'phone', address: 'address.line1' })

type Checked = { ok: true; fields: PatientFields } | { ok: false; errors: FieldErrors<PatientField> }

/** The form boundary: what was typed becomes a patient the model accepts, or errors per field. */
export function checkPatientForm(values: Record<string, string>): Checked {
  const input = {
    birthName: values.birthName,
    usualName: values.usualName,
    firstNames: values.firstNames,
    birthDate: values.birthDate,
    phones: values.phone?.trim() ? [values.phone] : undefined,
    email: values.email,
    address: {
      line1: values['address.line1'],
      postalCode: values['address.postalCode'],
      city: values['address.city'],
      accessNotes: values['address.accessNotes'],
    },
    nir: values.nir,
  }
  try {
    return { ok: true, fields: validatePatientInput(input) }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    return { ok: false, errors: placeIssues(error.issues, fieldOf).fields }
  }
}

/** '0612345678' → '06 12 34 56 78'; '+33612345678' → '+33 6 12 34 56 78'; others as stored. */
export function formatPhone(phone: string): string {
  if (/^0[1-9][0-9]{8}$/.test(phone)) return phone.replace(/(\d{2})(?=\d)/g, '$1 ')
  const french = /^\+33([1-9])([0-9]{8})$/.exec(phone)
  if (french) return `+33 ${french[1]} ${(french[2] ?? '').replace(/(\d{2})(?=\d)/g, '$1 ')}`
  return phone
}

/** '184127645108946' → '1 84 12 76 451 089 46', as printed on a carte Vitale. */
export function formatNir(nir: string): string {
  const match = /^(.)(..)(..)(..)(...)(...)(..)$/.exec(nir)
  return match ? match.slice(1).join(' ') : nir
}
