import { useEffect, useId, useRef, useState } from 'react'
import type * as Y from 'yjs'
import { getNoteText, markNoteEdited, TEXT_LIMITS } from '../../../../../shared/src/model'
import { useT } from '../../../i18n'
import { useActor, usePractice } from '../../../state'
import { bindTextarea } from './textarea-binding'

/** After this long without a keystroke, the note is stamped with who edited it (markNoteEdited). */
const TYPING_PAUSE_MS = 1500
const MAX_LENGTH = TEXT_LIMITS.note.text
/** The counter shows from this share of the limit: a note is rarely near it, and says so when it is. */
const COUNTER_FROM = 0.8

/**
 * A textarea bound to a note's Y.Text (textarea-binding.ts): local input becomes Y.Text edits at
 * the caret, remote edits come back with the caret kept on its characters, so two people typing
 * in one note (even at the same place) each keep their words together.
 */
export function NoteEditor(props: { doc: Y.Doc; noteId: string; label: string }) {
  const { doc, noteId, label } = props
  const { t } = useT()
  const { clock } = usePractice()
  const actor = useActor()
  const ref = useRef<HTMLTextAreaElement>(null)
  const counterId = useId()
  const [length, setLength] = useState(0)

  useEffect(() => {
    const textarea = ref.current
    if (!textarea) return
    let pause: ReturnType<typeof setTimeout> | null = null
    const stamp = () => {
      if (pause === null) return
      clearTimeout(pause)
      pause = null
      markNoteEdited(doc, noteId, actor, clock)
    }
    const unbind = bindTextarea(textarea, getNoteText(doc, noteId), {
      maxLength: MAX_LENGTH,
      onLength: setLength,
      onLocalEdit: () => {
        if (pause !== null) clearTimeout(pause)
        pause = setTimeout(() => {
          pause = null
          markNoteEdited(doc, noteId, actor, clock)
        }, TYPING_PAUSE_MS)
      },
    })
    // Leaving the note stamps it at once if a stamp is due.
    textarea.addEventListener('blur', stamp)
    return () => {
      unbind()
      textarea.removeEventListener('blur', stamp)
      stamp()
    }
  }, [doc, noteId, actor, clock])

  const showCounter = length >= MAX_LENGTH * COUNTER_FROM
  return (
    <>
      <textarea
        ref={ref}
        className="note__text"
        aria-label={label}
        aria-describedby={showCounter ? counterId : undefined}
        rows={5}
        spellCheck
      />
      {showCounter ? (
        <p id={counterId} className={length >= MAX_LENGTH ? 'note__counter note__counter--full' : 'note__counter'}>
          {t('file.note.counter', { length, max: MAX_LENGTH })}
        </p>
      ) : null}
    </>
  )
}
