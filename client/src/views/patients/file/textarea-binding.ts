/**
 * Binds a <textarea> to a Y.Text, both ways, the way Yjs means text to be edited together:
 *
 * - Local input is applied to the Y.Text as an insertion or deletion at the caret, from the
 *   `beforeinput` event (typing, Entrée, Retour arrière, Suppr, paste, drop), before the browser
 *   touches the textarea; the textarea then shows the Y.Text. Input the page cannot take over
 *   (an IME composition, a word deleted with Ctrl+Retour arrière, a cut, a spelling correction)
 *   lets the browser edit, and the one changed range is found afterwards (text-diff.ts) with the
 *   caret as a hint.
 * - The selection is kept as Y.RelativePositions (text-selection.ts), saved whenever it moves; a
 *   remote change rewrites the textarea and puts the selection back on the same characters, so a
 *   person typing at the place another is typing keeps their own run of letters together.
 * - Undo and redo (Ctrl+Z, the keyboard's undo key) go through a Y.UndoManager of this binding's
 *   own edits: they never undo a colleague's typing.
 *
 * The textarea is uncontrolled: React renders it once and this binding owns its value.
 */
import * as Y from 'yjs'
import { diffText } from './text-diff'
import { anchorSelection, charAfter, charBefore, resolveSelection } from './text-selection'
import type { TextSelection } from './text-selection'

export interface TextareaBindingOptions {
  /** The longest text the note takes (UTF-16 units, as the model counts): input beyond is cut. */
  readonly maxLength: number
  /** After each local edit (the note is then stamped with who edited it). */
  readonly onLocalEdit: () => void
  /** After every change of the text, local or remote: its length now (for a counter). */
  readonly onLength?: (length: number) => void
}

/** The range an input replaces and what it puts there; null when the browser must do it. */
type Replacement = { from: number; to: number; insert: string }

function replacementOf(event: InputEvent, value: string, start: number, end: number): Replacement | null {
  const collapsed = start === end
  switch (event.inputType) {
    case 'insertText':
    case 'insertReplacementText':
    case 'insertFromPaste':
    case 'insertFromDrop': {
      const data = event.data ?? event.dataTransfer?.getData('text/plain') ?? null
      return data === null ? null : { from: start, to: end, insert: data.replace(/\r\n?/g, '\n') }
    }
    case 'insertLineBreak':
    case 'insertParagraph':
      return { from: start, to: end, insert: '\n' }
    case 'deleteContentBackward':
      return { from: collapsed ? start - charBefore(value, start) : start, to: end, insert: '' }
    case 'deleteContentForward':
      return { from: start, to: collapsed ? end + charAfter(value, end) : end, insert: '' }
    default:
      return null
  }
}

export function bindTextarea(textarea: HTMLTextAreaElement, text: Y.Text, options: TextareaBindingOptions): () => void {
  const doc = text.doc
  if (!doc) throw new Error('The Y.Text of a note must belong to a Y.Doc')
  // Marks this binding's own transactions: its observer skips them, its undo manager keeps them.
  const origin = { binding: 'textarea' }
  const undo = new Y.UndoManager(text, { trackedOrigins: new Set([origin]), captureTimeout: 500 })
  let selection: TextSelection = anchorSelection(text, 0, 0)

  const saveSelection = () => {
    const direction = textarea.selectionDirection === 'backward' ? 'backward' : textarea.selectionDirection === 'forward' ? 'forward' : 'none'
    selection = anchorSelection(text, textarea.selectionStart, textarea.selectionEnd, direction)
  }

  /** Shows the Y.Text, selection on the characters it was on (or at `caret` after a local edit). */
  const render = (caret?: number) => {
    const scroll = textarea.scrollTop
    const value = text.toString()
    if (textarea.value !== value) textarea.value = value
    if (textarea.ownerDocument.activeElement === textarea) {
      if (caret !== undefined) textarea.setSelectionRange(caret, caret)
      else {
        const { start, end } = resolveSelection(text, selection)
        textarea.setSelectionRange(start, end, selection.direction)
      }
      saveSelection()
    }
    textarea.scrollTop = scroll
    options.onLength?.(text.length)
  }

  const replace = ({ from, to, insert }: Replacement) => {
    // Never past the limit: what does not fit is not inserted (the counter shows why).
    const room = options.maxLength - (text.length - (to - from))
    const kept = insert.length > room ? insert.slice(0, Math.max(0, room)) : insert
    if (to === from && kept === '') return
    doc.transact(() => {
      if (to > from) text.delete(from, to - from)
      if (kept !== '') text.insert(from, kept)
    }, origin)
    render(from + kept.length)
    options.onLocalEdit()
  }

  const history = (step: 'undo' | 'redo') => {
    if (step === 'undo') undo.undo()
    else undo.redo()
    render()
    options.onLocalEdit()
  }

  // The browser's own undo history is empty (this binding edits the value itself), so it may not
  // even send 'historyUndo': the usual keys are taken here, the input events below.
  const onKeyDown = (event: KeyboardEvent) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return
    const key = event.key.toLowerCase()
    const step = key === 'z' ? (event.shiftKey ? 'redo' : 'undo') : key === 'y' && !event.shiftKey ? 'redo' : null
    if (step === null) return
    event.preventDefault()
    history(step)
  }

  const onBeforeInput = (event: InputEvent) => {
    if (event.inputType === 'historyUndo' || event.inputType === 'historyRedo') {
      event.preventDefault()
      history(event.inputType === 'historyUndo' ? 'undo' : 'redo')
      return
    }
    if (event.isComposing) return
    const replacement = replacementOf(event, textarea.value, textarea.selectionStart, textarea.selectionEnd)
    if (replacement === null) return
    event.preventDefault()
    replace(replacement)
  }

  // What the browser edited itself (see the module comment): the one changed range, caret as hint.
  const onInput = () => {
    const change = diffText(text.toString(), textarea.value, textarea.selectionEnd)
    if (!change) return
    const caret = textarea.selectionEnd
    doc.transact(() => {
      if (change.remove > 0) text.delete(change.index, change.remove)
      if (change.insert !== '') text.insert(change.index, change.insert)
    }, origin)
    if (text.length > options.maxLength) {
      doc.transact(() => text.delete(options.maxLength, text.length - options.maxLength), origin)
      render(Math.min(caret, options.maxLength))
    } else {
      saveSelection()
      options.onLength?.(text.length)
    }
    options.onLocalEdit()
  }

  const onRemote = (_event: Y.YTextEvent, transaction: Y.Transaction) => {
    if (transaction.origin === origin) return
    render()
  }

  const onSelectionChange = () => {
    if (textarea.ownerDocument.activeElement === textarea) saveSelection()
  }

  textarea.value = text.toString()
  options.onLength?.(text.length)
  text.observe(onRemote)
  // Every selection change is saved (relative to the text), wherever it comes from.
  const listeners: ReadonlyArray<readonly [string, EventListener]> = [
    ['keydown', onKeyDown as EventListener],
    ['beforeinput', onBeforeInput as EventListener],
    ['input', onInput as EventListener],
    ['select', saveSelection],
    ['focus', saveSelection],
    ['keyup', saveSelection],
    ['pointerup', saveSelection],
  ]
  for (const [type, listener] of listeners) textarea.addEventListener(type, listener)
  textarea.ownerDocument.addEventListener('selectionchange', onSelectionChange)
  return () => {
    text.unobserve(onRemote)
    for (const [type, listener] of listeners) textarea.removeEventListener(type, listener)
    textarea.ownerDocument.removeEventListener('selectionchange', onSelectionChange)
    undo.destroy()
  }
}
