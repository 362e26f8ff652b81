import { useEffect, useMemo, useState } from 'react'
import { agendaDocId, editSeriesOccurrences, findOverlaps, nowIn, overlappingIds } from '../../../../shared/src/model'
import type { Appointment } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import {
  readHiddenPractitioners,
  useActor,
  useAgendaAppointments,
  useAppointmentKinds,
  useDirectory,
  usePatientIndex,
  usePractice,
  usePractitioners,
  useSeriesIndex,
  writeHiddenPractitioners,
} from '../../state'
import { routeHref } from '../../app/route'
import type { AgendaMode } from '../../app/route'
import { navigate } from '../../app/use-route'
import { describeError } from '../form/describe-error'
import { FormAlert } from '../form/form-alert'
import { changeAppointment } from './agenda-actions'
import { daysShown, stepDate } from './agenda-range'
import type { Drop } from './AppointmentBlock'
import { AppointmentEditor } from './AppointmentEditor'
import type { EditorTarget } from './AppointmentEditor'
import { DEFAULT_FRAME } from './grid-layout'
import { MonthView } from './MonthView'
import { TimeGrid } from './TimeGrid'
import { WeekDigestBanner } from '../sync/WeekDigestBanner'

const MODE_LABELS = { jour: 'agendaUi.mode.day', semaine: 'agendaUi.mode.week', mois: 'agendaUi.mode.month' } as const

function browserStorage(): Storage | null {
  try {
    return window.localStorage
  } catch (error) {
    // A browser that forbids storage (private mode, policy): preferences last for the session.
    console.warn('localStorage unavailable', error)
    return null
  }
}

/** The wall-clock time in the practice's zone, by the injected clock, refreshed every minute. */
function useNow(timeZone: string, clock: () => number): string {
  const [now, setNow] = useState(() => nowIn(timeZone, clock))
  useEffect(() => {
    const timer = setInterval(() => setNow(nowIn(timeZone, clock)), 60_000)
    return () => clearInterval(timer)
  }, [timeZone, clock])
  return now
}

/**
 * The practice's agenda: a day (default), a Monday-to-Sunday week or a month overview; one column
 * per practitioner shown; overlaps flagged wherever they show. Tapping a free slot opens the
 * editor there; dragging a block moves it, dragging its bottom edge resizes it.
 */
export function AgendaScreen(props: { mode: AgendaMode; date: string | null }) {
  const translator = useT()
  const { t, plural, dayHeading, timeZone } = translator
  const { clock, docs, record } = usePractice()
  const actor = useActor()
  const now = useNow(timeZone, clock)
  const today = now.slice(0, 10)
  const { mode } = props
  const date = props.date ?? today
  const days = useMemo(() => daysShown(mode, date), [mode, date])
  const appointments = useAgendaAppointments(days[0]!, days[days.length - 1]!)
  const practitioners = usePractitioners()
  const patients = usePatientIndex()
  const kinds = useAppointmentKinds()
  const series = useSeriesIndex()
  const directory = useDirectory()
  const overlapping = useMemo(() => overlappingIds(findOverlaps(appointments ?? [])), [appointments])
  const [hidden, setHidden] = useState<string[]>(() => readHiddenPractitioners(browserStorage(), record.spaceId))
  const [editor, setEditor] = useState<EditorTarget | null>(null)
  const [failure, setFailure] = useState<string | null>(null)

  const shown = useMemo(() => (practitioners ?? []).filter((p) => !hidden.includes(p.id)), [practitioners, hidden])
  const go = (next: string, nextMode: AgendaMode = mode) =>
    navigate(routeHref({ view: 'agenda', mode: nextMode, date: nextMode === 'jour' && next === today ? null : next }))

  const toggle = (id: string, visible: boolean) => {
    const next = visible ? hidden.filter((h) => h !== id) : [...hidden, id]
    setHidden(next)
    writeHiddenPractitioners(browserStorage(), record.spaceId, next)
  }

  const drop = (appointment: Appointment, target: Drop) => {
    setFailure(null)
    // A dragged session changes alone ('this'); the series records a month it moves into.
    const write =
      appointment.seriesId && directory && series?.has(appointment.seriesId)
        ? editSeriesOccurrences(directory, (month) => docs.open(agendaDocId(month)), appointment, 'this', target, actor, clock)
        : changeAppointment((docId) => docs.open(docId), appointment, target, actor, clock)
    write.catch((error: unknown) => setFailure(describeError(error, translator)))
  }

  const heading =
    mode === 'jour'
      ? dayHeading(date)
      : mode === 'semaine'
        ? t('agendaUi.weekHeading', { first: dayHeading(days[0]!), last: dayHeading(days[6]!) })
        : t(`agendaUi.month.${date.slice(5, 7) as MonthNumber}`, { year: date.slice(0, 4) })
  const live = (appointments ?? []).filter((a) => a.status !== 'cancelled')
  const overlapCount = live.filter((a) => overlapping.has(a.id)).length

  return (
    <div className="agenda">
      <header className="agenda__header">
        <h1>{heading}</h1>
        <div className="agenda__nav" role="group" aria-label={t('agenda.dayNav')}>
          <button className="button" type="button" onClick={() => go(stepDate(mode, date, -1))}>
            <span aria-hidden="true">‹ </span>
            {t(`agendaUi.previous.${mode}`)}
          </button>
          <button className="button" type="button" onClick={() => go(today)} aria-pressed={days.includes(today)}>
            {t('agenda.today')}
          </button>
          <button className="button" type="button" onClick={() => go(stepDate(mode, date, 1))}>
            {t(`agendaUi.next.${mode}`)}
            <span aria-hidden="true"> ›</span>
          </button>
        </div>
        <nav className="agenda__modes" aria-label={t('agendaUi.modes')}>
          {(['jour', 'semaine', 'mois'] as const).map((m) => (
            <a
              key={m}
              className="button"
              href={routeHref({ view: 'agenda', mode: m, date: m === 'mois' ? `${date.slice(0, 7)}-01` : date })}
              aria-current={m === mode ? 'page' : undefined}
            >
              {t(MODE_LABELS[m])}
            </a>
          ))}
        </nav>
      </header>
      {practitioners && practitioners.length > 1 && mode !== 'mois' ? (
        <fieldset className="agenda__columns">
          <legend>{t('agendaUi.columns')}</legend>
          {practitioners.map((p) => (
            <label key={p.id} className="checkbox" style={{ borderColor: p.colour }}>
              <input type="checkbox" checked={!hidden.includes(p.id)} onChange={(event) => toggle(p.id, event.currentTarget.checked)} />
              <span>{p.displayName}</span>
            </label>
          ))}
        </fieldset>
      ) : null}
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <WeekDigestBanner from={days[0]!} to={days[days.length - 1]!} />
      {appointments === null || practitioners === null ? (
        <p>{t('app.loading')}</p>
      ) : (
        <>
          <p className="agenda__summary">
            {plural('agenda.count', live.length)}
            {overlapCount > 0 ? (
              <strong className="agenda__overlaps"> · {plural('agendaUi.overlapCount', overlapCount)}</strong>
            ) : null}
          </p>
          {mode === 'mois' ? (
            <MonthView date={date} today={today} appointments={appointments} overlapping={overlapping} label={heading} />
          ) : shown.length === 0 ? (
            <p className="empty">{t('agendaUi.noColumn')}</p>
          ) : (
            <TimeGrid
              days={days}
              practitioners={shown}
              appointments={appointments}
              overlapping={overlapping}
              now={now}
              frame={DEFAULT_FRAME}
              patients={patients}
              kinds={kinds}
              series={series}
              onCreate={(slot) => setEditor({ kind: 'new', ...slot })}
              onOpen={(appointment) => setEditor({ kind: 'edit', appointment })}
              onDrop={drop}
            />
          )}
        </>
      )}
      {editor ? <AppointmentEditor target={editor} onClose={() => setEditor(null)} /> : null}
    </div>
  )
}

type MonthNumber = '01' | '02' | '03' | '04' | '05' | '06' | '07' | '08' | '09' | '10' | '11' | '12'

