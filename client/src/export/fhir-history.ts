/**
 * The practice's history where FHIR R4 has a place for it:
 *
 * - **Provenance** — who created an appointment or a note, and who changed it last, when, from
 *   which device. Each record carries those stamps (records.ts: createdAt/By, updatedAt/By); one
 *   Provenance is written for the creation and, when the record changed since, one for its last
 *   change (activity CREATE / UPDATE, v3-DataOperation). The member is the `author` agent (an
 *   identifier `urn:tournee:member`, the practitioner's name when the member is one), the device a
 *   second agent (a Device reference by identifier `urn:tournee:device`, with the name the practice
 *   gave it in « Appareils »). The field-by-field change log is not exported: FHIR has no element
 *   for « field X went from A to B », and Provenance per field would multiply the archive.
 * - **AuditEvent** — the access log of each clinical file (access-log.ts): each recorded opening
 *   as an AuditEvent of type DICOM 110110 « Patient Record », action R (read), outcome 0, the member
 *   as the requesting agent, the device as the source's observer, the patient as the entity. That
 *   is what AuditEvent is for (IHE BALP, the « Basic Audit Log Patterns », logs reads of a patient's
 *   record the same way); Provenance is for what made a record, not for who read it.
 *
 *   {"resourceType":"AuditEvent","id":"pQ3.acces.0","type":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"110110"},
 *    "action":"R","recorded":"2026-12-01T08:15:00.000Z","outcome":"0",
 *    "agent":[{"who":{"identifier":{"system":"urn:tournee:member","value":"m1"}},"requestor":true}],
 *    "source":{"observer":{"identifier":{"system":"urn:tournee:device","value":"d1"},"display":"Tablette"}},
 *    "entity":[{"what":{"reference":"Patient/pQ3"}}]}
 */
import type { AccessEntry, Actor, RecordMeta } from '../../../shared/src/model'
import { compact, fhirId, fhirInstant, type FhirResource } from './fhir-resource'

export const HISTORY_SYSTEMS = {
  member: 'urn:tournee:member',
  device: 'urn:tournee:device',
  dataOperation: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
  participantType: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
} as const

/** Names the archive gives members and devices: practitioners' names, the devices' labels. */
export interface HistoryNames {
  memberName(memberId: string): string | undefined
  deviceName(deviceId: string): string | undefined
}

function memberReference(memberId: string, names: HistoryNames) {
  return compact({ identifier: { system: HISTORY_SYSTEMS.member, value: memberId }, display: names.memberName(memberId) })
}

function deviceReference(deviceId: string, names: HistoryNames) {
  return compact({ type: 'Device', identifier: { system: HISTORY_SYSTEMS.device, value: deviceId }, display: names.deviceName(deviceId) })
}

function provenance(target: { reference: string }, id: string, operation: 'CREATE' | 'UPDATE', at: number, by: Actor, names: HistoryNames): FhirResource {
  return {
    resourceType: 'Provenance',
    id,
    target: [target],
    recorded: fhirInstant(at),
    activity: { coding: [{ system: HISTORY_SYSTEMS.dataOperation, code: operation }] },
    agent: [
      { type: { coding: [{ system: HISTORY_SYSTEMS.participantType, code: 'author' }] }, who: memberReference(by.memberId, names) },
      { who: deviceReference(by.deviceId, names) },
    ],
  }
}

/** The record's creation and, when it changed since, its last change. `type`: the FHIR resource it was exported as. */
export function provenanceResources(type: 'Appointment' | 'DocumentReference', record: { readonly id: string } & Pick<RecordMeta, 'createdAt' | 'createdBy' | 'updatedAt' | 'updatedBy'>, names: HistoryNames): FhirResource[] {
  const target = { reference: `${type}/${fhirId(record.id)}` }
  const made = provenance(target, `${fhirId(record.id)}.creation`, 'CREATE', record.createdAt, record.createdBy, names)
  if (record.updatedAt === record.createdAt) return [made]
  return [made, provenance(target, `${fhirId(record.id)}.modification`, 'UPDATE', record.updatedAt, record.updatedBy, names)]
}

/** The `index`-th recorded opening of `patientId`'s clinical file. */
export function auditEventResource(entry: AccessEntry, patientId: string, index: number, names: HistoryNames): FhirResource {
  return {
    resourceType: 'AuditEvent',
    id: `${fhirId(patientId)}.acces.${index}`,
    type: { system: HISTORY_SYSTEMS.dicom, code: '110110', display: 'Patient Record' },
    action: 'R',
    recorded: fhirInstant(entry.at),
    outcome: '0',
    agent: [{ who: memberReference(entry.by.memberId, names), requestor: true }],
    source: { observer: deviceReference(entry.by.deviceId, names) },
    entity: [{ what: { reference: `Patient/${fhirId(patientId)}` } }],
  }
}
