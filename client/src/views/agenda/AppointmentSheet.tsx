import { useEffect, useId, useRef } from 'react'
import { patientDisplayName } from '../../../../shared/src/model'
import type { Appointment, AppointmentKind, AppointmentStatus, Patient, Series } from '../../../../shared/src/model'
import { routeHref } from '../../app/route'
import { useT } from '../../i18n'
import { formatPhone } from '../patients/patient-form'
import { telHref } from '../tournee/home-visits'
import { QUICK_STATUSES, STATUS_ICONS } from './status-look'

/**
 * What a tap on a block opens: the appointment in full (the name a narrow column shortens, its
 * status and cancellation reason), the one-tap statuses Arrivé / Terminé / Absent, a call to the
 * patient, their file, and « Modifier » for the editor. A modal dialog, closed by Escape or « Fermer ».
 */
export function AppointmentSheet(props: {
  appointment: Appointment
  patient: Patient | undefined
  kind: AppointmentKind | undefined
  series: Series | undefined
  overlaps: boolean
  onStatus: (status: AppointmentStatus) => void
  onEdit: () => void
  onClose: () => void
}) {
  const { t, startOf, endOf, dayHeading } = useT()
  const { appointment: a, patient, kind, series } = props
  const dialog = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const element = dialog.current
    if (element && !element.open) element.showModal()
  }, [])
  const name = a.patientId ? (patient ? patientDisplayName(patient) : t('agenda.unknownPatient')) : (a.title ?? t('agenda.block'))
  const phone = patient?.phones?.[0]
  const address = a.place === 'home' ? (a.address ?? patient?.address) : undefined
  return (
    <dialog ref={dialog} className="sheet" aria-labelledby={titleId} onClose={props.onClose}>
      <header className="sheet__header">
        <h2 id={titleId}>{name}</h2>
        <button type="button" className="button" onClick={props.onClose}>
          {t('agendaUi.editor.close')}
        </button>
      </header>
      <p className="sheet__when">
        {dayHeading(a.start.slice(0, 10))}, {t('agenda.timeRange', { start: startOf(a.start), end: endOf(a.start, a.durationMin) })}
        {kind ? <> · <span className="sheet__kind" style={{ ['--kind' as string]: kind.colour }}>{kind.label}</span></> : null}
        {a.seriesId && series ? <> · {t('agendaUi.seriesPosition', { index: a.occurrence ?? 1, total: series.total })}</> : null}
      </p>
      <p className={`sheet__status status-badge status-badge--${a.status}`}>
        {STATUS_ICONS[a.status] ? <span aria-hidden="true">{STATUS_ICONS[a.status]} </span> : null}
        {t('agendaUi.status.heading', { status: t(`agendaUi.status.${a.status}`) })}
      </p>
      {a.status === 'cancelled' && a.cancelReason ? <p className="sheet__reason">{t('agendaUi.status.reason', { reason: a.cancelReason })}</p> : null}
      {props.overlaps ? (
        <p className="sheet__overlap">
          <span aria-hidden="true">⚠ </span>
          {t('agenda.overlap')}
        </p>
      ) : null}
      {address ? (
        <p className="sheet__address">
          {address.line1}, {address.postalCode} {address.city}
          {address.accessNotes ? <> — {address.accessNotes}</> : null}
        </p>
      ) : null}
      {a.note ? <p className="sheet__note">{a.note}</p> : null}
      {a.status !== 'cancelled' ? (
        <div className="sheet__statuses" role="group" aria-label={t('agendaUi.quickStatus')}>
          {QUICK_STATUSES.map((status) => (
            <button
              key={status}
              type="button"
              className={`button status-button status-button--${status}`}
              aria-pressed={a.status === status}
              onClick={() => props.onStatus(a.status === status ? 'booked' : status)}
            >
              <span aria-hidden="true">{STATUS_ICONS[status]} </span>
              {t(`agendaUi.action.${status}`)}
            </button>
          ))}
        </div>
      ) : null}
      <div className="sheet__links">
        {phone ? (
          <a className="button" href={telHref(phone)} aria-label={t('agendaUi.call', { name, phone: formatPhone(phone) })}>
            <span aria-hidden="true">✆ </span>
            {formatPhone(phone)}
          </a>
        ) : null}
        {a.patientId ? (
          // The patient shown (the survivor, when the appointment names a duplicate merged since).
          <a className="button" href={routeHref({ view: 'patient', patientId: patient?.id ?? a.patientId })} onClick={props.onClose}>
            {t('agendaUi.openFile')}
          </a>
        ) : null}
        <button type="button" className="button button--primary" onClick={props.onEdit}>
          {t('agendaUi.edit')}
        </button>
      </div>
    </dialog>
  )
}
