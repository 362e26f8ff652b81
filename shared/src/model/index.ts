/** The document model: typed accessors over the Y.Docs of a space. See docs/data-model.md. */
export type { Actor, Clock } from './actor'
export { fixedClock } from './actor'
export * from './doc-ids'
export { newRecordId, isRecordId, RECORD_ID_PATTERN } from './ids'
export * from './dates'
export { checkNir, nirKey, nirMismatches, normalizeNir, NIR_MISMATCHES } from './nir'
export type { NirCheck, NirMismatch } from './nir'
export { checkBirthDate, earliestBirthDate, MAX_AGE_YEARS } from './birth-date'
export type { BirthDateCheck } from './birth-date'
export { isPhone, normalizePhone } from './phone'
export { DIRECTORY_MAPS, AGENDA_MAPS, PATIENT_FILE_MAPS } from './collections'
export { APPOINTMENT_STATUSES, NOTE_KINDS, PLACES, PROFESSIONS, SEXES } from './input-schemas'
export { LOCK_AFTER_MINUTES, MAX_ATTACHMENT_BYTES, TEXT_LIMITS } from './input-schemas'
export type {
  AttachmentInput,
  AppointmentInput,
  AppointmentKindInput,
  AppointmentStatus,
  NoteInput,
  NoteKind,
  Patch,
  PatientInput,
  Place,
  PracticeInitInput,
  PracticeInput,
  PractitionerInput,
  PrescriptionInput,
  Profession,
  Sex,
  SiteInput,
} from './input-schemas'
export type { Address, AddressInput } from './field-schemas'
export type {
  Appointment,
  AppointmentKind,
  Attachment,
  Note,
  Patient,
  Practice,
  Practitioner,
  Prescription,
  Site,
} from './record-schemas'
export { RecordNotFoundError, RestoreError, restoreFieldValue } from './records'
export { CHANGE_KINDS, HISTORY_ARRAY, recordHistory } from './change-log'
export type { ChangeEntry, ChangeKind, FieldChange } from './change-log'
export { isRpps, normalizeRpps } from './rpps'
export * from './patient-search'
export * from './patient-duplicates'
export * from './patient-redirects'
export * from './merge-cycles'
export * from './merged-file'
export * from './patient-months'
export * from './note-defaults'
export type { ListResult, RecordIssue, RecordMeta } from './records'
export * from './validation'
export * from './directory'
export * from './agenda'
export * from './patient-file'
export * from './access-log'
export * from './working-hours'
export * from './series'
export * from './prescription-counts'
export * from './holidays'
export * from './absences'
export * from './reminder-opt-out'
export * from './device-labels'
