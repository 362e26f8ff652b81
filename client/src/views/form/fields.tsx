import { useId } from 'react'
import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react'

export interface FieldFrame {
  /** The visible label; also the control's accessible name. */
  label: string
  /** Why the value was refused, in words; sets aria-invalid and is read after the label. */
  error?: string | undefined
  hint?: string | undefined
}

/** Ids and ARIA attributes linking a control to its label, hint and error. */
export function useFieldIds(frame: FieldFrame) {
  const id = useId()
  const hintId = `${id}-hint`
  const errorId = `${id}-error`
  const describedBy = [frame.hint ? hintId : null, frame.error ? errorId : null].filter(Boolean).join(' ')
  return {
    id,
    hintId,
    errorId,
    aria: {
      'aria-invalid': frame.error ? true : undefined,
      'aria-describedby': describedBy === '' ? undefined : describedBy,
    },
  }
}

/** Label, control, hint and error of one field, laid out and linked the same way in every form. */
export function FieldShell(props: FieldFrame & { ids: ReturnType<typeof useFieldIds>; children: ReactNode }) {
  const { label, hint, error, ids, children } = props
  return (
    <div className={error ? 'field field--invalid' : 'field'}>
      <label className="field__label" htmlFor={ids.id}>
        {label}
      </label>
      {children}
      {hint ? (
        <p className="field__hint" id={ids.hintId}>
          {hint}
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

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & FieldFrame & { name: string }

export function TextField(props: InputProps) {
  const { label, error, hint, ...input } = props
  const ids = useFieldIds({ label, error, hint })
  return (
    <FieldShell label={label} error={error} hint={hint} ids={ids}>
      <input className="field__control" type="text" {...input} id={ids.id} {...ids.aria} />
    </FieldShell>
  )
}

type TextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> & FieldFrame & { name: string }

export function TextAreaField(props: TextAreaProps) {
  const { label, error, hint, ...textarea } = props
  const ids = useFieldIds({ label, error, hint })
  return (
    <FieldShell label={label} error={error} hint={hint} ids={ids}>
      <textarea className="field__control" rows={3} {...textarea} id={ids.id} {...ids.aria} />
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
  const { label, error, hint, choices, ...select } = props
  const ids = useFieldIds({ label, error, hint })
  return (
    <FieldShell label={label} error={error} hint={hint} ids={ids}>
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
