/**
 * A practitioner as FHIR: the Practitioner (name, RPPS as the IDNPS identifier when known) and a
 * PractitionerRole that ties them to the practice with their profession.
 */
import type { Absence, Practitioner, Profession } from '../../../shared/src/model'
import { CODE_SYSTEMS, EXTENSIONS, extension } from './fhir-extensions'
import { compact, fhirId, fhirMeta, reference, rppsIdentifier, type FhirResource } from './fhir-resource'
import { ORGANIZATION_ID } from './fhir-practice'

/**
 * The archive is written in French whatever the screen's language: it is a file for other
 * software and for French administrations, not a screen (the i18n layer is for screens).
 */
export const PROFESSION_LABELS: { readonly [P in Profession]: string } = {
  kine: 'Masseur-kinésithérapeute',
  infirmier: 'Infirmier',
  medecin: 'Médecin',
  veterinaire: 'Vétérinaire',
  autre: 'Autre profession',
}

export function practitionerResource(p: Practitioner): FhirResource {
  return compact({
    resourceType: 'Practitioner',
    id: fhirId(p.id),
    meta: fhirMeta(p),
    extension: [
      ...extension(EXTENSIONS.colour, 'valueString', p.colour),
      ...extension(EXTENSIONS.workingHours, 'valueString', p.workingHours === undefined ? undefined : JSON.stringify(p.workingHours)),
    ],
    identifier: p.rpps ? [rppsIdentifier(p.rpps)] : undefined,
    active: p.active,
    name: [{ text: p.displayName }],
  })
}

/** Said of an absence with no label: `notAvailable.description` is required. */
export const ABSENCE_DESCRIPTION = 'Absence'

/**
 * The role, with the practitioner's absences as `notAvailable` — FHIR's place for « not available
 * from … to … »: the period's dates are both inclusive, as the model's are.
 */
export function practitionerRoleResource(p: Practitioner, absences: readonly Absence[] = []): FhirResource {
  return compact({
    resourceType: 'PractitionerRole',
    id: fhirId(p.id),
    meta: fhirMeta(p),
    active: p.active,
    practitioner: reference('Practitioner', p.id, p.displayName),
    organization: reference('Organization', ORGANIZATION_ID),
    code: [{ coding: [{ system: CODE_SYSTEMS.profession, code: p.profession }], text: PROFESSION_LABELS[p.profession] }],
    notAvailable: absences.map((a) =>
      compact({ extension: extension(EXTENSIONS.absenceLabel, 'valueString', a.label), description: a.label ?? ABSENCE_DESCRIPTION, during: { start: a.from, end: a.to } }),
    ),
  })
}
