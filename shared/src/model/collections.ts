/** Names of the top-level Y.Maps of each doc. They are part of the stored format: never rename. */
export const DIRECTORY_MAPS = {
  practice: 'practice',
  practitioners: 'practitioners',
  sites: 'sites',
  appointmentKinds: 'appointmentKinds',
  patients: 'patients',
  /** Appointment series: id → rule and first start; occurrences live in the agenda docs. */
  series: 'series',
  /** Practitioners' absences and leave: id → practitioner, from/to dates, label. */
  absences: 'absences',
  /** The practice's devices as people know them: device id → name, who holds it (device-labels.ts). */
  devices: 'devices',
  /**
   * Imports and what each created, so that any device can undo one: id → source, file name,
   * created patient ids (client/src/import/import-batch.ts, docs/data-model.md).
   */
  imports: 'imports',
} as const

export const AGENDA_MAPS = {
  /** The doc's own settings: `month` ('YYYY-MM'). */
  agenda: 'agenda',
  appointments: 'appointments',
} as const

export const PATIENT_FILE_MAPS = {
  notes: 'notes',
  prescriptions: 'prescriptions',
  /** References to encrypted files on the relay (scans, photos): hash, name, mime, size. */
  attachments: 'attachments',
} as const
