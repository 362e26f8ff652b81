/**
 * Well-formed envelope entries for the relay's tests (shared/src/envelope/entry-shape.ts): the relay
 * refuses anything else. `d` is a readable label padded to a blinded id's 22 base64url characters,
 * `c` random bytes, at least an IV and a tag.
 */
import { randomBytes } from 'node:crypto'
import { MIN_ENTRY_CIPHERTEXT_BYTES } from '../../../shared/src/envelope/entry-shape'

export interface TestEntry {
  d: string
  c: Uint8Array
}

const LABEL = /^[A-Za-z0-9-]{1,21}$/

/** The blinded-looking doc id of a label (letters, digits and '-', at most 21). */
export function testDocId(label: string): string {
  if (!LABEL.test(label)) throw new RangeError(`"${label}": a test label is 1 to 21 letters, digits or '-'`)
  return label.padEnd(22, '_')
}

/** The label a test doc id was made of. */
export function labelOf(d: string): string {
  return d.replace(/_+$/, '')
}

/** An entry of the doc `label` whose ciphertext is `bytes` random bytes (or the bytes given). */
export function testEntry(label: string, bytes: number | Uint8Array = MIN_ENTRY_CIPHERTEXT_BYTES): TestEntry {
  const c = typeof bytes === 'number' ? new Uint8Array(randomBytes(Math.max(bytes, MIN_ENTRY_CIPHERTEXT_BYTES))) : bytes
  return { d: testDocId(label), c }
}
