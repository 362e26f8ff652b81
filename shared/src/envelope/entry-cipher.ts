/**
 * Encryption of one envelope entry.
 *
 *   d = base64url( HMAC-SHA-256(blindKey, "doc:" ‖ docId)[0..16) )            22 chars
 *   c = iv (12 random bytes) ‖ AES-GCM-256(aeadKey, iv, update, aad)         ≥ 28 bytes
 *   aad = "tournee/v1|" ‖ spaceId ‖ "|" ‖ docId                               layout 1
 *   aad = "tournee/v1|" ‖ spaceId ‖ "|room:" ‖ roomName ‖ "|" ‖ docId         layout 2 (rooms)
 *
 * The associated data binds a ciphertext to its space and to its real doc id: an entry copied to
 * another doc or another space fails authentication instead of corrupting a document. The doc id
 * is never on the wire in clear; the relay routes nothing, it only stores `{d, c}` pairs.
 * 128 bits of HMAC are plenty for routing ids inside one space (no collision in practice).
 */
import { asBuffer, type SpaceKeys } from '../crypto/space-keys'
import { toBase64Url } from '../crypto/base64url'

export const IV_BYTES = 12
export const TAG_BYTES = 16
const BLIND_BYTES = 16
const encoder = new TextEncoder()

export class DecryptError extends Error {
  override name = 'DecryptError'
}

export async function blindDocId(keys: SpaceKeys, docId: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', keys.blind, encoder.encode(`doc:${docId}`))
  return toBase64Url(new Uint8Array(mac, 0, BLIND_BYTES))
}

function associatedData(keys: SpaceKeys, docId: string): Uint8Array<ArrayBuffer> {
  if (keys.room !== undefined) return encoder.encode(`tournee/v1|${keys.spaceId}|room:${keys.room}|${docId}`)
  return encoder.encode(`tournee/v1|${keys.spaceId}|${docId}`)
}

export async function encryptUpdate(keys: SpaceKeys, docId: string, update: Uint8Array): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: associatedData(keys, docId) },
    keys.aead,
    asBuffer(update),
  )
  const out = new Uint8Array(IV_BYTES + sealed.byteLength)
  out.set(iv, 0)
  out.set(new Uint8Array(sealed), IV_BYTES)
  return out
}

export async function decryptUpdate(keys: SpaceKeys, docId: string, c: Uint8Array): Promise<Uint8Array> {
  if (c.length < IV_BYTES + TAG_BYTES) throw new DecryptError(`Entry too short (${c.length} bytes)`)
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: asBuffer(c.slice(0, IV_BYTES)), additionalData: associatedData(keys, docId) },
      keys.aead,
      asBuffer(c.subarray(IV_BYTES)),
    )
    return new Uint8Array(plain)
  } catch (cause) {
    // AES-GCM reports every failure (wrong key, tampering, wrong doc) as one OperationError.
    throw new DecryptError('Entry failed authentication: another key, another doc, or tampered', { cause })
  }
}
