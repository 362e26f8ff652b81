import { useEffect, useState } from 'react'
import type { ChangeEvent, RefObject } from 'react'

/** Typed text read as a model value ('1958-03-12', '14:30'), or why it cannot be. */
export type TextReading<P extends string> =
  | { readonly kind: 'empty' }
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'invalid'; readonly problem: P }

export interface ParsedTextOptions<P extends string> {
  /** The model value when the form controls the field ('' or null: empty); absent, the field keeps its own. */
  readonly value?: string | null | undefined
  /** The model value the field starts from, and returns to when its form is reset. */
  readonly defaultValue?: string | undefined
  read(text: string): TextReading<P>
  /** A model value as the field shows it ('12/03/1958', '14 h 30'). */
  show(value: string): string
  /** Called with each readable value the person types (null once emptied), never with unreadable text. */
  onValueChange?: ((value: string | null) => void) | undefined
}

/**
 * The state of a text field that shows a model value its own way (a date as « 12/03/1958 »): what
 * is typed, the value it reads as, and the problem to show once the person leaves the field with
 * unreadable text (hidden again as soon as the text reads). `submitted` is what the form sends:
 * the model value, '' when empty, or the unreadable text itself, so that the model refuses it
 * with its own reason rather than taking the field as left empty. `inputRef` is the text input's,
 * to follow its form's reset; `submittedRef` the hidden input the form reads, kept current within
 * the keystroke's event (a form's own change handler reads it before React renders again).
 */
export function useParsedText<P extends string>(
  options: ParsedTextOptions<P>,
  inputRef: RefObject<HTMLInputElement | null>,
  submittedRef?: RefObject<HTMLInputElement | null>,
) {
  const { value, defaultValue, read, show, onValueChange } = options
  const initial = value ?? defaultValue ?? ''
  const [text, setText] = useState(() => (initial === '' ? '' : show(initial)))
  const [editing, setEditing] = useState(false)
  const [left, setLeft] = useState(false)
  const [synced, setSynced] = useState(value)
  const reading = read(text)

  // The form (or another device) changed the value: show it, unless the person is typing here.
  if (value !== synced) {
    setSynced(value)
    const current = reading.kind === 'value' ? reading.value : ''
    if (!editing && (value ?? '') !== current) setText(value ? show(value) : '')
  }

  // form.reset() puts uncontrolled inputs back to their defaults; this field follows.
  useEffect(() => {
    const form = inputRef.current?.form
    if (!form) return
    const onReset = () => {
      setText(defaultValue ? show(defaultValue) : '')
      setLeft(false)
    }
    form.addEventListener('reset', onReset)
    return () => form.removeEventListener('reset', onReset)
  }, [defaultValue, show, inputRef])

  const submittedOf = (typed: string, typedReading: TextReading<P>) =>
    typedReading.kind === 'value' ? typedReading.value : typedReading.kind === 'empty' ? '' : typed.trim()

  const accept = (next: string) => {
    setText(next)
    const nextReading = read(next)
    if (submittedRef?.current) submittedRef.current.value = submittedOf(next, nextReading)
    if (nextReading.kind !== 'invalid') setLeft(false)
    if (nextReading.kind === 'value') onValueChange?.(nextReading.value)
    else if (nextReading.kind === 'empty') onValueChange?.(null)
  }

  const submitted = submittedOf(text, reading)
  const problem = left && reading.kind === 'invalid' ? reading.problem : null

  return {
    text,
    reading,
    submitted,
    /** Why the text left in the field does not read; null while typing or when it reads. */
    problem,
    /** Puts a model value in the field as if typed (a picker's choice). */
    choose: (chosen: string) => accept(show(chosen)),
    inputProps: {
      value: text,
      onChange: (event: ChangeEvent<HTMLInputElement>) => accept(event.currentTarget.value),
      onFocus: () => setEditing(true),
      onBlur: () => {
        setEditing(false)
        if (reading.kind === 'invalid') setLeft(true)
        // A controlled field the person emptied shows its value again: the form did not take ''.
        else if (reading.kind === 'empty' && value) setText(show(value))
        // Tidied into the canonical form once the person is done: « 12031958 » → « 12/03/1958 ».
        else if (reading.kind === 'value' && show(reading.value) !== text) setText(show(reading.value))
      },
    },
  }
}
