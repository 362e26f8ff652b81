/**
 * The archive's history read back (the inverse of client/src/export/fhir-history.ts):
 * each AuditEvent as an opening of a patient's file (access-log.ts), each Provenance as the
 * record it is about. Shapes are checked here; archive-read.ts checks the references.
 */
import { z } from 'zod'
import { accessEntrySchema, type AccessEntry } from '../../../shared/src/model'
import { HISTORY_SYSTEMS } from '../export/fhir-history'
import { fhirId, identifierShape, readShape, referenceOf, referenceShape } from './fhir-shapes'
import { ArchiveImportError } from './archive-error'
import type { Where } from './fhir-records'

const byIdentifier = z.object({ identifier: identifierShape })

const auditEvent = z.object({
  id: fhirId,
  resourceType: z.literal('AuditEvent'),
  type: z.object({ system: z.literal(HISTORY_SYSTEMS.dicom), code: z.literal('110110') }),
  action: z.literal('R'),
  recorded: z.string(),
  agent: z.array(z.object({ who: byIdentifier })).min(1),
  source: z.object({ observer: byIdentifier }),
  entity: z.array(z.object({ what: referenceShape })).min(1),
})

/** An instant as the export writes it ('2026-12-01T08:15:00.000Z') → epoch ms, or the named error. */
function instant(text: string, where: Where, field: string): number {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : Number.NaN
  if (!Number.isFinite(at) || at < 0) throw new ArchiveImportError('bad_field', `instant illisible « ${text} »`, { ...where, field })
  return at
}

export interface AccessRead {
  readonly patientId: string
  readonly entry: AccessEntry
  readonly where: Where
}

/** One recorded opening of a patient's file; the member and device ids are the archive's. */
export function readAuditEvent(value: unknown, where: Where): AccessRead {
  const r = readShape(auditEvent, value, where)
  const target = referenceOf(r.entity[0]!.what.reference)
  if (target.type !== 'Patient') throw new ArchiveImportError('bad_field', 'une ouverture de dossier vise un patient', { ...where, field: 'entity.0.what.reference' })
  const entry = accessEntrySchema.safeParse({
    kind: 'open',
    at: instant(r.recorded, where, 'recorded'),
    by: { memberId: r.agent[0]!.who.identifier.value, deviceId: r.source.observer.identifier.value },
  })
  if (!entry.success) throw new ArchiveImportError('bad_field', 'membre ou appareil manquant', { ...where, field: 'agent.0.who.identifier' })
  return { patientId: target.id, entry: entry.data, where }
}

const provenance = z.object({
  id: fhirId,
  resourceType: z.literal('Provenance'),
  target: z.array(referenceShape).min(1),
  recorded: z.string(),
  agent: z.array(z.object({ who: byIdentifier })).min(1),
})

/** The record a Provenance is about (type and archive id), its shape and instant checked. */
export function readProvenance(value: unknown, where: Where): { type: string; id: string } {
  const r = readShape(provenance, value, where)
  instant(r.recorded, where, 'recorded')
  return referenceOf(r.target[0]!.reference)
}
