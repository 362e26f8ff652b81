/**
 * Calendar facts computed independently of shared/src/model/dates.ts (with the platform's UTC
 * Date arithmetic), so that a test at the test's "today" checks the code against something other
 * than itself.
 */

function utc(day: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d))
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10)
}

/** The seven dates, Monday to Sunday, of the week holding `day`. */
export function weekOf(day: string): string[] {
  const date = utc(day)
  const sinceMonday = (date.getUTCDay() + 6) % 7
  return Array.from({ length: 7 }, (_, i) => iso(new Date(date.getTime() + (i - sinceMonday) * 86_400_000)))
}

/** 'YYYY-MM' of a date. */
export function monthOfDay(day: string): string {
  return day.slice(0, 7)
}

/** The date `days` after `day` (negative: before). */
export function shiftDay(day: string, days: number): string {
  return iso(new Date(utc(day).getTime() + days * 86_400_000))
}
