/**
 * Reading one patient of a directory digest: the same rules as the model's `patientRecord` schema
 * (record-schemas.ts) — types, a calendar birth date, the sex falling back to 'U' — written as
 * plain per-field checks because the digest holds every patient at once. Measured on the shared
 * 2-core build machine, 20,000 generated patients, best of 20 runs (typical runs under load are
 * 1.5–2.5× slower): the zod schema ≈110 ms — at the ~150 ms budget in the best case, over it in a
 * typical one — these checks ≈50 ms (20 ms of it the birth date's calendar check), JSON.parse of
 * the same 8.4 MB ≈70 ms. directory-digest.test.ts checks that both
 * accept and refuse the same records; the field table below is keyed by `Patient`, so a field
 * added to the model's schema does not compile until it is checked here too.
 */
import { isLocalDate } from '../model/dates'
import { SEXES } from '../model/input-schemas'
import type { Patient } from '../model/record-schemas'

const INVALID: unique symbol = Symbol('invalid')

/** The field's value as the patient keeps it, or INVALID. */
type FieldReader = (value: unknown) => unknown

type Fields = Record<string, unknown>

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value)
const isString = (value: unknown): value is string => typeof value === 'string'
const isStringArray = (value: unknown): boolean => Array.isArray(value) && value.every(isString)
const isNonEmptyString = (value: unknown): boolean => typeof value === 'string' && value.length > 0
const optional = (check: (value: unknown) => boolean) => (value: unknown) => value === undefined || check(value)

function accept(check: (value: unknown) => boolean): FieldReader {
  return (value) => (check(value) ? value : INVALID)
}

const isActor = (value: unknown): boolean => isObject(value) && isNonEmptyString(value.memberId) && isNonEmptyString(value.deviceId)
const isAddress = (value: unknown): boolean =>
  isObject(value) &&
  isString(value.line1) &&
  optional(isString)(value.line2) &&
  isString(value.postalCode) &&
  isString(value.city) &&
  optional(isString)(value.accessNotes)
const isReferringDoctor = (value: unknown): boolean => isObject(value) && isString(value.name) && optional(isString)(value.rpps)
// zod 4's z.number() refuses NaN and ±Infinity too (JSON cannot carry them anyway).
const isNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value)
const SEX_VALUES: readonly unknown[] = SEXES

const PATIENT_FIELDS: { readonly [K in keyof Patient]-?: FieldReader } = {
  id: accept(isString),
  birthName: accept(isString),
  usualName: accept(optional(isString)),
  firstNames: accept(isString),
  // As the schema's `.catch('U')`: a sex a newer version added reads as unknown, not as an error.
  sex: (value) => (value === undefined || SEX_VALUES.includes(value) ? value : 'U'),
  birthDate: accept(optional(isLocalDate)),
  nir: accept(optional(isString)),
  phones: accept(optional(isStringArray)),
  email: accept(optional(isString)),
  address: accept(optional(isAddress)),
  referringDoctor: accept(optional(isReferringDoctor)),
  insurance: accept(optional(isString)),
  tags: accept(optional(isStringArray)),
  archived: accept((value) => typeof value === 'boolean'),
  mergedInto: accept(optional(isString)),
  createdAt: accept(isNumber),
  createdBy: accept(isActor),
  updatedAt: accept(isNumber),
  updatedBy: accept(isActor),
  deletedAt: accept(optional(isNumber)),
  deletedBy: accept(optional(isActor)),
}

/** Every field of a patient, in the order of the digest's rows (directory-digest.ts) when this version writes one. */
export const FIELD_NAMES = Object.keys(PATIENT_FIELDS) as (keyof Patient)[]

/** The fields holding an Actor: the digest lists each actor once and the rows refer to it by index. */
export const ACTOR_FIELDS: ReadonlySet<string> = new Set<keyof Patient>(['createdBy', 'updatedBy', 'deletedBy'])

export type DigestPatientRead = { ok: true; patient: Patient } | { ok: false; field: string }

/** FIELD_NAMES as a set: what a digest's keys or columns may name. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set(FIELD_NAMES)

/**
 * The patient, holding only the model's fields (unknown keys of a newer version are left out, as
 * the schema strips them), or the first field that is not acceptable.
 *
 * A record that is already exactly a patient (the common case: this version wrote it) is
 * returned as parsed, not copied: 20,000 copies were a fifth of the digest's decoding and the
 * garbage collector's work on a new device's start.
 */
export function readDigestPatient(value: unknown): DigestPatientRead {
  if (!isObject(value)) return { ok: false, field: '' }
  let exact = true
  for (const field of FIELD_NAMES) {
    const given = value[field]
    const read = PATIENT_FIELDS[field](given)
    if (read === INVALID) return { ok: false, field }
    if (read !== given) exact = false
  }
  for (const key in value) {
    if (!KNOWN_FIELDS.has(key)) {
      exact = false
      break
    }
  }
  if (exact) return { ok: true, patient: value as Patient }
  const patient: Fields = {}
  for (const field of FIELD_NAMES) {
    const read = PATIENT_FIELDS[field](value[field])
    if (read !== undefined) patient[field] = read
  }
  return { ok: true, patient: patient as Patient }
}
