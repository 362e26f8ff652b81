/**
 * The archive's history read back (the inverse of client/src/export/fhir-history.ts):
 * each AuditEvent as an opening of a patient's file (access-log.ts), each Provenance as who created
 * or last changed an appointment or a note, and when (archive-stamps.ts gathers them). Shapes are
 * checked here; archive-read.ts checks the references.
 */
import { z } from 'zod'
import { accessEntrySchema, type AccessEntry, type Actor } from '../../../shared/src/model'
import { actor as actorSchema } from '../../../shared/src/model/field-schemas'
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
  activity: z.object({ coding: z.array(z.object({ system: z.string().optional(), code: z.string().optional() })).min(1) }),
  agent: z.array(z.object({ who: byIdentifier })).min(1),
})

/** What a Provenance says: the record it is about (type and archive id), what was done, when, by whom. */
export interface ProvenanceRead {
  readonly target: { readonly type: string; readonly id: string }
  readonly activity: 'CREATE' | 'UPDATE'
  readonly at: number
  /** The member and device ids are the archive's (archive-write.ts maps the member). */
  readonly by: Actor
}

/**
 * One Provenance as the export writes it (client/src/export/fhir-history.ts): activity CREATE or
 * UPDATE (v3-DataOperation), the member as the agent identified in `urn:tournee:member`, the device
 * as the one identified in `urn:tournee:device`. Shape, activity, instant and both agents checked.
 */
export function readProvenance(value: unknown, where: Where): ProvenanceRead {
  const r = readShape(provenance, value, where)
  const at = instant(r.recorded, where, 'recorded')
  const code = r.activity.coding.find((c) => c.system === HISTORY_SYSTEMS.dataOperation)?.code
  if (code !== 'CREATE' && code !== 'UPDATE') throw new ArchiveImportError('bad_field', 'activité attendue : CREATE ou UPDATE', { ...where, field: 'activity.coding' })
  const agent = (system: string) => r.agent.find((a) => a.who.identifier.system === system)?.who.identifier.value
  const by = actorSchema.safeParse({ memberId: agent(HISTORY_SYSTEMS.member), deviceId: agent(HISTORY_SYSTEMS.device) })
  if (!by.success) throw new ArchiveImportError('bad_field', 'membre ou appareil manquant', { ...where, field: 'agent' })
  return { target: referenceOf(r.target[0]!.reference), activity: code, at, by: by.data }
}
