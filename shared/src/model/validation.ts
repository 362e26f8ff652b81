/**
 * Validation at the trust boundary: form input, imported files, and records read back from a doc
 * (another device's data is untrusted too). Inputs that fail throw `ValidationError` with one issue
 * per field; records that fail are skipped by the list functions and reported as `RecordIssue`s.
 */
import type { z } from 'zod'
import { checkBirthDate, MAX_AGE_YEARS } from './birth-date'
import * as s from './input-schemas'
import { ISSUE_MESSAGES, ValidationError, isIssueCode, issueMessage } from './validation-error'
import type { IssueCode, ValidationIssue } from './validation-error'

export { ValidationError, ISSUE_CODES, ISSUE_MESSAGES, issueMessage } from './validation-error'
export type { IssueCode, ValidationIssue } from './validation-error'

type RawIssue = z.core.$ZodRawIssue

// Zod's built-in issues, renamed to our stable codes. Checks that carry their own code set it as
// their error message, which takes precedence over this map.
function codeOf(issue: RawIssue): IssueCode {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null) return 'required'
      return issue.expected === 'int' ? 'not_integer' : 'invalid_type'
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) <= 1) return 'required'
      return issue.origin === 'string' || issue.origin === 'array' ? 'too_short' : 'out_of_range'
    case 'too_big':
      if (issue.origin === 'array') return 'too_many'
      return issue.origin === 'string' ? 'too_long' : 'out_of_range'
    case 'invalid_value':
      return 'invalid_value'
    case 'invalid_format':
      return issue.format === 'email' ? 'invalid_email' : 'invalid_value'
    default:
      return 'invalid_value'
  }
}

const errorMap = (issue: RawIssue): string => codeOf(issue)

const BOUNDED: ReadonlySet<IssueCode> = new Set(['too_long', 'too_short', 'too_many', 'out_of_range'])

/** The bound a size or range issue hit: the maximum passed, or the minimum not reached. */
function limitOf(issue: z.core.$ZodIssue, code: IssueCode): number | undefined {
  if (!BOUNDED.has(code)) return undefined
  const bound = issue.code === 'too_big' ? issue.maximum : issue.code === 'too_small' ? issue.minimum : undefined
  return bound === undefined ? undefined : Number(bound)
}

export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => {
    const code: IssueCode = isIssueCode(issue.message) ? issue.message : 'invalid_value'
    const limit = limitOf(issue, code)
    const path = issue.path.map(String).join('.')
    return limit === undefined ? { path, code, message: ISSUE_MESSAGES[code] } : { path, code, message: issueMessage(code, limit), limit }
  })
}

/** Parses `value` with `schema`, or throws ValidationError naming `what` failed and where. */
export function runSchema<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value, { error: errorMap })
  if (!result.success) throw new ValidationError(what, toValidationIssues(result.error))
  return result.data
}

/** Like runSchema, but returns the issues instead of throwing: for records read from a doc. */
export function checkSchema<T extends z.ZodType>(
  schema: T,
  value: unknown,
): { ok: true; value: z.output<T> } | { ok: false; issues: ValidationIssue[] } {
  const result = schema.safeParse(value, { error: errorMap })
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toValidationIssues(result.error) }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
}

/**
 * Forms send '' for a field left empty: that means "absent", not "a name of zero letters". Blank
 * array items are dropped too, and an object left with no fields (an address form left empty)
 * becomes absent.
 */
export function dropBlanks(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !isBlank(v)).map(dropBlanks)
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    if (isBlank(v)) continue
    const cleaned = dropBlanks(v)
    if (isPlainObject(cleaned) && Object.keys(cleaned).length === 0) continue
    out[key] = cleaned
  }
  return out
}

export type PatientFields = z.output<typeof s.patientFields>
export type PractitionerFields = z.output<typeof s.practitionerFields>
export type PracticeFields = z.output<typeof s.practiceFields>
export type PracticeInit = z.output<typeof s.practiceInit>
export type SiteFields = z.output<typeof s.siteFields>
export type AppointmentKindFields = z.output<typeof s.appointmentKindFields>
export type AppointmentFields = z.output<typeof s.appointmentFields>
export type NoteFields = z.output<typeof s.noteFields>
export type PrescriptionFields = z.output<typeof s.prescriptionFields>
export type AttachmentFields = z.output<typeof s.attachmentFields>

/** What a patient's fields are checked against beyond their own shape. */
export type PatientChecks = {
  /**
   * Today ('YYYY-MM-DD' in the practice's zone), for the birth date's plausibility (birth-date.ts).
   * Absent, only the calendar is checked: records read back from another device are not judged.
   */
  readonly today?: string
}

/**
 * A patient from a form or an import. With `checks.today`, a birth date after today or more than
 * 130 years before it is refused too, reported with every other issue at once.
 */
export function validatePatientInput(input: unknown, checks: PatientChecks = {}): PatientFields {
  const checked = checkSchema(s.patientFields, dropBlanks(input))
  const issues = checked.ok ? [] : checked.issues
  const birthDate = isPlainObject(input) ? input.birthDate : undefined
  if (checks.today !== undefined && typeof birthDate === 'string' && !issues.some((i) => i.path === 'birthDate')) {
    const trimmed = birthDate.trim()
    const plausibility = trimmed === '' ? 'ok' : checkBirthDate(trimmed, checks.today)
    if (plausibility !== 'ok') {
      const limit = plausibility === 'birth_date_too_old' ? MAX_AGE_YEARS : undefined
      issues.push({ path: 'birthDate', code: plausibility, message: issueMessage(plausibility, limit), ...(limit === undefined ? {} : { limit }) })
    }
  }
  if (issues.length > 0 || !checked.ok) throw new ValidationError('patient', issues)
  return checked.value
}

export function validatePractitionerInput(input: unknown): PractitionerFields {
  return runSchema(s.practitionerFields, dropBlanks(input), 'practitioner')
}

export function validatePracticeInput(input: unknown): PracticeFields {
  return runSchema(s.practiceFields, dropBlanks(input), 'practice')
}

export function validatePracticeInit(input: unknown): PracticeInit {
  return runSchema(s.practiceInit, dropBlanks(input), 'practice')
}

export function validateSiteInput(input: unknown): SiteFields {
  return runSchema(s.siteFields, dropBlanks(input), 'site')
}

export function validateAppointmentKindInput(input: unknown): AppointmentKindFields {
  return runSchema(s.appointmentKindFields, dropBlanks(input), 'appointment kind')
}

export function validateAppointmentInput(input: unknown): AppointmentFields {
  return runSchema(s.appointmentFields, dropBlanks(input), 'appointment')
}

export function validateNoteInput(input: unknown): NoteFields {
  // Note text is kept as typed: leading spaces and blank lines are the author's.
  const text = isPlainObject(input) ? input.text : undefined
  const cleaned = dropBlanks(input)
  if (isPlainObject(cleaned) && typeof text === 'string' && text !== '') cleaned.text = text
  return runSchema(s.noteFields, cleaned, 'note')
}

export function validatePrescriptionInput(input: unknown): PrescriptionFields {
  return runSchema(s.prescriptionFields, dropBlanks(input), 'prescription')
}

export function validateAttachmentInput(input: unknown): AttachmentFields {
  return runSchema(s.attachmentFields, dropBlanks(input), 'attachment')
}

/**
 * Applies a patch to a record's current fields: `null` or '' clears a field, undefined leaves it.
 * The result is validated whole by the caller, so cross-field rules hold after every edit.
 */
export function applyPatch(current: Record<string, unknown>, patch: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(patch)) {
    throw new ValidationError(what, [{ path: '', code: 'invalid_type', message: ISSUE_MESSAGES.invalid_type }])
  }
  const merged: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    if (isBlank(value)) delete merged[key]
    else merged[key] = value
  }
  return merged
}
