import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import type * as Y from 'yjs'
import {
  addPractitioner,
  listPractitioners,
  PRACTITIONER_COLOURS,
  PROFESSIONS,
  TEXT_LIMITS,
  updatePractitioner,
  ValidationError,
} from '../../../../shared/src/model'
import type { Practitioner } from '../../../../shared/src/model'
import { professionKey, useT } from '../../i18n'
import { useActor, useDirectory, useDocSnapshot, usePractice } from '../../state'
import { describeError } from '../form/describe-error'
import { formValues, placeIssueDetails, withoutField } from '../form/field-errors'
import type { FieldIssues } from '../form/field-errors'
import { FormAlert } from '../form/form-alert'
import { SelectField, TextField } from '../form/fields'
import { issueText } from '../form/issue-text'
import { ColourField } from './ColourField'
import { checkPractitionerForm, practitionerFieldOf, practitionerFormValues } from './practitioner-form'
import type { PractitionerField } from './practitioner-form'
import { SettingsList } from './SettingsList'
import './settings-lists.css'

// The doc's own practitioners, deactivated ones included: this section edits them.
const readPractitioners = (doc: Y.Doc): readonly Practitioner[] => listPractitioners(doc, { includeInactive: true }).items

/**
 * The practice's practitioners: name, profession, RPPS, colour. Added, edited, deactivated (gone
 * from the agenda's columns and the editor; appointments and history kept) and reactivated here.
 */
export function PractitionersSection() {
  const { t } = useT()
  const { actor } = usePractice()
  const directory = useDirectory()
  const practitioners = useDocSnapshot(directory, readPractitioners)
  if (!directory || !practitioners) return null
  return (
    <SettingsList
      items={practitioners}
      title={t('settings.practitioners.title')}
      labels={{ active: t('settings.practitioners.active'), inactive: t('settings.practitioners.inactive'), add: t('settings.practitioners.add') }}
      renderForm={(practitioner, onDone) => <PractitionerForm directory={directory} practitioner={practitioner} count={practitioners.length} onDone={onDone} />}
      renderRow={(p, onEdit, onOutcome) => (
        <PractitionerRow directory={directory} practitioner={p} self={onEdit !== null && p.id === actor?.memberId} onEdit={onEdit} onOutcome={onOutcome} />
      )}
    />
  )
}

function PractitionerRow(props: {
  directory: Y.Doc
  practitioner: Practitioner
  /** The practitioner using this device. */
  self: boolean
  onEdit: (() => void) | null
  /** What the row's action did, said once for the whole list (the last action replaces it). */
  onOutcome: (outcome: { notice: string } | { failure: string }) => void
}) {
  const translator = useT()
  const { t } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const { directory, practitioner: p, onEdit, onOutcome } = props
  const toggle = () => {
    try {
      updatePractitioner(directory, p.id, { active: !p.active }, actor, clock)
      onOutcome({ notice: t(p.active ? 'settings.practitioners.deactivatedNotice' : 'settings.practitioners.reactivatedNotice', { name: p.displayName }) })
    } catch (error) {
      onOutcome({ failure: describeError(error, translator) })
    }
  }
  const details = [t(professionKey(p.profession)), p.rpps ? `RPPS ${p.rpps}` : null, props.self ? t('settings.practitioners.thisDevice') : null]
  return (
    <li className="settings-list__row">
      <span className="settings-list__swatch" style={{ background: p.colour }} aria-hidden="true" />
      <span className="settings-list__main">
        <span className="settings-list__name">{p.displayName}</span>
        <span className="settings-list__detail">{details.filter(Boolean).join(' · ')}</span>
      </span>
      <span className="settings-list__actions">
        {onEdit ? (
          <button type="button" className="button" onClick={onEdit} aria-label={t('settings.practitioners.editOne', { name: p.displayName })}>
            {t('settings.edit')}
          </button>
        ) : null}
        <button
          type="button"
          className="button"
          onClick={toggle}
          aria-label={t(p.active ? 'settings.practitioners.deactivateOne' : 'settings.practitioners.reactivateOne', { name: p.displayName })}
        >
          {t(p.active ? 'settings.practitioners.deactivate' : 'settings.practitioners.reactivate')}
        </button>
      </span>
    </li>
  )
}

function PractitionerForm(props: { directory: Y.Doc; practitioner: Practitioner | null; count: number; onDone: (notice: string) => void }) {
  const translator = useT()
  const { t } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const titleId = useId()
  const { directory, practitioner, count, onDone } = props
  const [initial] = useState(() =>
    practitioner
      ? practitionerFormValues(practitioner)
      : // A new practitioner gets the next colour in turn, as the model would pick.
        { displayName: '', profession: 'kine', rpps: '', colour: PRACTITIONER_COLOURS[count % PRACTITIONER_COLOURS.length]! },
  )
  const [errors, setErrors] = useState<FieldIssues<PractitionerField>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const errorText = (field: PractitionerField) => (errors[field] ? issueText(errors[field], translator) : undefined)

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const checked = checkPractitionerForm(formValues(event.currentTarget))
    if (!checked.ok) {
      setErrors(checked.errors)
      setFailure(t('form.invalid'))
      return
    }
    try {
      if (practitioner) {
        const { displayName, profession, rpps, colour } = checked.fields
        updatePractitioner(directory, practitioner.id, { displayName, profession, rpps: rpps ?? null, colour }, actor, clock)
        onDone(t('settings.practitioners.saved', { name: displayName }))
      } else {
        addPractitioner(directory, checked.fields, actor, clock)
        onDone(t('settings.practitioners.added', { name: checked.fields.displayName }))
      }
    } catch (error) {
      if (error instanceof ValidationError) setErrors(placeIssueDetails(error.issues, practitionerFieldOf).fields)
      setFailure(describeError(error, translator))
    }
  }

  return (
    <form
      className="form settings-list__form"
      noValidate
      onSubmit={submit}
      // A field's error goes as soon as the person changes it; the next save checks it again.
      onChange={(event) => setErrors((shown) => withoutField(shown, String((event.target as EventTarget & { name?: unknown }).name) as PractitionerField))}
      aria-labelledby={titleId}
    >
      <h3 id={titleId}>{practitioner ? t('settings.practitioners.editOne', { name: practitioner.displayName }) : t('settings.practitioners.add')}</h3>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <div className="form__row">
        <TextField
          name="displayName"
          label={t('create.displayName')}
          defaultValue={initial.displayName}
          maxLength={TEXT_LIMITS.practitioner.displayName}
          error={errorText('displayName')}
          autoComplete="off"
        />
        <SelectField
          name="profession"
          label={t('create.profession')}
          defaultValue={initial.profession}
          choices={PROFESSIONS.map((p) => ({ value: p, label: t(professionKey(p)) }))}
          error={errorText('profession')}
        />
      </div>
      <TextField
        name="rpps"
        label={t('settings.practitioners.rpps')}
        hint={t('settings.practitioners.rpps.hint')}
        defaultValue={initial.rpps}
        inputMode="numeric"
        error={errorText('rpps')}
        autoComplete="off"
      />
      <ColourField name="colour" legend={t('settings.colour')} defaultValue={initial.colour} error={errorText('colour')} />
      <div className="form__actions">
        <button type="submit" className="button button--primary">
          {practitioner ? t('settings.save') : t('settings.practitioners.addSubmit')}
        </button>
        <button type="button" className="button" onClick={() => onDone('')}>
          {t('settings.cancel')}
        </button>
      </div>
    </form>
  )
}
