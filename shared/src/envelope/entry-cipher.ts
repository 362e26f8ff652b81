/**
 * Encryption of one envelope entry.
 *
 *   d = base64url( HMAC-SHA-256(blindKey, "doc:" ‖ docId)[0..16) )            22 chars
 *   c = iv (12 random bytes) ‖ AES-GCM-256(aeadKey, iv, update, aad)         ≥ 28 bytes
 *   aad = "tournee/v1|" ‖ spaceId ‖ "|room:" ‖ roomName ‖ "|" ‖ docId
 *
 * Format v2 (entries written since issue 18's continuity per writer) seals `header ‖ update`
 * (entry-header.ts) under "tournee/v2|…", and marks its IV: iv[0] = 0x02, the other 11 bytes random.
 * A reader tries v2 only on a marked IV and falls back to v1 (a v1 IV is marked by chance once in
 * 256): one AES-GCM pass per entry in the common case. A v2 ciphertext never authenticates as v1
 * nor the reverse (the associated data differs), so a relay cannot pass one format for the other.
 * 88 random bits of IV keep the chance of a repeated IV negligible at a practice's volume (below
 * 2^-40 for 10^7 entries under one key).
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
import { decodeEntryPlaintext, encodeEntryPlaintext, type EntryHeader } from './entry-header'

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

/** The first byte of a v2 entry's IV. */
export const V2_IV_MARK = 0x02

function associatedData(keys: Pick<SpaceKeys, 'spaceId'>, room: RoomName, docId: string, version: 1 | 2 = 1): Uint8Array<ArrayBuffer> {
  return encoder.encode(`tournee/v${version}|${keys.spaceId}|room:${room}|${docId}`)
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

/** A v2 entry: the header and the update sealed together (entry-header.ts). */
export async function encryptEntry(keys: SpaceKeys, room: RoomName, docId: string, header: EntryHeader, update: Uint8Array): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  iv[0] = V2_IV_MARK
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: associatedData(keys, room, docId, 2) },
    keys.aead,
    asBuffer(encodeEntryPlaintext(header, update)),
  )
  const out = new Uint8Array(IV_BYTES + sealed.byteLength)
  out.set(iv, 0)
  out.set(new Uint8Array(sealed), IV_BYTES)
  return out
}

async function open(keys: Pick<SpaceKeys, 'spaceId' | 'aead'>, room: RoomName, docId: string, c: Uint8Array, version: 1 | 2): Promise<Uint8Array | null> {
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: asBuffer(c.slice(0, IV_BYTES)), additionalData: associatedData(keys, room, docId, version) },
      keys.aead,
      asBuffer(c.subarray(IV_BYTES)),
    )
    return new Uint8Array(plain)
  } catch {
    // AES-GCM reports every failure (wrong key, tampering, wrong doc) as one OperationError.
    return null
  }
}

/**
 * An entry's plaintext: for v2, the header's bytes and the update (a view of one buffer); for v1,
 * no header. Throws DecryptError when it authenticates in neither format, EntryHeaderError when a
 * v2 plaintext's header does not read.
 */
export async function decryptEntry(
  keys: Pick<SpaceKeys, 'spaceId' | 'aead'>,
  room: RoomName,
  docId: string,
  c: Uint8Array,
): Promise<{ header: EntryHeader | null; headerBytes: Uint8Array | null; update: Uint8Array }> {
  if (c.length < IV_BYTES + TAG_BYTES) throw new DecryptError(`Entry too short (${c.length} bytes)`)
  if (c[0] === V2_IV_MARK) {
    const plain = await open(keys, room, docId, c, 2)
    if (plain !== null) {
      const { header, headerBytes, update } = decodeEntryPlaintext(plain)
      return { header, headerBytes: plain.subarray(0, headerBytes), update }
    }
  }
  const update = await open(keys, room, docId, c, 1)
  if (update === null) throw new DecryptError('Entry failed authentication: another key, another doc or room, or tampered')
  return { header: null, headerBytes: null, update }
}

/** An entry's update, whatever its format (its continuity header, if any, dropped). */
export async function decryptUpdate(keys: Pick<SpaceKeys, 'spaceId' | 'aead'>, room: RoomName, docId: string, c: Uint8Array): Promise<Uint8Array> {
  return (await decryptEntry(keys, room, docId, c)).update
}
