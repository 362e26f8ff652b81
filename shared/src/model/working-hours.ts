/**
 * A practitioner's weekly working hours, stored on the practitioner record in the directory:
 *
 *   workingHours: { '1': [{ start: '08:00', end: '12:30' }, { start: '13:30', end: '19:00' }],
 *                   '2': [...], …, '6': [], '7': [] }
 *
 * Keys are ISO weekdays ('1' = Monday … '7' = Sunday); each day lists its intervals in order, on
 * the wall clock of the practice's time zone. Breaks are the gaps between intervals; a day with
 * no interval is a day off. A practitioner without the field works DEFAULT_WORKING_HOURS.
 */
import { z } from 'zod'
import { isLocalTime, isoWeekday } from './dates'
import { localTime } from './field-schemas'

export const ISO_WEEKDAYS = ['1', '2', '3', '4', '5', '6', '7'] as const
export type IsoWeekdayKey = (typeof ISO_WEEKDAYS)[number]

export type WorkingInterval = { start: string; end: string }
export type WorkingHours = { [K in IsoWeekdayKey]: WorkingInterval[] }

const weekdayHours = (): WorkingInterval[] => [
  { start: '08:00', end: '12:30' },
  { start: '13:30', end: '19:00' },
]

/** Monday to Friday, 8:00–12:30 and 13:30–19:00: what a practitioner works until told otherwise. */
export const DEFAULT_WORKING_HOURS: Readonly<WorkingHours> = {
  '1': weekdayHours(),
  '2': weekdayHours(),
  '3': weekdayHours(),
  '4': weekdayHours(),
  '5': weekdayHours(),
  '6': [],
  '7': [],
}

/** At most this many intervals a day: a morning, an afternoon, an evening and one more. */
export const MAX_INTERVALS_PER_DAY = 4

const interval = z.object({ start: localTime, end: localTime })

/**
 * One day's intervals: each ends after it starts, and each starts no earlier than the previous one
 * ends. An issue points at the interval's `end` (or `start` when it overlaps the one before).
 */
const dayIntervals = z
  .array(interval)
  .max(MAX_INTERVALS_PER_DAY)
  .superRefine((intervals, ctx) => {
    intervals.forEach((current, index) => {
      // An unreadable time already has its own issue; comparing it would add a second, wrong one.
      if (!isLocalTime(current.start) || !isLocalTime(current.end)) return
      if (current.end <= current.start) {
        ctx.addIssue({ code: 'custom', message: 'invalid_value', path: [index, 'end'] })
      }
      const previous = intervals[index - 1]
      if (previous && current.start < previous.end) {
        ctx.addIssue({ code: 'custom', message: 'invalid_value', path: [index, 'start'] })
      }
    })
  })

export const workingHoursSchema = z.object({
  '1': dayIntervals,
  '2': dayIntervals,
  '3': dayIntervals,
  '4': dayIntervals,
  '5': dayIntervals,
  '6': dayIntervals,
  '7': dayIntervals,
})

const storedInterval = z.object({ start: z.string(), end: z.string() })

/**
 * As read back from another device: the shape the grid relies on. A malformed value falls back to
 * the default hours rather than hiding the practitioner (see record-schemas.ts).
 */
export const storedWorkingHours = z
  .object({
    '1': z.array(storedInterval),
    '2': z.array(storedInterval),
    '3': z.array(storedInterval),
    '4': z.array(storedInterval),
    '5': z.array(storedInterval),
    '6': z.array(storedInterval),
    '7': z.array(storedInterval),
  })
  .optional()
  .catch(undefined)

/** The intervals worked on `localDate` by someone with `hours` (the default when absent). */
export function workingIntervalsOn(hours: WorkingHours | undefined, localDate: string): readonly WorkingInterval[] {
  const key = String(isoWeekday(localDate)) as IsoWeekdayKey
  return (hours ?? DEFAULT_WORKING_HOURS)[key]
}

/**
 * The parts of [from, to) (times 'HH:mm') not covered by `intervals`: what the grid shades as
 * outside working hours or as a break.
 */
export function offHours(intervals: readonly WorkingInterval[], from: string, to: string): WorkingInterval[] {
  const gaps: WorkingInterval[] = []
  let cursor = from
  for (const { start, end } of intervals) {
    if (end <= cursor) continue
    if (start >= to) break
    if (start > cursor) gaps.push({ start: cursor, end: start })
    if (end > cursor) cursor = end
  }
  if (cursor < to) gaps.push({ start: cursor, end: to })
  return gaps
}
