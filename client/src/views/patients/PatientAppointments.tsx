import { useCallback, useId, useState } from 'react'
import type * as Y from 'yjs'
import {
  agendaDocId,
  getPatient,
  indexAgendaMonth,
  listAppointmentKinds,
  listPractitioners,
  markMonthsComplete,
  monthOf,
  monthsAroundPatient,
  nowIn,
  todayIn,
} from '../../../../shared/src/model'
import type { Appointment, AppointmentKind, Patient, Practitioner } from '../../../../shared/src/model'
import { routeHref } from '../../app/route'
import { useT } from '../../i18n'
import type { PlainKey } from '../../i18n'
import {
  useDirectory,
  useDocFreshness,
  useDocSnapshot,
  usePatientAppointments,
  usePatientMembers,
  usePractice,
  useSyncState,
} from '../../state'
import { FreshnessBanner } from '../sync/FreshnessBanner'
import { describeError } from '../form/describe-error'
import './patient-appointments.css'

/**
 * Past months with appointments opened at first (the current course of sessions, and the one
 * before), then this many more at each « Afficher les plus anciens »: each is a room to download.
 */
const PAST_MONTHS_STEP = 2

const STATUS_KEYS: { readonly [S in Appointment['status']]: PlainKey } = {
  booked: 'file.status.booked',
  arrived: 'file.status.arrived',
  fulfilled: 'file.status.fulfilled',
  cancelled: 'file.status.cancelled',
  noshow: 'file.status.noshow',
}

// Retired kinds and practitioners still name the appointments they were given to.
const readKinds = (doc: Y.Doc): ReadonlyMap<string, AppointmentKind> =>
  new Map(listAppointmentKinds(doc, { includeInactive: true, includeDeleted: true }).items.map((k) => [k.id, k]))
const readPractitioners = (doc: Y.Doc): ReadonlyMap<string, Practitioner> =>
  new Map(listPractitioners(doc, { includeInactive: true, includeDeleted: true }).items.map((p) => [p.id, p]))

/**
 * The patient's upcoming and past appointments, each with its date, time, kind, status and
 * practitioner, linked to its day in the agenda. Only the agenda months the directory's index
 * lists for the patient are opened (see usePatientAppointments); « Chargement » shows until they
 * have, never « aucun rendez-vous » meanwhile.
 */
export function PatientAppointments(props: { patient: Patient }) {
  const { patient } = props
  const { t, plural, timeZone } = useT()
  const { clock, space } = usePractice()
  const titleId = useId()
  const thisMonth = todayIn(timeZone, clock).slice(0, 7)
  const [pastMonths, setPastMonths] = useState(PAST_MONTHS_STEP)
  const { index, olderMonths, appointments, emptyMonths, docIds } = usePatientAppointments(patient.id, thisMonth, pastMonths)
  // Months not known complete here (never synced): what shows may lack appointments (issue 17).
  const freshness = useDocFreshness(docIds)
  // A month the index lists but whose doc holds nothing of the patient yet: still on its way here.
  const syncStatus = useSyncState(space).status
  const arriving = (emptyMonths.length > 0 && syncStatus !== 'online') || !freshness.known
  const now = nowIn(timeZone, clock)
  const upcoming = (appointments ?? []).filter((a) => a.start >= now)
  const past = (appointments ?? []).filter((a) => a.start < now).reverse()

  return (
    <section className="card patient-appointments" aria-labelledby={titleId} aria-busy={appointments === null}>
      <h2 id={titleId}>{t('patients.appointments')}</h2>
      {index !== null && !index.complete ? <OlderPatientCatchUp patient={patient} /> : null}
      {appointments === null ? (
        <p className="patient-appointments__loading" aria-live="polite">
          {t('patients.appointments.loading')}
        </p>
      ) : appointments.length === 0 && olderMonths === 0 && !arriving ? (
        <p className="empty">{t('patients.appointments.none')}</p>
      ) : (
        <>
          {arriving && freshness.known ? (
            <p className="patient-appointments__loading" aria-live="polite">
              {t('patients.appointments.arriving')}
            </p>
          ) : null}
          <FreshnessBanner freshness={freshness} subject="appointments" />
          <AppointmentList
            title={t('patients.appointments.upcoming')}
            empty={t('patients.appointments.noneUpcoming')}
            appointments={upcoming}
          />
          <AppointmentList
            title={t('patients.appointments.past')}
            empty={olderMonths > 0 ? t('patients.appointments.noneRecent') : t('patients.appointments.nonePast')}
            appointments={past}
          />
        </>
      )}
      {olderMonths > 0 ? (
        <button type="button" className="button" disabled={appointments === null} onClick={() => setPastMonths((n) => n + PAST_MONTHS_STEP)}>
          {plural('patients.appointments.older', olderMonths)}
        </button>
      ) : null}
    </section>
  )
}

function AppointmentList(props: { title: string; empty: string; appointments: readonly Appointment[] }) {
  const { t, dayHeading, startOf } = useT()
  const directory = useDirectory()
  const kinds = useDocSnapshot(directory, readKinds)
  const practitioners = useDocSnapshot(directory, readPractitioners)
  const titleId = useId()
  return (
    <div className="patient-appointments__group">
      <h3 id={titleId}>{props.title}</h3>
      {props.appointments.length === 0 ? (
        <p className="empty">{props.empty}</p>
      ) : (
        <ul className="patient-appointments__list" aria-labelledby={titleId}>
          {props.appointments.map((a) => {
            const day = a.start.slice(0, 10)
            const kind = a.kindId ? kinds?.get(a.kindId)?.label : undefined
            const practitioner = practitioners?.get(a.practitionerId)?.displayName ?? t('agenda.unknownPractitioner')
            return (
              <li key={a.id} className={`patient-appointments__item patient-appointments__item--${a.status}`}>
                <a href={routeHref({ view: 'agenda', mode: 'jour', date: day })}>
                  <span className="patient-appointments__when">
                    {t('patients.appointments.when', { day: dayHeading(day), year: day.slice(0, 4), time: startOf(a.start) })}
                  </span>
                  <span className="patient-appointments__what">
                    {[kind ?? a.title ?? t('appointment.kind.none'), a.place === 'home' ? t('agenda.homeVisit') : null, t(STATUS_KEYS[a.status]), practitioner]
                      .filter(Boolean)
                      .join(' · ')}
                  </span>
                </a>
              </li>
            )
          })}
        </ul>
      )}
    </div>
  )
}

type CatchUp = { state: 'idle' } | { state: 'running'; done: number; total: number } | { state: 'failed'; message: string }

/**
 * A patient created before the index existed: its list of months may miss some. Looking through
 * the months around its creation (opened one at a time) notes them, and the list is then complete.
 */
function OlderPatientCatchUp(props: { patient: Patient }) {
  const translator = useT()
  const { t, timeZone } = translator
  const { docs, clock } = usePractice()
  const directory = useDirectory()
  const [progress, setProgress] = useState<CatchUp>({ state: 'idle' })
  const { patient } = props
  // The duplicates merged into the patient count too: their lists may be the incomplete ones.
  const { members } = usePatientMembers(patient.id)

  const run = useCallback(async () => {
    if (!directory) return
    const thisMonth = todayIn(timeZone, clock).slice(0, 7)
    const createdAt = members.map((id) => getPatient(directory, id)?.createdAt ?? patient.createdAt)
    const months = [...new Set(createdAt.flatMap((at) => monthsAroundPatient(monthOf(todayIn(timeZone, () => at)), thisMonth)))].sort()
    try {
      for (const [i, month] of months.entries()) {
        setProgress({ state: 'running', done: i, total: months.length })
        indexAgendaMonth(directory, await docs.open(agendaDocId(month)))
      }
      for (const id of members) markMonthsComplete(directory, id)
      setProgress({ state: 'idle' })
    } catch (error) {
      setProgress({ state: 'failed', message: describeError(error, translator) })
    }
  }, [directory, docs, clock, timeZone, patient, members, translator])

  return (
    <div className="patient-appointments__catch-up">
      <p>{t('patients.appointments.incomplete')}</p>
      {progress.state === 'running' ? (
        <p aria-live="polite">{t('patients.appointments.catchUpProgress', { done: progress.done, total: progress.total })}</p>
      ) : (
        <button type="button" className="button" onClick={() => void run()}>
          {t('patients.appointments.catchUp')}
        </button>
      )}
      {progress.state === 'failed' ? (
        <p className="form-alert" role="alert">
          {progress.message}
        </p>
      ) : null}
    </div>
  )
}
