import { useState } from 'react'
import type { ChangeEvent, FocusEvent } from 'react'
import type { NirMismatch, PatientFields } from '../../../../shared/src/model'
import { formValues } from '../form/field-errors'
import type { FieldIssues } from '../form/field-errors'
import { checkPatientForm, patientFieldOf, refreshShownErrors, warningKey } from './patient-form'
import type { PatientField } from './patient-form'

/** What the submit handler learns: the fields to save, or why not (the form already shows it). */
export type PatientSubmit =
  | { readonly kind: 'save'; readonly fields: PatientFields; readonly values: Record<string, string> }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'confirm' }

/**
 * The checking half of the add and edit patient forms. A field's error shows when the person
 * leaves it (the NIR key is checked there, not only on save) and goes as soon as it is fixed; a
 * NIR that disagrees with the sex or birth date is a warning on the NIR field, and saving asks
 * once (« Enregistrer quand même ») before keeping it. `today` is the practice's, for the birth date.
 */
export function usePatientForm(today: string) {
  const [errors, setErrors] = useState<FieldIssues<PatientField>>({})
  const [warnings, setWarnings] = useState<NirMismatch[]>([])
  const [asked, setAsked] = useState<string | null>(null)

  const onBlur = (event: FocusEvent<HTMLFormElement>) => {
    const left = patientFieldOf(event.target)
    if (left === null) return
    const checked = checkPatientForm(formValues(event.currentTarget), { today })
    setErrors((shown) => refreshShownErrors(shown, checked.ok ? {} : checked.errors, left))
    if (left === 'nir' || left === 'sex' || left === 'birthDate') setWarnings(checked.warnings)
  }

  const onChange = (event: ChangeEvent<HTMLFormElement>) => {
    const checked = checkPatientForm(formValues(event.currentTarget), { today })
    setErrors((shown) => (Object.keys(shown).length === 0 ? shown : refreshShownErrors(shown, checked.ok ? {} : checked.errors, null)))
    // A warning shown is updated as the person types (gone once the fields agree); none appears mid-typing.
    setWarnings((shown) => (shown.length === 0 ? shown : checked.warnings))
  }

  const submit = (form: HTMLFormElement): PatientSubmit => {
    const values = formValues(form)
    const checked = checkPatientForm(values, { today })
    setErrors(checked.ok ? {} : checked.errors)
    setWarnings(checked.warnings)
    if (!checked.ok) return { kind: 'invalid' }
    const key = warningKey(values, checked.warnings)
    if (checked.warnings.length > 0 && asked !== key) {
      setAsked(key)
      return { kind: 'confirm' }
    }
    setAsked(null)
    return { kind: 'save', fields: checked.fields, values }
  }

  const reset = () => {
    setErrors({})
    setWarnings([])
    setAsked(null)
  }

  return {
    errors,
    warnings,
    /** The person was asked to confirm a warning still shown: the submit button says so. */
    confirming: asked !== null && warnings.length > 0,
    formProps: { onBlur, onChange },
    submit,
    reset,
  }
}
