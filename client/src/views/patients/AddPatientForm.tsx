import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { addPatient } from '../../../../shared/src/model'
import { issueKey, useT } from '../../i18n'
import type { PlainKey } from '../../i18n'
import { useActor, useDirectory, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import { formValues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert, FormNotice } from '../form/form-alert'
import { TextAreaField, TextField } from '../form/fields'
import { checkPatientForm, PATIENT_FIELDS } from './patient-form'
import type { PatientField } from './patient-form'

const LABELS: { readonly [F in PatientField]: PlainKey } = {
  birthName: 'patient.birthName',
  usualName: 'patient.usedName',
  firstNames: 'patient.givenNames',
  birthDate: 'patient.birthDate',
  phone: 'patient.phone',
  email: 'patient.email',
  'address.line1': 'patient.address.line',
  'address.postalCode': 'patient.address.postalCode',
  'address.city': 'patient.address.city',
  'address.accessNotes': 'patient.address.accessNotes',
  nir: 'patient.nir',
}

/** Adds a patient to the patient index (directory doc). */
export function AddPatientForm(props: { onAdded?: (patientId: string) => void }) {
  const translator = useT()
  const { t } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const titleId = useId()
  const [errors, setErrors] = useState<FieldErrors<PatientField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [notice, setNotice] = useState('')

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (!directory) return
    const form = event.currentTarget
    const checked = checkPatientForm(formValues(form))
    setNotice('')
    setErrors(checked.ok ? {} : checked.errors)
    if (!checked.ok) {
      setFailure(t('form.invalid'))
      return
    }
    try {
      const id = addPatient(directory, checked.fields, actor, clock)
      setFailure(null)
      setNotice(t('patients.added'))
      form.reset()
      props.onAdded?.(id)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  const field = (name: PatientField) => {
    const code = errors[name]
    return { name, label: t(LABELS[name]), error: code === undefined ? undefined : t(issueKey(code)) }
  }

  return (
    <form className="form" noValidate onSubmit={submit} aria-labelledby={titleId}>
      <h2 id={titleId}>{t('patients.add')}</h2>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <fieldset className="form__group">
        <legend>{t('patients.identity')}</legend>
        <TextField {...field('birthName')} autoComplete="off" />
        <TextField {...field('usualName')} autoComplete="off" />
        <TextField {...field('firstNames')} autoComplete="off" />
        <TextField {...field('birthDate')} type="date" />
        <TextField {...field('nir')} inputMode="numeric" autoComplete="off" spellCheck={false} />
      </fieldset>
      <fieldset className="form__group">
        <legend>{t('patients.contact')}</legend>
        <TextField {...field('phone')} type="tel" autoComplete="off" />
        <TextField {...field('email')} type="email" autoComplete="off" />
      </fieldset>
      <fieldset className="form__group">
        <legend>{t('patient.address')}</legend>
        <TextField {...field('address.line1')} autoComplete="off" />
        <div className="form__row">
          <TextField {...field('address.postalCode')} inputMode="numeric" autoComplete="off" />
          <TextField {...field('address.city')} autoComplete="off" />
        </div>
        <TextAreaField {...field('address.accessNotes')} rows={2} />
      </fieldset>
      {Object.keys(errors).length > 0 ? (
        <ul className="form__summary" aria-label={t('form.invalid')}>
          {PATIENT_FIELDS.map((name) => {
            const code = errors[name]
            if (code === undefined) return null
            return <li key={name}>{t('form.fieldError', { field: t(LABELS[name]), message: t(issueKey(code)) })}</li>
          })}
        </ul>
      ) : null}
      <button className="button button--primary" type="submit" disabled={!directory}>
        {t('patients.submit')}
      </button>
      <FormNotice>{notice}</FormNotice>
    </form>
  )
}
