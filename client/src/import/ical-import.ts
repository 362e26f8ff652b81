/**
 * A calendar's occurrences (ical-read.ts) as the practice's appointments: each given the
 * practitioner and the kind the person picked, matched to a patient when its SUMMARY holds one
 * patient's name (family name and first first name, in either order, accents and case aside),
 * else kept as a block titled with its SUMMARY. `planIcsImport` is the preview: every appointment
 * checked by the model's validator, nothing written; `writeIcsImport` writes the plan.
 */
import type * as Y from 'yjs'
import {
  addAppointment,
  agendaDocId,
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
import { IcsImportError, type IcsOccurrence, type IcsRead } from './ical-read'

export interface IcsMapping {
  readonly practitionerId: string
  /** The kind given to appointments with a patient; blocks have none. */
  readonly kindId?: string | undefined
  readonly timeZone: string
  readonly patients: ReadonlyArray<Pick<Patient, 'id' | 'birthName' | 'usualName' | 'firstNames'>>
}

export interface PlannedIcsAppointment {
  readonly fields: AppointmentFields
  /** The matched patient's display name; undefined for a block. */
  readonly patientName?: string | undefined
  readonly line: number
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

export function planIcsImport(read: IcsRead, mapping: IcsMapping): PlannedIcsAppointment[] {
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
    return { fields, patientName: patient ? patientDisplayName(patient) : undefined, line: o.line }
  })
}

/** Writes the planned appointments, month doc by month doc. Returns the new ids. */
export async function writeIcsImport(
  plan: readonly PlannedIcsAppointment[],
  openDoc: (docId: string) => Promise<Y.Doc>,
  actor: Actor,
  clock: Clock,
): Promise<string[]> {
  const ids: string[] = []
  for (const { fields } of plan) ids.push(addAppointment(await openDoc(agendaDocId(monthOf(fields.start))), fields, actor, clock))
  return ids
}
