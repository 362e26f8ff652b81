/**
 * Appointment series ("10 séances, lundi et jeudi à 9 h 00"): a record in the directory's `series`
 * collection, and ordinary appointments — one per occurrence, each in the agenda doc of its own
 * month — that point back to it with `seriesId` and `occurrence` (1-based):
 *
 *   directory  series      id → Y.Map { rule: 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;COUNT=10',
 *                                        firstStart: '2026-11-02T09:00', timeZone: 'Europe/Paris',
 *                                        durationMin: 30, practitionerId, patientId?, kindId?,
 *                                        title?, place?, total: 10,
 *                                        months: Y.Map { '2026-11': true, '2026-12': true }, stamps }
 *   agenda/2026-11  appointments  id → { start: '2026-11-02T09:00', seriesId, occurrence: 1, … }
 *
 * The series record says what was created; the occurrences are the truth from then on: each can be
 * moved, edited or cancelled alone and stays in the series (an exception, in RFC 5545 terms).
 * `months` is a nested Y.Map so that two devices adding months concurrently both keep theirs; it
 * lists every month doc that holds (or held) an occurrence, so the series can be found again
 * without opening ten years of agenda.
 *
 * Deviations from the contract agreed with agenda-ui (see docs/data-model.md):
 * - editSeriesOccurrences / cancelSeriesOccurrences take the occurrence as an `Appointment` (or
 *   any `{ id, seriesId }`), not a bare id: an id alone does not say which series or month to open.
 * - An occurrence moved to another month must go through editSeriesOccurrences (scope 'this'), not
 *   moveAppointment directly, so that the series records the new month.
 * - 'following' means this occurrence and every later one (higher `occurrence`) that is still to
 *   happen (status 'booked' or 'arrived', not deleted); cancelled, done and no-show occurrences
 *   are history and are left as they are.
 */
import * as Y from 'yjs'
import { z } from 'zod'
import type { Actor, Clock } from './actor'
import { addAppointment, agendaMonthOfDoc, listAppointments, moveAppointment, setAppointmentStatus, updateAppointment } from './agenda'
import type { AppointmentPatch } from './agenda'
import { DIRECTORY_MAPS } from './collections'
import { addMinutes, minutesBetween, monthOf } from './dates'
import * as f from './field-schemas'
import { newRecordId } from './ids'
import type { AppointmentInput } from './input-schemas'
import { PLACES } from './input-schemas'
import { DEFAULT_TIME_ZONE } from './practice'
import type { Appointment } from './record-schemas'
import { findRecord, insertRecord, isDeleted, readAll, readRecord, requireRecord } from './records'
import type { ListResult } from './records'
import { expandSeries, formatRRule } from './series-rule'
import type { SeriesRule } from './series-rule'
import { applyPatch, validateAppointmentInput } from './validation'

export * from './series-rule'

const NAME = DIRECTORY_MAPS.series

export const seriesRecord = z.object({
  rule: z.string(),
  firstStart: f.localDateTime,
  timeZone: f.storedTimeZone,
  durationMin: f.int(5, 720),
  practitionerId: z.string(),
  patientId: z.string().optional(),
  kindId: z.string().optional(),
  title: z.string().optional(),
  place: z.enum(PLACES).catch('practice'),
  total: z.number().int().min(1),
  months: z.record(z.string(), z.boolean()).catch({}),
  ...f.recordMeta,
})

export type Series = { readonly id: string } & z.output<typeof seriesRecord>

/** Opens (loading if needed) the agenda doc of a month: `agendaDocId(month)` in the sync layer. */
export type OpenMonth = (month: string) => Promise<Y.Doc>

/** An occurrence of a series, as `editSeriesOccurrences` needs it: an Appointment will do. */
export type OccurrenceRef = Pick<Appointment, 'id'> & { readonly seriesId?: string | undefined }

export type SeriesScope = 'this' | 'following'

/** The occurrence is not part of a series, or its series is not (yet) in this directory. */
export class SeriesNotFoundError extends Error {
  override name = 'SeriesNotFoundError'

  constructor(readonly seriesId: string | undefined) {
    super(
      seriesId === undefined
        ? 'This appointment is not an occurrence of a series: edit it with updateAppointment'
        : `No series '${seriesId}' in this directory: it may not have synced yet`,
    )
  }
}

/** The appointment was not found in any month doc of its series. */
export class OccurrenceNotFoundError extends Error {
  override name = 'OccurrenceNotFoundError'

  constructor(
    readonly seriesId: string,
    readonly appointmentId: string,
  ) {
    super(`Appointment '${appointmentId}' is not in the month docs of series '${seriesId}': it may not have synced yet`)
  }
}

export function getSeries(directory: Y.Doc, id: string): Series | undefined {
  const record = findRecord(directory, NAME, id)
  if (!record) return undefined
  const read = readRecord(NAME, id, record, seriesRecord)
  return read.ok ? read.record : undefined
}

/** A patient's series (or all), oldest first. */
export function listSeries(
  directory: Y.Doc,
  options: { patientId?: string; includeDeleted?: boolean } = {},
): ListResult<Series> {
  const result = readAll(
    directory,
    NAME,
    seriesRecord,
    (s) => (options.includeDeleted || !isDeleted(s)) && (options.patientId === undefined || s.patientId === options.patientId),
  )
  result.items.sort((a, b) => a.firstStart.localeCompare(b.firstStart) || a.id.localeCompare(b.id))
  return result
}

function monthsMap(directory: Y.Doc, seriesId: string): Y.Map<boolean> {
  const record = requireRecord(directory, NAME, seriesId)
  const months: unknown = record.get('months')
  if (months instanceof Y.Map) return months as Y.Map<boolean>
  // A record written without the nested map (another version): give it one.
  const made = new Y.Map<boolean>()
  record.set('months', made)
  return made
}

function noteMonths(directory: Y.Doc, seriesId: string, months: Iterable<string>): void {
  directory.transact(() => {
    const map = monthsMap(directory, seriesId)
    for (const month of months) if (map.get(month) !== true) map.set(month, true)
  })
}

/**
 * Creates a series and all its occurrences. `input` is the first occurrence (its `start` is the
 * series' first start, which is only an occurrence if it falls on one of `rule.byDay`); `rule`
 * is validated against it. The series record (with the months it will use) is written first, then
 * every month doc is opened, then the occurrences are written: an interruption leaves a series
 * with some occurrences missing, never occurrences without their series.
 */
export async function createSeries(
  directory: Y.Doc,
  openMonth: OpenMonth,
  input: AppointmentInput,
  rule: SeriesRule,
  actor: Actor,
  clock: Clock,
): Promise<{ seriesId: string; appointmentIds: string[] }> {
  const fields = validateAppointmentInput(input)
  const starts = expandSeries(rule, fields.start)
  const months = [...new Set(starts.map(monthOf))]
  const docs = new Map<string, Y.Doc>()
  for (const month of months) docs.set(month, await openMonth(month))

  const seriesId = newRecordId()
  directory.transact(() => {
    const record = insertRecord(
      directory,
      NAME,
      seriesId,
      {
        rule: formatRRule(rule),
        firstStart: fields.start,
        timeZone: fields.timeZone ?? DEFAULT_TIME_ZONE,
        durationMin: fields.durationMin,
        practitionerId: fields.practitionerId,
        patientId: fields.patientId,
        kindId: fields.kindId,
        title: fields.title,
        place: fields.place ?? 'practice',
        total: starts.length,
      },
      actor,
      clock,
    )
    const map = new Y.Map<boolean>()
    record.set('months', map)
    for (const month of months) map.set(month, true)
  })

  const appointmentIds = starts.map((start, i) =>
    addAppointment(docs.get(monthOf(start))!, { ...input, start, seriesId, occurrence: i + 1 }, actor, clock),
  )
  return { seriesId, appointmentIds }
}

/** "séance 4 / 10": the occurrence's number and the series' size. */
export function seriesPosition(
  appointment: Pick<Appointment, 'occurrence'>,
  series: Pick<Series, 'total'>,
): { index: number; total: number } {
  return { index: appointment.occurrence ?? 1, total: series.total }
}

/** An occurrence and the month doc holding it. */
export type LocatedOccurrence = { appointment: Appointment; doc: Y.Doc }

/**
 * Every live occurrence of a series, by occurrence number, read from the month docs the series
 * records. An interrupted cross-month move can leave one appointment live in two docs: the copy in
 * the later-written doc (the one the original's `movedTo` names) is kept.
 */
export async function listSeriesOccurrences(
  directory: Y.Doc,
  openMonth: OpenMonth,
  seriesId: string,
): Promise<LocatedOccurrence[]> {
  if (!getSeries(directory, seriesId)) throw new SeriesNotFoundError(seriesId)
  const months = [...monthsMap(directory, seriesId).keys()].sort()
  const byId = new Map<string, LocatedOccurrence>()
  for (const month of months) {
    const doc = await openMonth(month)
    for (const appointment of listAppointments(doc).items) {
      if (appointment.seriesId !== seriesId) continue
      const seen = byId.get(appointment.id)
      // The copy of a move is written after the original was last changed.
      if (!seen || appointment.updatedAt > seen.appointment.updatedAt) byId.set(appointment.id, { appointment, doc })
    }
  }
  return [...byId.values()].sort(
    (a, b) => (a.appointment.occurrence ?? 0) - (b.appointment.occurrence ?? 0) || a.appointment.start.localeCompare(b.appointment.start),
  )
}

const PENDING: ReadonlySet<string> = new Set(['booked', 'arrived'])

async function targets(
  directory: Y.Doc,
  openMonth: OpenMonth,
  ref: OccurrenceRef,
  scope: SeriesScope,
): Promise<{ seriesId: string; target: LocatedOccurrence; all: LocatedOccurrence[] }> {
  const seriesId = ref.seriesId
  if (seriesId === undefined || !getSeries(directory, seriesId)) throw new SeriesNotFoundError(seriesId)
  const occurrences = await listSeriesOccurrences(directory, openMonth, seriesId)
  const target = occurrences.find((o) => o.appointment.id === ref.id)
  if (!target) throw new OccurrenceNotFoundError(seriesId, ref.id)
  if (scope === 'this') return { seriesId, target, all: [target] }
  const from = target.appointment.occurrence ?? 0
  const later = occurrences.filter(
    (o) => o !== target && (o.appointment.occurrence ?? 0) > from && PENDING.has(o.appointment.status),
  )
  return { seriesId, target, all: [target, ...later] }
}

/** What an edit of occurrences may change: not which series they belong to, nor their number. */
export type OccurrencePatch = Omit<AppointmentPatch, 'seriesId' | 'occurrence'>

/**
 * Edits one occurrence ('this') or it and the following ones still to happen ('following').
 * A change of `start` moves each of them by the same wall-clock shift (moving the 4th from lundi
 * 9:00 to lundi 10:30 moves the later ones 1 h 30 later on their own dates); an occurrence whose
 * new start is in another month is moved to that month's doc (`moveAppointment`) and the series
 * records the month. Other fields of the patch are written as they are. Returns the ids changed.
 */
export async function editSeriesOccurrences(
  directory: Y.Doc,
  openMonth: OpenMonth,
  occurrence: OccurrenceRef,
  scope: SeriesScope,
  patch: OccurrencePatch,
  actor: Actor,
  clock: Clock,
): Promise<string[]> {
  const rest: AppointmentPatch = { ...patch }
  delete rest.seriesId
  delete rest.occurrence
  const { seriesId, target, all } = await targets(directory, openMonth, occurrence, scope)
  const shift = rest.start == null ? 0 : minutesBetween(target.appointment.start, rest.start)

  // Compute and validate every new value before writing anything, so a bad patch changes nothing.
  const plans = all.map(({ appointment, doc }) => {
    const start = shift === 0 ? appointment.start : addMinutes(appointment.start, shift)
    const own: AppointmentPatch = { ...rest, start }
    validateAppointmentInput(applyPatch({ ...appointment }, own, 'appointment'))
    return { appointment, doc, patch: own, month: monthOf(start) }
  })
  const newMonths = plans.map((p) => p.month).filter((m, i, list) => list.indexOf(m) === i)
  const docs = new Map<string, Y.Doc>()
  for (const month of newMonths) docs.set(month, await openMonth(month))
  noteMonths(directory, seriesId, newMonths)

  const changed: string[] = []
  for (const plan of plans) {
    const to = docs.get(plan.month)!
    if (agendaMonthOfDoc(plan.doc) === plan.month) {
      if (updateAppointment(plan.doc, plan.appointment.id, plan.patch, actor, clock)) changed.push(plan.appointment.id)
    } else {
      moveAppointment(plan.doc, to, plan.appointment.id, plan.patch, actor, clock)
      changed.push(plan.appointment.id)
    }
  }
  return changed
}

/**
 * Cancels one occurrence ('this') or it and the following ones still to happen ('following'),
 * with a reason. Cancelled occurrences stay in their docs and in the series (they keep their
 * number: "séance 5 / 10" is still the fifth). Returns the ids cancelled.
 */
export async function cancelSeriesOccurrences(
  directory: Y.Doc,
  openMonth: OpenMonth,
  occurrence: OccurrenceRef,
  scope: SeriesScope,
  reason: string | undefined,
  actor: Actor,
  clock: Clock,
): Promise<string[]> {
  const { all } = await targets(directory, openMonth, occurrence, scope)
  const changed: string[] = []
  for (const { appointment, doc } of all) {
    if (setAppointmentStatus(doc, appointment.id, 'cancelled', actor, clock, reason)) changed.push(appointment.id)
  }
  return changed
}
