/**
 * Which days an agenda view shows and which month docs it needs. The week runs Monday to Sunday
 * (French weeks start on Monday; Sunday is kept for home-visit rounds and on-call weekends).
 * Everything works on local dates, so a week across a DST change still has seven days.
 */
import { addDays, isoWeekday, monthOf, parseLocalDate, startOfWeek } from '../../../../shared/src/model'
import type { AgendaMode } from '../../app/route'
import { shiftMonth } from '../../state/agenda-docs'

/** The local dates shown by `mode` around `date`: one day, a Monday-to-Sunday week, or a month. */
export function daysShown(mode: AgendaMode, date: string): string[] {
  switch (mode) {
    case 'jour':
      return [date]
    case 'semaine': {
      const monday = startOfWeek(date)
      return Array.from({ length: 7 }, (_, i) => addDays(monday, i))
    }
    case 'mois': {
      const first = `${monthOf(date)}-01`
      const days: string[] = []
      for (let day = first; monthOf(day) === monthOf(first); day = addDays(day, 1)) days.push(day)
      return days
    }
  }
}

/** The month docs holding `days`, in order, each once: a week across two months needs both. */
export function monthsOf(days: readonly string[]): string[] {
  return [...new Set(days.map((day) => monthOf(day)))]
}

/** The date `mode`'s previous / next button leads to. Months keep the day when it exists. */
export function stepDate(mode: AgendaMode, date: string, direction: -1 | 1): string {
  switch (mode) {
    case 'jour':
      return addDays(date, direction)
    case 'semaine':
      return addDays(date, 7 * direction)
    case 'mois': {
      const month = shiftMonth(monthOf(date), direction)
      const { day } = parseLocalDate(date)
      const lastDay = daysShown('mois', `${month}-01`).length
      return `${month}-${String(Math.min(day, lastDay)).padStart(2, '0')}`
    }
  }
}

/**
 * The month overview's rows: Monday-to-Sunday weeks covering the month, with null for the days of
 * the neighbouring months (they belong to another doc, which the overview does not open).
 */
export function monthWeeks(date: string): (string | null)[][] {
  const days = daysShown('mois', date)
  const cells: (string | null)[] = [...Array.from({ length: isoWeekday(days[0]!) - 1 }, () => null), ...days]
  while (cells.length % 7 !== 0) cells.push(null)
  const weeks: (string | null)[][] = []
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7))
  return weeks
}

