import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import {
  HOLIDAY_COUNTRIES,
  ValidationError,
  addAbsence,
  softDeleteAbsence,
  updateAbsence,
  updatePractice,
  validateAbsenceInput,
} from '../../../../shared/src/model'
import type { Absence, HolidayCountry } from '../../../../shared/src/model'
import { issueKey, useT } from '../../i18n'
import { useAbsences, useActor, useDirectory, useHolidayCountry, useLivePractitioners, usePractice, usePracticeSettings } from '../../state'
import { describeError } from '../form/describe-error'
import { fieldsByPath, formValues, placeIssues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert, FormNotice } from '../form/form-alert'
import { DateField } from '../form/DateField'
import { SelectField, TextField } from '../form/fields'
import '../agenda/agenda.css'

const FIELDS = ['practitionerId', 'from', 'to', 'label'] as const
type AbsenceField = (typeof FIELDS)[number]
const fieldOf = fieldsByPath<AbsenceField>(FIELDS)

/**
 * « Congés et jours fériés »: the practitioners' absences (leave, training, sick days), which the
 * agenda shades and warns about, and whose public holidays the agenda shows (France or Belgium).
 */
export function AbsencesSection() {
  const translator = useT()
  const { t, longDate } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const settings = usePracticeSettings()
  const country = useHolidayCountry()
  const practitioners = useLivePractitioners()
  const absences = useAbsences()
  const titleId = useId()
  const [editing, setEditing] = useState<Absence | null>(null)
  const [errors, setErrors] = useState<FieldErrors<AbsenceField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [notice, setNotice] = useState('')
  if (!directory || !practitioners || practitioners.length === 0) return null
  const nameOf = (id: string) => practitioners.find((p) => p.id === id)?.displayName ?? t('agenda.unknownPractitioner')

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setNotice('')
    const form = event.currentTarget
    const values = formValues(form)
    try {
      const fields = validateAbsenceInput(values)
      if (editing) updateAbsence(directory!, editing.id, { ...fields, label: fields.label ?? null }, actor, clock)
      else addAbsence(directory!, fields, actor, clock)
      setErrors({})
      setFailure(null)
      setEditing(null)
      setNotice(t('settings.absences.saved'))
      form.reset()
    } catch (error) {
      if (error instanceof ValidationError) {
        setErrors(placeIssues(error.issues, fieldOf).fields)
        setFailure(t('form.invalid'))
      } else {
        setFailure(describeError(error, translator))
      }
    }
  }

  const errorText = (field: AbsenceField) => {
    const code = errors[field]
    if (code === undefined) return undefined
    if (field === 'to' && code === 'out_of_range') return t('settings.absences.toError')
    if (field === 'label' && code === 'too_long') return t('settings.absences.labelTooLong', { max: 80 })
    return t(issueKey(code))
  }

  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.absences.title')}</h2>
      <SelectField
        name="holidayCountry"
        label={t('settings.absences.country')}
        value={country}
        choices={HOLIDAY_COUNTRIES.map((c) => ({ value: c, label: t(`settings.absences.country.${c}`) }))}
        disabled={!settings}
        onChange={(event) => {
          try {
            updatePractice(directory, { holidayCountry: event.currentTarget.value as HolidayCountry }, actor, clock)
          } catch (error) {
            setFailure(describeError(error, translator))
          }
        }}
      />
      {absences && absences.length > 0 ? (
        <ul className="absences__list" aria-label={t('settings.absences.listLabel')}>
          {absences.map((a) => (
            <li key={a.id} className="absences__item">
              <span>
                <strong>{nameOf(a.practitionerId)}</strong> · {a.from === a.to ? longDate(a.from) : t('settings.absences.range', { from: longDate(a.from), to: longDate(a.to) })}
                {a.label ? <> · {a.label}</> : null}
              </span>
              <span className="absences__actions">
                <button type="button" className="button button--small" onClick={() => setEditing(a)}>
                  {t('settings.absences.edit')}
                </button>
                <button type="button" className="button button--small button--danger" onClick={() => softDeleteAbsence(directory, a.id, actor, clock)}>
                  {t('settings.absences.delete')}
                </button>
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="field__hint">{t('settings.absences.none')}</p>
      )}
      <form
        key={editing?.id ?? 'new'}
        className="form absences__form"
        noValidate
        onSubmit={submit}
        aria-label={t(editing ? 'settings.absences.editTitle' : 'settings.absences.addTitle')}
      >
        <h3>{t(editing ? 'settings.absences.editTitle' : 'settings.absences.addTitle')}</h3>
        {failure ? <FormAlert>{failure}</FormAlert> : null}
        <SelectField
          name="practitionerId"
          label={t('settings.absences.practitioner')}
          choices={practitioners.map((p) => ({ value: p.id, label: p.displayName }))}
          defaultValue={editing?.practitionerId ?? actor.memberId}
          error={errorText('practitionerId')}
        />
        <div className="form__row">
          <DateField name="from" label={t('settings.absences.from')} defaultValue={editing?.from ?? ''} error={errorText('from')} />
          <DateField name="to" label={t('settings.absences.to')} defaultValue={editing?.to ?? ''} error={errorText('to')} />
        </div>
        <TextField
          name="label"
          label={t('settings.absences.label')}
          hint={t('settings.absences.labelHint')}
          maxLength={80}
          defaultValue={editing?.label ?? ''}
          error={errorText('label')}
        />
        <div className="form__actions">
          <button className="button button--primary" type="submit">
            {t(editing ? 'settings.absences.saveEdit' : 'settings.absences.add')}
          </button>
          {editing ? (
            <button className="button" type="button" onClick={() => setEditing(null)}>
              {t('settings.absences.cancelEdit')}
            </button>
          ) : null}
        </div>
        <FormNotice>{notice}</FormNotice>
      </form>
    </section>
  )
}
