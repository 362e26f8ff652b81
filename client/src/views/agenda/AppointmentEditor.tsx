import { useEffect, useId, useRef, useState } from 'react'
import type { FormEvent } from 'react'
import {
  agendaDocId,
  cancelSeriesOccurrences,
  createSeries,
  editSeriesOccurrences,
  listSeriesOccurrences,
  weekdayOf,
} from '../../../../shared/src/model'
import type { Address, Appointment, AppointmentFields, AppointmentStatus, SeriesScope, Weekday } from '../../../../shared/src/model'
import { WEEKDAYS } from '../../../../shared/src/model'
import { issueKey, useT } from '../../i18n'
import type { PlainKey } from '../../i18n'
import {
  useAbsences,
  useActor,
  useAppointmentKinds,
  useDirectory,
  useHolidayCountry,
  usePatientIndex,
  usePractice,
  usePractitioners,
  useSeriesIndex,
} from '../../state'
import { describeError } from '../form/describe-error'
import { formValues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert } from '../form/form-alert'
import { DateField } from '../form/DateField'
import { RadioGroup, SelectField, TextAreaField, TextField } from '../form/fields'
import { TimeField } from '../form/TimeField'
import { changeAppointment, changeStatus, createAppointment } from './agenda-actions'
import { undoOf } from './agenda-undo'
import type { UndoAction } from './agenda-undo'
import { checkAppointmentForm, defaultKind, DEFAULT_DURATION, editorPatch } from './appointment-form'
import type { AppointmentField } from './appointment-form'
import { CancelReasonField, CANCEL_REASON_MAX } from './CancelReasonField'
import { PatientPicker } from './PatientPicker'
import { PrescriptionChoice } from './PrescriptionChoice'
import { checkSeriesForm } from './series-form'
import type { SeriesEnd, SeriesField } from './series-form'
import { SeriesPreviewList, SlotWarningsNote } from './SeriesPreview'

/** What the editor opens on: a free slot tapped on the grid, or an existing appointment. */
export type EditorTarget =
  | { readonly kind: 'new'; readonly day: string; readonly time: string; readonly practitionerId: string }
  | { readonly kind: 'edit'; readonly appointment: Appointment }

const WEEKDAY_LABELS: { readonly [D in Weekday]: PlainKey } = {
  MO: 'agendaUi.weekday.long.mo',
  TU: 'agendaUi.weekday.long.tu',
  WE: 'agendaUi.weekday.long.we',
  TH: 'agendaUi.weekday.long.th',
  FR: 'agendaUi.weekday.long.fr',
  SA: 'agendaUi.weekday.long.sa',
  SU: 'agendaUi.weekday.long.su',
}

/** An address as typed or as read back from another device (optional parts may be absent). */
type AddressLike = Pick<Address, 'line1' | 'postalCode' | 'city'> & { line2?: string | undefined; accessNotes?: string | undefined }

function sameAddress(a: AddressLike | undefined, b: AddressLike | undefined): boolean {
  if (!a || !b) return false
  return a.line1 === b.line1 && a.postalCode === b.postalCode && a.city === b.city && (a.accessNotes ?? '') === (b.accessNotes ?? '') && (a.line2 ?? '') === (b.line2 ?? '')
}

/**
 * The appointment editor, a modal dialog: every field the grid's gestures change (day, time,
 * duration, practitioner) plus patient, kind, place, address, note; repeat fields for a new
 * series; status actions for an existing appointment. Keyboard-accessible: what a drag does, this
 * does precisely. A series occurrence asks whether a change is for this session or the following.
 */
export function AppointmentEditor(props: {
  target: EditorTarget
  onClose: () => void
  /** A status change or a cancellation was written: the agenda offers to undo it. */
  onChanged?: (action: UndoAction, message: string) => void
}) {
  const { target, onClose, onChanged } = props
  const translator = useT()
  const { t, timeZone } = translator
  const { docs, clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const practitioners = usePractitioners() ?? []
  const kinds = useAppointmentKinds() ?? []
  const patients = usePatientIndex()
  const seriesIndex = useSeriesIndex()
  const absences = useAbsences() ?? []
  const country = useHolidayCountry()
  const titleId = useId()
  const form = useRef<HTMLFormElement>(null)
  const dialog = useRef<HTMLDialogElement>(null)
  const current = target.kind === 'edit' ? target.appointment : null
  const series = current?.seriesId ? seriesIndex?.get(current.seriesId) : undefined

  // The id is the state: a patient index still loading must not make a save drop the patient.
  const [patientId, setPatientId] = useState<string | null>(current?.patientId ?? null)
  const patient = patientId ? (patients?.get(patientId) ?? null) : null
  const [place, setPlace] = useState<string>(current?.place ?? 'practice')
  // What the person chose; until then a new appointment is a « Séance » (the kind a kiné books
  // most, read when the kinds arrive) of its default length.
  const [kindChoice, setKindChoice] = useState<string | null>(null)
  const [durationChoice, setDuration] = useState<string | null>(null)
  const kindId = kindChoice ?? (current ? (current.kindId ?? '') : (defaultKind(kinds)?.id ?? ''))
  const duration =
    durationChoice ??
    (current ? String(current.durationMin) : String(kinds.find((k) => k.id === kindId)?.defaultDurationMin ?? DEFAULT_DURATION))
  // The form's values as typed, for the warnings and the series preview (read on every change).
  const [draft, setDraft] = useState<{ values: Record<string, string>; byDay: string[] } | null>(null)
  const [repeat, setRepeat] = useState(false)
  const [seriesEnd, setSeriesEnd] = useState<SeriesEnd>('count')
  const [scope, setScope] = useState<SeriesScope>('this')
  const [errors, setErrors] = useState<FieldErrors<AppointmentField | SeriesField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    const element = dialog.current
    if (element && !element.open) element.showModal()
  }, [])
  const readDraft = () => {
    const element = form.current
    if (element) setDraft({ values: formValues(element), byDay: new FormData(element).getAll('byDay').map(String) })
  }
  // The date and time fields give the form their value after they render: read it then.
  const [typed, setTyped] = useState(0)
  const bump = () => setTyped((n) => n + 1)
  useEffect(readDraft, [repeat, typed])

  const day = target.kind === 'new' ? target.day : target.appointment.start.slice(0, 10)
  const time = target.kind === 'new' ? target.time : target.appointment.start.slice(11)
  const practitionerId = target.kind === 'new' ? target.practitionerId : target.appointment.practitionerId
  const openMonth = (month: string) => docs.open(agendaDocId(month))
  const openDoc = (docId: string) => docs.open(docId)
  const errorText = (field: AppointmentField | SeriesField) => {
    const code = errors[field]
    return code === undefined ? undefined : t(issueKey(code))
  }

  async function run(action: () => Promise<unknown>) {
    setBusy(true)
    try {
      await action()
      onClose()
    } catch (error) {
      setFailure(describeError(error, translator))
    } finally {
      setBusy(false)
    }
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const values = formValues(form)
    const checked = checkAppointmentForm(values, day, timeZone)
    if (!checked.ok) {
      setErrors(checked.errors)
      setFailure(t('form.invalid'))
      return
    }
    // The patient's own address is not an override: only a different one is stored.
    const fields: AppointmentFields =
      checked.fields.address && sameAddress(checked.fields.address, patient?.address)
        ? { ...checked.fields, address: undefined }
        : checked.fields
    if (target.kind === 'new' && repeat) {
      const rule = checkSeriesForm(
        {
          byDay: new FormData(form).getAll('byDay').map(String),
          interval: values.interval,
          count: values.count,
          until: values.until,
          end: seriesEnd,
        },
        fields.start,
      )
      if (!rule.ok) {
        setErrors(rule.errors)
        setFailure(t('form.invalid'))
        return
      }
      if (!directory) return
      await run(() => createSeries(directory, openMonth, fields, rule.rule, actor, clock))
      return
    }
    setErrors({})
    if (target.kind === 'new') {
      await run(() => createAppointment(openDoc, fields, actor, clock))
    } else if (target.appointment.seriesId && series && directory) {
      await run(() => editSeriesOccurrences(directory, openMonth, target.appointment, scope, editorPatch(fields), actor, clock))
    } else {
      await run(() => changeAppointment(openDoc, target.appointment, editorPatch(fields), actor, clock))
    }
  }

  const setStatus = (status: AppointmentStatus, reason?: string) => {
    if (!current) return
    const message =
      status === 'cancelled' ? t('agendaUi.undo.cancelled') : t('agendaUi.undo.status', { status: t(`agendaUi.status.${status}`) })
    const kind = status === 'cancelled' ? 'cancel' : 'status'
    if (status === 'cancelled' && current.seriesId && series && directory) {
      void run(async () => {
        // What the sessions were before, for « Annuler »: read before the write changes them.
        const before = (await listSeriesOccurrences(directory, openMonth, current.seriesId!)).map((o) => o.appointment)
        const changed = await cancelSeriesOccurrences(directory, openMonth, current, scope, reason, actor, clock)
        onChanged?.(undoOf(kind, before.filter((a) => changed.includes(a.id))), message)
      })
    } else {
      void run(async () => {
        await changeStatus(openDoc, current, status, actor, clock, reason)
        onChanged?.(undoOf(kind, [current]), message)
      })
    }
  }

  const homeAddress = current?.address ?? patient?.address
  const title = t(current ? 'agendaUi.editor.edit' : 'appointment.add')

  return (
    <dialog ref={dialog} className="editor" aria-labelledby={titleId} onClose={onClose}>
      <form ref={form} className="form editor__form" noValidate onSubmit={submit} onChange={readDraft} aria-labelledby={titleId}>
        <header className="editor__header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="button" onClick={onClose}>
            {t('agendaUi.editor.close')}
          </button>
        </header>
        {failure ? <FormAlert>{failure}</FormAlert> : null}
        {current?.seriesId && series ? (
          <>
            <p className="editor__series">{t('agendaUi.seriesPosition', { index: current.occurrence ?? 1, total: series.total })}</p>
            <RadioGroup
              legend={t('agendaUi.scope')}
              name="scope"
              value={scope}
              onChange={(value) => setScope(value === 'following' ? 'following' : 'this')}
              choices={[
                { value: 'this', label: t('agendaUi.scope.this') },
                { value: 'following', label: t('agendaUi.scope.following') },
              ]}
            />
          </>
        ) : null}
        <div className="form__row">
          <DateField name="date" label={t('agendaUi.date')} defaultValue={day} error={errorText('date')} onValueChange={bump} />
          <TimeField name="start" label={t('appointment.start')} defaultValue={time} error={errorText('start')} onValueChange={bump} />
          <TextField
            name="durationMin"
            type="number"
            inputMode="numeric"
            min={5}
            max={720}
            step={5}
            label={t('appointment.duration')}
            value={duration}
            onChange={(event) => setDuration(event.currentTarget.value)}
            error={errorText('durationMin')}
          />
        </div>
        <SelectField
          name="practitionerId"
          label={t('appointment.practitioner')}
          choices={practitioners.map((p) => ({ value: p.id, label: p.displayName }))}
          defaultValue={practitionerId}
          error={errorText('practitionerId')}
        />
        <PatientPicker patientId={patientId} patient={patient} onChange={setPatientId} error={errorText('patientId')} />
        <TextField
          name="title"
          label={t('appointment.title')}
          hint={t('appointment.title.hint')}
          defaultValue={current?.title ?? ''}
          error={errorText('title')}
        />
        <SelectField
          name="kindId"
          label={t('appointment.kind')}
          choices={[{ value: '', label: t('appointment.kind.none') }, ...kinds.map((k) => ({ value: k.id, label: k.label }))]}
          value={kindId}
          onChange={(event) => {
            setKindChoice(event.currentTarget.value)
            const kind = kinds.find((k) => k.id === event.currentTarget.value)
            if (kind && !current) setDuration(String(kind.defaultDurationMin))
          }}
          error={errorText('kindId')}
        />
        {patientId ? <PrescriptionChoice key={patientId} patientId={patientId} defaultValue={current?.prescriptionId} error={errorText('prescriptionId')} /> : null}
        <RadioGroup
          legend={t('appointment.place')}
          name="place"
          value={place}
          onChange={setPlace}
          choices={[
            { value: 'practice', label: t('appointment.place.practice') },
            { value: 'home', label: t('appointment.place.home') },
          ]}
        />
        {place === 'home' ? (
          // Remounted per patient, so that choosing a patient prefills that patient's address.
          <fieldset key={patient?.id ?? 'none'} className="editor__address">
            <legend className="field__label">{t('agendaUi.address')}</legend>
            <p className="field__hint">{t('agendaUi.address.hint')}</p>
            <TextField name="address.line1" label={t('patient.address.line')} defaultValue={homeAddress?.line1 ?? ''} error={errorText('address.line1')} />
            <div className="form__row">
              <TextField
                name="address.postalCode"
                inputMode="numeric"
                label={t('patient.address.postalCode')}
                defaultValue={homeAddress?.postalCode ?? ''}
                error={errorText('address.postalCode')}
              />
              <TextField name="address.city" label={t('patient.address.city')} defaultValue={homeAddress?.city ?? ''} error={errorText('address.city')} />
            </div>
            <TextField
              name="address.accessNotes"
              label={t('patient.address.accessNotes')}
              defaultValue={homeAddress?.accessNotes ?? ''}
              error={errorText('address.accessNotes')}
            />
          </fieldset>
        ) : null}
        <TextAreaField name="note" label={t('appointment.note')} defaultValue={current?.note ?? ''} error={errorText('note')} />
        {!repeat ? (
          <SlotWarningsNote
            start={`${draft?.values.date ?? day}T${draft?.values.start ?? time}`}
            durationMin={Number(draft?.values.durationMin ?? duration)}
            practitionerId={draft?.values.practitionerId ?? practitionerId}
            ignoreId={current?.id}
            absences={absences}
            country={country}
          />
        ) : null}
        {target.kind === 'new' ? (
          <div className="editor__repeat">
            <label className="checkbox">
              <input type="checkbox" checked={repeat} onChange={(event) => setRepeat(event.currentTarget.checked)} />
              <span>{t('agendaUi.repeat')}</span>
            </label>
            {repeat ? (
              <>
                <fieldset className="editor__weekdays" aria-invalid={errors.byDay ? true : undefined}>
                  <legend className="field__label">{t('agendaUi.repeat.days')}</legend>
                  <div className="editor__weekday-choices">
                    {WEEKDAYS.map((d) => (
                      <label key={d} className="checkbox">
                        <input type="checkbox" name="byDay" value={d} defaultChecked={d === weekdayOf(day)} />
                        <span>{t(WEEKDAY_LABELS[d])}</span>
                      </label>
                    ))}
                  </div>
                  {errorText('byDay') ? <p className="field__error">{errorText('byDay')}</p> : null}
                </fieldset>
                <TextField
                  name="interval"
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={52}
                  label={t('agendaUi.repeat.interval')}
                  defaultValue="1"
                  error={errorText('interval')}
                />
                <RadioGroup
                  legend={t('agendaUi.repeat.end')}
                  name="seriesEnd"
                  value={seriesEnd}
                  onChange={(value) => setSeriesEnd(value === 'until' ? 'until' : 'count')}
                  choices={[
                    { value: 'count', label: t('agendaUi.repeat.byCount') },
                    { value: 'until', label: t('agendaUi.repeat.byDate') },
                  ]}
                />
                {seriesEnd === 'count' ? (
                  <TextField
                    name="count"
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={200}
                    label={t('agendaUi.repeat.count')}
                    defaultValue="10"
                    error={errorText('count')}
                  />
                ) : (
                  <DateField name="until" label={t('agendaUi.repeat.until')} error={errorText('until')} onValueChange={bump} />
                )}
                {draft ? (
                  <SeriesPreviewList
                    values={draft.values}
                    byDay={draft.byDay}
                    end={seriesEnd}
                    day={day}
                    time={time}
                    practitionerId={practitionerId}
                    absences={absences}
                    country={country}
                  />
                ) : null}
              </>
            ) : null}
          </div>
        ) : null}
        <button className="button button--primary" type="submit" disabled={busy}>
          {t('agendaUi.editor.save')}
        </button>
      </form>
      {current ? <StatusActions appointment={current} busy={busy} onStatus={setStatus} /> : null}
    </dialog>
  )
}

function StatusActions(props: { appointment: Appointment; busy: boolean; onStatus: (status: AppointmentStatus, reason?: string) => void }) {
  const { t } = useT()
  const { appointment: a, busy, onStatus } = props
  const [reason, setReason] = useState('')
  const [reasonError, setReasonError] = useState<string | undefined>(undefined)
  const headingId = useId()
  return (
    <section className="editor__status" aria-labelledby={headingId}>
      <h3 id={headingId}>{t('agendaUi.status.heading', { status: t(`agendaUi.status.${a.status}`) })}</h3>
      {a.status === 'cancelled' && a.cancelReason ? <p>{t('agendaUi.status.reason', { reason: a.cancelReason })}</p> : null}
      <div className="editor__status-actions">
        {a.status !== 'arrived' ? (
          <button type="button" className="button" disabled={busy} onClick={() => onStatus('arrived')}>
            {t('agendaUi.action.arrived')}
          </button>
        ) : null}
        {a.status !== 'fulfilled' ? (
          <button type="button" className="button" disabled={busy} onClick={() => onStatus('fulfilled')}>
            {t('agendaUi.action.fulfilled')}
          </button>
        ) : null}
        {a.status !== 'noshow' ? (
          <button type="button" className="button" disabled={busy} onClick={() => onStatus('noshow')}>
            {t('agendaUi.action.noshow')}
          </button>
        ) : null}
        {a.status !== 'booked' ? (
          <button type="button" className="button" disabled={busy} onClick={() => onStatus('booked')}>
            {t('agendaUi.action.booked')}
          </button>
        ) : null}
      </div>
      {a.status !== 'cancelled' ? (
        <div className="editor__cancel">
          <CancelReasonField value={reason} onChange={setReason} error={reasonError} />
          <button
            type="button"
            className="button button--danger"
            disabled={busy}
            onClick={() => {
              // The field stops at the limit; a longer text (pasted by a script, an old browser)
              // is refused here with the limit said, never dropped in silence.
              if (reason.trim().length > CANCEL_REASON_MAX) {
                setReasonError(t('agendaUi.cancel.tooLong', { max: CANCEL_REASON_MAX, length: reason.trim().length }))
                return
              }
              setReasonError(undefined)
              onStatus('cancelled', reason.trim() || undefined)
            }}
          >
            {t('agendaUi.action.cancel')}
          </button>
        </div>
      ) : null}
    </section>
  )
}
