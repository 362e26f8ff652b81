/**
 * Whether a birth date is plausible for a patient seen today: not after today, and not more than
 * MAX_AGE_YEARS years before it. A calendar check (no 30 February) is the schema's; this one
 * catches typos that make a real but impossible date (« 05/05/2090 », « 01/01/1800 », the year 1
 * of a field left half-typed). Today is given by the caller (from its injected clock and the
 * practice's time zone), never read here.
 */
import { formatLocalDate, parseLocalDate } from './dates'

/** The oldest person ever documented lived 122 years: 130 leaves room, and catches a wrong century. */
export const MAX_AGE_YEARS = 130

export type BirthDateCheck = 'ok' | 'birth_date_in_future' | 'birth_date_too_old'

/**
 * The earliest birth date accepted on `today`: the same day MAX_AGE_YEARS years before. When that
 * day does not exist (today is 29 February, 130 years before was not a leap year), 1 March: a
 * person born on 28 February of that year is already 130 years and a day old.
 */
export function earliestBirthDate(today: string): string {
  const { year, month, day } = parseLocalDate(today)
  const earliestYear = year - MAX_AGE_YEARS
  const leap = (earliestYear % 4 === 0 && earliestYear % 100 !== 0) || earliestYear % 400 === 0
  if (month === 2 && day === 29 && !leap) return formatLocalDate({ year: earliestYear, month: 3, day: 1 })
  return formatLocalDate({ year: earliestYear, month, day })
}

/** Both dates 'YYYY-MM-DD' (already calendar-checked). */
export function checkBirthDate(birthDate: string, today: string): BirthDateCheck {
  if (birthDate > today) return 'birth_date_in_future'
  if (birthDate < earliestBirthDate(today)) return 'birth_date_too_old'
  return 'ok'
}
