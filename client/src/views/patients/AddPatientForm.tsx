import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { addPatient, todayIn } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, useDirectory, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import { FormAlert, FormNotice } from '../form/form-alert'
import { PatientErrorSummary, PatientFormFields } from './PatientFormFields'
import { usePatientForm } from './use-patient-form'

/** Adds a patient to the patient index (directory doc). */
export function AddPatientForm(props: { onAdded?: (patientId: string) => void }) {
  const translator = useT()
  const { t, timeZone } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const titleId = useId()
  const today = todayIn(timeZone, clock)
  const checks = usePatientForm(today)
  const [failure, setFailure] = useState<string | null>(null)
  const [notice, setNotice] = useState('')

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (!directory) return
    const form = event.currentTarget
    setNotice('')
    const outcome = checks.submit(form)
    if (outcome.kind === 'invalid') {
      setFailure(t('form.invalid'))
      return
    }
    if (outcome.kind === 'confirm') {
      setFailure(t('patients.nirMismatch.confirm'))
      return
    }
    try {
      const id = addPatient(directory, outcome.fields, actor, clock)
      setFailure(null)
      setNotice(t('patients.added'))
      form.reset()
      checks.reset()
      props.onAdded?.(id)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  return (
    <form className="form" noValidate onSubmit={submit} {...checks.formProps} aria-labelledby={titleId}>
      <h2 id={titleId}>{t('patients.add')}</h2>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <PatientFormFields errors={checks.errors} warnings={checks.warnings} today={today} />
      <PatientErrorSummary errors={checks.errors} />
      <button className="button button--primary" type="submit" disabled={!directory}>
        {checks.confirming ? t('patients.saveAnyway') : t('patients.submit')}
      </button>
      <FormNotice>{notice}</FormNotice>
    </form>
  )
}
