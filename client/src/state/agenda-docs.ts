/**
 * Which agenda docs a view reads: the month docs of the range it shows (opened now), and the months
 * just before and after (requested in the background so that paging is instant). Nothing else is
 * opened, so ten years of history cost nothing at start-up.
 */
import { monthOf, parseLocalDate } from '../../../shared/src/model'

/** '2026-12' shifted by 1 → '2027-01'. */
export function shiftMonth(month: string, delta: number): string {
  const { year, month: m } = parseLocalDate(`${month}-01`)
  const index = year * 12 + (m - 1) + delta
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`
}

/** The months just before and after those shown. */
export function neighbourMonths(months: readonly string[]): string[] {
  if (months.length === 0) return []
  return [shiftMonth(months[0]!, -1), shiftMonth(months[months.length - 1]!, 1)]
}

/** The agenda months a view of `from`..`to` (at most two months apart) reads, and its neighbours. */
export function agendaDocsFor(from: string, to: string): { shown: string[]; background: string[] } {
  const months = [...new Set([monthOf(from), monthOf(to)])]
  return { shown: months, background: neighbourMonths(months) }
}
