import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { DEFAULT_WORKING_HOURS, ISO_WEEKDAYS, updatePractitioner } from '../../../../shared/src/model'
import { issueKey, useT } from '../../i18n'
import type { PlainKey } from '../../i18n'
import { useActor, useDirectory, useLivePractitioners, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import { formValues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'
import { FormAlert, FormNotice } from '../form/form-alert'
import { SelectField } from '../form/fields'
import { TimeField } from '../form/TimeField'
import { checkWorkingHoursForm, PERIODS, workingHoursValues } from './working-hours-form'
import type { WorkingHoursField } from './working-hours-form'

const DAY_LABELS: readonly PlainKey[] = [
  'agendaUi.weekday.long.mo',
  'agendaUi.weekday.long.tu',
  'agendaUi.weekday.long.we',
  'agendaUi.weekday.long.th',
  'agendaUi.weekday.long.fr',
  'agendaUi.weekday.long.sa',
  'agendaUi.weekday.long.su',
]

/** A practitioner's weekly hours, per day a morning and an afternoon; the agenda shades the rest. */
export function WorkingHoursSection() {
  const translator = useT()
  const { t } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  // The doc's, not a digest's: saving writes into the practitioner's record, which must be there.
  const practitioners = useLivePractitioners()
  const titleId = useId()
  const [chosen, setChosen] = useState<string | null>(null)
  const [errors, setErrors] = useState<FieldErrors<WorkingHoursField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [notice, setNotice] = useState('')
  if (!practitioners || practitioners.length === 0 || !directory) return null
  const practitioner = practitioners.find((p) => p.id === (chosen ?? actor.memberId)) ?? practitioners[0]!
  const values = workingHoursValues(practitioner.workingHours ?? DEFAULT_WORKING_HOURS)

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setNotice('')
    const checked = checkWorkingHoursForm(formValues(event.currentTarget))
    if (!checked.ok) {
      setErrors(checked.errors)
      setFailure(t('form.invalid'))
      return
    }
    try {
      updatePractitioner(directory!, practitioner.id, { workingHours: checked.hours }, actor, clock)
      setErrors({})
      setFailure(null)
      setNotice(t('workingHours.saved'))
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('workingHours.title')}</h2>
      <form className="form working-hours" noValidate onSubmit={submit} aria-labelledby={titleId}>
        {failure ? <FormAlert>{failure}</FormAlert> : null}
        <SelectField
          name="practitioner"
          label={t('workingHours.practitioner')}
          choices={practitioners.map((p) => ({ value: p.id, label: p.displayName }))}
          value={practitioner.id}
          onChange={(event) => {
            setChosen(event.currentTarget.value)
            setErrors({})
            setNotice('')
          }}
        />
        <p className="field__hint">
          {t('workingHours.hint')} {t('form.time.format')}
        </p>
        {/* Remounted per practitioner and per stored value, so the inputs show what is stored. */}
        <div key={`${practitioner.id}-${practitioner.updatedAt}`} className="working-hours__days">
          {ISO_WEEKDAYS.map((day, i) => (
            <fieldset key={day} className="working-hours__day">
              <legend className="field__label">{t(DAY_LABELS[i]!)}</legend>
              {PERIODS.map((period) => {
                const periodLabel = t(period === 0 ? 'workingHours.morning' : 'workingHours.afternoon')
                return (
                  <div key={period} className="form__row">
                    {(['start', 'end'] as const).map((part) => {
                      const field: WorkingHoursField = `${day}.${period}.${part}`
                      const code = errors[field]
                      return (
                        <TimeField
                          key={part}
                          name={field}
                          showFormat={false}
                          label={`${periodLabel} — ${t(part === 'start' ? 'workingHours.start' : 'workingHours.end')} (${t(DAY_LABELS[i]!)})`}
                          defaultValue={values[field]}
                          error={code ? t(issueKey(code)) : undefined}
                        />
                      )
                    })}
                  </div>
                )
              })}
            </fieldset>
          ))}
        </div>
        <button className="button button--primary" type="submit">
          {t('workingHours.save')}
        </button>
        <FormNotice>{notice}</FormNotice>
      </form>
    </section>
  )
}
