import { useState } from 'react'
import type { FormEvent } from 'react'
import { PROFESSIONS, ValidationError, validatePracticeInit } from '../../../../shared/src/model'
import type { PracticeInit, ValidationIssue } from '../../../../shared/src/model'
import { RelayUrlError } from '../../sync/errors'
import { normalizeRelayUrl } from '../../sync/relay/relay-url'
import { RelayUrlField } from './RelayUrlField'
import type { OpenPractice } from '../../sync/device/device'
import { issueKey, professionKey, useT } from '../../i18n'
import { useDeviceApi } from '../../app/device-api'
import { describeError } from '../form/describe-error'
import { fieldsByPath, formValues, placeIssues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert } from '../form/form-alert'
import { SelectField, TextField } from '../form/fields'

type CreateField = 'relayUrl' | 'practiceName' | 'displayName' | 'profession'

const fieldOf = fieldsByPath<CreateField>([], {
  name: 'practiceName',
  'firstPractitioner.displayName': 'displayName',
  'firstPractitioner.profession': 'profession',
})

type Checked =
  | { ok: true; relayUrl: string; init: PracticeInit; enrolmentSecret: string }
  | { ok: false; errors: FieldErrors<CreateField> }

/** The form boundary: the relay address is normalized, the practice validated by the model. */
function checkCreateForm(values: Record<string, string>): Checked {
  const errors: FieldErrors<CreateField> = {}
  let relayUrl = ''
  if ((values.relayUrl ?? '').trim() === '') errors.relayUrl = 'required'
  else {
    try {
      relayUrl = normalizeRelayUrl(values.relayUrl ?? '')
    } catch (error) {
      if (!(error instanceof RelayUrlError)) throw error
      errors.relayUrl = 'invalid_value'
    }
  }
  let issues: ValidationIssue[] = []
  let init: PracticeInit | null = null
  try {
    init = validatePracticeInit({
      name: values.practiceName,
      firstPractitioner: { displayName: values.displayName, profession: values.profession },
    })
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    issues = error.issues
  }
  Object.assign(errors, placeIssues(issues, fieldOf).fields)
  if (init === null || Object.keys(errors).length > 0) return { ok: false, errors }
  return { ok: true, relayUrl, init, enrolmentSecret: (values.enrolmentSecret ?? '').trim() }
}

export function CreatePracticeForm(props: { onOpened: (practice: OpenPractice) => void }) {
  const translator = useT()
  const { t } = translator
  const device = useDeviceApi()
  const [errors, setErrors] = useState<FieldErrors<CreateField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const errorText = (field: CreateField): string | undefined => {
    const code = errors[field]
    if (code === undefined) return undefined
    return field === 'relayUrl' && code === 'invalid_value' ? t('relayError.invalidUrl') : t(issueKey(code))
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const checked = checkCreateForm(formValues(event.currentTarget))
    if (!checked.ok) {
      setErrors(checked.errors)
      setFailure(t('form.invalid'))
      return
    }
    setErrors({})
    setFailure(null)
    setBusy(true)
    try {
      const practice = await device.createPractice({
        relayUrl: checked.relayUrl,
        practiceName: checked.init.name,
        practitioner: checked.init.firstPractitioner,
        ...(checked.enrolmentSecret ? { enrolmentSecret: checked.enrolmentSecret } : {}),
      })
      props.onOpened(practice)
    } catch (error) {
      setFailure(describeError(error, translator))
      setBusy(false)
    }
  }

  const professions = PROFESSIONS.map((p) => ({ value: p, label: t(professionKey(p)) }))

  return (
    <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <RelayUrlField label={t('create.relayUrl')} hint={t('create.relayUrl.hint')} error={errorText('relayUrl')} />
      <TextField
        name="practiceName"
        label={t('create.practiceName')}
        autoComplete="organization"
        error={errorText('practiceName')}
      />
      <TextField
        name="enrolmentSecret"
        label={t('create.enrolmentSecret')}
        hint={t('create.enrolmentSecret.hint')}
        type="password"
        autoComplete="off"
      />
      <fieldset className="form__group">
        <legend>{t('create.practitioner')}</legend>
        <TextField name="displayName" label={t('create.displayName')} autoComplete="name" error={errorText('displayName')} />
        <SelectField
          name="profession"
          label={t('create.profession')}
          choices={professions}
          defaultValue="kine"
          error={errorText('profession')}
        />
      </fieldset>
      <button className="button button--primary" type="submit" disabled={busy}>
        {busy ? t('create.submitting') : t('create.submit')}
      </button>
    </form>
  )
}
