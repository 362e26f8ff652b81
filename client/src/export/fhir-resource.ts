/**
 * What every FHIR R4 resource of the export shares: ids, references, instants, meta, and the
 * identifier systems. Resources are plain JSON objects, one per NDJSON line (Bulk Data layout).
 *
 * Ids: a record id is base64url (`A-Z a-z 0-9 - _`); a FHIR id allows `A-Z a-z 0-9 - .` (at most
 * 64). `_` becomes `.`, which no record id holds, so the mapping is one-to-one and an import can
 * find the record id again (`recordIdOf`).
 */
import type { RecordMeta } from '../../../shared/src/model'
import { toInstant } from '../../../shared/src/model/dates'

export type FhirResource = { readonly resourceType: string; readonly id: string } & Readonly<Record<string, unknown>>

export type FhirReference = { reference?: string; display?: string; identifier?: FhirIdentifier }
export type FhirIdentifier = { system: string; value: string; type?: { text: string }; use?: string }

/**
 * Identifier systems. NIR: the OID of the NIR (numéro d'inscription au répertoire); the identity
 * was never checked against the INSi service, so no resource claims it is a qualified INS (no
 * identity-reliability extension, type text says so). RPPS: the ANS national health professional
 * id (IDNPS) system, whose value is '8' followed by the 11-digit RPPS number.
 */
export const SYSTEMS = {
  nir: 'urn:oid:1.2.250.1.213.1.4.8',
  idnps: 'urn:oid:1.2.250.1.71.4.2.1',
} as const

export function fhirId(recordId: string): string {
  return recordId.replaceAll('_', '.')
}

export function recordIdOf(fhirIdValue: string): string {
  return fhirIdValue.replaceAll('.', '_')
}

export function reference(resourceType: string, recordId: string, display?: string): FhirReference {
  return { reference: `${resourceType}/${fhirId(recordId)}`, ...(display ? { display } : {}) }
}

/** An RPPS number as the IDNPS identifier. */
export function rppsIdentifier(rpps: string): FhirIdentifier {
  return { system: SYSTEMS.idnps, value: `8${rpps}`, type: { text: 'RPPS' } }
}

/** Epoch ms → FHIR instant ('2026-11-18T09:00:00.000Z'). */
export function fhirInstant(epochMs: number): string {
  return new Date(epochMs).toISOString()
}

/** A local date-time in its zone → FHIR instant. */
export function fhirLocalInstant(localDateTime: string, timeZone: string): string {
  return fhirInstant(toInstant(localDateTime, timeZone))
}

export function fhirMeta(record: Pick<RecordMeta, 'updatedAt'>): { lastUpdated: string } {
  return { lastUpdated: fhirInstant(record.updatedAt) }
}

/** Text as base64 of its UTF-8 bytes (Attachment.data), the same in the browser and in Node. */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  return btoa(binary)
}

/** Drops keys whose value is undefined or an empty array: FHIR forbids empty arrays and nulls. */
export function compact<T extends Record<string, unknown>>(object: T): T {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0) || value === '') continue
    out[key] = value
  }
  return out as T
}
