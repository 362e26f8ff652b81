import { useEffect, useRef } from 'react'
import type * as Y from 'yjs'
import { getNoteText, markNoteEdited } from '../../../../../shared/src/model'
import { useActor, usePractice } from '../../../state'
import { diffText, shiftPosition, type DeltaOp } from './text-diff'

/** After this long without a keystroke, the note is stamped with who edited it (markNoteEdited). */
const TYPING_PAUSE_MS = 1500

/**
 * A textarea bound to a note's Y.Text. It is uncontrolled: React renders it once and the binding
 * keeps it and the Y.Text equal, each local input becoming one minimal Y.Text edit and each remote
 * edit rewriting the value with the caret kept on its characters.
 */
export function NoteEditor(props: { doc: Y.Doc; noteId: string; label: string }) {
  const { doc, noteId, label } = props
  const { clock } = usePractice()
  const actor = useActor()
  const ref = useRef<HTMLTextAreaElement>(null)

  useEffect(() => {
    const textarea = ref.current
    if (!textarea) return
    const text = getNoteText(doc, noteId)
    // Marks this binding's own transactions, so its observer skips the echo.
    const origin = { binding: noteId }
    textarea.value = text.toString()
    let pause: ReturnType<typeof setTimeout> | null = null
    const stamp = () => {
      if (pause === null) return
      clearTimeout(pause)
      pause = null
      markNoteEdited(doc, noteId, actor, clock)
    }
    const onInput = () => {
      const change = diffText(text.toString(), textarea.value, textarea.selectionEnd)
      if (change) {
        doc.transact(() => {
          if (change.remove > 0) text.delete(change.index, change.remove)
          if (change.insert !== '') text.insert(change.index, change.insert)
        }, origin)
      }
      if (pause !== null) clearTimeout(pause)
      pause = setTimeout(() => {
        pause = null
        markNoteEdited(doc, noteId, actor, clock)
      }, TYPING_PAUSE_MS)
    }
    // Leaving the note stamps it at once if a stamp is due.
    const onBlur = stamp
    const onRemote = (event: Y.YTextEvent, transaction: Y.Transaction) => {
      if (transaction.origin === origin) return
      const focused = textarea.ownerDocument.activeElement === textarea
      const { selectionStart, selectionEnd, selectionDirection } = textarea
      const delta = event.delta as DeltaOp[]
      textarea.value = text.toString()
      if (focused) {
        textarea.setSelectionRange(shiftPosition(selectionStart, delta), shiftPosition(selectionEnd, delta), selectionDirection)
      }
    }
    text.observe(onRemote)
    textarea.addEventListener('input', onInput)
    textarea.addEventListener('blur', onBlur)
    return () => {
      text.unobserve(onRemote)
      textarea.removeEventListener('input', onInput)
      textarea.removeEventListener('blur', onBlur)
      stamp()
    }
  }, [doc, noteId, actor, clock])

  return <textarea ref={ref} className="note__text" aria-label={label} rows={5} spellCheck />
}
