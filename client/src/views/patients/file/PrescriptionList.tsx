import { useCallback, useId, useState } from 'react'
import type * as Y from 'yjs'
import {
  agendaDocId,
  countPrescriptionSessions,
  listAppointments,
  listPrescriptions,
  monthOf,
  newestDatedFirst,
  prescriptionAgendaMonths,
  updateAppointment,
} from '../../../../../shared/src/model'
import type { Appointment, AppointmentStatus, Prescription } from '../../../../../shared/src/model'
import { useT } from '../../../i18n'
import type { PlainKey } from '../../../i18n'
import { useActor, useDocsSnapshot, usePatientFileRecords, usePractice } from '../../../state'
import { describeError } from '../../form/describe-error'
import { FormAlert } from '../../form/form-alert'

const readPrescriptions = (doc: Y.Doc): readonly Prescription[] => listPrescriptions(doc).items

const STATUS_KEYS: { readonly [S in AppointmentStatus]: PlainKey } = {
  booked: 'file.status.booked',
  arrived: 'file.status.arrived',
  fulfilled: 'file.status.fulfilled',
  cancelled: 'file.status.cancelled',
  noshow: 'file.status.noshow',
}

/**
 * The patient's ordonnances, newest first — with those of the duplicates merged into it
 * (`members`) — each with its sessions counted from the agenda.
 */
export function PrescriptionList(props: { members: readonly string[] }) {
  const { t } = useT()
  const { items, complete } = usePatientFileRecords(props.members, readPrescriptions, newestDatedFirst)
  const prescriptions = items ?? []
  if (prescriptions.length === 0) return complete ? <p className="empty">{t('file.prescription.none')}</p> : <p>{t('app.loading')}</p>
  return (
    <ul className="prescriptions">
      {prescriptions.map(({ record: p }) => (
        <li key={p.id}>
          <PrescriptionCard prescription={p} members={props.members} />
        </li>
      ))}
    </ul>
  )
}

function PrescriptionCard(props: { prescription: Prescription; members: readonly string[] }) {
  const { prescription: p, members } = props
  const translator = useT()
  const { t, longDate, timeZone } = translator
  const { clock } = usePractice()
  const headingId = useId()
  const [linking, setLinking] = useState(false)
  // Read once per render: the months change at most at midnight, and the list re-renders often.
  const months = prescriptionAgendaMonths(p.date, clock, timeZone)
  const docIds = months.map(agendaDocId)
  const read = useCallback(
    (docs: readonly Y.Doc[]) => docs.flatMap((doc) => members.flatMap((patientId) => listAppointments(doc, { patientId }).items)),
    [members],
  )
  const { value: appointments } = useDocsSnapshot(docIds, read)
  const counts = countPrescriptionSessions(p, appointments, clock, timeZone)
  const lastMonth = months.at(-1) ?? monthOf(p.date)

  return (
    <article className="prescription card" aria-labelledby={headingId}>
      <h4 id={headingId}>{t('file.prescription.heading', { date: longDate(p.date), prescriber: p.prescriberName })}</h4>
      <p className="prescription__indication">{p.indication}</p>
      {p.prescriberRpps ? (
        <p className="prescription__rpps">
          {t('file.prescription.prescriberRpps')} : {p.prescriberRpps}
        </p>
      ) : null}
      <p className="prescription__counts">
        {counts.prescribed === undefined
          ? t('file.prescription.countsNoTotal', { done: counts.done, planned: counts.planned })
          : t('file.prescription.counts', {
              done: counts.done,
              planned: counts.planned,
              remaining: counts.remaining ?? 0,
              prescribed: counts.prescribed,
            })}
      </p>
      {counts.exhausted || counts.expired ? (
        <ul className="prescription__warnings" aria-label={t('file.prescriptions')}>
          {counts.exhausted ? <li className="warning">{t('file.prescription.exhausted')}</li> : null}
          {counts.expired ? <li className="warning">{t('file.prescription.expired')}</li> : null}
        </ul>
      ) : null}
      {counts.overdue > 0 ? <p className="prescription__note">{translator.plural('file.prescription.overdue', counts.overdue)}</p> : null}
      {counts.cancelled + counts.noshow > 0 ? (
        <p className="prescription__note">
          {t('file.prescription.notCounted', { cancelled: counts.cancelled, noshow: counts.noshow })}
        </p>
      ) : null}
      <p className="prescription__note">{t('file.prescription.window', { month: monthName(lastMonth, translator.locale) })}</p>
      <button type="button" className="button" aria-expanded={linking} onClick={() => setLinking(!linking)}>
        {linking ? t('file.prescription.linkClose') : t('file.prescription.link')}
      </button>
      {linking ? <SessionLinks prescription={p} appointments={appointments} /> : null}
    </article>
  )
}

function monthName(month: string, locale: string): string {
  const [year, m] = month.split('-').map(Number)
  return new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(year ?? 2000, (m ?? 1) - 1, 1)),
  )
}

/** "Lier les séances": the patient's appointments since the ordonnance, each linked or not. */
function SessionLinks(props: { prescription: Prescription; appointments: readonly Appointment[] }) {
  const { prescription: p } = props
  const translator = useT()
  const { t, longDate, dayHeading, startOf } = translator
  const { clock, docs } = usePractice()
  const actor = useActor()
  const [failure, setFailure] = useState<string | null>(null)
  const since = props.appointments.filter((a) => a.start.slice(0, 10) >= p.date)
  const titleId = useId()

  async function link(a: Appointment, linked: boolean) {
    try {
      const agenda = await docs.open(agendaDocId(monthOf(a.start)))
      updateAppointment(agenda, a.id, { prescriptionId: linked ? p.id : null }, actor, clock)
      setFailure(null)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  return (
    <fieldset className="session-links" aria-labelledby={titleId}>
      <legend id={titleId}>{t('file.prescription.linkList', { date: longDate(p.date) })}</legend>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {since.length === 0 ? <p className="empty">{t('file.prescription.noAppointments')}</p> : null}
      {since.map((a) => {
        const elsewhere = a.prescriptionId !== undefined && a.prescriptionId !== p.id
        return (
          <label key={a.id} className="session-links__item">
            <input type="checkbox" checked={a.prescriptionId === p.id} onChange={(event) => void link(a, event.target.checked)} />
            <span>
              {t('file.prescription.linkOne', { day: dayHeading(a.start.slice(0, 10)), time: startOf(a.start), status: t(STATUS_KEYS[a.status]) })}
              {elsewhere ? ` — ${t('file.prescription.linkedElsewhere')}` : null}
            </span>
          </label>
        )
      })}
    </fieldset>
  )
}
