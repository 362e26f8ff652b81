import { ValidationError, validatePrescriptionInput } from '../../../../../shared/src/model'
import type { PrescriptionFields } from '../../../../../shared/src/model'
import { fieldsByPath, placeIssueDetails } from '../../form/field-errors'
import type { FieldIssues } from '../../form/field-errors'

/** The ordonnance form's fields, named by the model's paths. */
export const PRESCRIPTION_FIELDS = ['prescriberName', 'prescriberRpps', 'date', 'indication', 'sessionsPrescribed'] as const
export type PrescriptionField = (typeof PRESCRIPTION_FIELDS)[number]

const fieldOf = fieldsByPath<PrescriptionField>(PRESCRIPTION_FIELDS)

type Checked = { ok: true; fields: PrescriptionFields } | { ok: false; errors: FieldIssues<PrescriptionField> }

/** The form boundary: typed text becomes an ordonnance the model accepts, or errors per field. */
export function checkPrescriptionForm(values: Record<string, string>): Checked {
  const sessions = values.sessionsPrescribed?.trim() ?? ''
  const input = {
    prescriberName: values.prescriberName,
    prescriberRpps: values.prescriberRpps,
    date: values.date,
    indication: values.indication,
    // '' is "not stated"; anything else must be a whole number ('10', not 'dix' or '2,5').
    sessionsPrescribed: sessions === '' ? undefined : /^\d+$/.test(sessions) ? Number(sessions) : Number.NaN,
  }
  try {
    return { ok: true, fields: validatePrescriptionInput(input) }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    const { fields } = placeIssueDetails(error.issues, fieldOf)
    if (fields.sessionsPrescribed?.code === 'invalid_type') fields.sessionsPrescribed = { code: 'not_integer' }
    return { ok: false, errors: fields }
  }
}
