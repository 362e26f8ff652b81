/**
 * The two halves of binding a <textarea> to a Y.Text, as pure functions.
 *
 * Local edit → Y.Text: the textarea only tells us its new value, so `diffText` finds the one
 * changed range (common prefix and suffix) and the Y.Text gets exactly that delete + insert.
 * Replacing the whole text instead would turn a concurrent edit from another device into a
 * duplicate. When the change is ambiguous (typing "a" into "aa"), the caret says where it was.
 *
 * Remote edit → textarea: the caret and selection must stay on the same characters, so
 * `shiftPosition` moves a position through the Y.Text event's delta: text inserted or deleted
 * before it moves it, text after it does not.
 */

export interface TextChange {
  /** Where the change starts, in UTF-16 code units (the unit of both textarea and Y.Text). */
  readonly index: number
  readonly remove: number
  readonly insert: string
}

/** The single range edit turning `before` into `after`; null when they are equal. */
export function diffText(before: string, after: string, caret?: number): TextChange | null {
  if (before === after) return null
  const maxPrefix = Math.min(before.length, after.length)
  let prefix = 0
  while (prefix < maxPrefix && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++
  // Text typed just before the caret: the insertion starts at caret − inserted length at most.
  const grown = after.length - before.length
  if (caret !== undefined && grown > 0) prefix = Math.max(0, Math.min(prefix, caret - grown))
  let suffix = 0
  const maxSuffix = Math.min(before.length, after.length) - prefix
  while (suffix < maxSuffix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++
  // Never split a surrogate pair: an emoji is one character to the person typing.
  if (prefix > 0 && isHighSurrogate(after.charCodeAt(prefix - 1))) prefix--
  if (suffix > 0 && isLowSurrogate(after.charCodeAt(after.length - suffix))) suffix--
  return {
    index: prefix,
    remove: before.length - prefix - suffix,
    insert: after.slice(prefix, after.length - suffix),
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

/** One op of a Y.Text event's delta. */
export type DeltaOp = { retain: number } | { insert: string | object } | { delete: number }

/**
 * Where `position` lands after `delta` is applied. Text inserted exactly at the position goes
 * before it (a remote insertion at my caret pushes my caret on, so my next keystroke follows it).
 */
export function shiftPosition(position: number, delta: readonly DeltaOp[]): number {
  let cursor = 0
  let shifted = position
  for (const op of delta) {
    if (cursor > position) break
    if ('retain' in op) {
      cursor += op.retain
    } else if ('insert' in op) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1
      if (cursor <= position) shifted += length
      // The inserted text is now part of the text before `position`.
      position += length
      cursor += length
    } else {
      const removedBefore = Math.min(op.delete, Math.max(0, position - cursor))
      shifted -= removedBefore
      position -= removedBefore
    }
  }
  return shifted
}
