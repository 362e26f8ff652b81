/**
 * What people type in a date or time field, read the French way whatever the browser's language
 * (an English Chromium's <input type="date"> shows « 07/12/2026 » as 12 July and « 10:00 AM »):
 *
 *   dates  « 12/03/1958 », « 12.03.1958 », « 12-03-1958 », « 12 03 1958 », « 12031958 »,
 *          « 12 mars 1958 », « 1er mars 2026 », and the model's own '1958-03-12'
 *   times  « 14 h 30 », « 14h30 », « 14:30 », « 14.30 », « 1430 », « 14 h », « 9 », « 2:30 pm »
 *
 * and what the field shows back: « 12/03/1958 », and the time as the translator writes it
 * (« 14 h 30 » in French). Day first, always: « 07/12/2026 » is the 7th of December.
 * Pure functions; the checks on what the date means (not in the future…) are the model's.
 */
import { formatLocalDate, isLocalDate, isLocalTime, parseLocalDate } from '../../../../shared/src/model'

/** Why typed text is not a date: unreadable, not a day of the calendar, or a two-digit year. */
export type DateTextProblem = 'format' | 'calendar' | 'two_digit_year'

export type DateText =
  | { readonly kind: 'empty' }
  | { readonly kind: 'date'; readonly date: string }
  | { readonly kind: 'invalid'; readonly problem: DateTextProblem }

/**
 * How a two-digit year is read, relative to a reference day (today): 'past' picks the latest
 * year not after it (a birth date: « 58 » is 1958), 'near' the year within 50 years of it (an
 * appointment: « 27 » is 2027). Without a reference a two-digit year is refused.
 */
export type TwoDigitYears = { readonly mode: 'past' | 'near'; readonly reference: string }

const MONTHS = ['janvier', 'fevrier', 'mars', 'avril', 'mai', 'juin', 'juillet', 'aout', 'septembre', 'octobre', 'novembre', 'decembre']

function withoutAccents(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
}

/** 'mars', 'MARS', 'févr.', 'déc' → 3, 2, 12; an ambiguous or unknown word → undefined. */
function monthNumber(word: string): number | undefined {
  const token = withoutAccents(word.toLowerCase()).replace(/\.$/, '')
  if (token.length < 3) return undefined
  const matches = MONTHS.flatMap((name, i) => (name.startsWith(token) ? [i + 1] : []))
  return matches.length === 1 ? matches[0] : undefined
}

function fullYear(digits: string, twoDigitYears: TwoDigitYears | undefined): number | undefined {
  if (digits.length === 4) return Number(digits)
  if (digits.length !== 2 || twoDigitYears === undefined) return undefined
  const reference = parseLocalDate(twoDigitYears.reference).year
  const yy = Number(digits)
  if (twoDigitYears.mode === 'past') {
    const candidate = reference - (reference % 100) + yy
    return candidate > reference ? candidate - 100 : candidate
  }
  const candidate = reference - (reference % 100) + yy
  if (candidate - reference >= 50) return candidate - 100
  if (reference - candidate > 50) return candidate + 100
  return candidate
}

const NUMERIC = /^(\d{1,2})\s*[/.\s-]\s*(\d{1,2})\s*[/.\s-]\s*(\d+)$/
const PACKED = /^(\d{2})(\d{2})(\d{2}|\d{4})$/
const WORDS = /^(\d{1,2})(?:er)?\s+([\p{L}.]+)\s+(\d+)$/u
const ISO = /^\d{4}-\d{2}-\d{2}$/

/** Reads a date as a French person types it; see the module comment. */
export function parseDateText(text: string, twoDigitYears?: TwoDigitYears): DateText {
  const trimmed = text.trim()
  if (trimmed === '') return { kind: 'empty' }
  if (ISO.test(trimmed)) return isLocalDate(trimmed) ? { kind: 'date', date: trimmed } : { kind: 'invalid', problem: 'calendar' }
  let day: string | undefined
  let month: number | undefined
  let year: string | undefined
  const numeric = NUMERIC.exec(trimmed) ?? PACKED.exec(trimmed)
  const words = numeric ? null : WORDS.exec(trimmed)
  if (numeric) {
    day = numeric[1]
    month = Number(numeric[2])
    year = numeric[3]
  } else if (words) {
    day = words[1]
    month = monthNumber(words[2] ?? '')
    year = words[3]
  }
  if (day === undefined || month === undefined || year === undefined) return { kind: 'invalid', problem: 'format' }
  if (year.length !== 2 && year.length !== 4) return { kind: 'invalid', problem: 'format' }
  const fullYearValue = fullYear(year, twoDigitYears)
  if (fullYearValue === undefined) return { kind: 'invalid', problem: 'two_digit_year' }
  if (month < 1 || month > 12) return { kind: 'invalid', problem: 'calendar' }
  const date = formatLocalDate({ year: fullYearValue, month, day: Number(day) })
  return isLocalDate(date) ? { kind: 'date', date } : { kind: 'invalid', problem: 'calendar' }
}

/** '1958-03-12' → '12/03/1958'; anything else is returned as it is. */
export function formatDateText(date: string): string {
  if (!isLocalDate(date)) return date
  const { year, month, day } = parseLocalDate(date)
  return `${String(day).padStart(2, '0')}/${String(month).padStart(2, '0')}/${String(year).padStart(4, '0')}`
}

export type TimeText =
  | { readonly kind: 'empty' }
  | { readonly kind: 'time'; readonly time: string }
  | { readonly kind: 'invalid' }

const SEPARATED = /^(\d{1,2})\s*(?:h|:|\.|heures?)\s*(\d{2})?\s*(?:min)?\s*(am|pm|a\.m\.|p\.m\.)?$/
const DIGITS = /^(\d{1,4})\s*(am|pm|a\.m\.|p\.m\.)?$/

/** Reads a time as people type it; see the module comment. */
export function parseTimeText(text: string): TimeText {
  const trimmed = text.trim().toLowerCase()
  if (trimmed === '') return { kind: 'empty' }
  let hour: number
  let minute: number
  let meridiem: string | undefined
  const separated = SEPARATED.exec(trimmed)
  const digits = separated ? null : DIGITS.exec(trimmed)
  if (separated) {
    hour = Number(separated[1])
    minute = Number(separated[2] ?? '0')
    meridiem = separated[3]
  } else if (digits) {
    const packed = digits[1] ?? ''
    // '9' and '14' are hours; '930' and '1430' are hours then two digits of minutes.
    hour = Number(packed.length <= 2 ? packed : packed.slice(0, -2))
    minute = packed.length <= 2 ? 0 : Number(packed.slice(-2))
    meridiem = digits[2]
  } else {
    return { kind: 'invalid' }
  }
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return { kind: 'invalid' }
    hour = (hour % 12) + (meridiem.startsWith('p') ? 12 : 0)
  }
  const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`
  return isLocalTime(time) ? { kind: 'time', time } : { kind: 'invalid' }
}
