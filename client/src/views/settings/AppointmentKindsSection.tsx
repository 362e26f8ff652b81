import { useCallback, useId, useState } from 'react'
import type { FormEvent } from 'react'
import type * as Y from 'yjs'
import {
  addAppointmentKind,
  listAppointmentKinds,
  reinstateAppointmentKind,
  retireAppointmentKind,
  TEXT_LIMITS,
  updateAppointmentKind,
  ValidationError,
} from '../../../../shared/src/model'
import type { AppointmentKind, Practitioner } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, useDirectory, useDocSnapshot, useLivePractitioners, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import type { FieldIssues } from '../form/field-errors'
import { formValues, placeIssueDetails, withoutField } from '../form/field-errors'
import { FormAlert } from '../form/form-alert'
import { RadioGroup, TextField } from '../form/fields'
import { issueText } from '../form/issue-text'
import { ColourField } from './ColourField'
import { checkKindForm, kindFieldOf, kindFormValues } from './kind-form'
import type { KindField, KindFormValues } from './kind-form'
import { SettingsList } from './SettingsList'
import './settings-lists.css'

// The doc's own kinds, retired ones included: this section edits them.
const readKinds = (doc: Y.Doc): readonly AppointmentKind[] => listAppointmentKinds(doc, { includeInactive: true }).items

const NEW_KIND: KindFormValues = { label: '', defaultDurationMin: '30', colour: '#2563eb', offeredBy: 'all', practitionerIds: [] }

/**
 * The practice's appointment kinds: name, default duration, colour, and who offers them. Added,
 * edited, retired (the editor stops offering it; appointments keep it) and reinstated here.
 */
export function AppointmentKindsSection() {
  const { t } = useT()
  const directory = useDirectory()
  const kinds = useDocSnapshot(directory, readKinds)
  const practitioners = useLivePractitioners()
  if (!directory || !kinds || !practitioners) return null
  return (
    <SettingsList
      items={kinds}
      title={t('settings.kinds.title')}
      hint={t('settings.kinds.hint')}
      labels={{ active: t('settings.kinds.inUse'), inactive: t('settings.kinds.retired'), add: t('settings.kinds.add') }}
      renderForm={(kind, onDone) => <KindForm directory={directory} kind={kind} practitioners={practitioners} onDone={onDone} />}
      renderRow={(kind, onEdit, onOutcome) => <KindRow directory={directory} kind={kind} practitioners={practitioners} onEdit={onEdit} onOutcome={onOutcome} />}
    />
  )
}

function KindRow(props: {
  directory: Y.Doc
  kind: AppointmentKind
  practitioners: readonly Practitioner[]
  onEdit: (() => void) | null
  /** What the row's action did, said once for the whole list (the last action replaces it). */
  onOutcome: (outcome: { notice: string } | { failure: string }) => void
}) {
  const translator = useT()
  const { t, duration } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const { directory, kind, practitioners, onEdit, onOutcome } = props
  const who =
    kind.practitionerIds === undefined
      ? t('settings.kinds.everyone')
      : kind.practitionerIds.map((id) => practitioners.find((p) => p.id === id)?.displayName ?? t('agenda.unknownPractitioner')).join(', ')
  const toggle = () => {
    try {
      if (kind.active) retireAppointmentKind(directory, kind.id, actor, clock)
      else reinstateAppointmentKind(directory, kind.id, actor, clock)
      onOutcome({ notice: t(kind.active ? 'settings.kinds.retiredNotice' : 'settings.kinds.reinstatedNotice', { label: kind.label }) })
    } catch (error) {
      onOutcome({ failure: describeError(error, translator) })
    }
  }
  return (
    <li className="settings-list__row">
      <span className="settings-list__swatch" style={{ background: kind.colour }} aria-hidden="true" />
      <span className="settings-list__main">
        <span className="settings-list__name">{kind.label}</span>
        <span className="settings-list__detail">
          {duration(kind.defaultDurationMin)} · {who}
        </span>
      </span>
      <span className="settings-list__actions">
        {onEdit ? (
          <button type="button" className="button" onClick={onEdit} aria-label={t('settings.kinds.editOne', { label: kind.label })}>
            {t('settings.edit')}
          </button>
        ) : null}
        <button
          type="button"
          className="button"
          onClick={toggle}
          aria-label={t(kind.active ? 'settings.kinds.retireOne' : 'settings.kinds.reinstateOne', { label: kind.label })}
        >
          {t(kind.active ? 'settings.kinds.retire' : 'settings.kinds.reinstate')}
        </button>
      </span>
    </li>
  )
}

function KindForm(props: { directory: Y.Doc; kind: AppointmentKind | null; practitioners: readonly Practitioner[]; onDone: (notice: string) => void }) {
  const translator = useT()
  const { t } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const titleId = useId()
  const { directory, kind, practitioners, onDone } = props
  const [initial] = useState(() => (kind ? kindFormValues(kind) : NEW_KIND))
  const [offeredBy, setOfferedBy] = useState(initial.offeredBy)
  const [errors, setErrors] = useState<FieldIssues<KindField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const errorText = useCallback((field: KindField) => (errors[field] ? issueText(errors[field], translator) : undefined), [errors, translator])

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const values = formValues(form)
    const checked = checkKindForm({
      label: values.label ?? '',
      defaultDurationMin: values.defaultDurationMin ?? '',
      colour: values.colour ?? '',
      offeredBy,
      practitionerIds: new FormData(form).getAll('practitionerIds').map(String),
    })
    if (!checked.ok) {
      setErrors(checked.errors)
      setFailure(t('form.invalid'))
      return
    }
    try {
      if (kind) {
        updateAppointmentKind(directory, kind.id, { ...checked.fields, practitionerIds: checked.fields.practitionerIds ?? null }, actor, clock)
        onDone(t('settings.kinds.saved', { label: checked.fields.label }))
      } else {
        addAppointmentKind(directory, checked.fields, actor, clock)
        onDone(t('settings.kinds.added', { label: checked.fields.label }))
      }
    } catch (error) {
      // A name another kind uses is only known when writing: the model compares with the others.
      if (error instanceof ValidationError) setErrors(placeIssueDetails(error.issues, kindFieldOf).fields)
      setFailure(describeError(error, translator))
    }
  }

  return (
    <form
      className="form settings-list__form"
      noValidate
      onSubmit={submit}
      // A field's error goes as soon as the person changes it; the next save checks it again.
      onChange={(event) => setErrors((shown) => withoutField(shown, String((event.target as EventTarget & { name?: unknown }).name) as KindField))}
      aria-labelledby={titleId}
    >
      <h3 id={titleId}>{kind ? t('settings.kinds.editOne', { label: kind.label }) : t('settings.kinds.add')}</h3>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <div className="form__row">
        <TextField name="label" label={t('settings.kinds.label')} defaultValue={initial.label} maxLength={TEXT_LIMITS.appointmentKind.label} error={errorText('label')} autoComplete="off" />
        <TextField
          name="defaultDurationMin"
          label={t('settings.kinds.duration')}
          hint={t('settings.kinds.duration.hint')}
          defaultValue={initial.defaultDurationMin}
          inputMode="numeric"
          error={errorText('defaultDurationMin')}
          autoComplete="off"
        />
      </div>
      <ColourField name="colour" legend={t('settings.colour')} defaultValue={initial.colour} error={errorText('colour')} />
      <RadioGroup
        legend={t('settings.kinds.offeredBy')}
        name="offeredBy"
        value={offeredBy}
        onChange={(value) => setOfferedBy(value === 'some' ? 'some' : 'all')}
        choices={[
          { value: 'all', label: t('settings.kinds.everyone') },
          { value: 'some', label: t('settings.kinds.some') },
        ]}
      />
      {offeredBy === 'some' ? (
        <fieldset className={errors.practitionerIds ? 'settings-list__who field--invalid' : 'settings-list__who'}>
          <legend className="field__label">{t('settings.kinds.which')}</legend>
          {practitioners.map((p) => (
            <label key={p.id} className="radio-group__choice">
              <input type="checkbox" name="practitionerIds" value={p.id} defaultChecked={initial.practitionerIds.includes(p.id)} />
              <span>{p.displayName}</span>
            </label>
          ))}
          {errors.practitionerIds ? <p className="field__error">{t('settings.kinds.whichNone')}</p> : null}
        </fieldset>
      ) : null}
      <div className="form__actions">
        <button type="submit" className="button button--primary">
          {kind ? t('settings.save') : t('settings.kinds.addSubmit')}
        </button>
        <button type="button" className="button" onClick={() => onDone('')}>
          {t('settings.cancel')}
        </button>
      </div>
    </form>
  )
}
