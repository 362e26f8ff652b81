import { useId, useMemo, useState, type ChangeEvent } from 'react'
import {
  addDays,
  DEFAULT_TIME_ZONE,
  DIRECTORY_DOC_ID,
  listAppointmentKinds,
  listPatients,
  listPractitioners,
  todayIn,
  type AppointmentKind,
  type Patient,
  type Practitioner,
} from '../../../../shared/src/model'
import { planIcsImport, writeIcsImport, type IcsImportOutcome, type PlannedIcsAppointment } from '../../import/ical-import'
import { knownEvents, type KnownEvent } from '../../import/ical-known'
import { IcsImportError, readIcs, type IcsRead } from '../../import/ical-read'
import { useT, type Translator } from '../../i18n'
import { useActor, usePractice, usePracticeSettings } from '../../state'
import { describeError } from '../form/describe-error'
import { FormAlert, FormNotice } from '../form/form-alert'

/** How far an endless rule of the calendar is expanded: two years from today. */
const HORIZON_DAYS = 730
/** The preview lists this many appointments, then says how many more. */
const PREVIEW_ROWS = 20

type CalendarState =
  | { stage: 'idle' }
  | {
      stage: 'ready'
      read: IcsRead
      fileName: string
      practitioners: Practitioner[]
      kinds: AppointmentKind[]
      patients: Patient[]
      /** Events an earlier import of this calendar wrote (ical-known.ts). */
      known: ReadonlyMap<string, KnownEvent>
    }
  | { stage: 'writing' }
  | { stage: 'done'; outcome: IcsImportOutcome }
  | { stage: 'failed'; message: string }

/**
 * « Importer un agenda .ics »: a calendar exported from Google, Apple or Outlook, read on this
 * device (client/src/import/ical-*), previewed — each event's date, time and patient or block —
 * then written as appointments of the practitioner picked, with the kind picked for those
 * matched to a patient. Events an earlier import brought are updated or skipped, not doubled; the
 * import is listed under « Imports précédents » with « Annuler cet import ».
 */
export function ImportCalendarSection(props: { mayImport: boolean }) {
  const translator = useT()
  const { t, dayHeading, startOf } = translator
  const { docs, clock } = usePractice()
  const actor = useActor()
  const settings = usePracticeSettings()
  const timeZone = settings?.timeZone ?? DEFAULT_TIME_ZONE
  const titleId = useId()
  const [state, setState] = useState<CalendarState>({ stage: 'idle' })
  const [practitionerId, setPractitionerId] = useState('')
  const [kindId, setKindId] = useState('')

  async function choose(event: ChangeEvent<HTMLInputElement>) {
    const input = event.currentTarget
    const file = input.files?.[0]
    if (!file) return
    // Emptied once taken: choosing the same calendar again (a second import, which skips what
    // came in already) is then a change the browser reports, not a silent no-op.
    input.value = ''
    try {
      const source = await file.text()
      const read = readIcs(source, { timeZone, until: addDays(todayIn(timeZone, clock), HORIZON_DAYS) })
      const directory = await docs.open(DIRECTORY_DOC_ID)
      const practitioners = listPractitioners(directory).items
      const kinds = listAppointmentKinds(directory).items
      setPractitionerId((id) => id || practitioners[0]?.id || '')
      setKindId((id) => id || kinds[0]?.id || '')
      const known = await knownEvents({ directory, openDoc: (docId) => docs.open(docId) }, read.occurrences.map((o) => o.key))
      setState({ stage: 'ready', read, fileName: file.name, practitioners, kinds, patients: listPatients(directory).items, known })
    } catch (error) {
      setState({ stage: 'failed', message: error instanceof IcsImportError ? t('settings.importCalendar.error', { message: error.message }) : describeError(error, translator) })
    }
  }

  const planned = useMemo((): { plan: PlannedIcsAppointment[] } | { error: string } | null => {
    if (state.stage !== 'ready' || !practitionerId) return null
    try {
      return { plan: planIcsImport(state.read, { practitionerId, kindId: kindId || undefined, timeZone, patients: state.patients }, state.known) }
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) }
    }
  }, [state, practitionerId, kindId, timeZone])

  async function write(plan: PlannedIcsAppointment[], fileName: string) {
    setState({ stage: 'writing' })
    try {
      const directory = await docs.open(DIRECTORY_DOC_ID)
      const outcome = await writeIcsImport(plan, { directory, openDoc: (docId) => docs.open(docId) }, fileName, actor, clock)
      setState({ stage: 'done', outcome })
    } catch (error) {
      setState({ stage: 'failed', message: describeError(error, translator) })
    }
  }

  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.importCalendar')}</h2>
      <p>{t('settings.importCalendar.hint')}</p>
      {!props.mayImport ? (
        <p>{t('settings.importArchive.notAdmin')}</p>
      ) : (
        <div className="form">
          <label className="field">
            <span className="field__label">{t('settings.importCalendar.file')}</span>
            <input type="file" accept=".ics,text/calendar" disabled={state.stage === 'writing'} onChange={(e) => void choose(e)} />
          </label>
          {state.stage === 'failed' ? <FormAlert>{state.message}</FormAlert> : null}
          {state.stage === 'ready' ? (
            <>
              <label className="field">
                <span className="field__label">{t('settings.importCalendar.practitioner')}</span>
                <select value={practitionerId} onChange={(e) => setPractitionerId(e.currentTarget.value)}>
                  {state.practitioners.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.displayName}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span className="field__label">{t('settings.importCalendar.kind')}</span>
                <select value={kindId} onChange={(e) => setKindId(e.currentTarget.value)}>
                  {state.kinds.map((k) => (
                    <option key={k.id} value={k.id}>
                      {k.label}
                    </option>
                  ))}
                </select>
              </label>
              {planned && 'error' in planned ? <FormAlert>{t('settings.importCalendar.error', { message: planned.error })}</FormAlert> : null}
              {planned && 'plan' in planned ? (
                <>
                  <p>
                    {t('settings.importCalendar.summary', {
                      name: state.fileName,
                      total: planned.plan.length,
                      matched: planned.plan.filter((p) => p.patientName).length,
                      skipped: state.read.skipped.length,
                    })}
                  </p>
                  <p>{icsStatusText(planned.plan, translator)}</p>
                  <ul aria-label={t('settings.importCalendar.preview')}>
                    {planned.plan.slice(0, PREVIEW_ROWS).map((p, i) => (
                      <li key={i}>
                        {dayHeading(p.fields.start.slice(0, 10), { withYear: true })}, {startOf(p.fields.start)} —{' '}
                        {p.patientName ?? t('settings.importCalendar.block', { title: p.fields.title ?? '' })}
                        {p.status === 'new' ? null : ` (${t(`settings.importCalendar.status.${p.status}`)})`}
                      </li>
                    ))}
                  </ul>
                  {planned.plan.length > PREVIEW_ROWS ? <p className="field__hint">{t('settings.importCalendar.more', { count: planned.plan.length - PREVIEW_ROWS })}</p> : null}
                  <div className="form__actions">
                    <button
                      className="button button--primary"
                      type="button"
                      disabled={planned.plan.every((p) => p.status === 'same')}
                      onClick={() => void write(planned.plan, state.fileName)}
                    >
                      {t('settings.importCalendar.start')}
                    </button>
                  </div>
                </>
              ) : null}
            </>
          ) : null}
          {state.stage === 'writing' ? <FormNotice>{t('settings.importArchive.writing')}</FormNotice> : null}
          <FormNotice>{state.stage === 'done' ? t('settings.importCalendar.done', { ...state.outcome }) : null}</FormNotice>
        </div>
      )}
    </section>
  )
}

/** « 3 nouveaux, 2 déjà importés, 1 modifié dans le fichier depuis » */
function icsStatusText(plan: readonly PlannedIcsAppointment[], { t }: Pick<Translator, 't'>): string {
  const count = (status: PlannedIcsAppointment['status']) => plan.filter((p) => p.status === status).length
  return t('settings.importCalendar.statuses', { new: count('new'), same: count('same'), changed: count('changed') })
}
