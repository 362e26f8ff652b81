import { useCallback, useEffect, useMemo, useState } from 'react'
import { addDays, agendaDocId, editSeriesOccurrences, findOverlaps, nowIn, overlappingIds } from '../../../../shared/src/model'
import type { Appointment, AppointmentStatus } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import {
  readHiddenPractitioners,
  useAbsences,
  useActor,
  useAgendaAppointments,
  useAgendaFreshness,
  useAppointmentKinds,
  useDirectory,
  useHolidays,
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
import { changeAppointment, changeStatus } from './agenda-actions'
import { agendaHeading } from './agenda-heading'
import { daysShown, stepDate } from './agenda-range'
import { applyUndo, undoOf } from './agenda-undo'
import type { UndoAction } from './agenda-undo'
import type { Drop, DropKind } from './AppointmentBlock'
import { AppointmentEditor } from './AppointmentEditor'
import { AppointmentSheet } from './AppointmentSheet'
import { PractitionerPicker } from './PractitionerPicker'
import { UndoToast } from './UndoToast'
import type { EditorTarget } from './AppointmentEditor'
import { DEFAULT_FRAME } from './grid-layout'
import { MonthView } from './MonthView'
import { TimeGrid } from './TimeGrid'
import { FreshnessBanner } from '../sync/FreshnessBanner'
import { WeekDigestBanner } from '../sync/WeekDigestBanner'
import './agenda.css'

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
/** A change the toast offers to undo: what it says, and how to put things back. */
type Undoable = { readonly action: UndoAction; readonly message: string; readonly serial: number }

/**
 * The practice's agenda: a day (default), a Monday-to-Sunday week or a month overview; one column
 * per practitioner shown; overlaps flagged wherever they show; public holidays and absences marked.
 * Tapping a free slot opens the editor there; tapping a block opens its detail (one-tap statuses,
 * call, file, « Modifier »); a long press lifts a block to move it, or its bottom edge to resize it
 * (a mouse or a pen drags at once). Every quick change offers « Annuler » for a few seconds.
 */
export function AgendaScreen(props: { mode: AgendaMode; date: string | null }) {
  const translator = useT()
  const { t, plural, timeZone } = translator
  const { clock, docs, record } = usePractice()
  const actor = useActor()
  const now = useNow(timeZone, clock)
  const today = now.slice(0, 10)
  const { mode } = props
  const date = props.date ?? today
  const days = useMemo(() => daysShown(mode, date), [mode, date])
  const appointments = useAgendaAppointments(days[0]!, days[days.length - 1]!)
  // Not known: what shows may be incomplete, so no count and no free-looking grid (issue 17).
  const freshness = useAgendaFreshness(days[0]!, days[days.length - 1]!)
  const known = freshness?.known ?? true
  const practitioners = usePractitioners()
  const patients = usePatientIndex()
  const kinds = useAppointmentKinds()
  const series = useSeriesIndex()
  const directory = useDirectory()
  const absences = useAbsences()
  const holidays = useHolidays(days[0]!, days[days.length - 1]!)
  const overlapping = useMemo(() => overlappingIds(findOverlaps(appointments ?? [])), [appointments])
  const [hidden, setHidden] = useState<string[]>(() => readHiddenPractitioners(browserStorage(), record.spaceId))
  const [editor, setEditor] = useState<EditorTarget | null>(null)
  const [sheet, setSheet] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [undo, setUndo] = useState<Undoable | null>(null)
  const dismissUndo = useCallback(() => setUndo(null), [])

  const shown = useMemo(() => (practitioners ?? []).filter((p) => !hidden.includes(p.id)), [practitioners, hidden])
  const go = (next: string, nextMode: AgendaMode = mode) =>
    navigate(routeHref({ view: 'agenda', mode: nextMode, date: nextMode === 'jour' && next === today ? null : next }))
  const openDoc = (docId: string) => docs.open(docId)

  const toggle = (id: string, visible: boolean) => {
    const next = visible ? hidden.filter((h) => h !== id) : [...hidden, id]
    setHidden(next)
    writeHiddenPractitioners(browserStorage(), record.spaceId, next)
  }

  const offerUndo = (action: UndoAction, message: string) => setUndo((previous) => ({ action, message, serial: (previous?.serial ?? 0) + 1 }))
  const report = (error: unknown) => setFailure(describeError(error, translator))

  const drop = (appointment: Appointment, target: Drop, kind: DropKind) => {
    setFailure(null)
    // A dragged session changes alone ('this'); the series records a month it moves into.
    const write =
      appointment.seriesId && directory && series?.has(appointment.seriesId)
        ? editSeriesOccurrences(directory, (month) => docs.open(agendaDocId(month)), appointment, 'this', target, actor, clock)
        : changeAppointment(openDoc, appointment, target, actor, clock)
    write.then(
      () => offerUndo(undoOf(kind, [appointment], () => target.start), t(kind === 'move' ? 'agendaUi.undo.moved' : 'agendaUi.undo.resized')),
      report,
    )
  }

  const quickStatus = (appointment: Appointment, status: AppointmentStatus) => {
    setFailure(null)
    setSheet(null)
    changeStatus(openDoc, appointment, status, actor, clock).then(
      () => offerUndo(undoOf('status', [appointment]), t('agendaUi.undo.status', { status: t(`agendaUi.status.${status}`) })),
      report,
    )
  }

  const runUndo = () => {
    if (!undo) return
    setUndo(null)
    applyUndo(openDoc, undo.action, actor, clock).catch(report)
  }

  const heading = agendaHeading(translator, mode, days, today)
  const live = (appointments ?? []).filter((a) => a.status !== 'cancelled')
  const overlapCount = live.filter((a) => overlapping.has(a.id)).length
  const opened = sheet ? (appointments ?? []).find((a) => a.id === sheet) : undefined

  return (
    <div className={`${mode === 'mois' ? 'agenda' : 'agenda agenda--grid'}${known ? '' : ' agenda--unknown'}`} aria-busy={!known}>
      <header className="agenda__header agenda__toolbar">
        {/* The week's full heading is its accessible name; the toolbar shows its short form. */}
        <h1 className="agenda__title">
          {mode === 'semaine' ? (
            <>
              <span className="visually-hidden">{heading.full}</span>
              <span aria-hidden="true">{heading.short}</span>
            </>
          ) : (
            heading.full
          )}
        </h1>
        <div className="agenda__nav" role="group" aria-label={t('agenda.dayNav')}>
          <button className="button button--icon" type="button" onClick={() => go(stepDate(mode, date, -1))} aria-label={t(`agendaUi.previous.${mode}`)}>
            <span aria-hidden="true">‹</span>
          </button>
          <button className="button" type="button" onClick={() => go(today)} aria-pressed={days.includes(today)}>
            {t('agenda.today')}
          </button>
          <button className="button button--icon" type="button" onClick={() => go(stepDate(mode, date, 1))} aria-label={t(`agendaUi.next.${mode}`)}>
            <span aria-hidden="true">›</span>
          </button>
        </div>
        <nav className="agenda__modes" aria-label={t('agendaUi.modes')}>
          {(['jour', 'semaine', 'mois'] as const).map((m) => (
            <a
              key={m}
              className="button"
              // The day shown is kept from view to view: Jour → Mois → Jour comes back to it.
              href={routeHref({ view: 'agenda', mode: m, date })}
              aria-current={m === mode ? 'page' : undefined}
            >
              {t(MODE_LABELS[m])}
            </a>
          ))}
        </nav>
        {practitioners && practitioners.length > 1 && mode !== 'mois' ? (
          <PractitionerPicker practitioners={practitioners} hidden={hidden} onToggle={toggle} />
        ) : null}
        {appointments !== null && known ? (
          <p className="agenda__summary">
            {plural('agenda.count', live.length)}
            {overlapCount > 0 ? <strong className="agenda__overlaps"> · {plural('agendaUi.overlapCount', overlapCount)}</strong> : null}
          </p>
        ) : null}
        <details className="popover agenda__more">
          <summary className="button button--icon" aria-label={t('agendaUi.more')}>
            <span aria-hidden="true">⋯</span>
          </summary>
          <div className="popover__panel popover__panel--end">
            <a className="button" href={routeHref({ view: 'print', what: 'jour', date, practitionerId: null })}>
              {t('agendaUi.printDay')}
            </a>
            <a className="button" href={routeHref({ view: 'reminders', date: addDays(today, 1) })}>
              {t('agendaUi.reminders')}
            </a>
          </div>
        </details>
      </header>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <WeekDigestBanner from={days[0]!} to={days[days.length - 1]!} />
      <FreshnessBanner freshness={freshness} subject="agenda" floating />
      {appointments === null || practitioners === null ? (
        <p>{t('app.loading')}</p>
      ) : mode === 'mois' ? (
        <MonthView date={date} today={today} appointments={appointments} overlapping={overlapping} label={heading.full} />
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
          holidays={holidays}
          absences={absences ?? []}
          onCreate={(slot) => setEditor({ kind: 'new', ...slot })}
          onOpen={(appointment) => setSheet(appointment.id)}
          onDrop={drop}
        />
      )}
      {opened ? (
        <AppointmentSheet
          appointment={opened}
          patient={opened.patientId ? patients?.get(opened.patientId) : undefined}
          kind={opened.kindId ? kinds?.find((k) => k.id === opened.kindId) : undefined}
          series={opened.seriesId ? series?.get(opened.seriesId) : undefined}
          overlaps={overlapping.has(opened.id)}
          onStatus={(status) => quickStatus(opened, status)}
          onEdit={() => {
            setSheet(null)
            setEditor({ kind: 'edit', appointment: opened })
          }}
          onClose={() => setSheet(null)}
        />
      ) : null}
      {editor ? (
        <AppointmentEditor
          target={editor}
          onClose={() => setEditor(null)}
          onChanged={(action, message) => offerUndo(action, message)}
        />
      ) : null}
      {undo ? <UndoToast key={undo.serial} message={undo.message} onUndo={runUndo} onDismiss={dismissUndo} /> : null}
    </div>
  )
}

