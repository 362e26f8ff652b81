import { useId, useMemo, useState } from 'react'
import type { FormEvent } from 'react'
import type * as Y from 'yjs'
import { todayIn, updatePatient } from '../../../../shared/src/model'
import type { Patient } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import { FormAlert } from '../form/form-alert'
import { patientEditPatch, patientFormValues } from './patient-form'
import type { PatientField } from './patient-form'
import { PatientErrorSummary, PatientFormFields } from './PatientFormFields'
import { usePatientForm } from './use-patient-form'

/**
 * Edits identity and contact. Only the fields the user changed are written (see patientEditPatch),
 * so an edit made meanwhile on another device to another field survives.
 */
export function EditPatientForm(props: { directory: Y.Doc; patient: Patient; onDone: (saved: boolean) => void }) {
  const translator = useT()
  const { t, timeZone } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const titleId = useId()
  const { directory, patient, onDone } = props
  // The values the form opened with: kept while editing, even if the patient changes meanwhile.
  const [initial] = useState(() => patientFormValues(patient))
  const today = todayIn(timeZone, clock)
  const checks = usePatientForm(today)
  const [failure, setFailure] = useState<string | null>(null)
  const changedElsewhere = useMemo(() => {
    const now = patientFormValues(patient)
    return Object.keys(now).some((k) => now[k as PatientField] !== initial[k as PatientField])
  }, [patient, initial])

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const outcome = checks.submit(event.currentTarget)
    if (outcome.kind === 'invalid') {
      setFailure(t('form.invalid'))
      return
    }
    if (outcome.kind === 'confirm') {
      setFailure(t('patients.nirMismatch.confirm'))
      return
    }
    try {
      updatePatient(directory, patient.id, patientEditPatch(initial, outcome.values, outcome.fields), actor, clock)
      setFailure(null)
      onDone(true)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  return (
    <form className="form card" noValidate onSubmit={submit} {...checks.formProps} aria-labelledby={titleId}>
      <h2 id={titleId}>{t('patients.edit')}</h2>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {changedElsewhere ? <p className="patient-edit__notice">{t('patients.edit.changedElsewhere')}</p> : null}
      <PatientFormFields errors={checks.errors} warnings={checks.warnings} initial={initial} today={today} />
      <PatientErrorSummary errors={checks.errors} />
      <div className="form__actions">
        <button className="button button--primary" type="submit">
          {checks.confirming ? t('patients.saveAnyway') : t('patients.edit.save')}
        </button>
        <button className="button" type="button" onClick={() => onDone(false)}>
          {t('patients.edit.cancel')}
        </button>
      </div>
    </form>
  )
}
