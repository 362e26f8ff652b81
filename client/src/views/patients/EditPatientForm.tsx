import { useId, useMemo, useState } from 'react'
import type { FormEvent } from 'react'
import type * as Y from 'yjs'
import { updatePatient } from '../../../../shared/src/model'
import type { Patient } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import { formValues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert } from '../form/form-alert'
import { checkPatientForm, patientEditPatch, patientFormValues } from './patient-form'
import type { PatientField } from './patient-form'
import { PatientErrorSummary, PatientFormFields } from './PatientFormFields'

/**
 * Edits identity and contact. Only the fields the user changed are written (see patientEditPatch),
 * so an edit made meanwhile on another device to another field survives.
 */
export function EditPatientForm(props: { directory: Y.Doc; patient: Patient; onDone: (saved: boolean) => void }) {
  const translator = useT()
  const { t } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const titleId = useId()
  const { directory, patient, onDone } = props
  // The values the form opened with: kept while editing, even if the patient changes meanwhile.
  const [initial] = useState(() => patientFormValues(patient))
  const [errors, setErrors] = useState<FieldErrors<PatientField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const changedElsewhere = useMemo(() => {
    const now = patientFormValues(patient)
    return Object.keys(now).some((k) => now[k as PatientField] !== initial[k as PatientField])
  }, [patient, initial])

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const values = formValues(event.currentTarget)
    const checked = checkPatientForm(values)
    setErrors(checked.ok ? {} : checked.errors)
    if (!checked.ok) {
      setFailure(t('form.invalid'))
      return
    }
    try {
      updatePatient(directory, patient.id, patientEditPatch(initial, values, checked.fields), actor, clock)
      setFailure(null)
      onDone(true)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  return (
    <form className="form card" noValidate onSubmit={submit} aria-labelledby={titleId}>
      <h2 id={titleId}>{t('patients.edit')}</h2>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {changedElsewhere ? <p className="patient-edit__notice">{t('patients.edit.changedElsewhere')}</p> : null}
      <PatientFormFields errors={errors} initial={initial} />
      <PatientErrorSummary errors={errors} />
      <div className="form__actions">
        <button className="button button--primary" type="submit">
          {t('patients.edit.save')}
        </button>
        <button className="button" type="button" onClick={() => onDone(false)}>
          {t('patients.edit.cancel')}
        </button>
      </div>
    </form>
  )
}
