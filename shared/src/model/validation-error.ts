/**
 * The one error that input validation throws. `code` is stable and machine-readable: the UI maps it
 * to French text through i18n; `message` is for developers and logs, in English.
 */
export const ISSUE_CODES = [
  'required',
  'too_long',
  'too_short',
  'too_many',
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
  'birth_date_in_future',
  'birth_date_too_old',
  'already_exists',
] as const

export type IssueCode = (typeof ISSUE_CODES)[number]

/**
 * `path` is the field path as the form names it: 'address.postalCode', 'phones.1'. '' is the whole
 * value. `limit` is the bound a 'too_long', 'too_short', 'too_many' or 'out_of_range' value hit
 * (characters, items, or the number), so that the person is told it (« 100 caractères au plus »).
 */
export type ValidationIssue = { path: string; code: IssueCode; message: string; limit?: number }

export const ISSUE_MESSAGES: Record<IssueCode, string> = {
  required: 'A value is required',
  too_long: 'Too long',
  too_short: 'Too short',
  too_many: 'Too many values',
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
  birth_date_in_future: 'A birth date cannot be after today',
  birth_date_too_old: 'A birth date more than 130 years ago: check the year',
  already_exists: 'Another record already has this value',
}

/** The developer's message of an issue, with the bound it hit when there is one. */
export function issueMessage(code: IssueCode, limit?: number): string {
  return limit === undefined ? ISSUE_MESSAGES[code] : `${ISSUE_MESSAGES[code]} (limit: ${limit})`
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
