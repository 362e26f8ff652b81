import { useCallback, useRef } from 'react'
import type { FocusEvent } from 'react'
import { useT } from '../../i18n'
import { FieldShell, useFieldIds } from './fields'
import type { FieldFrame } from './fields'
import { parseTimeText } from './french-date-input'
import type { TextReading } from './use-parsed-text'
import { useParsedText } from './use-parsed-text'
import './date-time-fields.css'

export interface TimeFieldProps extends FieldFrame {
  /** The name the form reads the time under, as 'HH:mm'. */
  readonly name?: string
  readonly value?: string | null | undefined
  readonly defaultValue?: string | undefined
  /** Each time typed, as 'HH:mm'; null once the field is emptied. */
  readonly onValueChange?: ((time: string | null) => void) | undefined
  readonly disabled?: boolean | undefined
  /** False where the form says the format once for many fields (a week of working hours). */
  readonly showFormat?: boolean | undefined
  readonly onBlur?: ((event: FocusEvent<HTMLInputElement>) => void) | undefined
}

/**
 * A time field on the 24-hour clock whatever the browser's language: it reads « 14 h 30 »,
 * « 14h30 », « 14:30 » or « 1430 » (a phone's number pad), shows the time as the interface writes
 * it (« 14 h 30 » in French), and gives the form the model's 'HH:mm'. Never « 2:30 PM ».
 */
export function TimeField(props: TimeFieldProps) {
  const { t, clock } = useT()
  const { label, hint, error, warning, name, disabled, onBlur } = props
  const read = useCallback((text: string): TextReading<'unreadable'> => {
    const parsed = parseTimeText(text)
    if (parsed.kind === 'time') return { kind: 'value', value: parsed.time }
    return parsed.kind === 'empty' ? parsed : { kind: 'invalid', problem: 'unreadable' }
  }, [])
  const input = useRef<HTMLInputElement>(null)
  const submittedInput = useRef<HTMLInputElement>(null)
  const field = useParsedText(
    {
      value: props.value,
      defaultValue: props.defaultValue,
      read,
      show: clock,
      onValueChange: props.onValueChange,
    },
    input,
    submittedInput,
  )
  // Unreadable text: the field's own reason is the precise one (the form's would be « Date invalide »).
  const shownError = field.problem ? t('form.time.unreadable') : error
  const format = props.showFormat === false ? undefined : t('form.time.format')
  const fullHint = [format, hint].filter(Boolean).join(' ') || undefined
  const ids = useFieldIds({ label, error: shownError, hint: fullHint, warning })

  return (
    <FieldShell label={label} hint={fullHint} error={shownError} warning={warning} ids={ids}>
      <input
        ref={input}
        className="field__control date-time-field__time"
        type="text"
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        placeholder={t('form.time.placeholder')}
        disabled={disabled}
        id={ids.id}
        data-field={name}
        {...ids.aria}
        {...field.inputProps}
        onBlur={(event) => {
          field.inputProps.onBlur()
          onBlur?.(event)
        }}
      />
      {name !== undefined ? <input ref={submittedInput} type="hidden" name={name} value={field.submitted} /> : null}
    </FieldShell>
  )
}
