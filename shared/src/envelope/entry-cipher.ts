/**
 * Encryption of one envelope entry.
 *
 *   d = base64url( HMAC-SHA-256(blindKey, "doc:" ‖ docId)[0..16) )            22 chars
 *   c = iv (12 random bytes) ‖ AES-GCM-256(aeadKey, iv, update, aad)         ≥ 28 bytes
 *   aad = "tournee/v1|" ‖ spaceId ‖ "|room:" ‖ roomName ‖ "|" ‖ docId
 *
 * The associated data binds a ciphertext to its space, its room (shared/src/space/rooms.ts) and
 * its real doc id: an entry copied to another doc, another room or another space fails
 * authentication instead of corrupting a document. Neither the doc id nor the room name is on the
 * wire in clear; the relay routes nothing, it only stores `{d, c}` pairs. (None of the three
 * contains '|': space ids are base64url, room names and doc ids follow fixed patterns.)
 * 128 bits of HMAC are plenty for routing ids inside one space (no collision in practice).
 */
import { asBuffer, type SpaceKeys } from '../crypto/space-keys'
import { toBase64Url } from '../crypto/base64url'
import type { RoomName } from '../space/rooms'

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

function associatedData(keys: Pick<SpaceKeys, 'spaceId'>, room: RoomName, docId: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`tournee/v1|${keys.spaceId}|room:${room}|${docId}`)
}

export async function encryptUpdate(keys: SpaceKeys, room: RoomName, docId: string, update: Uint8Array): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: associatedData(keys, room, docId) },
    keys.aead,
    asBuffer(update),
  )
  const out = new Uint8Array(IV_BYTES + sealed.byteLength)
  out.set(iv, 0)
  out.set(new Uint8Array(sealed), IV_BYTES)
  return out
}

export async function decryptUpdate(keys: Pick<SpaceKeys, 'spaceId' | 'aead'>, room: RoomName, docId: string, c: Uint8Array): Promise<Uint8Array> {
  if (c.length < IV_BYTES + TAG_BYTES) throw new DecryptError(`Entry too short (${c.length} bytes)`)
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: asBuffer(c.slice(0, IV_BYTES)), additionalData: associatedData(keys, room, docId) },
      keys.aead,
      asBuffer(c.subarray(IV_BYTES)),
    )
    return new Uint8Array(plain)
  } catch (cause) {
    // AES-GCM reports every failure (wrong key, tampering, wrong doc) as one OperationError.
    throw new DecryptError('Entry failed authentication: another key, another doc or room, or tampered', { cause })
  }
}
