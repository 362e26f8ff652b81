/**
 * An appointment as FHIR: every occurrence is its own Appointment (a series' occurrences each
 * carry the series in an identifier), with its status, kind (serviceType), practitioner, patient
 * and place as participants, the cancellation reason, and the ordonnance it is based on.
 */
import type { Appointment, Series } from '../../../shared/src/model'
import { appointmentEnd } from '../../../shared/src/model/agenda'
import { CODE_SYSTEMS, EXTENSIONS, extension } from './fhir-extensions'
import { compact, fhirId, fhirInstant, fhirLocalInstant, fhirMeta, reference, type FhirReference, type FhirResource } from './fhir-resource'
import { addressLine, fhirAddress, HOME_LOCATION_ID, PREMISES_LOCATION_ID } from './fhir-practice'

/** What the appointment's ids point to, as the export knows it. */
export interface AppointmentContext {
  /** The kind's label, if the kind is known. */
  kindLabel(kindId: string): string | undefined
  /** A reference to the appointment's patient (followed through merges), undefined if none is exported. */
  patientReference(patientId: string): FhirReference | undefined
  practitionerName(practitionerId: string): string | undefined
}

export const SERIES_IDENTIFIER_SYSTEM = 'urn:tournee:series'

export function appointmentResource(a: Appointment, context: AppointmentContext): FhirResource {
  const patient = a.patientId ? context.patientReference(a.patientId) : undefined
  const kind = a.kindId ? context.kindLabel(a.kindId) : undefined
  const place =
    a.place === 'home'
      ? reference('Location', HOME_LOCATION_ID, a.address ? `Domicile : ${addressLine(a.address)}` : 'Domicile du patient')
      : reference('Location', PREMISES_LOCATION_ID)
  return compact({
    resourceType: 'Appointment',
    id: fhirId(a.id),
    meta: fhirMeta(a),
    // The wall clock and the home visit's own address, which the instants and the Location do not hold.
    extension: [
      ...extension(EXTENSIONS.localStart, 'valueString', a.start),
      ...extension(EXTENSIONS.timeZone, 'valueCode', a.timeZone),
      ...extension(EXTENSIONS.homeAddress, 'valueAddress', a.address ? fhirAddress(a.address) : undefined)],
    identifier: a.seriesId ? [{ system: SERIES_IDENTIFIER_SYSTEM, value: `${a.seriesId}#${a.occurrence ?? 1}` }] : undefined,
    status: a.status,
    cancelationReason: a.status === 'cancelled' && a.cancelReason ? { text: a.cancelReason } : undefined,
    serviceType: kind ? [{ coding: [{ system: CODE_SYSTEMS.appointmentKind, code: fhirId(a.kindId!) }], text: kind }] : undefined,
    description: a.title,
    start: fhirLocalInstant(a.start, a.timeZone),
    end: fhirLocalInstant(appointmentEnd(a), a.timeZone),
    minutesDuration: a.durationMin,
    comment: a.note,
    basedOn: a.prescriptionId ? [reference('ServiceRequest', a.prescriptionId)] : undefined,
    participant: [
      { actor: reference('Practitioner', a.practitionerId, context.practitionerName(a.practitionerId)), required: 'required', status: 'accepted' },
      ...(patient ? [{ actor: patient, required: 'required', status: 'accepted' }] : []),
      { actor: place, required: 'information-only', status: 'accepted' },
    ],
  })
}

export const SERIES_CODE = 'appointment-series'

/**
 * A series as FHIR R4 has no resource for it (R5's Appointment.recurrenceTemplate is not R4): a
 * `Basic` resource coded `urn:tournee:resource#appointment-series`, whose id is the series id its
 * occurrences' identifiers carry, holding what the series was created with (series.ts). The
 * occurrences, exceptions included, are the Appointments.
 */
/** `patient`: the series' patient as `AppointmentContext.patientReference` gives it (a merged duplicate's survivor). */
export function seriesResource(s: Series, patient: FhirReference | undefined): FhirResource {
  return compact({
    resourceType: 'Basic',
    id: fhirId(s.id),
    meta: fhirMeta(s),
    extension: [
      ...extension(EXTENSIONS.seriesRule, 'valueString', s.rule),
      ...extension(EXTENSIONS.seriesFirstStart, 'valueString', s.firstStart),
      ...extension(EXTENSIONS.timeZone, 'valueCode', s.timeZone),
      ...extension(EXTENSIONS.seriesDuration, 'valuePositiveInt', s.durationMin),
      ...extension(EXTENSIONS.seriesTotal, 'valuePositiveInt', s.total),
      ...extension(EXTENSIONS.seriesPlace, 'valueCode', s.place),
      ...extension(EXTENSIONS.seriesTitle, 'valueString', s.title),
      ...extension(EXTENSIONS.seriesKind, 'valueCode', s.kindId === undefined ? undefined : fhirId(s.kindId)),
    ],
    identifier: [{ system: SERIES_IDENTIFIER_SYSTEM, value: s.id }],
    code: { coding: [{ system: CODE_SYSTEMS.basic, code: SERIES_CODE }], text: 'Série de rendez-vous' },
    subject: patient,
    created: fhirInstant(s.createdAt).slice(0, 10),
    author: reference('Practitioner', s.practitionerId),
  })
}
