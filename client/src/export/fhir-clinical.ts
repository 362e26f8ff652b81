/**
 * A patient's clinical file as FHIR: ordonnances as ServiceRequests (prescriber, date, sessions
 * prescribed, indication), session notes and bilans as DocumentReferences holding their text, and
 * attachments as DocumentReferences pointing at their file in the archive.
 */
import type { Attachment, Note, Prescription } from '../../../shared/src/model'
import { base64Utf8, compact, fhirId, fhirInstant, fhirMeta, reference, rppsIdentifier, type FhirResource } from './fhir-resource'

export function serviceRequestResource(p: Prescription, patientId: string): FhirResource {
  return compact({
    resourceType: 'ServiceRequest',
    id: fhirId(p.id),
    meta: fhirMeta(p),
    status: 'active',
    intent: 'order',
    code: { text: 'Ordonnance' },
    subject: reference('Patient', patientId),
    authoredOn: p.date,
    requester: compact({ display: p.prescriberName, identifier: p.prescriberRpps ? rppsIdentifier(p.prescriberRpps) : undefined }),
    reasonCode: p.indication ? [{ text: p.indication }] : undefined,
    quantityQuantity: p.sessionsPrescribed !== undefined ? { value: p.sessionsPrescribed, unit: 'séances' } : undefined,
  })
}

export const NOTE_TITLES = { session: 'Note de séance', assessment: 'Bilan' } as const

export function noteResource(n: Note, patientId: string): FhirResource {
  return compact({
    resourceType: 'DocumentReference',
    id: fhirId(n.id),
    meta: fhirMeta(n),
    status: 'current',
    type: { text: NOTE_TITLES[n.kind] },
    subject: reference('Patient', patientId),
    date: fhirInstant(n.createdAt),
    content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: base64Utf8(n.text), title: `${NOTE_TITLES[n.kind]} du ${n.date}`, creation: n.date } }],
    context: n.appointmentId ? { related: [reference('Appointment', n.appointmentId)] } : undefined,
  })
}

/** A path of the archive as a relative URL (FHIR's url type allows no spaces): each segment percent-encoded. */
export function archiveUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

/** `path`: the file's path in the archive, or undefined when this device could not read it. */
export function attachmentResource(a: Attachment, patientId: string, path: string | undefined): FhirResource {
  return compact({
    resourceType: 'DocumentReference',
    id: fhirId(a.id),
    meta: fhirMeta(a),
    status: 'current',
    type: { text: 'Pièce jointe' },
    subject: reference('Patient', patientId),
    date: fhirInstant(a.createdAt),
    description: path ? undefined : "Fichier absent de l'archive : cet appareil n'a pas pu le lire",
    content: [{ attachment: compact({ contentType: a.mime, url: path ? archiveUrl(path) : undefined, size: a.size, title: a.name }) }],
    context: a.prescriptionId ? { related: [reference('ServiceRequest', a.prescriptionId)] } : undefined,
  })
}
