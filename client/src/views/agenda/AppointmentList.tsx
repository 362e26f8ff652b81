import type { Appointment, AppointmentKind, Patient, Practitioner } from '../../../../shared/src/model'
import { patientDisplayName } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useAppointmentKinds, usePatientIndex, usePractitioners } from '../../state'

export function AppointmentList(props: {
  label: string
  appointments: readonly Appointment[]
  overlapping: ReadonlySet<string>
}) {
  const { t } = useT()
  const patients = usePatientIndex()
  const practitioners = usePractitioners()
  const kinds = useAppointmentKinds()
  if (props.appointments.length === 0) return <p className="empty">{t('agenda.empty')}</p>
  return (
    <ol className="appointments" aria-label={props.label}>
      {props.appointments.map((appointment) => (
        <AppointmentRow
          key={appointment.id}
          appointment={appointment}
          overlaps={props.overlapping.has(appointment.id)}
          patient={appointment.patientId ? patients?.get(appointment.patientId) : undefined}
          practitioner={practitioners?.find((p) => p.id === appointment.practitionerId)}
          kind={appointment.kindId ? kinds?.find((k) => k.id === appointment.kindId) : undefined}
        />
      ))}
    </ol>
  )
}

function AppointmentRow(props: {
  appointment: Appointment
  overlaps: boolean
  patient: Patient | undefined
  practitioner: Practitioner | undefined
  kind: AppointmentKind | undefined
}) {
  const { t, startOf, endOf, duration } = useT()
  const { appointment: a, overlaps, patient, practitioner, kind } = props
  const cancelled = a.status === 'cancelled'
  const who = a.patientId
    ? patient
      ? patientDisplayName(patient)
      : t('agenda.unknownPatient')
    : (a.title ?? t('agenda.block'))
  const homeAddress = a.place === 'home' ? (a.address ?? patient?.address) : undefined
  const classes = ['appointment', overlaps ? 'appointment--overlap' : '', cancelled ? 'appointment--cancelled' : '']
  return (
    <li className={classes.filter(Boolean).join(' ')} style={{ borderInlineStartColor: practitioner?.colour ?? kind?.colour }}>
      <div className="appointment__time">
        <span className="appointment__start">{startOf(a.start)}</span>
        <span className="appointment__duration">{duration(a.durationMin)}</span>
        <span className="visually-hidden">{t('agenda.timeRange', { start: startOf(a.start), end: endOf(a.start, a.durationMin) })}</span>
      </div>
      <div className="appointment__body">
        <p className="appointment__who">
          {who}
          {a.patientId && a.title ? <span className="appointment__title"> · {a.title}</span> : null}
        </p>
        <p className="appointment__meta">
          {kind ? <span>{kind.label}</span> : null}
          <span>{practitioner?.displayName ?? t('agenda.unknownPractitioner')}</span>
          {a.place === 'home' ? (
            <span className="badge badge--home">{t('agenda.homeVisit')}</span>
          ) : (
            <span>{t('agenda.atPractice')}</span>
          )}
          {cancelled ? <span className="badge">{t('appointment.status.cancelled')}</span> : null}
        </p>
        {homeAddress ? (
          <p className="appointment__address">
            {homeAddress.line1}, {homeAddress.postalCode} {homeAddress.city}
            {homeAddress.accessNotes ? ` — ${homeAddress.accessNotes}` : ''}
          </p>
        ) : null}
        {a.note ? <p className="appointment__note">{a.note}</p> : null}
        {overlaps ? (
          <p className="appointment__overlap">
            <span aria-hidden="true">⚠ </span>
            {t('agenda.overlap')}
          </p>
        ) : null}
      </div>
    </li>
  )
}
