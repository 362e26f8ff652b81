/**
 * The agenda's heading: the day, the week or the month shown. A day or a week of another year
 * than the current one (today in the practice's zone, by the app's clock) says its year, so that
 * paging back to last December does not read as this December: seen in 2026, « Semaine du lundi
 * 8 décembre au dimanche 14 décembre 2025 ». A week across two years names both years, whatever
 * the current one: « Semaine du lundi 28 décembre 2026 au dimanche 3 janvier 2027 ». The month
 * overview always says its year.
 */
import type { AgendaMode } from '../../app/route'
import type { Translator } from '../../i18n'

type MonthNumber = '01' | '02' | '03' | '04' | '05' | '06' | '07' | '08' | '09' | '10' | '11' | '12'

/** Which ends of a span of days (`first`..`last`, one day: both the same) carry their year. */
export function headingYears(first: string, last: string, today: string): { readonly first: boolean; readonly last: boolean } {
  const across = first.slice(0, 4) !== last.slice(0, 4)
  return { first: across, last: across || last.slice(0, 4) !== today.slice(0, 4) }
}

export type AgendaHeading = {
  /** The full heading: the title's accessible name. */
  readonly full: string
  /** What the toolbar shows of a week ('8 décembre – 14 décembre 2025'); the full heading otherwise. */
  readonly short: string
}

export function agendaHeading(
  translator: Pick<Translator, 't' | 'dayHeading'>,
  mode: AgendaMode,
  days: readonly string[],
  today: string,
): AgendaHeading {
  const { t, dayHeading } = translator
  const first = days[0]!
  const last = days[days.length - 1]!
  if (mode === 'mois') {
    const full = t(`agendaUi.month.${first.slice(5, 7) as MonthNumber}`, { year: first.slice(0, 4) })
    return { full, short: full }
  }
  const years = headingYears(first, last, today)
  if (mode === 'jour') {
    const full = dayHeading(first, { withYear: years.last })
    return { full, short: full }
  }
  const firstDay = dayHeading(first, { withYear: years.first })
  const lastDay = dayHeading(last, { withYear: years.last })
  // '29 mars' for the week's short heading: the day without its weekday.
  const withoutWeekday = (heading: string) => heading.replace(/^\S+\s/, '')
  return {
    full: t('agendaUi.weekHeading', { first: firstDay, last: lastDay }),
    short: t('agendaUi.weekShort', { first: withoutWeekday(firstDay), last: withoutWeekday(lastDay) }),
  }
}
