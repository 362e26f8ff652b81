/**
 * A textarea's selection kept on the characters of a Y.Text, as Yjs means it to be
 * (Y.RelativePosition), rather than as offsets shifted by each remote change.
 *
 * Why it matters: two people typing at the same place. Each keystroke becomes an insertion whose
 * Yjs origin is the character left of the caret. If the caret follows its own last letter, each
 * person's next letter has their own previous letter as origin, and Yjs keeps each run of letters
 * together however the two runs interleave in time:
 *
 *   A types "RAS", B types "ok" at the same end  →  "…RASok" or "…okRAS", never "…RoAkS"
 *
 * An offset shifted by remote changes puts the caret after the other person's letter that just
 * arrived at it, and the next keystroke then interleaves. So a collapsed caret is anchored to the
 * character on its left (assoc −1: text arriving exactly there goes after the caret); a selection
 * keeps its first and last selected characters (text arriving at either edge stays outside it).
 */
import * as Y from 'yjs'

export type TextSelection = {
  readonly start: Y.RelativePosition
  readonly end: Y.RelativePosition
  readonly direction: 'forward' | 'backward' | 'none'
}

/** The selection [start, end) of `text`'s current content, anchored to its characters. */
export function anchorSelection(
  text: Y.Text,
  start: number,
  end: number,
  direction: TextSelection['direction'] = 'none',
): TextSelection {
  const collapsed = start === end
  return {
    start: Y.createRelativePositionFromTypeIndex(text, start, collapsed ? -1 : 0),
    end: Y.createRelativePositionFromTypeIndex(text, end, -1),
    direction,
  }
}

/** Where an anchored selection is in `text` now, after any changes (local or remote). */
export function resolveSelection(text: Y.Text, selection: TextSelection): { start: number; end: number } {
  const doc = text.doc
  if (!doc) throw new Error('The Y.Text of a note must belong to a Y.Doc')
  const at = (position: Y.RelativePosition, fallback: number) => {
    const absolute = Y.createAbsolutePositionFromRelativePosition(position, doc)
    return absolute !== null && absolute.type === text ? absolute.index : fallback
  }
  const start = at(selection.start, 0)
  const end = at(selection.end, start)
  return { start: Math.min(start, end), end: Math.max(start, end) }
}

/** How many UTF-16 units the character (grapheme) before `index` takes: 2 for most emoji, more for some. */
export function charBefore(value: string, index: number): number {
  if (index <= 0) return 0
  const window = value.slice(Math.max(0, index - 32), index)
  const segments = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(window)]
  return segments.at(-1)?.segment.length ?? 1
}

/** How many UTF-16 units the character (grapheme) after `index` takes. */
export function charAfter(value: string, index: number): number {
  if (index >= value.length) return 0
  const window = value.slice(index, index + 32)
  const first = new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(window)[Symbol.iterator]().next()
  return first.done ? 1 : first.value.segment.length
}
