/**
 * UTF-8 decoding and `JSON.parse` of a big document in slices, with the thread given back between
 * them (a page: the directory digest of 20,000 patients is ≈ 5 MB of JSON, one `JSON.parse` of 76
 * ms and a UTF-8 decoding of about as much on a 2-core machine — tasks a person feels as a freeze).
 *
 * The result is exactly `JSON.parse`'s. How: one scan of the text, itself in slices, finds the
 * arrays that are values of the top-level object and the commas between their elements (strings
 * and escapes understood); each big array is then parsed a group of elements at a time, and the
 * rest — the object with those arrays left empty — in one small `JSON.parse`. Every character is
 * still read by `JSON.parse`, so anything malformed throws its SyntaxError; anything the scan did
 * not expect (another top-level value, brackets that do not pair) falls back to one `JSON.parse`
 * of the whole text, which then says what is wrong.
 */

/** About how many characters are read between two of `nextSlice`'s turns (≈ 5 ms of work). */
const CHARS_PER_SLICE = 256 * 1024

export interface SliceOptions {
  readonly nextSlice: () => Promise<void>
  readonly charsPerSlice?: number
}

/** `new TextDecoder('utf-8', { fatal: true }).decode(bytes)`, a slice of bytes at a time. */
export async function decodeUtf8InSlices(bytes: Uint8Array, { nextSlice, charsPerSlice = CHARS_PER_SLICE }: SliceOptions): Promise<string> {
  if (bytes.length <= charsPerSlice) return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const parts: string[] = []
  for (let start = 0; start < bytes.length; start += charsPerSlice) {
    if (start > 0) await nextSlice()
    const end = Math.min(start + charsPerSlice, bytes.length)
    // `stream` keeps a character cut between two slices for the next one.
    parts.push(decoder.decode(bytes.subarray(start, end), { stream: end < bytes.length }))
  }
  return parts.join('')
}

/** An array that is a value of the top-level object: its key, its brackets and the commas between its elements. */
interface TopArray {
  readonly key: string
  readonly open: number
  close: number
  readonly commas: number[]
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** `JSON.parse(text)`, in slices when the text is big (header). */
export async function parseJsonInSlices(text: string, options: SliceOptions): Promise<unknown> {
  const charsPerSlice = options.charsPerSlice ?? CHARS_PER_SLICE
  if (text.length <= charsPerSlice) return JSON.parse(text)
  const arrays = await scanTopArrays(text, options.nextSlice, charsPerSlice)
  const big = arrays?.filter((array) => array.close - array.open > charsPerSlice)
  if (!big || big.length === 0) {
    await options.nextSlice()
    return JSON.parse(text)
  }
  // The object with each big array left empty: small, one parse.
  let skeleton = ''
  let from = 0
  for (const array of big) {
    skeleton += text.slice(from, array.open + 1)
    from = array.close
  }
  skeleton += text.slice(from)
  const top = JSON.parse(skeleton) as Record<string, unknown>
  for (const array of big) {
    const elements: unknown[] = []
    // Element boundaries: after the '[', after each comma, up to the ']'.
    const bounds = [array.open, ...array.commas, array.close]
    let first = 0
    while (first < bounds.length - 1) {
      let last = first + 1
      while (last < bounds.length - 1 && (bounds[last + 1] as number) - (bounds[first] as number) <= charsPerSlice) last++
      await options.nextSlice()
      const group = JSON.parse(`[${text.slice((bounds[first] as number) + 1, bounds[last])}]`) as unknown[]
      for (const element of group) elements.push(element)
      first = last
    }
    // Defined, not assigned: a key "__proto__" is an own property in JSON.parse's result too.
    Object.defineProperty(top, array.key, { value: elements, writable: true, enumerable: true, configurable: true })
  }
  return top
}

/**
 * The arrays that are values of the top-level object, with the commas at their top level; null
 * when the text is not shaped that way (then one plain JSON.parse says what it is).
 */
async function scanTopArrays(text: string, nextSlice: () => Promise<void>, charsPerSlice: number): Promise<TopArray[] | null> {
  let i = 0
  while (i < text.length && isSpace(text.charCodeAt(i))) i++
  if (text.charCodeAt(i) !== OPEN_BRACE) return null
  const arrays: TopArray[] = []
  // The brackets open at each depth; depth 1 is the top-level object.
  const stack: number[] = [OPEN_BRACE]
  const keys = new Set<string>()
  let keyStart = -1
  let key: string | null = null
  let current: TopArray | null = null
  let inString = false
  let budget = charsPerSlice
  for (i = i + 1; i < text.length; i++) {
    if (--budget === 0) {
      budget = charsPerSlice
      await nextSlice()
    }
    const code = text.charCodeAt(i)
    if (inString) {
      if (code === BACKSLASH) i++
      else if (code === QUOTE) {
        inString = false
        if (stack.length === 1 && keyStart >= 0 && key === null) {
          key = JSON.parse(text.slice(keyStart, i + 1)) as string
          // A repeated key: JSON.parse keeps the last value, whatever it is; let it decide.
          if (keys.has(key)) return null
          keys.add(key)
        }
      }
      continue
    }
    switch (code) {
      case QUOTE:
        inString = true
        if (stack.length === 1 && key === null) keyStart = i
        break
      case COLON:
        break
      case COMMA:
        if (stack.length === 1) {
          key = null
          keyStart = -1
        } else if (stack.length === 2 && current) current.commas.push(i)
        break
      case OPEN_BRACE:
      case OPEN_BRACKET:
        stack.push(code)
        if (stack.length === 2 && code === OPEN_BRACKET && key !== null) {
          current = { key, open: i, close: -1, commas: [] }
          arrays.push(current)
        }
        break
      case CLOSE_BRACE:
      case CLOSE_BRACKET: {
        const opened = stack.pop()
        if (opened !== (code === CLOSE_BRACE ? OPEN_BRACE : OPEN_BRACKET)) return null
        if (stack.length === 1 && current) {
          current.close = i
          current = null
        }
        if (stack.length === 0) return arrays
        break
      }
    }
  }
  return null
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
}
