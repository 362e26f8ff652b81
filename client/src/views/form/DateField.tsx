import { useCallback, useRef } from 'react'
import type { FocusEvent } from 'react'
import { useT } from '../../i18n'
import type { PlainKey } from '../../i18n'
import { FieldShell, useFieldIds } from './fields'
import type { FieldFrame } from './fields'
import { formatDateText, parseDateText } from './french-date-input'
import type { DateTextProblem, TwoDigitYears } from './french-date-input'
import type { TextReading } from './use-parsed-text'
import { useParsedText } from './use-parsed-text'
import './date-time-fields.css'

const PROBLEMS: { readonly [P in DateTextProblem]: PlainKey } = {
  format: 'form.date.unreadable',
  calendar: 'form.date.notInCalendar',
  two_digit_year: 'form.date.twoDigitYear',
}

export interface DateFieldProps extends FieldFrame {
  /** The name the form reads the date under, as 'YYYY-MM-DD' (see useParsedText's `submitted`). */
  readonly name?: string
  readonly value?: string | null | undefined
  readonly defaultValue?: string | undefined
  /** Each date typed or picked, as 'YYYY-MM-DD'; null once the field is emptied. */
  readonly onValueChange?: ((date: string | null) => void) | undefined
  /** How « 12/03/58 » is read; without it the person is asked for four digits. */
  readonly twoDigitYears?: TwoDigitYears | undefined
  /** Bounds of the calendar picker, 'YYYY-MM-DD' (what may be saved is the model's to say). */
  readonly min?: string | undefined
  readonly max?: string | undefined
  readonly disabled?: boolean | undefined
  /** False where the form says the format once for many fields (a week of working hours). */
  readonly showFormat?: boolean | undefined
  readonly onBlur?: ((event: FocusEvent<HTMLInputElement>) => void) | undefined
}

/** A calendar drawn in SVG: an emoji depends on the device's fonts. */
function CalendarIcon() {
  return (
    <svg aria-hidden="true" width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <rect x="3" y="5" width="18" height="16" rx="2" />
      <path d="M3 10h18M8 3v4M16 3v4" />
      <path d="M7 14h2M11 14h2M15 14h2M7 18h2M11 18h2" />
    </svg>
  )
}

/** Whether this browser can open an <input type="date">'s picker from another control. */
function canShowPicker(): boolean {
  return typeof HTMLInputElement !== 'undefined' && 'showPicker' in HTMLInputElement.prototype
}

/**
 * A date field that shows and reads dates the French way (« 12/03/1958 ») whatever the browser's
 * language, for the model's 'YYYY-MM-DD'. Typing always works (digits only too: « 12031958 », for
 * a phone's number pad); a button opens the device's calendar where the browser allows it. An
 * unreadable date is flagged with its reason when the person leaves the field, in the form's error
 * style; a readable one shows the form's own error, if any (a birth date in the future).
 */
export function DateField(props: DateFieldProps) {
  const { t } = useT()
  const { label, hint, error, warning, name, twoDigitYears, min, max, disabled, onBlur } = props
  const read = useCallback((text: string): TextReading<DateTextProblem> => {
    const parsed = parseDateText(text, twoDigitYears)
    return parsed.kind === 'date' ? { kind: 'value', value: parsed.date } : parsed
  }, [twoDigitYears])
  const input = useRef<HTMLInputElement>(null)
  const submittedInput = useRef<HTMLInputElement>(null)
  const field = useParsedText(
    {
      value: props.value,
      defaultValue: props.defaultValue,
      read,
      show: formatDateText,
      onValueChange: props.onValueChange,
    },
    input,
    submittedInput,
  )
  const picker = useRef<HTMLInputElement>(null)
  // Unreadable text: the field's own reason is the precise one (the form's would be « Date invalide »).
  const shownError = field.problem ? t(PROBLEMS[field.problem]) : error
  const format = props.showFormat === false ? undefined : t('form.date.format')
  const fullHint = [format, hint].filter(Boolean).join(' ') || undefined
  const ids = useFieldIds({ label, error: shownError, hint: fullHint, warning })

  const openPicker = () => {
    const native = picker.current
    if (!native) return
    native.value = field.reading.kind === 'value' ? field.reading.value : ''
    try {
      native.showPicker()
    } catch (cause) {
      // No picker here (an old browser, or a page not allowed to open one): typing still works.
      console.warn('The calendar picker could not open', cause)
      input.current?.focus()
    }
  }

  return (
    <FieldShell label={label} hint={fullHint} error={shownError} warning={warning} ids={ids}>
      <div className="date-time-field">
        <input
          ref={input}
          className="field__control"
          type="text"
          inputMode="numeric"
          autoComplete="off"
          spellCheck={false}
          placeholder={t('form.date.placeholder')}
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
        {canShowPicker() ? (
          <>
            <button
              type="button"
              className="button date-time-field__picker"
              aria-label={t('form.date.openPicker')}
              title={t('form.date.openPicker')}
              disabled={disabled}
              onClick={openPicker}
            >
              <CalendarIcon />
            </button>
            <input
              ref={picker}
              className="date-time-field__native"
              type="date"
              tabIndex={-1}
              aria-hidden="true"
              min={min}
              max={max}
              onChange={(event) => {
                const chosen = event.currentTarget.value
                if (chosen !== '') field.choose(chosen)
              }}
            />
          </>
        ) : null}
      </div>
    </FieldShell>
  )
}
