/**
 * Schemas of what enters from a form or an import. Blank strings have already been removed by
 * `dropBlanks` (validation.ts), so an empty optional field is simply absent here. Defaults are
 * applied by the add functions, not here, so that a patch validated with `.partial()` never
 * invents values for fields the user did not touch.
 */
import { z } from 'zod'
import * as f from './field-schemas'
import { HOLIDAY_COUNTRIES } from './holidays'
import { workingHoursSchema } from './working-hours'

export const PROFESSIONS = ['kine', 'infirmier', 'medecin', 'veterinaire', 'autre'] as const
export type Profession = (typeof PROFESSIONS)[number]

export const SEXES = ['F', 'M', 'X', 'U'] as const
export type Sex = (typeof SEXES)[number]

/** FHIR Appointment.status values this app uses. */
export const APPOINTMENT_STATUSES = ['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow'] as const
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number]

export const PLACES = ['practice', 'home'] as const
export type Place = (typeof PLACES)[number]

export const NOTE_KINDS = ['session', 'assessment'] as const
export type NoteKind = (typeof NOTE_KINDS)[number]

/**
 * The longest text each form field takes, in characters: the schemas below refuse more, and the
 * forms show the same limits before they are hit (maxLength, counters).
 */
export const TEXT_LIMITS = {
  practitioner: { displayName: f.LIMITS.name },
  appointmentKind: { label: f.LIMITS.label },
  patient: {
    birthName: f.LIMITS.name,
    usualName: f.LIMITS.name,
    firstNames: f.LIMITS.name,
    email: f.LIMITS.line,
    'address.line1': f.LIMITS.line,
    'address.line2': f.LIMITS.line,
    'address.city': f.LIMITS.name,
    'address.accessNotes': f.LIMITS.shortText,
    'referringDoctor.name': f.LIMITS.name,
    insurance: f.LIMITS.line,
  },
  prescription: { prescriberName: f.LIMITS.name, indication: f.LIMITS.shortText },
  note: { text: f.LIMITS.longText },
  appointment: { title: f.LIMITS.label, note: f.LIMITS.shortText, cancelReason: f.LIMITS.line },
} as const

export const practitionerFields = z.object({
  displayName: f.text(TEXT_LIMITS.practitioner.displayName),
  profession: z.enum(PROFESSIONS),
  rpps: f.rpps.optional(),
  colour: f.colour.optional(),
  active: z.boolean().optional(),
  /** Absent: DEFAULT_WORKING_HOURS (working-hours.ts). */
  workingHours: workingHoursSchema.optional(),
})

/**
 * How long a device of the practice may stay unused before it locks, in minutes: at least one (a
 * lock that closes the practice under a practitioner's hands would be turned off), at most an hour
 * (a tablet left in a car for longer is what the lock is for). Default 5.
 */
export const LOCK_AFTER_MINUTES = { min: 1, max: 60, default: 5 } as const

export const practiceFields = z.object({
  name: f.text(f.LIMITS.name),
  timeZone: f.timeZone.optional(),
  locale: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, { error: 'invalid_value' }).optional(),
  /** Whose public holidays the agenda shows; absent: France (holidays.ts). */
  holidayCountry: z.enum(HOLIDAY_COUNTRIES).optional(),
  /** Minutes without use after which the app locks on every device; absent: 5 (practice.ts). */
  lockAfterMinutes: f.int(LOCK_AFTER_MINUTES.min, LOCK_AFTER_MINUTES.max).optional(),
})

export const practiceInit = practiceFields.extend({ firstPractitioner: practitionerFields })

export const siteFields = z.object({
  name: f.text(f.LIMITS.name),
  address: f.address.optional(),
  active: z.boolean().optional(),
})

/** More practitioners than any practice has: a kind's list of who offers it stays small. */
export const MAX_KIND_PRACTITIONERS = 100

export const appointmentKindFields = z.object({
  label: f.text(TEXT_LIMITS.appointmentKind.label),
  defaultDurationMin: f.int(5, 720),
  colour: f.colour.optional(),
  active: z.boolean().optional(),
  /** The practitioners who offer this kind; absent: every practitioner, present and future. */
  practitionerIds: z
    .array(f.recordId)
    .min(1)
    .max(MAX_KIND_PRACTITIONERS)
    .transform((ids) => [...new Set(ids)])
    .optional(),
})

export const patientFields = z.object({
  birthName: f.text(TEXT_LIMITS.patient.birthName),
  usualName: f.text(TEXT_LIMITS.patient.usualName).optional(),
  firstNames: f.text(TEXT_LIMITS.patient.firstNames),
  sex: z.enum(SEXES).optional(),
  birthDate: f.localDate.optional(),
  nir: f.nir.optional(),
  phones: z.array(f.phone).max(5).optional(),
  email: f.email.optional(),
  address: f.address.optional(),
  referringDoctor: f.referringDoctor.optional(),
  insurance: f.text(TEXT_LIMITS.patient.insurance).optional(),
  tags: f.tags.optional(),
  archived: z.boolean().optional(),
  /** The patient asked not to receive appointment reminders (the agenda's « Rappels »). */
  reminderOptOut: z.boolean().optional(),
})

const appointmentShape = z.object({
  start: f.localDateTime,
  timeZone: f.timeZone.optional(),
  durationMin: f.int(5, 720),
  practitionerId: f.recordId,
  patientId: f.recordId.optional(),
  kindId: f.recordId.optional(),
  title: f.text(TEXT_LIMITS.appointment.title).optional(),
  place: z.enum(PLACES).optional(),
  address: f.address.optional(),
  note: f.text(TEXT_LIMITS.appointment.note).optional(),
  status: z.enum(APPOINTMENT_STATUSES).optional(),
  cancelReason: f.text(TEXT_LIMITS.appointment.cancelReason).optional(),
  seriesId: f.recordId.optional(),
  occurrence: f.int(0, 10_000).optional(),
  /** The ordonnance this session counts against (a prescription of the patient's file). */
  prescriptionId: f.recordId.optional(),
})

/** A block (lunch, meeting) has no patient, so it needs a title to be shown with. */
export const appointmentFields = appointmentShape.superRefine((a, ctx) => {
  if (a.patientId === undefined && a.title === undefined) {
    ctx.addIssue({ code: 'custom', message: 'required', path: ['title'] })
  }
})
export { appointmentShape }

export const noteFields = z.object({
  date: f.localDate,
  kind: z.enum(NOTE_KINDS),
  text: z.string().max(TEXT_LIMITS.note.text).optional(),
  appointmentId: f.recordId.optional(),
})

export const prescriptionFields = z.object({
  prescriberName: f.text(TEXT_LIMITS.prescription.prescriberName),
  prescriberRpps: f.rpps.optional(),
  date: f.localDate,
  indication: f.text(TEXT_LIMITS.prescription.indication),
  sessionsPrescribed: f.int(1, 200).optional(),
})

/** SHA-256 of an attachment's ciphertext, lower-case hex: its address on the relay. */
export const attachmentHash = z.string().regex(/^[0-9a-f]{64}$/, { error: 'invalid_value' })

/** Largest attachment a device accepts to add; the relay's limit (TOURNEE_MAX_ATTACHMENT_BYTES) may be lower. */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

export const attachmentFields = z.object({
  hash: attachmentHash,
  /** File name and type are patient data: they live here, in the encrypted doc, never in a URL. */
  name: f.text(f.LIMITS.line),
  mime: z.string().trim().min(1).max(f.LIMITS.label),
  /** Size of the plaintext file, bytes. */
  size: f.int(0, MAX_ATTACHMENT_BYTES),
  prescriptionId: f.recordId.optional(),
})

export type PractitionerInput = z.input<typeof practitionerFields>
export type PracticeInput = z.input<typeof practiceFields>
export type PracticeInitInput = z.input<typeof practiceInit>
export type SiteInput = z.input<typeof siteFields>
export type AppointmentKindInput = z.input<typeof appointmentKindFields>
export type PatientInput = z.input<typeof patientFields>
export type AppointmentInput = z.input<typeof appointmentShape>
export type NoteInput = z.input<typeof noteFields>
export type PrescriptionInput = z.input<typeof prescriptionFields>
export type AttachmentInput = z.input<typeof attachmentFields>

/**
 * A patch: absent (or undefined) leaves a field alone, `null` or '' clears an optional field.
 * Required fields cannot be cleared.
 */
export type Patch<T> = { [K in keyof T]?: undefined extends T[K] ? T[K] | null : T[K] }
