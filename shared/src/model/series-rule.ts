/**
 * Recurrence rules of appointment series: the weekly subset of RFC 5545 RRULE that practices use
 * ("10 séances, lundi et jeudi à 9 h 00 à partir du 2 novembre"), stored as RRULE text:
 *
 *   FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;COUNT=10
 *   FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20261231T235959
 *
 * Expansion works on the wall clock (LocalDateTime, no offset): a 9:00 series stays at 9:00 across
 * the daylight-saving changes; the instant each occurrence denotes is `toInstant(start, timeZone)`.
 *
 * Semantics, following RFC 5545 with WKST=MO (the French week):
 * - Weeks are counted from the Monday of the first start's week; with INTERVAL=n only every n-th
 *   week has occurrences.
 * - Occurrences are the BYDAY days of those weeks on or after the first start's date, at the first
 *   start's time. A first date that is not one of the BYDAY days is not an occurrence itself
 *   ("lundi et jeudi à partir du mercredi 4": the first occurrence is jeudi 5).
 * - UNTIL is a local date, inclusive. It is written as the floating date-time 'YYYYMMDDT235959'
 *   because RFC 5545 wants UNTIL of the same type as a floating DTSTART; 'YYYYMMDD' is read too.
 * - COUNT counts occurrences of the rule; exceptions (RFC 5545 EXDATE) are removed afterwards and
 *   do not extend the series, as the RFC says.
 * - A series never has more than MAX_SERIES_OCCURRENCES occurrences: validation refuses a rule
 *   that would make more (count above it, or an until date too far away).
 */
import { z } from 'zod'
import { addDays, datePart, isoWeekday, startOfWeek, timePart } from './dates'
import * as f from './field-schemas'
import { ISSUE_MESSAGES, ValidationError, dropBlanks, runSchema } from './validation'
import type { ValidationIssue } from './validation'

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const
export type Weekday = (typeof WEEKDAYS)[number]

/** A prescription is at most 200 sessions (prescriptions.sessionsPrescribed); so is a series. */
export const MAX_SERIES_OCCURRENCES = 200
/** Every 52 weeks is the longest interval a weekly series has a use for. */
export const MAX_SERIES_INTERVAL = 52

export type SeriesRule = {
  freq: 'WEEKLY'
  byDay: Weekday[]
  interval: number
  count?: number
  /** LocalDate, inclusive. */
  until?: string
}

const seriesRuleShape = z.object({
  freq: z.literal('WEEKLY'),
  byDay: z.array(z.enum(WEEKDAYS)).min(1),
  interval: f.int(1, MAX_SERIES_INTERVAL),
  count: f.int(1, MAX_SERIES_OCCURRENCES).optional(),
  until: f.localDate.optional(),
})

/** Exactly one of count / until: an endless series would fill every month doc for ever. */
export const seriesRuleFields = seriesRuleShape.superRefine((rule, ctx) => {
  if (rule.count === undefined && rule.until === undefined) {
    ctx.addIssue({ code: 'custom', message: 'required', path: ['count'] })
  }
  if (rule.count !== undefined && rule.until !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'invalid_value', path: ['until'] })
  }
})

function normalizeByDay(days: readonly Weekday[]): Weekday[] {
  return WEEKDAYS.filter((d) => days.includes(d))
}

/**
 * Validates a rule from a form or an import: issues name the field ('byDay', 'count', 'interval',
 * 'until'). Given the series' first start, also checks that `until` is not before it and that the
 * rule makes at least one and at most MAX_SERIES_OCCURRENCES occurrences. `byDay` comes back in
 * week order without duplicates.
 */
export function validateSeriesRule(input: unknown, firstStart?: string): SeriesRule {
  const parsed = runSchema(seriesRuleFields, dropBlanks(input), 'series rule')
  const rule: SeriesRule = { ...parsed, byDay: normalizeByDay(parsed.byDay) }
  if (firstStart === undefined) return rule
  const issue = (path: string): ValidationIssue => ({ path, code: 'out_of_range', message: ISSUE_MESSAGES.out_of_range })
  if (rule.until !== undefined) {
    if (rule.until < datePart(firstStart)) throw new ValidationError('series rule', [issue('until')])
    const made = expandRule(rule, firstStart, MAX_SERIES_OCCURRENCES + 1).length
    if (made === 0 || made > MAX_SERIES_OCCURRENCES) throw new ValidationError('series rule', [issue('until')])
  }
  return rule
}

/** RRULE text could not be read: it names the part that is wrong. */
export class RRuleSyntaxError extends Error {
  override name = 'RRuleSyntaxError'
}

function compactDate(localDate: string): string {
  return localDate.replaceAll('-', '')
}

/** 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;COUNT=10'. The rule is validated first. */
export function formatRRule(input: SeriesRule): string {
  const rule = validateSeriesRule(input)
  const parts = [`FREQ=${rule.freq}`, `INTERVAL=${rule.interval}`, `BYDAY=${rule.byDay.join(',')}`]
  if (rule.count !== undefined) parts.push(`COUNT=${rule.count}`)
  if (rule.until !== undefined) parts.push(`UNTIL=${compactDate(rule.until)}T235959`)
  return parts.join(';')
}

const UNTIL_PATTERN = /^(\d{4})(\d{2})(\d{2})(T\d{6})?$/

/**
 * Reads RRULE text (with or without the 'RRULE:' prefix). Parts it does not support (FREQ other
 * than WEEKLY, BYMONTHDAY, a UTC UNTIL…) throw RRuleSyntaxError rather than being ignored: a rule
 * read wrongly would book the wrong days. The result is validated like form input.
 */
export function parseRRule(text: string): SeriesRule {
  const body = text.trim().replace(/^RRULE:/i, '')
  const out: Record<string, unknown> = { interval: 1 }
  const seen = new Set<string>()
  for (const part of body.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new RRuleSyntaxError(`RRULE part '${part}' is not NAME=VALUE`)
    const name = part.slice(0, eq).toUpperCase()
    const value = part.slice(eq + 1).toUpperCase()
    if (seen.has(name)) throw new RRuleSyntaxError(`RRULE part ${name} appears twice`)
    seen.add(name)
    switch (name) {
      case 'FREQ':
        if (value !== 'WEEKLY') throw new RRuleSyntaxError(`Only FREQ=WEEKLY series are supported, got FREQ=${value}`)
        out.freq = value
        break
      case 'INTERVAL':
        if (!/^\d+$/.test(value)) throw new RRuleSyntaxError(`INTERVAL must be a whole number, got '${value}'`)
        out.interval = Number(value)
        break
      case 'COUNT':
        if (!/^\d+$/.test(value)) throw new RRuleSyntaxError(`COUNT must be a whole number, got '${value}'`)
        out.count = Number(value)
        break
      case 'BYDAY': {
        const days = value.split(',')
        const unknown = days.find((d) => !(WEEKDAYS as readonly string[]).includes(d))
        if (unknown !== undefined) throw new RRuleSyntaxError(`BYDAY takes MO…SU without ordinals, got '${unknown}'`)
        out.byDay = days
        break
      }
      case 'UNTIL': {
        const m = UNTIL_PATTERN.exec(value)
        if (!m) throw new RRuleSyntaxError(`UNTIL must be a floating local date 'YYYYMMDD[THHMMSS]', got '${value}'`)
        out.until = `${m[1]}-${m[2]}-${m[3]}`
        break
      }
      case 'WKST':
        if (value !== 'MO') throw new RRuleSyntaxError(`Weeks start on Monday (WKST=MO), got WKST=${value}`)
        break
      default:
        throw new RRuleSyntaxError(`RRULE part ${name} is not supported`)
    }
  }
  if (out.freq === undefined) throw new RRuleSyntaxError('RRULE has no FREQ')
  return validateSeriesRule(out)
}

function expandRule(rule: SeriesRule, firstStart: string, limit: number): string[] {
  const firstDate = datePart(firstStart)
  const time = timePart(firstStart)
  const offsets = normalizeByDay(rule.byDay).map((d) => WEEKDAYS.indexOf(d))
  const max = Math.min(limit, rule.count ?? limit)
  const out: string[] = []
  if (offsets.length === 0) return out
  for (let monday = startOfWeek(firstDate); ; monday = addDays(monday, 7 * rule.interval)) {
    for (const offset of offsets) {
      const date = addDays(monday, offset)
      if (date < firstDate) continue
      if (rule.until !== undefined && date > rule.until) return out
      out.push(`${date}T${time}`)
      if (out.length >= max) return out
    }
  }
}

export type ExpandOptions = {
  /** LocalDateTimes to leave out (RFC 5545 EXDATE): a holiday, a week of leave. */
  exceptions?: readonly string[]
}

/**
 * The occurrences' local start date-times, in order, at most MAX_SERIES_OCCURRENCES. The rule is
 * validated against `firstStart` (until before it, or a rule making too many occurrences, throws
 * ValidationError).
 */
export function expandSeries(input: SeriesRule, firstStart: string, options: ExpandOptions = {}): string[] {
  runSchema(f.localDateTime, firstStart, 'series first start')
  const rule = validateSeriesRule(input, firstStart)
  const skip = new Set(options.exceptions ?? [])
  return expandRule(rule, firstStart, MAX_SERIES_OCCURRENCES).filter((start) => !skip.has(start))
}

/** Monday = 'MO': the RRULE day of a local date. */
export function weekdayOf(localDate: string): Weekday {
  return WEEKDAYS[isoWeekday(localDate) - 1]!
}
