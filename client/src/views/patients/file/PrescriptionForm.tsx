import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import type * as Y from 'yjs'
import { addPrescription, TEXT_LIMITS, todayIn } from '../../../../../shared/src/model'
import { useT } from '../../../i18n'
import type { PlainKey } from '../../../i18n'
import { useActor, useAttachmentActions, usePractice } from '../../../state'
import { describeError } from '../../form/describe-error'
import { formValues } from '../../form/field-errors'
import type { FieldIssues } from '../../form/field-errors'
import { DateField } from '../../form/DateField'
import { FormAlert, FormNotice } from '../../form/form-alert'
import { TextAreaField, TextField } from '../../form/fields'
import { issueText } from '../../form/issue-text'
import { describeAttachmentError } from './attachment-format'
import { checkPrescriptionForm, PRESCRIPTION_FIELDS } from './prescription-form'
import type { PrescriptionField } from './prescription-form'

const LABELS: { readonly [F in PrescriptionField]: PlainKey } = {
  prescriberName: 'file.prescription.prescriberName',
  prescriberRpps: 'file.prescription.prescriberRpps',
  date: 'file.prescription.date',
  indication: 'file.prescription.indication',
  sessionsPrescribed: 'file.prescription.sessions',
}

/** Records an ordonnance in the patient file, with its scan or photo when one is chosen. */
export function PrescriptionForm(props: { doc: Y.Doc }) {
  const { doc } = props
  const translator = useT()
  const { t, timeZone } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const attachments = useAttachmentActions()
  const titleId = useId()
  const scanId = useId()
  const [errors, setErrors] = useState<FieldIssues<PrescriptionField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [notice, setNotice] = useState('')

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const checked = checkPrescriptionForm(formValues(form))
    setNotice('')
    setErrors(checked.ok ? {} : checked.errors)
    if (!checked.ok) {
      setFailure(t('form.invalid'))
      return
    }
    let id: string
    try {
      id = addPrescription(doc, checked.fields, actor, clock)
    } catch (error) {
      setFailure(describeError(error, translator))
      return
    }
    const scan = (form.elements.namedItem('scan') as HTMLInputElement | null)?.files?.[0]
    form.reset()
    setFailure(null)
    setNotice(t('file.prescription.added'))
    if (scan) {
      try {
        await attachments.addFile(doc, scan, { prescriptionId: id }, actor, clock)
      } catch (error) {
        // The ordonnance is saved; only its scan failed, and the person is told which.
        setFailure(describeAttachmentError(error, translator))
      }
    }
  }

  const field = (name: PrescriptionField) => {
    const issue = errors[name]
    return { name, label: t(LABELS[name]), error: issue === undefined ? undefined : issueText(issue, translator) }
  }
  const today = todayIn(timeZone, clock)

  return (
    <form className="form" noValidate onSubmit={(event) => void submit(event)} aria-labelledby={titleId}>
      <h4 id={titleId}>{t('file.prescription.add')}</h4>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <div className="form__row">
        <TextField {...field('prescriberName')} autoComplete="off" maxLength={TEXT_LIMITS.prescription.prescriberName} />
        <TextField {...field('prescriberRpps')} inputMode="numeric" autoComplete="off" />
      </div>
      <div className="form__row">
        <DateField {...field('date')} defaultValue={today} twoDigitYears={{ mode: 'near', reference: today }} />
        <TextField {...field('sessionsPrescribed')} inputMode="numeric" hint={t('file.prescription.sessions.hint')} />
      </div>
      <TextAreaField {...field('indication')} rows={2} maxLength={TEXT_LIMITS.prescription.indication} />
      <div className="field">
        <label className="field__label" htmlFor={scanId}>
          {t('file.prescription.scan')}
        </label>
        <input id={scanId} className="field__control" name="scan" type="file" accept="image/*,application/pdf" />
      </div>
      {Object.keys(errors).length > 0 ? (
        <ul className="form__summary" aria-label={t('form.invalid')}>
          {PRESCRIPTION_FIELDS.map((name) => {
            const issue = errors[name]
            if (issue === undefined) return null
            return <li key={name}>{t('form.fieldError', { field: t(LABELS[name]), message: issueText(issue, translator) })}</li>
          })}
        </ul>
      ) : null}
      <button className="button button--primary" type="submit">
        {t('file.prescription.submit')}
      </button>
      <FormNotice>{notice}</FormNotice>
    </form>
  )
}
