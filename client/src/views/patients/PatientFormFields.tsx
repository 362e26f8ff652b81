import { SEXES, TEXT_LIMITS } from '../../../../shared/src/model'
import type { NirMismatch } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import type { PlainKey } from '../../i18n'
import type { FieldIssues } from '../form/field-errors'
import { DateField } from '../form/DateField'
import { SelectField, TextAreaField, TextField } from '../form/fields'
import { issueText } from '../form/issue-text'
import { nirWarningText } from './nir-warning'
import { PATIENT_FIELDS } from './patient-form'
import type { PatientField } from './patient-form'

export const PATIENT_FIELD_LABELS: { readonly [F in PatientField]: PlainKey } = {
  birthName: 'patient.birthName',
  usualName: 'patient.usedName',
  firstNames: 'patient.givenNames',
  sex: 'patient.sex',
  birthDate: 'patient.birthDate',
  nir: 'patient.nir',
  phone: 'patient.phone',
  email: 'patient.email',
  'address.line1': 'patient.address.line',
  'address.line2': 'patient.address.line2',
  'address.postalCode': 'patient.address.postalCode',
  'address.city': 'patient.address.city',
  'address.accessNotes': 'patient.address.accessNotes',
  'referringDoctor.name': 'patient.referringDoctor.name',
  'referringDoctor.rpps': 'patient.referringDoctor.rpps',
  insurance: 'patient.insurance',
  tags: 'patient.tags',
}

const SEX_LABELS = { F: 'patient.sex.F', M: 'patient.sex.M', X: 'patient.sex.X', U: 'patient.sex.U' } as const

const LIMITS: Partial<Record<PatientField, number>> = TEXT_LIMITS.patient

/**
 * The fields of the add and edit forms: identity, contact, address, follow-up. Uncontrolled inputs
 * (read with FormData on submit), started from `initial` when editing. Text fields stop at the
 * model's limit and count towards it; the birth date is read the French way (« 12/03/58 » is 1958).
 */
export function PatientFormFields(props: {
  errors: FieldIssues<PatientField>
  /** A NIR that disagrees with the sex or birth date (a warning on the NIR field). */
  warnings?: readonly NirMismatch[]
  initial?: Readonly<Record<PatientField, string>>
  /** Today in the practice's zone ('YYYY-MM-DD'): two-digit birth years are read before it. */
  today: string
}) {
  const translator = useT()
  const { t } = translator
  const { errors, initial, today } = props
  const field = (name: PatientField) => {
    const issue = errors[name]
    return {
      name,
      label: t(PATIENT_FIELD_LABELS[name]),
      error: issue === undefined ? undefined : issueText(issue, translator),
      defaultValue: initial?.[name],
      maxLength: LIMITS[name],
    }
  }
  return (
    <>
      <fieldset className="form__group">
        <legend>{t('patients.identity')}</legend>
        <TextField {...field('birthName')} autoComplete="off" />
        <TextField {...field('usualName')} autoComplete="off" />
        <TextField {...field('firstNames')} autoComplete="off" />
        <SelectField
          {...field('sex')}
          choices={[{ value: '', label: t('patients.none') }, ...SEXES.map((s) => ({ value: s, label: t(SEX_LABELS[s]) }))]}
        />
        <DateField
          name="birthDate"
          label={t(PATIENT_FIELD_LABELS.birthDate)}
          error={field('birthDate').error}
          defaultValue={initial?.birthDate}
          twoDigitYears={{ mode: 'past', reference: today }}
          max={today}
        />
        <TextField
          {...field('nir')}
          inputMode="numeric"
          autoComplete="off"
          spellCheck={false}
          warning={nirWarningText(props.warnings ?? [], translator) ?? undefined}
        />
      </fieldset>
      <fieldset className="form__group">
        <legend>{t('patients.contact')}</legend>
        <TextField {...field('phone')} type="tel" autoComplete="off" hint={t('patient.phone.hint')} />
        <TextField {...field('email')} type="email" autoComplete="off" />
      </fieldset>
      <fieldset className="form__group">
        <legend>{t('patient.address')}</legend>
        <TextField {...field('address.line1')} autoComplete="off" />
        <TextField {...field('address.line2')} autoComplete="off" />
        <div className="form__row">
          <TextField {...field('address.postalCode')} inputMode="numeric" autoComplete="off" />
          <TextField {...field('address.city')} autoComplete="off" />
        </div>
        <TextAreaField {...field('address.accessNotes')} rows={2} hint={t('patient.address.accessNotes.hint')} />
      </fieldset>
      <fieldset className="form__group">
        <legend>{t('patients.followUp')}</legend>
        <TextField {...field('referringDoctor.name')} autoComplete="off" />
        <TextField {...field('referringDoctor.rpps')} inputMode="numeric" autoComplete="off" />
        <TextField {...field('insurance')} autoComplete="off" />
        <TextField {...field('tags')} autoComplete="off" hint={t('patient.tags.hint')} />
      </fieldset>
    </>
  )
}

/** Every field error in a list under the form, in the order of the fields. */
export function PatientErrorSummary(props: { errors: FieldIssues<PatientField> }) {
  const translator = useT()
  const { t } = translator
  const { errors } = props
  if (Object.keys(errors).length === 0) return null
  return (
    <ul className="form__summary" aria-label={t('form.invalid')}>
      {PATIENT_FIELDS.map((name) => {
        const issue = errors[name]
        if (issue === undefined) return null
        return <li key={name}>{t('form.fieldError', { field: t(PATIENT_FIELD_LABELS[name]), message: issueText(issue, translator) })}</li>
      })}
    </ul>
  )
}
