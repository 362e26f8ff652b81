/**
 * The fallback half of binding a <textarea> to a Y.Text (textarea-binding.ts): input the binding
 * cannot apply at the caret from `beforeinput` (an IME composition, a word deleted at once, a
 * spelling correction) is edited by the browser, which then only tells us the new value, so
 * `diffText` finds the one changed range (common prefix and suffix) and the Y.Text gets exactly
 * that delete + insert. Replacing the whole text instead would turn a concurrent edit from
 * another device into a duplicate. When the change is ambiguous (typing "a" into "aa"), the caret
 * says where it was.
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
