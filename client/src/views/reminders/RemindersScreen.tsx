import { useCallback, useMemo, useState } from 'react'
import type * as Y from 'yjs'
import { addDays, patientDisplayName, reminderOptOutOf, setReminderOptOut } from '../../../../shared/src/model'
import type { Appointment, Patient } from '../../../../shared/src/model'
import { routeHref } from '../../app/route'
import { useT } from '../../i18n'
import { useActor, useAgendaAppointments, useDirectory, useDocSnapshot, usePatientIndex, usePractice, usePracticeSettings, usePractitioners } from '../../state'
import { describeError } from '../form/describe-error'
import { FormAlert } from '../form/form-alert'
import { formatPhone } from '../patients/patient-form'
import { mapsPlatform } from '../tournee/maps-link'
import { mailtoHref, smsHref } from './reminder-links'
import '../agenda/agenda.css'

type Row = { appointment: Appointment; patient: Patient }

/**
 * « Rappels » of a day (tomorrow's, from the agenda): each patient booked that day with one tap to
 * a prefilled SMS or e-mail in the device's own app, and their choice not to be reminded, kept on
 * the patient (the directory, encrypted like everything else). Nothing is sent by Tournée, and
 * nothing about the patient goes through the relay beyond the encrypted opt-out.
 */
export function RemindersScreen(props: { date: string }) {
  const translator = useT()
  const { t, plural, dayHeading, startOf } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const settings = usePracticeSettings()
  const practitioners = usePractitioners()
  const patients = usePatientIndex()
  const appointments = useAgendaAppointments(props.date, props.date)
  const platform = useMemo(() => mapsPlatform(navigator.userAgent), [])
  const [failure, setFailure] = useState<string | null>(null)

  const rows = useMemo<Row[] | null>(() => {
    if (!appointments || !patients) return null
    return appointments
      .filter((a) => a.status === 'booked' && a.patientId && patients.has(a.patientId))
      .map((a) => ({ appointment: a, patient: patients.get(a.patientId!)! }))
  }, [appointments, patients])
  const ids = useMemo(() => (rows ?? []).map((r) => r.patient.id).join(','), [rows])
  const readOptOuts = useCallback(
    (doc: Y.Doc) => new Set(ids.split(',').filter((id) => id !== '' && reminderOptOutOf(doc, id))),
    [ids],
  )
  const optedOut = useDocSnapshot(directory, readOptOuts)

  const toggle = (patientId: string, optOut: boolean) => {
    if (!directory) return
    try {
      setReminderOptOut(directory, patientId, optOut, actor, clock)
      setFailure(null)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  const message = (row: Row) =>
    t(row.appointment.place === 'home' ? 'reminders.message.home' : 'reminders.message', {
      firstName: row.patient.firstNames,
      practice: settings?.name ?? '',
      practitioner: practitioners?.find((p) => p.id === row.appointment.practitionerId)?.displayName ?? '',
      day: dayHeading(props.date),
      time: startOf(row.appointment.start),
    })

  return (
    <div className="reminders">
      <header className="agenda__header">
        <h1>{t('reminders.title', { date: dayHeading(props.date) })}</h1>
        <div className="agenda__nav" role="group" aria-label={t('agenda.dayNav')}>
          <a className="button" href={routeHref({ view: 'reminders', date: addDays(props.date, -1) })}>
            <span aria-hidden="true">‹ </span>
            {t('agendaUi.previous.jour')}
          </a>
          <a className="button" href={routeHref({ view: 'reminders', date: addDays(props.date, 1) })}>
            {t('agendaUi.next.jour')}
            <span aria-hidden="true"> ›</span>
          </a>
          <a className="button" href={routeHref({ view: 'agenda', mode: 'jour', date: props.date })}>
            {t('reminders.toAgenda')}
          </a>
        </div>
      </header>
      <p className="field__hint">{t('reminders.hint')}</p>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {rows === null ? (
        <p>{t('app.loading')}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{t('reminders.empty')}</p>
      ) : (
        <>
          <p className="agenda__summary">{plural('reminders.count', rows.length)}</p>
          <ul className="reminders__list" aria-label={t('reminders.listLabel', { date: dayHeading(props.date) })}>
            {rows.map((row) => {
              const name = patientDisplayName(row.patient)
              const phone = row.patient.phones?.[0]
              const email = row.patient.email
              const off = optedOut?.has(row.patient.id) ?? false
              const body = message(row)
              return (
                <li key={row.appointment.id} className={off ? 'reminder reminder--off' : 'reminder'} aria-label={name}>
                  <span className="reminder__time">{startOf(row.appointment.start)}</span>
                  <span className="reminder__who">
                    <strong>{name}</strong>
                    {phone ? <span className="reminder__contact"> · {formatPhone(phone)}</span> : null}
                  </span>
                  <span className="reminder__actions">
                    {!off && phone ? (
                      <a className="button" href={smsHref(phone, body, platform)} aria-label={t('reminders.sms', { name })}>
                        {t('reminders.smsShort')}
                      </a>
                    ) : null}
                    {!off && email ? (
                      <a className="button" href={mailtoHref(email, t('reminders.subject', { practice: settings?.name ?? '' }), body)} aria-label={t('reminders.email', { name })}>
                        {t('reminders.emailShort')}
                      </a>
                    ) : null}
                    {!off && !phone && !email ? <span className="visit__missing">{t('reminders.noContact')}</span> : null}
                    <label className="checkbox">
                      <input type="checkbox" checked={off} disabled={!directory || optedOut === null} onChange={(event) => toggle(row.patient.id, event.currentTarget.checked)} />
                      <span>{t('reminders.optOut')}</span>
                    </label>
                  </span>
                </li>
              )
            })}
          </ul>
        </>
      )}
    </div>
  )
}
