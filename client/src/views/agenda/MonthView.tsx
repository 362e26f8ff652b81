import { useMemo } from 'react'
import type { Appointment } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { routeHref } from '../../app/route'
import { monthWeeks } from './agenda-range'

const WEEKDAY_KEYS = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'] as const

/**
 * The compact month overview: Monday-first weeks, each day a link to its day view with the number
 * of appointments and a mark when some overlap. Days of the neighbouring months are left blank:
 * they live in other docs, which this view does not open.
 */
export function MonthView(props: { date: string; today: string; appointments: readonly Appointment[]; overlapping: ReadonlySet<string>; label: string }) {
  const { t, plural, dayHeading } = useT()
  const weeks = useMemo(() => monthWeeks(props.date), [props.date])
  const perDay = useMemo(() => {
    const map = new Map<string, { count: number; overlaps: number }>()
    for (const a of props.appointments) {
      if (a.status === 'cancelled') continue
      const day = a.start.slice(0, 10)
      const entry = map.get(day) ?? { count: 0, overlaps: 0 }
      entry.count += 1
      if (props.overlapping.has(a.id)) entry.overlaps += 1
      map.set(day, entry)
    }
    return map
  }, [props.appointments, props.overlapping])
  return (
    <table className="month">
      <caption className="visually-hidden">{props.label}</caption>
      <thead>
        <tr>
          {WEEKDAY_KEYS.map((key) => (
            <th key={key} scope="col">
              {t(`agendaUi.weekday.${key}`)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {weeks.map((week) => (
          <tr key={week.find(Boolean) ?? ''}>
            {week.map((day, i) => {
              if (day === null) return <td key={`blank-${i}`} className="month__blank" />
              const entry = perDay.get(day)
              const summary = [
                dayHeading(day),
                entry ? plural('agenda.count', entry.count) : t('agendaUi.month.none'),
                ...(entry && entry.overlaps > 0 ? [t('agenda.overlap')] : []),
              ].join(', ')
              return (
                <td key={day} className={day === props.today ? 'month__day month__day--today' : 'month__day'}>
                  <a className="month__link" href={routeHref({ view: 'agenda', mode: 'jour', date: day })} aria-label={summary}>
                    <span className="month__number">{Number(day.slice(8))}</span>
                    {entry ? <span className="month__count">{entry.count}</span> : null}
                    {entry && entry.overlaps > 0 ? (
                      <span className="month__overlap" aria-hidden="true">
                        ⚠
                      </span>
                    ) : null}
                  </a>
                </td>
              )
            })}
          </tr>
        ))}
      </tbody>
    </table>
  )
}
