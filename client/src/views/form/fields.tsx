import { useEffect, useId, useRef, useState } from 'react'
import type { ChangeEvent, InputHTMLAttributes, ReactNode, RefObject, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react'
import { useT } from '../../i18n'
import './fields.css'

export interface FieldFrame {
  /** The visible label; also the control's accessible name. */
  label: string
  /** Why the value was refused, in words; sets aria-invalid and is read after the label. */
  error?: string | undefined
  hint?: string | undefined
  /**
   * Something to check that does not stop the form (a NIR that does not match the birth date):
   * read after the label like an error, without marking the field invalid.
   */
  warning?: string | undefined
}

/** The longest text a field takes, and how long it is now: shown as « 12 / 100 ». */
export type FieldCounter = { readonly length: number; readonly max: number }

/** Ids and ARIA attributes linking a control to its label, hint, limit, warning and error. */
export function useFieldIds(frame: FieldFrame & { counter?: FieldCounter | undefined }) {
  const id = useId()
  const hintId = `${id}-hint`
  const errorId = `${id}-error`
  const warningId = `${id}-warning`
  const limitId = `${id}-limit`
  const describedBy = [
    frame.hint ? hintId : null,
    frame.counter ? limitId : null,
    frame.warning ? warningId : null,
    frame.error ? errorId : null,
  ]
    .filter(Boolean)
    .join(' ')
  return {
    id,
    hintId,
    errorId,
    warningId,
    limitId,
    aria: {
      'aria-invalid': frame.error ? true : undefined,
      'aria-describedby': describedBy === '' ? undefined : describedBy,
    },
  }
}

/**
 * Label, control, hint, limit, warning and error of one field, laid out and linked the same way in
 * every form. A field with a length limit shows its counter beside the label, before the limit is
 * hit; assistive technology reads the limit itself (« 100 caractères au plus ») with the field.
 */
export function FieldShell(
  props: FieldFrame & { ids: ReturnType<typeof useFieldIds>; counter?: FieldCounter | undefined; children: ReactNode },
) {
  const { t } = useT()
  const { label, hint, error, warning, counter, ids, children } = props
  const full = counter !== undefined && counter.length >= counter.max
  return (
    <div className={error ? 'field field--invalid' : warning ? 'field field--warning' : 'field'}>
      <div className="field__head">
        <label className="field__label" htmlFor={ids.id}>
          {label}
        </label>
        {counter ? (
          <span className={full ? 'field__counter field__counter--full' : 'field__counter'} aria-hidden="true">
            {t('form.counter', { length: counter.length, max: counter.max })}
          </span>
        ) : null}
      </div>
      {children}
      {hint ? (
        <p className="field__hint" id={ids.hintId}>
          {hint}
        </p>
      ) : null}
      {counter ? (
        <span className="visually-hidden" id={ids.limitId}>
          {t('form.limit', { max: counter.max })}
        </span>
      ) : null}
      {warning ? (
        <p className="field__warning" id={ids.warningId}>
          {warning}
        </p>
      ) : null}
      {error ? (
        <p className="field__error" id={ids.errorId}>
          {error}
        </p>
      ) : null}
    </div>
  )
}

/**
 * The length of a text control's value, for its counter: followed as the person types, and back
 * to the default when the form is reset. Null when the field has no limit.
 */
function useLength(
  control: RefObject<HTMLInputElement | HTMLTextAreaElement | null>,
  props: { value?: unknown; defaultValue?: unknown; maxLength?: number | undefined },
): { counter: FieldCounter | undefined; track: (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => void } {
  const { value, defaultValue, maxLength } = props
  const [typed, setTyped] = useState(() => String(defaultValue ?? '').length)
  useEffect(() => {
    const form = control.current?.form
    if (!form || maxLength === undefined) return
    const onReset = () => setTyped(String(defaultValue ?? '').length)
    form.addEventListener('reset', onReset)
    return () => form.removeEventListener('reset', onReset)
  }, [control, defaultValue, maxLength])
  const length = value !== undefined && value !== null ? String(value).length : typed
  return {
    counter: maxLength === undefined ? undefined : { length, max: maxLength },
    track: (event) => setTyped(event.currentTarget.value.length),
  }
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & FieldFrame & { name: string }

/** A one-line text field; with `maxLength`, the browser stops at the limit and a counter shows it. */
export function TextField(props: InputProps) {
  const { label, error, hint, warning, onChange, ...input } = props
  const control = useRef<HTMLInputElement>(null)
  const { counter, track } = useLength(control, input)
  const ids = useFieldIds({ label, error, hint, warning, counter })
  return (
    <FieldShell label={label} error={error} hint={hint} warning={warning} counter={counter} ids={ids}>
      <input
        ref={control}
        className="field__control"
        type="text"
        {...input}
        onChange={(event) => {
          track(event)
          onChange?.(event)
        }}
        id={ids.id}
        {...ids.aria}
      />
    </FieldShell>
  )
}

type TextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> & FieldFrame & { name: string }

/** A text area; with `maxLength`, the browser stops at the limit and a counter shows it. */
export function TextAreaField(props: TextAreaProps) {
  const { label, error, hint, warning, onChange, ...textarea } = props
  const control = useRef<HTMLTextAreaElement>(null)
  const { counter, track } = useLength(control, textarea)
  const ids = useFieldIds({ label, error, hint, warning, counter })
  return (
    <FieldShell label={label} error={error} hint={hint} warning={warning} counter={counter} ids={ids}>
      <textarea
        ref={control}
        className="field__control"
        rows={3}
        {...textarea}
        onChange={(event) => {
          track(event)
          onChange?.(event)
        }}
        id={ids.id}
        {...ids.aria}
      />
    </FieldShell>
  )
}

export interface Choice {
  readonly value: string
  readonly label: string
}

type SelectProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id' | 'children'> &
  FieldFrame & { name: string; choices: readonly Choice[] }

export function SelectField(props: SelectProps) {
  const { label, error, hint, warning, choices, ...select } = props
  const ids = useFieldIds({ label, error, hint, warning })
  return (
    <FieldShell label={label} error={error} hint={hint} warning={warning} ids={ids}>
      <select className="field__control" {...select} id={ids.id} {...ids.aria}>
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </FieldShell>
  )
}

/** Radio buttons in a fieldset whose legend names the group (role "radiogroup"). */
export function RadioGroup(props: {
  legend: string
  name: string
  choices: readonly Choice[]
  value?: string
  defaultValue?: string
  onChange?: (value: string) => void
}) {
  const { legend, name, choices, value, defaultValue, onChange } = props
  const id = useId()
  return (
    <fieldset className="radio-group" role="radiogroup" aria-labelledby={`${id}-legend`}>
      <legend id={`${id}-legend`} className="field__label">
        {legend}
      </legend>
      <div className="radio-group__choices">
        {choices.map((choice) => (
          <label key={choice.value} className="radio-group__choice">
            <input
              type="radio"
              name={name}
              value={choice.value}
              {...(value !== undefined ? { checked: value === choice.value } : {})}
              {...(defaultValue !== undefined ? { defaultChecked: defaultValue === choice.value } : {})}
              onChange={onChange ? () => onChange(choice.value) : undefined}
            />
            <span>{choice.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  )
}
