/**
 * A patient as FHIR: identity (birth name as the official name, usual name as the usual one),
 * sex, birth date, phones, email, address, referring doctor, tags; the NIR as an identifier.
 *
 * The NIR was typed in (and its key checked), never verified with the INSi service: the identifier
 * says « NIR (identité non qualifiée) » and carries no identity-reliability extension, so no
 * software reading it takes it for a qualified INS.
 */
import type { Patient, Sex } from '../../../shared/src/model'
import { compact, fhirId, fhirMeta, rppsIdentifier, SYSTEMS, type FhirResource } from './fhir-resource'
import { EXTENSIONS, extension } from './fhir-extensions'
import { fhirAddress } from './fhir-practice'

const GENDERS: { readonly [S in Sex]: string } = { F: 'female', M: 'male', X: 'other', U: 'unknown' }

function givenNames(firstNames: string): string[] {
  return firstNames.split(/\s+/).filter(Boolean)
}

/** `reminderOptOut`: the patient refused reminders (reminder-opt-out.ts: a field the Patient type does not carry). */
export function patientResource(p: Patient, reminderOptOut = false): FhirResource {
  const given = givenNames(p.firstNames)
  return compact({
    resourceType: 'Patient',
    id: fhirId(p.id),
    meta: compact({ ...fhirMeta(p), tag: (p.tags ?? []).map((tag) => ({ display: tag })) }),
    extension: [...extension(EXTENSIONS.insurance, 'valueString', p.insurance), ...extension(EXTENSIONS.reminderOptOut, 'valueBoolean', reminderOptOut || undefined)],
    identifier: p.nir ? [{ use: 'official', system: SYSTEMS.nir, value: p.nir, type: { text: 'NIR (identité non qualifiée)' } }] : undefined,
    active: !p.archived,
    name: [
      compact({ use: 'official', family: p.birthName, given }),
      ...(p.usualName ? [compact({ use: 'usual', family: p.usualName, given })] : []),
    ],
    telecom: [
      ...(p.phones ?? []).map((value, i) => ({ system: 'phone', value, rank: i + 1 })),
      ...(p.email ? [{ system: 'email', value: p.email }] : []),
    ],
    gender: p.sex ? GENDERS[p.sex] : undefined,
    birthDate: p.birthDate,
    address: p.address ? [fhirAddress(p.address)] : undefined,
    generalPractitioner: p.referringDoctor
      ? [compact({ display: p.referringDoctor.name, identifier: p.referringDoctor.rpps ? rppsIdentifier(p.referringDoctor.rpps) : undefined })]
      : undefined,
  })
}
