import { useCallback, useId, useMemo } from 'react'
import type * as Y from 'yjs'
import {
  addNote,
  agendaDocId,
  compareAppointments,
  listAppointments,
  listNotes,
  monthOf,
  newestDatedFirst,
  newNoteDefaults,
  nowIn,
  todayIn,
  updateNote,
} from '../../../../../shared/src/model'
import type { Appointment, Note, NoteKind } from '../../../../../shared/src/model'
import { useT } from '../../../i18n'
import { useActor, useDoc, useDocSnapshot, usePatientAppointments, usePatientFileRecords, usePractice } from '../../../state'
import { DateField } from '../../form/DateField'
import { NoteEditor } from './NoteEditor'

const readNotes = (doc: Y.Doc): readonly Note[] => listNotes(doc).items

/**
 * Dated session notes and bilans of one patient, newest first, each a collaborative text — the
 * patient's own and those of the duplicates merged into it (`members`), each edited in the doc
 * it lives in. A new note goes to the patient's own file (`doc`), dated and linked to the session
 * it most likely documents (newNoteDefaults: the latest session of the last days not documented
 * yet), read from the patient's latest agenda months.
 */
export function NoteTimeline(props: { doc: Y.Doc; members: readonly string[] }) {
  const { doc, members } = props
  const { t, timeZone } = useT()
  const { clock } = usePractice()
  const actor = useActor()
  const { items, complete } = usePatientFileRecords(members, readNotes, newestDatedFirst)
  const notes = useMemo(() => (items ?? []).map((item) => item.record), [items])
  const titleId = useId()
  const { appointments } = usePatientAppointments(members[0]!, todayIn(timeZone, clock).slice(0, 7), 1)
  const add = (kind: NoteKind) => {
    const defaults = newNoteDefaults(appointments ?? [], notes, nowIn(timeZone, clock))
    addNote(doc, { ...defaults, kind }, actor, clock)
  }

  return (
    <section className="clinical__section" aria-labelledby={titleId}>
      <div className="clinical__head">
        <h3 id={titleId}>{t('file.timeline')}</h3>
        <div className="clinical__actions">
          <button type="button" className="button" onClick={() => add('session')}>
            {t('file.addNote')}
          </button>
          <button type="button" className="button" onClick={() => add('assessment')}>
            {t('file.addAssessment')}
          </button>
        </div>
      </div>
      {notes.length > 0 ? null : complete ? <p className="empty">{t('file.noNotes')}</p> : <p>{t('app.loading')}</p>}
      <ol className="timeline">
        {(items ?? []).map(({ record: note, doc: noteDoc }) => (
          <li key={note.id}>
            <NoteCard doc={noteDoc} note={note} members={members} />
          </li>
        ))}
      </ol>
    </section>
  )
}

/** One note, edited in `doc`: the file it lives in (the patient's, or a merged duplicate's). */
function NoteCard(props: { doc: Y.Doc; note: Note; members: readonly string[] }) {
  const { doc, note, members } = props
  const { t, longDate, timeZone } = useT()
  const { clock } = usePractice()
  const actor = useActor()
  const headingId = useId()
  const kind = t(note.kind === 'assessment' ? 'file.kind.assessment' : 'file.kind.session')
  const date = longDate(note.date)

  return (
    <article className={`note note--${note.kind}`} aria-labelledby={headingId}>
      <h4 id={headingId} className="note__heading">
        {t('file.note.heading', { kind, date })}
      </h4>
      <div className="note__meta">
        <DateField
          label={t('file.note.date')}
          value={note.date}
          // Only whole dates reach the note: a half-typed one is not a date yet, an emptied one keeps its date.
          onValueChange={(date) => {
            if (date !== null && date !== note.date) updateNote(doc, note.id, { date }, actor, clock)
          }}
          twoDigitYears={{ mode: 'near', reference: todayIn(timeZone, clock) }}
          // The heading says the date in words already; the format hint would repeat on every note.
          showFormat={false}
        />
        <AppointmentLink doc={doc} note={note} members={members} />
      </div>
      <NoteEditor doc={doc} noteId={note.id} label={t('file.note.text', { kind, date })} />
    </article>
  )
}

/**
 * The appointment a note documents, chosen among the patient's appointments of the note's month
 * (those booked for a merged duplicate too).
 */
function AppointmentLink(props: { doc: Y.Doc; note: Note; members: readonly string[] }) {
  const { doc, note, members } = props
  const { t, dayHeading, startOf } = useT()
  const { clock } = usePractice()
  const actor = useActor()
  const selectId = useId()
  const agenda = useDoc(agendaDocId(monthOf(note.date)))
  const read = useCallback(
    (d: Y.Doc): Appointment[] => members.flatMap((patientId) => listAppointments(d, { patientId }).items).sort(compareAppointments),
    [members],
  )
  const appointments = useDocSnapshot(agenda, read)
  const choices = useMemo(
    () =>
      (appointments ?? []).map((a) => ({
        value: a.id,
        label: t('file.note.appointmentChoice', { day: dayHeading(a.start.slice(0, 10)), time: startOf(a.start) }),
      })),
    [appointments, t, dayHeading, startOf],
  )
  // A linked appointment of another month stays selectable under its id.
  const current = note.appointmentId
  const known = current === undefined || choices.some((c) => c.value === current)
  return (
    <div className="field">
      <label className="field__label" htmlFor={selectId}>
        {t('file.note.appointment')}
      </label>
      <select
        id={selectId}
        className="field__control"
        value={current ?? ''}
        onChange={(event) => {
          const chosen = appointments?.find((a) => a.id === event.target.value)
          // A note documents its session: it takes the session's date.
          updateNote(doc, note.id, { appointmentId: event.target.value || null, ...(chosen ? { date: chosen.start.slice(0, 10) } : {}) }, actor, clock)
        }}
      >
        <option value="">{t('file.note.noAppointment')}</option>
        {known ? null : <option value={current}>{current}</option>}
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </div>
  )
}
