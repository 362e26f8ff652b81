/**
 * An envelope entry as it travels and rests, the one shape both ends agree on: the device writes
 * it (envelope.ts), the relay refuses anything else (relay/src/rooms/update-check.ts).
 *
 *   envelope.getArray('entries')      the envelope's one root type: a Y.Array
 *     element: { d: string, c: Uint8Array }   one Yjs ContentAny element, exactly these two keys
 *       d  22 characters of base64url: 16 bytes of HMAC, the blinded doc id (entry-cipher.ts)
 *       c  iv (12) ‖ AES-GCM ciphertext and tag (16): at least 28 bytes
 */
import { IV_BYTES, TAG_BYTES } from './entry-cipher'

/** The name of the envelope's root array. */
export const ENTRIES_KEY = 'entries'

/** A blinded doc id: base64url of 16 bytes, unpadded. */
const BLIND_ID = /^[A-Za-z0-9_-]{22}$/

/** The shortest ciphertext of an entry: an IV and a tag around an empty plaintext. */
export const MIN_ENTRY_CIPHERTEXT_BYTES = IV_BYTES + TAG_BYTES

/**
 * Whether `value` is an entry as a device writes it, strictly: a plain object with own keys `d` and
 * `c` and nothing else, `d` a blinded id, `c` a ciphertext of `MIN_ENTRY_CIPHERTEXT_BYTES` to
 * `maxCiphertextBytes` bytes. (envelope.ts's `isEnvelopeEntry` is the reading side's, more lenient:
 * a device reads what is there and counts what it cannot use.)
 */
export function isWellFormedEntry(value: unknown, maxCiphertextBytes: number): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false
  const keys = Object.keys(value)
  if (keys.length !== 2 || !Object.hasOwn(value, 'd') || !Object.hasOwn(value, 'c')) return false
  const { d, c } = value as { d: unknown; c: unknown }
  return typeof d === 'string' && BLIND_ID.test(d) && c instanceof Uint8Array && c.byteLength >= MIN_ENTRY_CIPHERTEXT_BYTES && c.byteLength <= maxCiphertextBytes
}
