import { useEffect, useMemo, useState } from 'react'
import { agendaDocId, expandSeries, isLocalDateTime, listAppointments, monthOf, patientDisplayName } from '../../../../shared/src/model'
import type { Absence, Appointment, HolidayCountry } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { usePatientIndex, usePractice } from '../../state'
import { checkSeriesForm } from './series-form'
import type { SeriesEnd } from './series-form'
import { bookingWarnings, hasWarning, previewSeries } from './series-preview'
import type { SlotWarnings } from './series-preview'

/**
 * The appointments of the months `months` ('YYYY-MM'), opened here and read again on every change
 * of their docs; null while they open. For the editor's warnings, which look at other days than
 * the ones the grid shows.
 */
export function useMonthAppointments(months: readonly string[]): readonly Appointment[] | null {
  const { docs } = usePractice()
  const key = months.join(',')
  const [state, setState] = useState<{ key: string; items: readonly Appointment[] } | null>(null)
  useEffect(() => {
    let live = true
    const unsubscribe: (() => void)[] = []
    const list = key === '' ? [] : key.split(',')
    Promise.all(list.map((month) => docs.open(agendaDocId(month)))).then(
      (opened) => {
        if (!live) return
        const read = () => setState({ key, items: opened.flatMap((doc) => listAppointments(doc).items) })
        for (const doc of opened) {
          doc.on('update', read)
          unsubscribe.push(() => doc.off('update', read))
        }
        read()
      },
      (error: unknown) => {
        console.warn('Agenda months unavailable for the warnings', error instanceof Error ? error.name : 'error')
        if (live) setState({ key, items: [] })
      },
    )
    return () => {
      live = false
      for (const off of unsubscribe) off()
    }
  }, [docs, key])
  return state?.key === key ? state.items : null
}

/** The warnings of one slot, as short lines: what clashes, the holiday, the absence. */
function WarningLines(props: { warnings: SlotWarnings }) {
  const { t, startOf, endOf } = useT()
  const patients = usePatientIndex()
  const { clashes, holiday, absence } = props.warnings
  const nameOf = (a: Appointment) => {
    const patient = a.patientId ? patients?.get(a.patientId) : undefined
    return patient ? patientDisplayName(patient) : (a.title ?? t('agenda.block'))
  }
  return (
    <>
      {clashes.map((a) => (
        <span key={a.id} className="warning warning--clash">
          <span aria-hidden="true">⚠ </span>
          {t('agendaUi.warn.clash', { who: nameOf(a), time: t('agenda.timeRange', { start: startOf(a.start), end: endOf(a.start, a.durationMin) }) })}
        </span>
      ))}
      {holiday ? (
        <span className="warning warning--holiday">
          <span aria-hidden="true">★ </span>
          {t('agendaUi.holiday', { name: t(`holiday.${holiday}`) })}
        </span>
      ) : null}
      {absence ? (
        <span className="warning warning--absence">
          <span aria-hidden="true">⌀ </span>
          {t('agendaUi.warn.absence', { label: absence.label ?? t('agendaUi.absent') })}
        </span>
      ) : null}
    </>
  )
}

/** Under a single booking: what its slot runs into, or nothing. */
export function SlotWarningsNote(props: {
  start: string
  durationMin: number
  practitionerId: string
  ignoreId: string | undefined
  absences: readonly Absence[]
  country: HolidayCountry
}) {
  const valid = isLocalDateTime(props.start) && Number.isFinite(props.durationMin) && props.durationMin > 0
  const existing = useMonthAppointments(valid ? [monthOf(props.start)] : [])
  if (!valid || existing === null) return null
  const warnings = bookingWarnings(props.start, props.durationMin, props.practitionerId, existing, props.country, props.absences, props.ignoreId)
  if (!hasWarning(warnings)) return null
  return (
    <p className="editor__warnings" role="note">
      <WarningLines warnings={warnings} />
    </p>
  )
}

/**
 * The dates a weekly series will book, before it is saved, each flagged when it clashes with an
 * appointment of the practitioner, falls on a public holiday or in the practitioner's absence.
 * Follows the form as it is typed; says why when the repeat fields cannot make a series yet.
 */
export function SeriesPreviewList(props: {
  values: Record<string, string>
  byDay: readonly string[]
  end: SeriesEnd
  day: string
  time: string
  practitionerId: string
  absences: readonly Absence[]
  country: HolidayCountry
}) {
  const { t, plural, dayHeading, startOf } = useT()
  const { values } = props
  const first = `${values.date || props.day}T${values.start || props.time}`
  const durationMin = Number(values.durationMin)
  const practitionerId = values.practitionerId || props.practitionerId
  const starts = useMemo(() => {
    if (!isLocalDateTime(first)) return null
    const rule = checkSeriesForm({ byDay: props.byDay, interval: values.interval, count: values.count, until: values.until, end: props.end }, first)
    return rule.ok ? expandSeries(rule.rule, first) : null
  }, [first, props.byDay, props.end, values.interval, values.count, values.until])
  const months = useMemo(() => [...new Set((starts ?? []).map((s) => monthOf(s)))], [starts])
  const existing = useMonthAppointments(months)
  if (starts === null) return <p className="field__hint">{t('agendaUi.preview.incomplete')}</p>
  if (existing === null) return <p className="field__hint">{t('app.loading')}</p>
  const preview = previewSeries(starts, Number.isFinite(durationMin) && durationMin > 0 ? durationMin : 30, practitionerId, existing, props.country, props.absences)
  const flagged = preview.filter(hasWarning).length
  return (
    <section className="series-preview" aria-label={t('agendaUi.preview.title')}>
      <h3 className="series-preview__title">
        {t('agendaUi.preview.title')} : {plural('agendaUi.preview.count', preview.length)}
        {flagged > 0 ? <strong className="series-preview__flagged"> · {plural('agendaUi.preview.flagged', flagged)}</strong> : null}
      </h3>
      <ol className="series-preview__dates">
        {preview.map((p, i) => (
          <li key={p.start} className={hasWarning(p) ? 'series-preview__date series-preview__date--warn' : 'series-preview__date'}>
            <span className="series-preview__when">
              {t('agendaUi.preview.date', { index: i + 1, day: dayHeading(p.start.slice(0, 10)), time: startOf(p.start) })}
            </span>
            <WarningLines warnings={p} />
          </li>
        ))}
      </ol>
    </section>
  )
}
