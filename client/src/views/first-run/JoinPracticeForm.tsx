import { useState } from 'react'
import type { FormEvent } from 'react'
import { PairingCodeError } from '../../sync/errors'
import type { OpenPractice } from '../../sync/device/device'
import { issueKey, pairingErrorKey, useT } from '../../i18n'
import { useDeviceApi } from '../../app/device-api'
import { describeError } from '../form/describe-error'
import { formValues } from '../form/field-errors'
import { FormAlert } from '../form/form-alert'
import { TextAreaField } from '../form/fields'

export function JoinPracticeForm(props: { onOpened: (practice: OpenPractice) => void }) {
  const translator = useT()
  const { t } = translator
  const device = useDeviceApi()
  const [codeError, setCodeError] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const code = (formValues(event.currentTarget).pairingCode ?? '').trim()
    if (code === '') {
      setCodeError(t(issueKey('required')))
      setFailure(t('form.invalid'))
      return
    }
    setCodeError(null)
    setFailure(null)
    setBusy(true)
    try {
      props.onOpened(await device.joinPractice(code))
    } catch (error) {
      if (error instanceof PairingCodeError) setCodeError(t(pairingErrorKey(error.code)))
      setFailure(describeError(error, translator))
      setBusy(false)
    }
  }

  return (
    <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <TextAreaField
        name="pairingCode"
        label={t('join.pairingCode')}
        hint={t('join.pairingCode.hint')}
        rows={5}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        error={codeError ?? undefined}
      />
      <button className="button button--primary" type="submit" disabled={busy}>
        {busy ? t('join.submitting') : t('join.submit')}
      </button>
    </form>
  )
}
