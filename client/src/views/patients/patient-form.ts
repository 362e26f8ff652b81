import { nirMismatches, SEXES, ValidationError, validatePatientInput } from '../../../../shared/src/model'
import type { NirMismatch, Patient, PatientFields, PatientPatch, Sex } from '../../../../shared/src/model'
import { fieldsByPath, placeIssueDetails } from '../form/field-errors'
import type { FieldIssues } from '../form/field-errors'

/**
 * The patient form's fields, named by the model's paths. Phones and tags are typed in one field
 * each, separated by commas ('06 12 34 56 78, 01 45 67 89 01').
 */
export const PATIENT_FIELDS = [
  'birthName',
  'usualName',
  'firstNames',
  'sex',
  'birthDate',
  'nir',
  'phone',
  'email',
  'address.line1',
  'address.line2',
  'address.postalCode',
  'address.city',
  'address.accessNotes',
  'referringDoctor.name',
  'referringDoctor.rpps',
  'insurance',
  'tags',
] as const
export type PatientField = (typeof PATIENT_FIELDS)[number]

/** Which model field each form field feeds: an edit sends a model field only if one of its inputs changed. */
const MODEL_KEY: { readonly [F in PatientField]: keyof PatientFields } = {
  birthName: 'birthName',
  usualName: 'usualName',
  firstNames: 'firstNames',
  sex: 'sex',
  birthDate: 'birthDate',
  nir: 'nir',
  phone: 'phones',
  email: 'email',
  'address.line1': 'address',
  'address.line2': 'address',
  'address.postalCode': 'address',
  'address.city': 'address',
  'address.accessNotes': 'address',
  'referringDoctor.name': 'referringDoctor',
  'referringDoctor.rpps': 'referringDoctor',
  insurance: 'insurance',
  tags: 'tags',
}

const fieldOf = fieldsByPath<PatientField>(PATIENT_FIELDS, {
  phones: 'phone',
  address: 'address.line1',
  referringDoctor: 'referringDoctor.name',
})

/**
 * Errors stop the form; `warnings` (a NIR that disagrees with the sex or birth date typed beside
 * it) do not, but are shown, and the form asks once before saving them (see usePatientForm).
 */
export type CheckedPatientForm =
  | { ok: true; fields: PatientFields; warnings: NirMismatch[] }
  | { ok: false; errors: FieldIssues<PatientField>; warnings: NirMismatch[] }

function list(text: string | undefined): string[] | undefined {
  const items = (text ?? '')
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter(Boolean)
  return items.length > 0 ? items : undefined
}

function isSex(value: string | undefined): value is Sex {
  return (SEXES as readonly string[]).includes(value ?? '')
}

/**
 * The form boundary: what was typed becomes a patient the model accepts, or errors per field.
 * `today` ('YYYY-MM-DD', the practice's) makes a birth date after it or 130 years before it an error.
 */
export function checkPatientForm(values: Record<string, string>, checks: { today?: string } = {}): CheckedPatientForm {
  const input = {
    birthName: values.birthName,
    usualName: values.usualName,
    firstNames: values.firstNames,
    sex: isSex(values.sex) ? values.sex : undefined,
    birthDate: values.birthDate,
    phones: list(values.phone),
    email: values.email,
    address: {
      line1: values['address.line1'],
      line2: values['address.line2'],
      postalCode: values['address.postalCode'],
      city: values['address.city'],
      accessNotes: values['address.accessNotes'],
    },
    referringDoctor: { name: values['referringDoctor.name'], rpps: values['referringDoctor.rpps'] },
    insurance: values.insurance,
    tags: list(values.tags),
    nir: values.nir,
  }
  const warnings = nirMismatches(values.nir ?? '', { sex: input.sex, birthDate: values.birthDate?.trim() })
  try {
    return { ok: true, fields: validatePatientInput(input, checks), warnings }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    return { ok: false, errors: placeIssueDetails(error.issues, fieldOf).fields, warnings }
  }
}

/** A stored patient as the form shows it, to start an edit from. */
export function patientFormValues(p: Patient): Record<PatientField, string> {
  return {
    birthName: p.birthName,
    usualName: p.usualName ?? '',
    firstNames: p.firstNames,
    sex: p.sex ?? '',
    birthDate: p.birthDate ?? '',
    nir: p.nir ? formatNir(p.nir) : '',
    phone: (p.phones ?? []).map(formatPhone).join(', '),
    email: p.email ?? '',
    'address.line1': p.address?.line1 ?? '',
    'address.line2': p.address?.line2 ?? '',
    'address.postalCode': p.address?.postalCode ?? '',
    'address.city': p.address?.city ?? '',
    'address.accessNotes': p.address?.accessNotes ?? '',
    'referringDoctor.name': p.referringDoctor?.name ?? '',
    'referringDoctor.rpps': p.referringDoctor?.rpps ?? '',
    insurance: p.insurance ?? '',
    tags: (p.tags ?? []).join(', '),
  }
}

/**
 * The patch an edit sends: only the model fields whose inputs the user changed since the form
 * opened (`initial`), so a field another device changed meanwhile is not overwritten by the stale
 * value the form still shows. A changed field left empty is cleared (null).
 */
export function patientEditPatch(
  initial: Readonly<Record<string, string>>,
  values: Readonly<Record<string, string>>,
  fields: PatientFields,
): PatientPatch {
  const touched = new Set<keyof PatientFields>()
  for (const name of PATIENT_FIELDS) if ((initial[name] ?? '') !== (values[name] ?? '')) touched.add(MODEL_KEY[name])
  const patch: Record<string, unknown> = {}
  for (const key of touched) patch[key] = fields[key] ?? null
  return patch as PatientPatch
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

/**
 * The errors to show after the person left `left` (or, with null, typed in a field): the error of
 * the field just left appears; errors already shown are updated, and disappear once fixed. Fields
 * not yet visited stay quiet until the person leaves them or submits.
 */
export function refreshShownErrors<F extends string>(
  shown: FieldIssues<F>,
  now: FieldIssues<F>,
  left: F | null,
): FieldIssues<F> {
  const next: FieldIssues<F> = {}
  const fields = new Set<F>(Object.keys(shown) as F[])
  if (left !== null) fields.add(left)
  for (const field of fields) {
    const issue = now[field]
    if (issue !== undefined) next[field] = issue
  }
  return next
}

/** Which patient field a form control belongs to (a DateField's text input names it in data-field). */
export function patientFieldOf(control: EventTarget | null): PatientField | null {
  if (!(control instanceof HTMLElement)) return null
  const name = control.getAttribute('name') || control.dataset.field || ''
  return (PATIENT_FIELDS as readonly string[]).includes(name) ? (name as PatientField) : null
}

/** The same warnings for the same values: what the person was asked to confirm. */
export function warningKey(values: Readonly<Record<string, string>>, warnings: readonly NirMismatch[]): string {
  return JSON.stringify([values.nir ?? '', values.sex ?? '', values.birthDate ?? '', warnings])
}
