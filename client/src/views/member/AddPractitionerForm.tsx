import { useState } from 'react'
import type { FormEvent } from 'react'
import { addPractitioner, PROFESSIONS, ValidationError, validatePractitionerInput } from '../../../../shared/src/model'
import type { Actor } from '../../../../shared/src/model'
import { issueKey, professionKey, useT } from '../../i18n'
import { useDirectory, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import { fieldsByPath, formValues, placeIssues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert } from '../form/form-alert'
import { SelectField, TextField } from '../form/fields'

type PractitionerField = 'displayName' | 'profession'
const fieldOf = fieldsByPath<PractitionerField>(['displayName', 'profession'])

/** Adds a practitioner to the directory, then hands back their id. */
export function AddPractitionerForm(props: { onAdded: (practitionerId: string) => void }) {
  const translator = useT()
  const { t } = translator
  const { record, clock } = usePractice()
  const directory = useDirectory()
  const [errors, setErrors] = useState<FieldErrors<PractitionerField>>({})
  const [failure, setFailure] = useState<string | null>(null)

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (!directory) return
    const values = formValues(event.currentTarget)
    try {
      const input = validatePractitionerInput({ displayName: values.displayName, profession: values.profession })
      // The device has no member yet: this write is stamped as the device setting itself up.
      const actor: Actor = { memberId: 'setup', deviceId: record.deviceId }
      props.onAdded(addPractitioner(directory, input, actor, clock))
    } catch (error) {
      if (error instanceof ValidationError) setErrors(placeIssues(error.issues, fieldOf).fields)
      setFailure(describeError(error, translator))
    }
  }

  const errorText = (field: PractitionerField) => {
    const code = errors[field]
    return code === undefined ? undefined : t(issueKey(code))
  }

  return (
    <form className="form" noValidate onSubmit={submit}>
      <h2>{t('chooseMember.add')}</h2>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <TextField name="displayName" label={t('create.displayName')} autoComplete="name" error={errorText('displayName')} />
      <SelectField
        name="profession"
        label={t('create.profession')}
        choices={PROFESSIONS.map((p) => ({ value: p, label: t(professionKey(p)) }))}
        defaultValue="kine"
        error={errorText('profession')}
      />
      <button className="button button--primary" type="submit" disabled={!directory}>
        {t('chooseMember.addSubmit')}
      </button>
    </form>
  )
}
