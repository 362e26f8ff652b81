import { useCallback, useMemo } from 'react'
import type * as Y from 'yjs'
import { addDays, agendaDocId, findOverlaps, listAppointments, monthOf, overlappingIds, todayIn } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useDoc, useDocSnapshot, usePractice } from '../../state'
import { routeHref } from '../../app/route'
import { navigate } from '../../app/use-route'
import { AddAppointmentForm } from './AddAppointmentForm'
import { AppointmentList } from './AppointmentList'

/** One day of the practice's agenda: its appointments, overlaps flagged, and a form to add one. */
export function AgendaScreen(props: { date: string | null }) {
  const { t, plural, dayHeading, timeZone } = useT()
  const { clock } = usePractice()
  const today = todayIn(timeZone, clock)
  const day = props.date ?? today

  const agenda = useDoc(agendaDocId(monthOf(day)))
  const readDay = useCallback((doc: Y.Doc) => listAppointments(doc, { day }).items, [day])
  const appointments = useDocSnapshot(agenda, readDay)
  const overlaps = useMemo(() => findOverlaps(appointments ?? []), [appointments])
  const overlapping = useMemo(() => overlappingIds(overlaps), [overlaps])

  const goTo = (date: string) => navigate(routeHref({ view: 'agenda', date: date === today ? null : date }))

  return (
    <div className="agenda">
      <div className="agenda__day">
        <header className="agenda__header">
          <h1>{dayHeading(day)}</h1>
          <div className="agenda__nav" role="group" aria-label={t('agenda.dayNav')}>
            <button className="button" type="button" onClick={() => goTo(addDays(day, -1))}>
              <span aria-hidden="true">‹ </span>
              {t('agenda.previousDay')}
            </button>
            <button className="button" type="button" onClick={() => goTo(today)} aria-pressed={day === today}>
              {t('agenda.today')}
            </button>
            <button className="button" type="button" onClick={() => goTo(addDays(day, 1))}>
              {t('agenda.nextDay')}
              <span aria-hidden="true"> ›</span>
            </button>
          </div>
        </header>
        {appointments === null ? (
          <p>{t('app.loading')}</p>
        ) : (
          <>
            <p className="agenda__summary">
              {plural('agenda.count', appointments.length)}
              {overlaps.length > 0 ? (
                <strong className="agenda__overlaps"> · {plural('agenda.overlapSummary', overlaps.length)}</strong>
              ) : null}
            </p>
            <AppointmentList
              label={t('agenda.listLabel', { date: dayHeading(day) })}
              appointments={appointments}
              overlapping={overlapping}
            />
          </>
        )}
      </div>
      <AddAppointmentForm day={day} />
    </div>
  )
}
