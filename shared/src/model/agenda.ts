/**
 * An `agenda/YYYY-MM` doc holds the appointments whose local start date falls in that month:
 *
 *   doc.getMap('agenda')        { month: '2026-11' }
 *   doc.getMap('appointments')  id → Y.Map { start: '2026-11-23T14:30', timeZone: 'Europe/Paris',
 *                                            durationMin: 30, practitionerId, patientId?, status, … }
 *
 * Month routing: the caller opens `agendaDocId(monthOf(start))`. A doc knows its month from its
 * `agenda.month` key (set by `initAgendaDoc`) or, failing that, from its guid when the sync layer
 * names Y.Docs by doc id; adding an appointment of another month throws instead of hiding it
 * where no one will look. An appointment moved across months is copied (same id) into the new
 * month's doc and soft-deleted in the old one with `movedTo`.
 */
import type * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { appointmentPrefilter } from './appointment-prefilter'
import type { AppointmentFilter } from './appointment-prefilter'
import { AGENDA_MAPS } from './collections'
import { monthOf, zoneConverter } from './dates'
import type { ZoneConverter } from './dates'
import { DocIdError, isMonth, parseDocId } from './doc-ids'
import { isRecordId, newRecordId } from './ids'
import { appointmentShape } from './input-schemas'
import type { AppointmentInput, AppointmentStatus, Patch } from './input-schemas'
import { DEFAULT_TIME_ZONE } from './practice'
import { appointmentRecord } from './record-schemas'
import type { Appointment } from './record-schemas'
import {
  findRecord,
  insertRecord,
  isDeleted,
  markDeleted,
  readAll,
  readAllInSlices,
  readRecord,
  recordFields,
  requireRecord,
  unmarkDeleted,
  updateRecord,
} from './records'
import type { ListResult, ReadSlicing } from './records'
import { applyPatch, validateAppointmentInput } from './validation'
import type { AppointmentFields } from './validation'

export { monthOf } from './dates'

const NAME = AGENDA_MAPS.appointments
const KEYS = Object.keys(appointmentShape.shape)

export type AppointmentPatch = Patch<AppointmentInput>

/** The appointment's start is in another month than the doc it was written to. */
export class AgendaMonthError extends Error {
  override name = 'AgendaMonthError'

  constructor(
    readonly docMonth: string,
    readonly appointmentMonth: string,
  ) {
    super(
      `Appointment of ${appointmentMonth} written to the agenda of ${docMonth}: ` +
        `open agendaDocId('${appointmentMonth}') (or use moveAppointment to change month)`,
    )
  }
}

/** The doc does not say which month it holds. */
export class AgendaMonthUnknownError extends Error {
  override name = 'AgendaMonthUnknownError'

  constructor() {
    super("This Y.Doc is not an agenda doc: call initAgendaDoc(doc, 'YYYY-MM') or create it with guid agendaDocId(month)")
  }
}

/** Marks `doc` as the agenda of `month`. Idempotent, and replicas setting it concurrently agree. */
export function initAgendaDoc(doc: Y.Doc, month: string): void {
  if (!isMonth(month)) throw new DocIdError(`Agenda month must be 'YYYY-MM', got '${month}'`)
  const map = doc.getMap<unknown>(AGENDA_MAPS.agenda)
  if (map.get('month') !== month) map.set('month', month)
}

export function agendaMonthOfDoc(doc: Y.Doc): string {
  const stored = doc.getMap<unknown>(AGENDA_MAPS.agenda).get('month')
  if (isMonth(stored)) return stored
  try {
    const ref = parseDocId(doc.guid)
    if (ref.kind === 'agenda') return ref.month
  } catch (error) {
    if (!(error instanceof DocIdError)) throw error
  }
  throw new AgendaMonthUnknownError()
}

function withDefaults(fields: AppointmentFields): Record<string, unknown> {
  const defaults = {
    timeZone: fields.timeZone ?? DEFAULT_TIME_ZONE,
    place: fields.place ?? 'practice',
    status: fields.status ?? 'booked',
  }
  // A cancel reason only means something on a cancelled appointment.
  const cancelReason = defaults.status === 'cancelled' ? fields.cancelReason : undefined
  return { ...fields, ...defaults, cancelReason }
}

function checkMonth(doc: Y.Doc, start: string): void {
  const docMonth = agendaMonthOfDoc(doc)
  const month = monthOf(start)
  if (month !== docMonth) throw new AgendaMonthError(docMonth, month)
}

/**
 * Pass the practice's time zone in `input.timeZone`; absent, it is 'Europe/Paris'. `id` is chosen
 * by the caller only when it must list the id elsewhere before writing (an import's record lives
 * in the directory, another doc: client/src/import/import-batch.ts).
 */
export function addAppointment(doc: Y.Doc, input: AppointmentInput, actor: Actor, clock: Clock, id: string = newRecordId()): string {
  const fields = validateAppointmentInput(input)
  checkMonth(doc, fields.start)
  if (!isRecordId(id) || findRecord(doc, NAME, id)) throw new Error(`addAppointment: '${id}' is not a free record id`)
  insertRecord(doc, NAME, id, withDefaults(fields), actor, clock)
  return id
}

/**
 * Edits an appointment within its month; only changed fields are written. A new start in another
 * month throws AgendaMonthError: use moveAppointment.
 */
export function updateAppointment(doc: Y.Doc, id: string, patch: AppointmentPatch, actor: Actor, clock: Clock): boolean {
  return updateRecord(
    doc,
    NAME,
    id,
    patch,
    (merged) => {
      const fields = validateAppointmentInput(merged)
      checkMonth(doc, fields.start)
      return withDefaults(fields)
    },
    KEYS,
    actor,
    clock,
  )
}

export function setAppointmentStatus(
  doc: Y.Doc,
  id: string,
  status: AppointmentStatus,
  actor: Actor,
  clock: Clock,
  cancelReason?: string,
): boolean {
  return updateAppointment(doc, id, { status, cancelReason: cancelReason ?? null }, actor, clock)
}

export function softDeleteAppointment(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  markDeleted(doc, requireRecord(doc, NAME, id), actor, clock)
}

export function restoreAppointment(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  unmarkDeleted(doc, requireRecord(doc, NAME, id), actor, clock)
}

/**
 * Moves an appointment to another month's doc (its start changed month): the copy keeps its id
 * and creation stamps; the original is soft-deleted with `movedTo`. The copy is written first, so
 * if the app stops between the two writes the appointment shows twice rather than not at all.
 */
export function moveAppointment(
  from: Y.Doc,
  to: Y.Doc,
  id: string,
  patch: AppointmentPatch,
  actor: Actor,
  clock: Clock,
): void {
  const record = requireRecord(from, NAME, id)
  const fields = validateAppointmentInput(applyPatch(recordFields(record), patch, 'appointment'))
  checkMonth(to, fields.start)
  const copy = insertRecord(to, NAME, id, withDefaults(fields), actor, clock)
  to.transact(() => {
    for (const key of ['createdAt', 'createdBy']) {
      const value: unknown = record.get(key)
      if (value !== undefined) copy.set(key, value)
    }
  })
  from.transact(() => {
    record.set('movedTo', agendaMonthOfDoc(to))
    markDeleted(from, record, actor, clock)
  })
}

export function getAppointment(doc: Y.Doc, id: string): Appointment | undefined {
  const record = findRecord(doc, NAME, id)
  if (!record) return undefined
  const read = readRecord(NAME, id, record, appointmentRecord)
  return read.ok ? read.record : undefined
}

export type ListAppointmentsOptions = AppointmentFilter

export function compareAppointments(a: Appointment, b: Appointment): number {
  return a.start.localeCompare(b.start) || a.practitionerId.localeCompare(b.practitionerId) || a.id.localeCompare(b.id)
}

/**
 * Sorted by start (local wall-clock), then practitioner, then id. Records ruled out by their raw
 * fields are skipped unvalidated (appointment-prefilter.ts): `issues` lists the malformed records
 * that could have matched, not every malformed record of the month.
 */
export function listAppointments(doc: Y.Doc, options: ListAppointmentsOptions = {}): ListResult<Appointment> {
  const result = readAll(doc, NAME, appointmentRecord, appointmentKeep(options), appointmentPrefilter(options))
  result.items.sort(compareAppointments)
  return result
}

/**
 * listAppointments with the thread given back between slices of records validated (ReadSlicing):
 * for a page reading weeks of a busy practice's agenda outside a render (the first-screen record).
 */
export async function listAppointmentsInSlices(doc: Y.Doc, options: ListAppointmentsOptions, slicing: ReadSlicing): Promise<ListResult<Appointment>> {
  const result = await readAllInSlices(doc, NAME, appointmentRecord, appointmentKeep(options), appointmentPrefilter(options), slicing)
  result.items.sort(compareAppointments)
  return result
}

function appointmentKeep(options: ListAppointmentsOptions): (a: Appointment) => boolean {
  return (a) => {
    const day = a.start.slice(0, 10)
    return (
      (options.includeDeleted || !isDeleted(a)) &&
      (options.day === undefined || day === options.day) &&
      (options.from === undefined || day >= options.from) &&
      (options.to === undefined || day <= options.to) &&
      (options.practitionerId === undefined || a.practitionerId === options.practitionerId) &&
      (options.patientId === undefined || a.patientId === options.patientId)
    )
  }
}

/** The local end of an appointment, on the wall clock ('2026-11-23T15:00'). */
export function appointmentEnd(a: Pick<Appointment, 'start' | 'durationMin' | 'timeZone'>): string {
  const zone = safeZoneConverter(a.timeZone)
  return zone.fromInstant(zone.toInstant(a.start) + a.durationMin * 60_000)
}

/**
 * Records read from another device are checked for the shape of a zone name, not against the tz
 * database (that costs an Intl formatter per record). A zone this runtime does not know falls back
 * to UTC arithmetic: durations stay right except across a DST change, and the view still renders.
 */
function safeZoneConverter(timeZone: string): ZoneConverter {
  try {
    return zoneConverter(timeZone)
  } catch (error) {
    if (error instanceof RangeError) return zoneConverter('UTC')
    throw error
  }
}

/** Two appointments of one practitioner whose times intersect; `a` starts no later than `b`. */
export type AppointmentOverlap = readonly [a: string, b: string]

/**
 * Pairs of live appointments of the same practitioner whose intervals intersect (touching ends do
 * not). Cancelled and deleted appointments free their slot. Intervals are computed on real instants
 * so an appointment across a DST change has its true length. Overlaps are shown, never prevented:
 * after an offline merge they are facts to resolve, not errors.
 */
export function findOverlaps(appointments: readonly Appointment[]): AppointmentOverlap[] {
  const zones = new Map<string, ZoneConverter>()
  const zoneOf = (timeZone: string) => {
    const known = zones.get(timeZone)
    if (known) return known
    const made = safeZoneConverter(timeZone)
    zones.set(timeZone, made)
    return made
  }
  const live = appointments
    .filter((a) => a.status !== 'cancelled' && !isDeleted(a))
    .map((a) => {
      const start = zoneOf(a.timeZone).toInstant(a.start)
      return { id: a.id, practitionerId: a.practitionerId, start, end: start + a.durationMin * 60_000 }
    })
    .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
  const pairs: AppointmentOverlap[] = []
  for (let i = 0; i < live.length; i++) {
    const a = live[i]!
    for (let j = i + 1; j < live.length; j++) {
      const b = live[j]!
      if (b.start >= a.end) break
      if (b.practitionerId === a.practitionerId) pairs.push([a.id, b.id])
    }
  }
  return pairs
}

/** Ids of appointments that take part in any overlap, for highlighting. */
export function overlappingIds(overlaps: readonly AppointmentOverlap[]): Set<string> {
  return new Set(overlaps.flat())
}
