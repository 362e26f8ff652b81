/**
 * The one error that input validation throws. `code` is stable and machine-readable: the UI maps it
 * to French text through i18n; `message` is for developers and logs, in English.
 */
export const ISSUE_CODES = [
  'required',
  'too_long',
  'too_short',
  'invalid_type',
  'invalid_value',
  'not_integer',
  'out_of_range',
  'invalid_date',
  'invalid_time',
  'invalid_email',
  'invalid_phone',
  'invalid_postal_code',
  'invalid_nir',
  'invalid_nir_key',
  'invalid_rpps',
  'invalid_colour',
  'invalid_time_zone',
  'invalid_id',
  'invalid_month',
] as const

export type IssueCode = (typeof ISSUE_CODES)[number]

/** `path` is the field path as the form names it: 'address.postalCode', 'phones.1'. '' is the whole value. */
export type ValidationIssue = { path: string; code: IssueCode; message: string }

export const ISSUE_MESSAGES: Record<IssueCode, string> = {
  required: 'A value is required',
  too_long: 'Too long',
  too_short: 'Too short',
  invalid_type: 'Wrong type of value',
  invalid_value: 'Not one of the allowed values',
  not_integer: 'Must be a whole number',
  out_of_range: 'Outside the allowed range',
  invalid_date: "Not a calendar date 'YYYY-MM-DD'",
  invalid_time: "Not a time 'HH:mm'",
  invalid_email: 'Not an e-mail address',
  invalid_phone: "Not a phone number: 10 digits starting with 0, or '+' and the country code",
  invalid_postal_code: 'A postal code has 5 digits',
  invalid_nir: 'A NIR has 15 characters: 13 digits (2A/2B for Corsica) and a 2-digit key',
  invalid_nir_key: 'The NIR key does not match its first 13 digits: check for a typo',
  invalid_rpps: 'An RPPS number has 11 digits',
  invalid_colour: "A colour is written '#rrggbb'",
  invalid_time_zone: "Not an IANA time zone such as 'Europe/Paris'",
  invalid_id: 'Not a record id',
  invalid_month: "Not a month 'YYYY-MM'",
}

export function isIssueCode(value: unknown): value is IssueCode {
  return typeof value === 'string' && (ISSUE_CODES as readonly string[]).includes(value)
}

export class ValidationError extends Error {
  override name = 'ValidationError'
  readonly issues: ValidationIssue[]

  constructor(what: string, issues: ValidationIssue[]) {
    super(`Invalid ${what}: ${issues.map((i) => `${i.path || '(value)'}: ${i.code}`).join(', ')}`)
    this.issues = issues
  }
}
