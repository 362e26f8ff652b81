import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { addAppointment, agendaDocId, monthOf, patientDisplayName } from '../../../../shared/src/model'
import type { IssueCode } from '../../../../shared/src/model'
import { issueKey, useT } from '../../i18n'
import { useActor, useAppointmentKinds, usePatients, usePractice, usePractitioners } from '../../state'
import { describeError } from '../form/describe-error'
import { formValues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert, FormNotice } from '../form/form-alert'
import { RadioGroup, SelectField, TextAreaField, TextField } from '../form/fields'
import { checkAppointmentForm, DEFAULT_DURATION } from './appointment-form'
import type { AppointmentField } from './appointment-form'

/** Adds an appointment on `day`, into the agenda doc of its month. */
export function AddAppointmentForm(props: { day: string }) {
  const { day } = props
  const translator = useT()
  const { t, timeZone } = translator
  const { docs, clock } = usePractice()
  const actor = useActor()
  const titleId = useId()
  const practitioners = usePractitioners()
  const patients = usePatients() ?? []
  const kinds = useAppointmentKinds() ?? []
  const [errors, setErrors] = useState<FieldErrors<AppointmentField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [notice, setNotice] = useState('')
  const [duration, setDuration] = useState(DEFAULT_DURATION)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const checked = checkAppointmentForm(formValues(form), day, timeZone)
    setNotice('')
    if (!checked.ok) {
      setErrors(checked.errors)
      setFailure(t('form.invalid'))
      return
    }
    try {
      const agenda = await docs.open(agendaDocId(monthOf(checked.fields.start)))
      addAppointment(agenda, checked.fields, actor, clock)
      setErrors({})
      setFailure(null)
      setNotice(t('appointment.added'))
      form.reset()
      setDuration(DEFAULT_DURATION)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  const errorText = (field: AppointmentField) => {
    const code: IssueCode | undefined = errors[field]
    return code === undefined ? undefined : t(issueKey(code))
  }

  if (practitioners === null) {
    return (
      <section className="form agenda__add" aria-labelledby={titleId}>
        <h2 id={titleId}>{t('appointment.add')}</h2>
        <p>{t('app.loading')}</p>
      </section>
    )
  }

  const onKindChange = (kindId: string) => {
    const kind = kinds.find((k) => k.id === kindId)
    if (kind) setDuration(String(kind.defaultDurationMin))
  }

  return (
    <form className="form agenda__add" noValidate onSubmit={submit} aria-labelledby={titleId}>
      <h2 id={titleId}>{t('appointment.add')}</h2>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <div className="form__row">
        <TextField name="start" type="time" step={300} label={t('appointment.start')} error={errorText('start')} />
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
        defaultValue={actor.memberId}
        error={errorText('practitionerId')}
      />
      <SelectField
        name="patientId"
        label={t('appointment.patient')}
        choices={[
          { value: '', label: t('appointment.noPatient') },
          ...patients.map((p) => ({ value: p.id, label: patientDisplayName(p) })),
        ]}
        defaultValue=""
        error={errorText('patientId')}
      />
      <TextField name="title" label={t('appointment.title')} hint={t('appointment.title.hint')} error={errorText('title')} />
      <SelectField
        name="kindId"
        label={t('appointment.kind')}
        choices={[{ value: '', label: t('appointment.kind.none') }, ...kinds.map((k) => ({ value: k.id, label: k.label }))]}
        defaultValue=""
        onChange={(event) => onKindChange(event.currentTarget.value)}
        error={errorText('kindId')}
      />
      <RadioGroup
        legend={t('appointment.place')}
        name="place"
        defaultValue="practice"
        choices={[
          { value: 'practice', label: t('appointment.place.practice') },
          { value: 'home', label: t('appointment.place.home') },
        ]}
      />
      {errorText('place') ? <p className="field__error">{errorText('place')}</p> : null}
      <TextAreaField name="note" label={t('appointment.note')} error={errorText('note')} />
      <button className="button button--primary" type="submit">
        {t('appointment.submit')}
      </button>
      <FormNotice>{notice}</FormNotice>
    </form>
  )
}
