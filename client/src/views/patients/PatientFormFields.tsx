import { SEXES } from '../../../../shared/src/model'
import { issueKey, useT } from '../../i18n'
import type { PlainKey } from '../../i18n'
import type { FieldErrors } from '../form/field-errors'
import { SelectField, TextAreaField, TextField } from '../form/fields'
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

/**
 * The fields of the add and edit forms: identity, contact, address, follow-up. Uncontrolled inputs
 * (read with FormData on submit), started from `initial` when editing.
 */
export function PatientFormFields(props: { errors: FieldErrors<PatientField>; initial?: Readonly<Record<PatientField, string>> }) {
  const { t } = useT()
  const { errors, initial } = props
  const field = (name: PatientField) => {
    const code = errors[name]
    return {
      name,
      label: t(PATIENT_FIELD_LABELS[name]),
      error: code === undefined ? undefined : t(issueKey(code)),
      defaultValue: initial?.[name],
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
        <TextField {...field('birthDate')} type="date" />
        <TextField {...field('nir')} inputMode="numeric" autoComplete="off" spellCheck={false} />
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
export function PatientErrorSummary(props: { errors: FieldErrors<PatientField> }) {
  const { t } = useT()
  const { errors } = props
  if (Object.keys(errors).length === 0) return null
  return (
    <ul className="form__summary" aria-label={t('form.invalid')}>
      {PATIENT_FIELDS.map((name) => {
        const code = errors[name]
        if (code === undefined) return null
        return <li key={name}>{t('form.fieldError', { field: t(PATIENT_FIELD_LABELS[name]), message: t(issueKey(code)) })}</li>
      })}
    </ul>
  )
}
