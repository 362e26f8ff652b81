/**
 * Tournée's FHIR extensions: what the model holds and FHIR R4 has no field for, written so that
 * an import of the archive brings every record back whole (client/src/import/archive-*). Each is a
 * plain `Extension` (url + one value[x]), valid R4; software that does not know them ignores them.
 *
 *   { "url": "urn:tournee:fhir:time-zone", "valueCode": "Europe/Paris" }
 *
 * The urls are URNs: they name, they do not resolve (no StructureDefinition is published).
 */

export const EXTENSIONS = {
  /** Organization: the practice's settings. */
  timeZone: 'urn:tournee:fhir:time-zone',
  locale: 'urn:tournee:fhir:locale',
  holidayCountry: 'urn:tournee:fhir:holiday-country',
  lockAfterMinutes: 'urn:tournee:fhir:lock-after-minutes',
  /** Practitioner, HealthcareService (a kind): the agenda colour. */
  colour: 'urn:tournee:fhir:colour',
  /** Practitioner: working hours, as the model's JSON. */
  workingHours: 'urn:tournee:fhir:working-hours',
  /** Address: how to get in (digicode, étage). */
  accessNotes: 'urn:tournee:fhir:access-notes',
  /** Patient: the insurance line (no Coverage resource is written). */
  insurance: 'urn:tournee:fhir:insurance',
  /**
   * Patient: refuses appointment reminders (true; absent otherwise). R4 has no element for it; a
   * `Consent` would claim a signed privacy decision where the practice only noted a wish.
   */
  reminderOptOut: 'urn:tournee:fhir:reminder-opt-out',
  /** PractitionerRole.notAvailable (an absence): its label when it has one (`description` is required). */
  absenceLabel: 'urn:tournee:fhir:absence-label',
  /** Appointment: its wall-clock start ('2026-11-02T09:00') and the home visit's address. */
  localStart: 'urn:tournee:fhir:local-start',
  homeAddress: 'urn:tournee:fhir:home-address',
  /** HealthcareService (a kind): default length, and who offers it (one per practitioner). */
  defaultDuration: 'urn:tournee:fhir:default-duration',
  offeredBy: 'urn:tournee:fhir:offered-by',
  /** Basic (a series): what createSeries was given. */
  seriesRule: 'urn:tournee:fhir:series-rule',
  seriesFirstStart: 'urn:tournee:fhir:series-first-start',
  seriesDuration: 'urn:tournee:fhir:series-duration',
  seriesTotal: 'urn:tournee:fhir:series-total',
  seriesPlace: 'urn:tournee:fhir:series-place',
  seriesTitle: 'urn:tournee:fhir:series-title',
  seriesKind: 'urn:tournee:fhir:series-kind',
} as const

/** Code systems of the archive's own codes. */
export const CODE_SYSTEMS = {
  profession: 'urn:tournee:profession',
  appointmentKind: 'urn:tournee:appointment-kind',
  basic: 'urn:tournee:resource',
} as const

export type Extension = { url: string } & Record<string, unknown>

/** `{ url, [valueKey]: value }`, or nothing when the value is absent (FHIR forbids empty values). */
export function extension(url: string, valueKey: string, value: unknown): Extension[] {
  if (value === undefined || value === null || value === '') return []
  return [{ url, [valueKey]: value }]
}
