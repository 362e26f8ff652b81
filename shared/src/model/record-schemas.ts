/**
 * Schemas of records as read back from a doc. They check what the views and the model's own code
 * rely on (types, dates they compute with, enums they switch on) and nothing more: a phone number
 * in a format an older version accepted must not make a patient vanish from the list. Unknown keys
 * (written by a newer version) are ignored; unknown enum values fall back where a safe default
 * exists.
 */
import { z } from 'zod'
import * as f from './field-schemas'
import { storedWorkingHours } from './working-hours'
import { HOLIDAY_COUNTRIES } from './holidays'
import { APPOINTMENT_STATUSES, LOCK_AFTER_MINUTES, NOTE_KINDS, PLACES, PROFESSIONS, SEXES } from './input-schemas'

const str = z.string()
const optStr = z.string().optional()

export const practiceRecord = z.object({
  name: str,
  timeZone: f.timeZone,
  locale: str,
  /** An unknown country (a newer version's) falls back to France rather than hiding the settings. */
  holidayCountry: z.enum(HOLIDAY_COUNTRIES).optional().catch(undefined),
  /**
   * A value out of bounds (a faulty or newer device's) reads as absent, the default: never as
   * "no lock" or as a lock that fires at once.
   */
  lockAfterMinutes: f.int(LOCK_AFTER_MINUTES.min, LOCK_AFTER_MINUTES.max).optional().catch(undefined),
  ...f.recordMeta,
})

export const practitionerRecord = z.object({
  displayName: str,
  profession: z.enum(PROFESSIONS).catch('autre'),
  rpps: optStr,
  colour: str,
  active: z.boolean(),
  workingHours: storedWorkingHours,
  ...f.recordMeta,
})

export const siteRecord = z.object({
  name: str,
  address: f.storedAddress.optional(),
  active: z.boolean(),
  ...f.recordMeta,
})

export const appointmentKindRecord = z.object({
  label: str,
  defaultDurationMin: f.int(5, 720),
  colour: str,
  active: z.boolean(),
  practitionerIds: z.array(str).optional(),
  ...f.recordMeta,
})

export const patientRecord = z.object({
  birthName: str,
  usualName: optStr,
  firstNames: str,
  sex: z.enum(SEXES).optional().catch('U'),
  birthDate: f.localDate.optional(),
  nir: optStr,
  phones: z.array(str).optional(),
  email: optStr,
  address: f.storedAddress.optional(),
  referringDoctor: f.storedReferringDoctor.optional(),
  insurance: optStr,
  tags: z.array(str).optional(),
  archived: z.boolean(),
  /** Set on the soft-deleted copy of a duplicate: the id of the patient it was merged into. */
  mergedInto: optStr,
  ...f.recordMeta,
})

export const appointmentRecord = z.object({
  start: f.localDateTime,
  timeZone: f.storedTimeZone,
  durationMin: f.int(5, 720),
  practitionerId: str,
  patientId: optStr,
  kindId: optStr,
  title: optStr,
  place: z.enum(PLACES).catch('practice'),
  address: f.storedAddress.optional(),
  note: optStr,
  status: z.enum(APPOINTMENT_STATUSES),
  cancelReason: optStr,
  seriesId: optStr,
  occurrence: z.number().int().optional(),
  /** Set on the copy left behind when an appointment moved to another month's doc. */
  movedTo: optStr,
  prescriptionId: optStr,
  ...f.recordMeta,
})

export const noteRecord = z.object({
  date: f.localDate,
  kind: z.enum(NOTE_KINDS).catch('session'),
  text: str,
  appointmentId: optStr,
  ...f.recordMeta,
})

export const prescriptionRecord = z.object({
  prescriberName: str,
  prescriberRpps: optStr,
  date: f.localDate,
  indication: str,
  sessionsPrescribed: z.number().int().optional(),
  ...f.recordMeta,
})

export const attachmentRecord = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  name: str,
  mime: str,
  size: z.number().int().nonnegative(),
  prescriptionId: optStr,
  ...f.recordMeta,
})

type WithId<T> = { readonly id: string } & T

export type Practice = z.output<typeof practiceRecord>
export type Practitioner = WithId<z.output<typeof practitionerRecord>>
export type Site = WithId<z.output<typeof siteRecord>>
export type AppointmentKind = WithId<z.output<typeof appointmentKindRecord>>
export type Patient = WithId<z.output<typeof patientRecord>>
export type Appointment = WithId<z.output<typeof appointmentRecord>>
/** `text` is a snapshot; edit the live Y.Text from `getNoteText`. */
export type Note = WithId<z.output<typeof noteRecord>>
export type Prescription = WithId<z.output<typeof prescriptionRecord>>
export type Attachment = WithId<z.output<typeof attachmentRecord>>
