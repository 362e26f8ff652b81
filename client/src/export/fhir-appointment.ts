/**
 * An appointment as FHIR: every occurrence is its own Appointment (a series' occurrences each
 * carry the series in an identifier), with its status, kind (serviceType), practitioner, patient
 * and place as participants, the cancellation reason, and the ordonnance it is based on.
 */
import type { Appointment } from '../../../shared/src/model'
import { appointmentEnd } from '../../../shared/src/model/agenda'
import { compact, fhirId, fhirLocalInstant, fhirMeta, reference, type FhirReference, type FhirResource } from './fhir-resource'
import { addressLine, HOME_LOCATION_ID, PREMISES_LOCATION_ID } from './fhir-practice'

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
    identifier: a.seriesId ? [{ system: SERIES_IDENTIFIER_SYSTEM, value: `${a.seriesId}#${a.occurrence ?? 1}` }] : undefined,
    status: a.status,
    cancelationReason: a.status === 'cancelled' && a.cancelReason ? { text: a.cancelReason } : undefined,
    serviceType: kind ? [{ text: kind }] : undefined,
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
