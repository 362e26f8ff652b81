/**
 * A calendar's occurrences (ical-read.ts) as the practice's appointments: each given the
 * practitioner and the kind the person picked, matched to a patient when its SUMMARY holds one
 * patient's name (family name and first first name, in either order, accents and case aside),
 * else kept as a block titled with its SUMMARY. `planIcsImport` is the preview: every appointment
 * checked by the model's validator, each said new, already imported or changed in the file since
 * (ical-known.ts), nothing written; `writeIcsImport` writes the plan — creates the new ones, updates
 * the changed ones (time, length, title of a block, note: what the file says), skips the others —
 * and records it in the practice's imports (import-batch.ts), so « Annuler cet import » can remove
 * what it created.
 */
import {
  addAppointment,
  agendaDocId,
  moveAppointment,
  newRecordId,
  updateAppointment,
  foldText,
  monthOf,
  patientDisplayName,
  TEXT_LIMITS,
  validateAppointmentInput,
  ValidationError,
  type Actor,
  type AppointmentFields,
  type Clock,
  type Patient,
} from '../../../shared/src/model'
import { occurrenceHash, type KnownEvent } from './ical-known'
import { IcsImportError, type IcsOccurrence, type IcsRead } from './ical-read'
import { ImportRecord, type AppointmentRef } from './import-batch'
import type { UndoTarget } from './import-undo'

export interface IcsMapping {
  readonly practitionerId: string
  /** The kind given to appointments with a patient; blocks have none. */
  readonly kindId?: string | undefined
  readonly timeZone: string
  readonly patients: ReadonlyArray<Pick<Patient, 'id' | 'birthName' | 'usualName' | 'firstNames'>>
}

/** What the import does with an occurrence: create it, leave it (imported before, unchanged or deleted since), update it. */
export type IcsPlanStatus = 'new' | 'same' | 'changed'

export interface PlannedIcsAppointment {
  readonly fields: AppointmentFields
  /** The matched patient's display name; undefined for a block. */
  readonly patientName?: string | undefined
  readonly line: number
  readonly key: string
  readonly hash: string
  readonly status: IcsPlanStatus
  /** The appointment an earlier import made of this event, for 'changed'. */
  readonly existing?: AppointmentRef | undefined
}

/** The patients whose name the summary holds: family (birth or usual) name and first first name, as words. */
export function patientsNamed(summary: string, patients: IcsMapping['patients']): IcsMapping['patients'] {
  const words = ` ${foldText(summary)} `
  const has = (name: string) => {
    const folded = foldText(name)
    return folded !== '' && words.includes(` ${folded} `)
  }
  return patients.filter((p) => {
    const first = p.firstNames.split(/\s+/)[0] ?? ''
    return has(first) && (has(p.birthName) || (p.usualName !== undefined && has(p.usualName)))
  })
}

function clip(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined
  return value.length > max ? `${value.slice(0, max - 1)}…` : value
}

/** `known`: the events earlier imports wrote (ical-known.ts `knownEvents`); none, all are new. */
export function planIcsImport(read: IcsRead, mapping: IcsMapping, known: ReadonlyMap<string, KnownEvent> = new Map()): PlannedIcsAppointment[] {
  return read.occurrences.map((o: IcsOccurrence) => {
    const named = patientsNamed(o.summary, mapping.patients)
    // Two patients of the same name: a block rather than a guess.
    const patient = named.length === 1 ? named[0] : undefined
    const note = clip([o.location, o.description].filter(Boolean).join('\n') || undefined, TEXT_LIMITS.appointment.note)
    const input = {
      start: o.start,
      timeZone: mapping.timeZone,
      durationMin: o.durationMin,
      practitionerId: mapping.practitionerId,
      patientId: patient?.id,
      kindId: patient ? mapping.kindId : undefined,
      title: patient ? undefined : clip(o.summary || 'Rendez-vous', TEXT_LIMITS.appointment.title),
      place: 'practice' as const,
      note,
    }
    let fields: AppointmentFields
    try {
      fields = validateAppointmentInput(input)
    } catch (error) {
      if (error instanceof ValidationError) throw new IcsImportError(error.issues[0]?.message ?? error.message, o.line, error.issues[0]?.path)
      throw error
    }
    const hash = occurrenceHash(o)
    const before = known.get(o.key)
    const status: IcsPlanStatus = before === undefined ? 'new' : before.ref === undefined || before.hash === hash ? 'same' : 'changed'
    return { fields, patientName: patient ? patientDisplayName(patient) : undefined, line: o.line, key: o.key, hash, status, existing: status === 'changed' ? before?.ref : undefined }
  })
}

export interface IcsImportOutcome {
  readonly batchId: string
  readonly created: number
  readonly updated: number
  readonly unchanged: number
}

/**
 * Writes the plan: each new appointment listed in the import's record (before it is written: its
 * month doc is another doc) then created; each changed one updated, moved to its new month if it
 * must; each event's key and hash remembered for the next import of the file.
 */
export async function writeIcsImport(
  plan: readonly PlannedIcsAppointment[],
  target: UndoTarget,
  fileName: string,
  actor: Actor,
  clock: Clock,
): Promise<IcsImportOutcome> {
  const planned = plan.filter((p) => p.status === 'new').length
  const record = ImportRecord.start(target.directory, { source: 'calendar-ics', fileName, planned }, actor, clock)
  let created = 0
  let updated = 0
  for (const p of plan) {
    const month = monthOf(p.fields.start)
    if (p.status === 'new') {
      const ref = { month, id: newRecordId() }
      record.listAppointment(ref)
      addAppointment(await target.openDoc(agendaDocId(month)), p.fields, actor, clock, ref.id)
      record.rememberEvent(p.key, ref, p.hash)
      created++
    } else if (p.status === 'changed' && p.existing) {
      const { id } = p.existing
      const patch = { start: p.fields.start, durationMin: p.fields.durationMin, note: p.fields.note ?? null, ...(p.fields.title !== undefined ? { title: p.fields.title } : {}) }
      const from = await target.openDoc(agendaDocId(p.existing.month))
      if (p.existing.month === month) updateAppointment(from, id, patch, actor, clock)
      else moveAppointment(from, await target.openDoc(agendaDocId(month)), id, patch, actor, clock)
      record.rememberEvent(p.key, { month, id }, p.hash)
      updated++
    }
  }
  record.finish()
  return { batchId: record.batchId, created, updated, unchanged: plan.length - created - updated }
}
