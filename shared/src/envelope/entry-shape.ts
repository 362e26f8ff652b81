/**
 * An envelope entry as it travels and rests, the one shape both ends agree on: the device writes
 * it (envelope.ts), the relay refuses anything else (relay/src/rooms/update-check.ts).
 *
 *   envelope.getArray('entries')      the envelope's one root type: a Y.Array
 *     element: { d: string, c: Uint8Array }   one Yjs ContentAny element, exactly these keys
 *          or { d, c, w: string, s: Uint8Array }   signed (a practice with a device registry)
 *       d  22 characters of base64url: 16 bytes of HMAC, the blinded doc id (entry-cipher.ts)
 *       c  iv (12) ‖ AES-GCM ciphertext and tag (16): at least 28 bytes
 *       w  the signing device's id, 12 characters (entry-signature.ts)
 *       s  its ECDSA P-256 signature of the entry at its position, 64 bytes
 */
import { IV_BYTES, TAG_BYTES } from './entry-cipher'
import { SIGNATURE_BYTES, SIGNER_PATTERN } from './entry-signature'

/** The name of the envelope's root array. */
export const ENTRIES_KEY = 'entries'

/** A blinded doc id: base64url of 16 bytes, unpadded. */
const BLIND_ID = /^[A-Za-z0-9_-]{22}$/

/** The shortest ciphertext of an entry: an IV and a tag around an empty plaintext. */
export const MIN_ENTRY_CIPHERTEXT_BYTES = IV_BYTES + TAG_BYTES

/**
 * Whether `value` is an entry as a device writes it, strictly: a plain object with own keys `d` and
 * `c` — and `w` and `s` when signed — and nothing else, `d` a blinded id, `c` a ciphertext of
 * `MIN_ENTRY_CIPHERTEXT_BYTES` to `maxCiphertextBytes` bytes, `w` a device id, `s` 64 bytes.
 * (envelope.ts's `isEnvelopeEntry` is the reading side's, more lenient: a device reads what is there
 * and counts what it cannot use.) Whether the signature is *valid* is another question
 * (entry-signature.ts): this is the shape alone.
 */
export function isWellFormedEntry(value: unknown, maxCiphertextBytes: number): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false
  const keys = Object.keys(value)
  if (!Object.hasOwn(value, 'd') || !Object.hasOwn(value, 'c')) return false
  const signed = keys.length === 4 && Object.hasOwn(value, 'w') && Object.hasOwn(value, 's')
  if (keys.length !== 2 && !signed) return false
  const { d, c, w, s } = value as { d: unknown; c: unknown; w?: unknown; s?: unknown }
  if (signed && !(typeof w === 'string' && SIGNER_PATTERN.test(w) && s instanceof Uint8Array && s.byteLength === SIGNATURE_BYTES)) return false
  return typeof d === 'string' && BLIND_ID.test(d) && c instanceof Uint8Array && c.byteLength >= MIN_ENTRY_CIPHERTEXT_BYTES && c.byteLength <= maxCiphertextBytes
}

/** Whether a well-formed entry carries a signature (`w`, `s`). */
export function isSignedEntry(value: { readonly w?: unknown; readonly s?: unknown }): boolean {
  return typeof value.w === 'string' && value.s instanceof Uint8Array
}
