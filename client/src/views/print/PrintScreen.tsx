import { useMemo } from 'react'
import { patientDisplayName } from '../../../../shared/src/model'
import type { Appointment, AppointmentKind, Patient, Practitioner } from '../../../../shared/src/model'
import { routeHref } from '../../app/route'
import type { PrintWhat } from '../../app/route'
import { useT } from '../../i18n'
import { useActor, useAgendaAppointments, useAppointmentKinds, usePatientIndex, usePractitioners, usePracticeSettings } from '../../state'
import { formatPhone } from '../patients/patient-form'
import { homeVisitRound, visitAddress } from '../tournee/home-visits'
import './print.css'

/**
 * A printable page, for the paper that still rides in the car: the day of the agenda (every
 * practitioner, every appointment) or one practitioner's round (feuille de route). Plain tables
 * sized for an A4 page; « Imprimer » hands it to the browser, whose print dialog also saves a PDF.
 * The screen's header and navigation are left off the paper (print.css).
 */
export function PrintScreen(props: { what: PrintWhat; date: string; practitionerId: string | null }) {
  const { t, dayHeading } = useT()
  const actor = useActor()
  const settings = usePracticeSettings()
  const appointments = useAgendaAppointments(props.date, props.date)
  const practitioners = usePractitioners()
  const patients = usePatientIndex()
  const kinds = useAppointmentKinds()
  const practitionerId = props.practitionerId ?? actor.memberId
  const back =
    props.what === 'tournee'
      ? routeHref({ view: 'tournee', date: props.date, practitionerId: props.practitionerId })
      : routeHref({ view: 'agenda', mode: 'jour', date: props.date })
  const title =
    props.what === 'tournee'
      ? t('print.roundTitle', {
          practitioner: practitioners?.find((p) => p.id === practitionerId)?.displayName ?? t('agenda.unknownPractitioner'),
          date: dayHeading(props.date),
        })
      : t('print.dayTitle', { date: dayHeading(props.date) })
  return (
    <div className="print">
      <div className="print__actions">
        <a className="button" href={back}>
          {t('print.back')}
        </a>
        <button type="button" className="button button--primary" onClick={() => window.print()}>
          {t('print.print')}
        </button>
        <p className="field__hint">{t('print.hint')}</p>
      </div>
      <header className="print__header">
        <p className="print__practice">{settings?.name ?? ''}</p>
        <h1>{title}</h1>
      </header>
      {appointments === null || practitioners === null || patients === null ? (
        <p>{t('app.loading')}</p>
      ) : props.what === 'tournee' ? (
        <RoundTable appointments={appointments} patients={patients} practitionerId={practitionerId} day={props.date} />
      ) : (
        <DayTables appointments={appointments} patients={patients} practitioners={practitioners} kinds={kinds ?? []} />
      )}
    </div>
  )
}

function Contact(props: { patient: Patient | undefined }) {
  const phones = props.patient?.phones ?? []
  return <>{phones.map(formatPhone).join(', ')}</>
}

function DayTables(props: {
  appointments: readonly Appointment[]
  patients: ReadonlyMap<string, Patient>
  practitioners: readonly Practitioner[]
  kinds: readonly AppointmentKind[]
}) {
  const { t, startOf, endOf } = useT()
  const byPractitioner = useMemo(() => {
    const map = new Map<string, Appointment[]>()
    for (const a of props.appointments) map.set(a.practitionerId, [...(map.get(a.practitionerId) ?? []), a])
    return map
  }, [props.appointments])
  const shown = props.practitioners.filter((p) => byPractitioner.has(p.id))
  if (shown.length === 0) return <p>{t('print.empty')}</p>
  return (
    <>
      {shown.map((practitioner) => (
        <section key={practitioner.id} className="print__section">
          <h2>{practitioner.displayName}</h2>
          <table className="print__table print__table--day">
            <thead>
              <tr>
                <th scope="col">{t('print.col.time')}</th>
                <th scope="col">{t('print.col.patient')}</th>
                <th scope="col">{t('print.col.place')}</th>
                <th scope="col">{t('print.col.phone')}</th>
                <th scope="col">{t('print.col.note')}</th>
              </tr>
            </thead>
            <tbody>
              {byPractitioner.get(practitioner.id)!.map((a) => {
                const patient = a.patientId ? props.patients.get(a.patientId) : undefined
                const kind = a.kindId ? props.kinds.find((k) => k.id === a.kindId) : undefined
                const { address } = visitAddress(a, patient)
                return (
                  <tr key={a.id} className={a.status === 'cancelled' ? 'print__row--cancelled' : undefined}>
                    <td className="print__time">{t('agenda.timeRange', { start: startOf(a.start), end: endOf(a.start, a.durationMin) })}</td>
                    <td>
                      <strong>{a.patientId ? (patient ? patientDisplayName(patient) : t('agenda.unknownPatient')) : (a.title ?? t('agenda.block'))}</strong>
                      {kind ? <> · {kind.label}</> : null}
                      {a.status !== 'booked' ? <> · {t(`agendaUi.status.${a.status}`)}</> : null}
                    </td>
                    <td>
                      {a.place === 'home' ? (
                        <>
                          {t('agenda.homeVisit')}
                          {address ? <>, {address.line1}, {address.postalCode} {address.city}</> : null}
                          {address?.accessNotes ? <div className="print__access">{t('tournee.access')} {address.accessNotes}</div> : null}
                        </>
                      ) : (
                        t('appointment.place.practice')
                      )}
                    </td>
                    <td className="print__phone">
                      <Contact patient={patient} />
                    </td>
                    <td>{[a.patientId && a.title ? a.title : null, a.note, a.cancelReason].filter(Boolean).join(' · ')}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </section>
      ))}
    </>
  )
}

function RoundTable(props: { appointments: readonly Appointment[]; patients: ReadonlyMap<string, Patient>; practitionerId: string; day: string }) {
  const { t, startOf, endOf } = useT()
  const round = useMemo(
    () => homeVisitRound(props.appointments, props.patients, props.practitionerId, props.day),
    [props.appointments, props.patients, props.practitionerId, props.day],
  )
  if (round.length === 0) return <p>{t('tournee.empty')}</p>
  return (
    <table className="print__table print__table--round">
      <thead>
        <tr>
          <th scope="col">{t('print.col.order')}</th>
          <th scope="col">{t('print.col.time')}</th>
          <th scope="col">{t('print.col.patient')}</th>
          <th scope="col">{t('print.col.address')}</th>
          <th scope="col">{t('print.col.phone')}</th>
          <th scope="col">{t('print.col.done')}</th>
        </tr>
      </thead>
      <tbody>
        {round.map((visit, i) => {
          const a = visit.appointment
          return (
            <tr key={a.id}>
              <td>{i + 1}</td>
              <td className="print__time">{t('agenda.timeRange', { start: startOf(a.start), end: endOf(a.start, a.durationMin) })}</td>
              <td>
                <strong>{visit.patient ? patientDisplayName(visit.patient) : (a.title ?? t('agenda.unknownPatient'))}</strong>
                {a.note ? <div>{a.note}</div> : null}
              </td>
              <td>
                {visit.address ? (
                  <>
                    {visit.address.line1}
                    {visit.address.line2 ? <>, {visit.address.line2}</> : null}, {visit.address.postalCode} {visit.address.city}
                  </>
                ) : (
                  t('tournee.noAddress')
                )}
                {visit.address?.accessNotes ? <div className="print__access">{t('tournee.access')} {visit.address.accessNotes}</div> : null}
              </td>
              <td className="print__phone">{visit.phone ? formatPhone(visit.phone) : '—'}</td>
              <td className="print__check" aria-label={t('print.col.done')}>
                ☐
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
