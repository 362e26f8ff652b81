import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { addPatient } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, useDirectory, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import { formValues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert, FormNotice } from '../form/form-alert'
import { checkPatientForm } from './patient-form'
import type { PatientField } from './patient-form'
import { PatientErrorSummary, PatientFormFields } from './PatientFormFields'

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

  return (
    <form className="form" noValidate onSubmit={submit} aria-labelledby={titleId}>
      <h2 id={titleId}>{t('patients.add')}</h2>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <PatientFormFields errors={errors} />
      <PatientErrorSummary errors={errors} />
      <button className="button button--primary" type="submit" disabled={!directory}>
        {t('patients.submit')}
      </button>
      <FormNotice>{notice}</FormNotice>
    </form>
  )
}
