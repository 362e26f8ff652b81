/**
 * The practice as FHIR: one Organization, the Locations appointments take place at — the
 * practice's premises, each site, and « domicile du patient » (a Location of mode `kind`, coded
 * PTRES, as FHIR says a patient's home is written when the address varies per appointment).
 */
import type { AppointmentKind, Practice, Site } from '../../../shared/src/model'
import { CODE_SYSTEMS, EXTENSIONS, extension } from './fhir-extensions'
import { compact, fhirId, fhirMeta, reference, type FhirResource } from './fhir-resource'

/** Fixed ids: a practice has one organization, one premises and one "home of the patient". */
export const ORGANIZATION_ID = 'cabinet'
export const PREMISES_LOCATION_ID = 'cabinet'
export const HOME_LOCATION_ID = 'domicile'

export function organizationResource(practice: Practice): FhirResource {
  return {
    resourceType: 'Organization',
    id: ORGANIZATION_ID,
    meta: fhirMeta(practice),
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov', display: 'Healthcare Provider' }] }],
    name: practice.name,
    // The settings an import needs to make the same practice again (fhir-extensions.ts).
    extension: [
      ...extension(EXTENSIONS.timeZone, 'valueCode', practice.timeZone),
      ...extension(EXTENSIONS.locale, 'valueCode', practice.locale),
      ...extension(EXTENSIONS.holidayCountry, 'valueCode', practice.holidayCountry),
      ...extension(EXTENSIONS.lockAfterMinutes, 'valuePositiveInt', practice.lockAfterMinutes),
    ],
  }
}

const ORGANIZATION = reference('Organization', ORGANIZATION_ID)

export function premisesLocation(practice: Practice): FhirResource {
  return {
    resourceType: 'Location',
    id: PREMISES_LOCATION_ID,
    status: 'active',
    mode: 'instance',
    name: practice.name,
    managingOrganization: ORGANIZATION,
  }
}

export function homeLocation(): FhirResource {
  return {
    resourceType: 'Location',
    id: HOME_LOCATION_ID,
    status: 'active',
    mode: 'kind',
    name: 'Domicile du patient',
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'PTRES', display: "patient's residence" }] }],
    managingOrganization: ORGANIZATION,
  }
}

export function siteLocation(site: Site): FhirResource {
  return compact({
    resourceType: 'Location',
    id: `site-${fhirId(site.id)}`,
    meta: fhirMeta(site),
    status: site.active ? 'active' : 'inactive',
    mode: 'instance',
    name: site.name,
    address: site.address ? fhirAddress(site.address) : undefined,
    managingOrganization: ORGANIZATION,
  })
}

export function fhirAddress(address: { line1: string; line2?: string | undefined; postalCode: string; city: string; accessNotes?: string | undefined }): Record<string, unknown> {
  return compact({
    extension: extension(EXTENSIONS.accessNotes, 'valueString', address.accessNotes),
    use: 'home',
    line: [address.line1, ...(address.line2 ? [address.line2] : [])],
    postalCode: address.postalCode || undefined,
    city: address.city || undefined,
    country: 'FR',
  })
}

/** '12 rue des Lilas, 75011 Paris': an address on one line (CSV, iCalendar LOCATION). */
export function addressLine(address: { line1: string; line2?: string | undefined; postalCode: string; city: string }): string {
  return [address.line1, address.line2, `${address.postalCode} ${address.city}`.trim()].filter(Boolean).join(', ')
}

/**
 * An appointment kind as the service the practice offers (HealthcareService): label, whether it is
 * still offered (a deleted kind is written as not offered, for the appointments that name it), its default length and colour, and who offers it when not everyone does.
 */
export function healthcareServiceResource(kind: AppointmentKind): FhirResource {
  return compact({
    resourceType: 'HealthcareService',
    id: fhirId(kind.id),
    meta: fhirMeta(kind),
    extension: [
      ...extension(EXTENSIONS.defaultDuration, 'valuePositiveInt', kind.defaultDurationMin),
      ...extension(EXTENSIONS.colour, 'valueString', kind.colour),
      ...(kind.practitionerIds ?? []).flatMap((id) => extension(EXTENSIONS.offeredBy, 'valueReference', reference('Practitioner', id))),
    ],
    identifier: [{ system: CODE_SYSTEMS.appointmentKind, value: fhirId(kind.id) }],
    active: kind.active && kind.deletedAt === undefined,
    providedBy: ORGANIZATION,
    name: kind.label,
  })
}
