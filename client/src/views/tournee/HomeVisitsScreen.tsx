import { useCallback, useId, useMemo, useState } from 'react'
import type * as Y from 'yjs'
import { addDays, agendaDocId, listAppointments, monthOf, patientDisplayName, setAppointmentStatus, todayIn } from '../../../../shared/src/model'
import type { AppointmentStatus } from '../../../../shared/src/model'
import { routeHref } from '../../app/route'
import { navigate } from '../../app/use-route'
import { useT } from '../../i18n'
import { useActor, useDoc, useDocFreshness, useDocSnapshot, usePatientIndex, usePractice, usePractitioners } from '../../state'
import { describeError } from '../form/describe-error'
import { SelectField } from '../form/fields'
import { FormAlert } from '../form/form-alert'
import { FreshnessBanner } from '../sync/FreshnessBanner'
import { formatPhone } from '../patients/patient-form'
import { addressQuery, homeVisitRound, telHref } from './home-visits'
import type { HomeVisit } from './home-visits'
import { mapsHref, mapsPlatform, opensInNewTab } from './maps-link'
import './tournee.css'

/**
 * « Tournée »: one practitioner's home visits of one day, in order, with what the practitioner
 * needs in the car — address, access notes, a phone link, a maps link, time to the next visit —
 * and a big « Fait » button. Marking a visit done is an ordinary write to the month's agenda doc,
 * so it works offline and reaches the other devices when the network is back.
 */
export function HomeVisitsScreen(props: { date: string | null; practitionerId: string | null }) {
  const translator = useT()
  const { t, plural, dayHeading, timeZone } = translator
  const { clock, docs } = usePractice()
  const actor = useActor()
  const today = todayIn(timeZone, clock)
  const day = props.date ?? today
  const practitionerId = props.practitionerId ?? actor.memberId

  const practitioners = usePractitioners()
  const patients = usePatientIndex()
  const agenda = useDoc(agendaDocId(monthOf(day)))
  const freshness = useDocFreshness(useMemo(() => [agendaDocId(monthOf(day))], [day]))
  const readDay = useCallback((doc: Y.Doc) => listAppointments(doc, { day }).items, [day])
  const appointments = useDocSnapshot(agenda, readDay)
  const round = useMemo(
    () => (appointments && patients ? homeVisitRound(appointments, patients, practitionerId, day) : null),
    [appointments, patients, practitionerId, day],
  )
  // Read once: the platform does not change while the page is open.
  const platform = useMemo(() => mapsPlatform(navigator.userAgent), [])
  const [failure, setFailure] = useState<string | null>(null)

  const goTo = (date: string, practitioner: string = practitionerId) =>
    navigate(
      routeHref({
        view: 'tournee',
        date: date === today ? null : date,
        practitionerId: practitioner === actor.memberId ? null : practitioner,
      }),
    )

  async function setStatus(visit: HomeVisit, status: AppointmentStatus) {
    try {
      const doc = await docs.open(agendaDocId(monthOf(visit.appointment.start)))
      setAppointmentStatus(doc, visit.appointment.id, status, actor, clock)
      setFailure(null)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  const overlaps = round?.filter((v) => v.overlaps).length ?? 0
  const choices = (practitioners ?? []).map((p) => ({ value: p.id, label: p.displayName }))
  if (practitioners && !practitioners.some((p) => p.id === practitionerId)) {
    choices.push({ value: practitionerId, label: t('agenda.unknownPractitioner') })
  }

  return (
    <div className="tournee">
      <header className="agenda__header">
        <h1>{t('tournee.title', { date: dayHeading(day) })}</h1>
        <div className="agenda__nav" role="group" aria-label={t('tournee.dayNav')}>
          <button className="button" type="button" onClick={() => goTo(addDays(day, -1))}>
            <span aria-hidden="true">‹ </span>
            {t('tournee.previousDay')}
          </button>
          <button className="button" type="button" onClick={() => goTo(today)} aria-pressed={day === today}>
            {t('tournee.today')}
          </button>
          <button className="button" type="button" onClick={() => goTo(addDays(day, 1))}>
            {t('tournee.nextDay')}
            <span aria-hidden="true"> ›</span>
          </button>
        </div>
      </header>
      <div className="tournee__who">
        <SelectField
          label={t('tournee.practitioner')}
          name="practitioner"
          value={practitionerId}
          choices={choices}
          onChange={(event) => goTo(day, event.currentTarget.value)}
        />
        <a
          className="button tournee__print"
          href={routeHref({ view: 'print', what: 'tournee', date: day, practitionerId: practitionerId === actor.memberId ? null : practitionerId })}
        >
          {t('tournee.print')}
        </a>
      </div>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <FreshnessBanner freshness={freshness} subject="agenda" />
      {round === null ? (
        <p>{t('app.loading')}</p>
      ) : round.length === 0 ? (
        // Not known complete here: the banner says so, and « aucune visite » would not be true.
        freshness.known ? <p className="empty">{t('tournee.empty')}</p> : null
      ) : (
        <>
          <p className="agenda__summary">
            {plural('tournee.count', round.length)}
            {overlaps > 0 ? <strong className="agenda__overlaps"> · {plural('tournee.overlapSummary', overlaps)}</strong> : null}
          </p>
          <ol className="visits" aria-label={t('tournee.listLabel', { date: dayHeading(day) })}>
            {round.map((visit) => (
              <VisitRow key={visit.appointment.id} visit={visit} platform={platform} onStatus={(status) => void setStatus(visit, status)} />
            ))}
          </ol>
        </>
      )}
    </div>
  )
}

function VisitRow(props: { visit: HomeVisit; platform: ReturnType<typeof mapsPlatform>; onStatus: (status: AppointmentStatus) => void }) {
  const { t, startOf, endOf, duration } = useT()
  const { visit, platform, onStatus } = props
  const { appointment: a, patient, address, phone } = visit
  const nameId = useId()
  const name = a.patientId ? (patient ? patientDisplayName(patient) : t('agenda.unknownPatient')) : (a.title ?? t('agenda.block'))
  const done = a.status === 'fulfilled'
  const maps = address ? mapsHref(addressQuery(address), platform) : undefined
  const classes = ['visit', visit.overlaps ? 'visit--overlap' : '', done ? 'visit--done' : '']
  return (
    <li className={classes.filter(Boolean).join(' ')} aria-labelledby={nameId}>
      <div className="visit__time">
        <span className="visit__start">{startOf(a.start)}</span>
        <span className="visit__end">{t('tournee.until', { end: endOf(a.start, a.durationMin) })}</span>
        <span className="visit__duration">{duration(a.durationMin)}</span>
      </div>
      <div className="visit__body">
        <h2 className="visit__who" id={nameId}>
          {name}
        </h2>
        {address ? (
          <address className="visit__address">
            {address.line1}
            {address.line2 ? <>, {address.line2}</> : null}, {address.postalCode} {address.city}
            {visit.addressSource === 'appointment' ? <span className="visit__source"> · {t('tournee.addressOfVisit')}</span> : null}
          </address>
        ) : (
          <p className="visit__address visit__address--missing">{t('tournee.noAddress')}</p>
        )}
        {address?.accessNotes ? (
          <p className="visit__access">
            <strong>{t('tournee.access')}</strong> {address.accessNotes}
          </p>
        ) : null}
        {a.note ? <p className="visit__note">{a.note}</p> : null}
        <div className="visit__links">
          {phone ? (
            <a className="button visit__link" href={telHref(phone)} aria-label={t('tournee.call', { name, phone: formatPhone(phone) })}>
              <span aria-hidden="true">✆ </span>
              {formatPhone(phone)}
            </a>
          ) : (
            <span className="visit__missing">{t('tournee.noPhone')}</span>
          )}
          {maps ? (
            <a
              className="button visit__link"
              href={maps}
              aria-label={t('tournee.openMaps', { name })}
              {...(opensInNewTab(maps) ? { target: '_blank', rel: 'noreferrer noopener' } : { rel: 'noreferrer' })}
            >
              <span aria-hidden="true">➜ </span>
              {t('tournee.maps')}
            </a>
          ) : null}
        </div>
        {visit.overlaps ? (
          <p className="visit__overlap">
            <span aria-hidden="true">⚠ </span>
            {t('tournee.overlap')}
          </p>
        ) : null}
        <GapToNext minutes={visit.gapToNextMin} next={visit.next} />
      </div>
      <div className="visit__status">
        {done ? (
          <>
            <p className="visit__done">
              <span aria-hidden="true">✓ </span>
              {t('tournee.done')}
            </p>
            <button className="button button--quiet" type="button" onClick={() => onStatus('booked')}>
              {t('tournee.undo')}
            </button>
          </>
        ) : (
          <button className="button button--primary button--large visit__fait" type="button" onClick={() => onStatus('fulfilled')}>
            {t('tournee.markDone')}
          </button>
        )}
      </div>
    </li>
  )
}

function GapToNext(props: { minutes: number | null; next: HomeVisit['next'] }) {
  const { t, duration, startOf } = useT()
  const { minutes, next } = props
  if (minutes === null || next === null) return null
  // The next appointment may be at the practice: the time left is until it, not until the next visit.
  if (next.place === 'practice') {
    const time = startOf(next.start)
    if (minutes < 0) return <p className="visit__gap visit__gap--negative">{t('tournee.gapNegativePractice', { duration: duration(-minutes), time })}</p>
    if (minutes === 0) return <p className="visit__gap">{t('tournee.gapNonePractice', { time })}</p>
    return <p className="visit__gap">{t('tournee.gapPractice', { duration: duration(minutes), time })}</p>
  }
  if (minutes < 0) return <p className="visit__gap visit__gap--negative">{t('tournee.gapNegative', { duration: duration(-minutes) })}</p>
  if (minutes === 0) return <p className="visit__gap">{t('tournee.gapNone')}</p>
  return <p className="visit__gap">{t('tournee.gap', { duration: duration(minutes) })}</p>
}
