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
 * Format v3 (entries written once a device holds a key epoch ≥ 1, issue 19's revocation:
 * crypto/key-epochs.ts) is v2's plaintext under the tier key of that epoch, the epoch in the IV:
 *
 *   iv  = 0x03 ‖ epoch (uint16, big-endian) ‖ 9 random bytes
 *   aad = "tournee/v3|" ‖ spaceId ‖ "|room:" ‖ roomName ‖ "|" ‖ docId ‖ "|epoch:" ‖ epoch
 *
 * A reader picks the key by the epoch the IV names: one AES-GCM pass. A reader that does not hold
 * that epoch gets MissingEpochKeyError (a DecryptError naming the epoch), its cue to fetch its
 * sealed epoch keys; a revoked device never can. 72 random IV bits under a key used only for one
 * epoch keep a repeated IV below 2^-46 for 10^7 entries. A v1 IV starting with 0x03 by chance
 * still reads as v1 (tried when v3 does not authenticate).
 *
 * The associated data binds a ciphertext to its space, its room (shared/src/space/rooms.ts) and
 * its real doc id: an entry copied to another doc, another room or another space fails
 * authentication instead of corrupting a document. Neither the doc id nor the room name is on the
 * wire in clear; the relay routes nothing, it only stores `{d, c}` pairs. (None of the three
 * contains '|': space ids are base64url, room names and doc ids follow fixed patterns.)
 * 128 bits of HMAC are plenty for routing ids inside one space (no collision in practice).
 */
import { asBuffer, type SpaceKeys } from '../crypto/space-keys'
import type { EpochKey } from '../crypto/key-epochs'
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

/** The entry is of a key epoch this device does not hold (yet, or ever: a revoked device). */
export class MissingEpochKeyError extends DecryptError {
  override name = 'MissingEpochKeyError'
  constructor(readonly epoch: number) {
    super(`This entry is under key epoch ${epoch}, which this device does not hold: fetch the practice's sealed epoch keys`)
  }
}

export async function blindDocId(keys: SpaceKeys, docId: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', keys.blind, encoder.encode(`doc:${docId}`))
  return toBase64Url(new Uint8Array(mac, 0, BLIND_BYTES))
}

/** The first byte of a v2 entry's IV. */
export const V2_IV_MARK = 0x02
/** The first byte of a v3 entry's IV; the next two carry its epoch. */
export const V3_IV_MARK = 0x03

type Format = { version: 1 | 2 } | { version: 3; epoch: number }

function associatedData(keys: Pick<SpaceKeys, 'spaceId'>, room: RoomName, docId: string, format: Format = { version: 1 }): Uint8Array<ArrayBuffer> {
  const epoch = format.version === 3 ? `|epoch:${format.epoch}` : ''
  return encoder.encode(`tournee/v${format.version}|${keys.spaceId}|room:${room}|${docId}${epoch}`)
}

/** The epoch a v3 entry names, or null when its IV is not marked v3. */
export function epochOfEntry(c: Uint8Array): number | null {
  if (c.length < 3 || c[0] !== V3_IV_MARK) return null
  return (c[1]! << 8) | c[2]!
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

/**
 * An entry with its header (entry-header.ts): v3 under the newest key epoch this device holds,
 * v2 under epoch 0's key while it holds none.
 */
export async function encryptEntry(keys: SpaceKeys, room: RoomName, docId: string, header: EntryHeader, update: Uint8Array): Promise<Uint8Array> {
  const newest = keys.epochs?.newest() ?? null
  return newest === null ? seal(keys, room, docId, header, update, { version: 2 }, keys.aead) : seal(keys, room, docId, header, update, { version: 3, epoch: newest.epoch }, newest.key)
}

/** A v3 entry under the epoch given (compaction writes under the newest: encryptEntry). */
export function encryptEntryAtEpoch(keys: SpaceKeys, room: RoomName, docId: string, header: EntryHeader, update: Uint8Array, epoch: EpochKey): Promise<Uint8Array> {
  return seal(keys, room, docId, header, update, { version: 3, epoch: epoch.epoch }, epoch.key)
}

async function seal(keys: SpaceKeys, room: RoomName, docId: string, header: EntryHeader, update: Uint8Array, format: { version: 2 } | { version: 3; epoch: number }, key: CryptoKey): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  if (format.version === 2) iv[0] = V2_IV_MARK
  else {
    iv[0] = V3_IV_MARK
    iv[1] = format.epoch >> 8
    iv[2] = format.epoch & 0xff
  }
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: associatedData(keys, room, docId, format) },
    key,
    asBuffer(encodeEntryPlaintext(header, update)),
  )
  const out = new Uint8Array(IV_BYTES + sealed.byteLength)
  out.set(iv, 0)
  out.set(new Uint8Array(sealed), IV_BYTES)
  return out
}

async function open(keys: Pick<SpaceKeys, 'spaceId'>, key: CryptoKey, room: RoomName, docId: string, c: Uint8Array, format: Format): Promise<Uint8Array | null> {
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: asBuffer(c.slice(0, IV_BYTES)), additionalData: associatedData(keys, room, docId, format) },
      key,
      asBuffer(c.subarray(IV_BYTES)),
    )
    return new Uint8Array(plain)
  } catch {
    // AES-GCM reports every failure (wrong key, tampering, wrong doc) as one OperationError.
    return null
  }
}

type ReadingKeys = Pick<SpaceKeys, 'spaceId' | 'aead' | 'epochs'>

/**
 * An entry's plaintext: for v2 and v3, the header's bytes and the update (a view of one buffer);
 * for v1, no header. Throws MissingEpochKeyError for a v3 entry of an epoch this device does not
 * hold, DecryptError when it authenticates in no format, EntryHeaderError when a v2 or v3
 * plaintext's header does not read.
 */
export async function decryptEntry(
  keys: ReadingKeys,
  room: RoomName,
  docId: string,
  c: Uint8Array,
): Promise<{ header: EntryHeader | null; headerBytes: Uint8Array | null; update: Uint8Array }> {
  if (c.length < IV_BYTES + TAG_BYTES) throw new DecryptError(`Entry too short (${c.length} bytes)`)
  const marked: Format | null = c[0] === V2_IV_MARK ? { version: 2 } : c[0] === V3_IV_MARK ? { version: 3, epoch: epochOfEntry(c)! } : null
  const markedKey = marked === null ? null : marked.version === 3 ? (marked.epoch === 0 ? null : (keys.epochs?.key(marked.epoch) ?? null)) : keys.aead
  if (marked !== null && markedKey !== null) {
    const plain = await open(keys, markedKey, room, docId, c, marked)
    if (plain !== null) {
      const { header, headerBytes, update } = decodeEntryPlaintext(plain)
      return { header, headerBytes: plain.subarray(0, headerBytes), update }
    }
  }
  const update = await open(keys, keys.aead, room, docId, c, { version: 1 })
  if (update !== null) return { header: null, headerBytes: null, update }
  if (marked?.version === 3 && markedKey === null) throw new MissingEpochKeyError(marked.epoch)
  throw new DecryptError('Entry failed authentication: another key, another doc or room, or tampered')
}

/** An entry's update, whatever its format (its continuity header, if any, dropped). */
export async function decryptUpdate(keys: ReadingKeys, room: RoomName, docId: string, c: Uint8Array): Promise<Uint8Array> {
  return (await decryptEntry(keys, room, docId, c)).update
}
