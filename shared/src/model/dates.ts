/**
 * Local (wall-clock) dates and times, as the agenda stores them:
 *
 *   LocalDate      '2026-11-23'
 *   LocalTime      '14:30'
 *   LocalDateTime  '2026-11-23T14:30'
 *
 * A local date-time plus the practice's IANA time zone is the appointment's truth: a daylight-saving
 * change never moves a 9:00 appointment. Arithmetic on wall-clock values goes through Date.UTC,
 * where no day is 23 or 25 hours long. Only `toInstant`/`fromInstant`/`todayIn` touch real time
 * zones, through Intl (the browser's and Node's tz database), so the same code runs on both.
 */
import type { Clock } from './actor'

export class DateFormatError extends Error {
  override name = 'DateFormatError'
}

export type DateParts = { year: number; month: number; day: number }
export type DateTimeParts = DateParts & { hour: number; minute: number }

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/
const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
const QUARTER_HOUR_MS = 900_000

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

function matchDate(text: string): DateParts | undefined {
  const m = DATE_PATTERN.exec(text)
  if (!m) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  return { year, month, day }
}

export function isLocalDate(value: unknown): value is string {
  return typeof value === 'string' && matchDate(value) !== undefined
}

export function isLocalTime(value: unknown): value is string {
  return typeof value === 'string' && TIME_PATTERN.test(value)
}

export function isLocalDateTime(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 16 || value[10] !== 'T') return false
  return isLocalDate(value.slice(0, 10)) && isLocalTime(value.slice(11))
}

export function parseLocalDate(text: string): DateParts {
  const parts = matchDate(text)
  if (!parts) throw new DateFormatError(`Expected a date 'YYYY-MM-DD', got '${text}'`)
  return parts
}

export function parseLocalDateTime(text: string): DateTimeParts {
  if (!isLocalDateTime(text)) {
    throw new DateFormatError(`Expected a local date-time 'YYYY-MM-DDTHH:mm', got '${text}'`)
  }
  const { year, month, day } = parseLocalDate(text.slice(0, 10))
  return { year, month, day, hour: Number(text.slice(11, 13)), minute: Number(text.slice(14, 16)) }
}

export function formatLocalDate({ year, month, day }: DateParts): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`
}

export function formatLocalDateTime(p: DateTimeParts): string {
  return `${formatLocalDate(p)}T${pad(p.hour)}:${pad(p.minute)}`
}

/** 'YYYY-MM-DD' + 'HH:mm' → 'YYYY-MM-DDTHH:mm'. */
export function joinDateTime(date: string, time: string): string {
  const text = `${date}T${time}`
  parseLocalDateTime(text)
  return text
}

/** The date part of a local date-time. */
export function datePart(localDateTime: string): string {
  return formatLocalDate(parseLocalDateTime(localDateTime))
}

/** The time part ('HH:mm') of a local date-time. */
export function timePart(localDateTime: string): string {
  parseLocalDateTime(localDateTime)
  return localDateTime.slice(11)
}

// A wall-clock value encoded as if it were UTC: arithmetic on it ignores time zones on purpose.
function wallMs(p: DateTimeParts): number {
  const ms = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute)
  // Date.UTC maps years 0..99 to 1900..1999.
  return p.year < 100 ? new Date(ms).setUTCFullYear(p.year) : ms
}

function wallParts(ms: number): DateTimeParts {
  const d = new Date(ms)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  }
}

/** Wall-clock arithmetic: 23:30 + 60 min is 00:30 the next day, whatever the DST calendar says. */
export function addMinutes(localDateTime: string, minutes: number): string {
  return formatLocalDateTime(wallParts(wallMs(parseLocalDateTime(localDateTime)) + minutes * MINUTE_MS))
}

export function addDays(localDate: string, days: number): string {
  return formatLocalDate(wallParts(wallMs({ ...parseLocalDate(localDate), hour: 0, minute: 0 }) + days * DAY_MS))
}

/** 1 = Monday … 7 = Sunday (ISO 8601, the French week). */
export function isoWeekday(localDate: string): number {
  const dow = new Date(wallMs({ ...parseLocalDate(localDate), hour: 0, minute: 0 })).getUTCDay()
  return dow === 0 ? 7 : dow
}

/** The Monday on or before `localDate`. */
export function startOfWeek(localDate: string): string {
  return addDays(localDate, 1 - isoWeekday(localDate))
}

/** Whole minutes from `a` to `b`, on the wall clock. */
export function minutesBetween(a: string, b: string): number {
  return Math.round((wallMs(parseLocalDateTime(b)) - wallMs(parseLocalDateTime(a))) / MINUTE_MS)
}

export function isValidTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone === '') return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
    return true
  } catch (error) {
    if (error instanceof RangeError) return false
    throw error
  }
}

/**
 * Conversions between local date-times and instants in one time zone. Building the Intl formatter
 * is the expensive part (tens of microseconds), so code converting many values (a week of
 * appointments) makes one converter per zone and reuses it.
 */
export type ZoneConverter = {
  readonly timeZone: string
  /** The instant a local date-time denotes; see `toInstant`. */
  toInstant(localDateTime: string): number
  /** The wall-clock time at `epochMs`, as 'YYYY-MM-DDTHH:mm'. */
  fromInstant(epochMs: number): string
}

/** Throws RangeError for a time zone Intl does not know. */
export function zoneConverter(timeZone: string): ZoneConverter {
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
  const partsAt = (epochMs: number) => {
    const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 }
    for (const part of formatter.formatToParts(epochMs)) {
      if (part.type in out) out[part.type as keyof typeof out] = Number(part.value)
    }
    return out
  }
  // Offset from UTC at `epochMs`, in ms (Paris in winter: +3 600 000). Zones change offset on a
  // quarter hour, so the offset is constant within each quarter hour and is computed once per
  // quarter hour this converter meets.
  const offsets = new Map<number, number>()
  const offsetAt = (epochMs: number) => {
    const quarter = Math.floor(epochMs / QUARTER_HOUR_MS)
    const known = offsets.get(quarter)
    if (known !== undefined) return known
    const at = quarter * QUARTER_HOUR_MS
    const p = partsAt(at)
    const offset = wallMs(p) + p.second * 1000 - at
    offsets.set(quarter, offset)
    return offset
  }
  return {
    timeZone,
    fromInstant: (epochMs) => formatLocalDateTime(partsAt(epochMs)),
    toInstant: (localDateTime) => {
      const wall = wallMs(parseLocalDateTime(localDateTime))
      // No zone changes its offset twice within two days, so these bracket any transition near `wall`.
      const before = offsetAt(wall - DAY_MS)
      const after = offsetAt(wall + DAY_MS)
      if (before === after) return wall - before
      const candidates = [wall - before, wall - after].filter((t) => wall - offsetAt(t) === t)
      return candidates.length > 0 ? Math.min(...candidates) : wall - before
    },
  }
}

/** The wall-clock time in `timeZone` at `epochMs`, as 'YYYY-MM-DDTHH:mm'. */
export function fromInstant(epochMs: number, timeZone: string): string {
  return zoneConverter(timeZone).fromInstant(epochMs)
}

/**
 * The instant a local date-time denotes in `timeZone`. Resolves like Temporal's 'compatible'
 * disambiguation: a time in the autumn overlap (02:30 on 2026-10-25 in Paris happens twice) is the
 * earlier one; a time in the spring gap (02:30 on 2026-03-29 does not exist) is pushed forward by
 * the gap (03:30 CEST), which is what a clock on the wall would show.
 */
export function toInstant(localDateTime: string, timeZone: string): number {
  return zoneConverter(timeZone).toInstant(localDateTime)
}

/** Today's date in `timeZone`, by the injected clock. */
export function todayIn(timeZone: string, clock: Clock): string {
  return fromInstant(clock(), timeZone).slice(0, 10)
}

/** The wall-clock time now in `timeZone`, by the injected clock. */
export function nowIn(timeZone: string, clock: Clock): string {
  return fromInstant(clock(), timeZone)
}

/** 'YYYY-MM' of a local date or date-time: the agenda doc an appointment lives in. */
export function monthOf(localDateOrDateTime: string): string {
  const date = localDateOrDateTime.length > 10 ? datePart(localDateOrDateTime) : localDateOrDateTime
  const { year, month } = parseLocalDate(date)
  return `${pad(year, 4)}-${pad(month)}`
}

// Built once: constructing an Intl.DateTimeFormat costs about a millisecond, and the week grid
// asks for 70 day headings per render (one per column). A formatter is immutable, so sharing is safe.
const FR_WEEKDAY = new Intl.DateTimeFormat('fr-FR', { weekday: 'long', timeZone: 'UTC' })
const FR_MONTH = new Intl.DateTimeFormat('fr-FR', { month: 'long', timeZone: 'UTC' })

/** 'lundi 23 novembre' (with '1er' for the first of the month, as French writes it). */
export function formatDayFr(localDate: string, options: { withYear?: boolean } = {}): string {
  const p = parseLocalDate(localDate)
  const noon = wallMs({ ...p, hour: 12, minute: 0 })
  const day = p.day === 1 ? '1er' : String(p.day)
  return `${FR_WEEKDAY.format(noon)} ${day} ${FR_MONTH.format(noon)}${options.withYear ? ` ${p.year}` : ''}`
}

/** '14:30' → '14 h 30', '09:05' → '9 h 05', '14:00' → '14 h' (French typographic convention). */
export function formatTimeFr(localTime: string): string {
  if (!isLocalTime(localTime)) throw new DateFormatError(`Expected a time 'HH:mm', got '${localTime}'`)
  const hour = Number(localTime.slice(0, 2))
  const minute = localTime.slice(3, 5)
  return minute === '00' ? `${hour} h` : `${hour} h ${minute}`
}
