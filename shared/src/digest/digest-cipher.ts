/**
 * Encryption of a digest (a compact read-only snapshot of a doc, published to the relay so a fresh
 * device shows something before the doc itself has synced) before it leaves the device.
 *
 *   key  = HKDF-SHA-256(practice tier secret, salt "tournee/space/<spaceId>", info "tournee/v1/digest")
 *          → AES-GCM-256, non-extractable (crypto/space-keys.ts: the directory and the week are
 *          the practice tier's, which every role reads)
 *   blob = iv (12 random bytes) ‖ AES-GCM-256(key, iv, plain, aad)
 *   aad  = "tournee/v1/digest|" ‖ spaceId ‖ "|" ‖ name ‖ "|" ‖ weight (decimal)
 *
 * Its own key, like attachments: a digest can never be passed off as an envelope entry or an
 * attachment, nor the reverse. The relay stores a digest under (space, name) with a weight (how
 * much of the doc's history it covers, as its publisher claims; the relay stores it unchecked and
 * replaces a digest only by compare-and-swap on what its publisher read, docs/relay.md), which it
 * must be able to read in clear, so the weight is bound in the associated data: a relay that
 * serves an old blob under a newer weight, or one space's digest in another, fails authentication
 * on the device, which then replaces it (client/src/sync/digests/digest-sync.ts).
 */
import { asBuffer, deriveSpaceAesKey } from '../crypto/space-keys'

export const DIGEST_NAMES = ['directory', 'week'] as const
export type DigestName = (typeof DIGEST_NAMES)[number]

export const DIGEST_IV_BYTES = 12
const TAG_BYTES = 16
/** The shortest blob: an IV and a tag around an empty plaintext. The relay refuses anything shorter. */
export const DIGEST_MIN_BYTES = DIGEST_IV_BYTES + TAG_BYTES
const encoder = new TextEncoder()

export class DigestIntegrityError extends Error {
  override name = 'DigestIntegrityError'
}

export function isDigestName(value: unknown): value is DigestName {
  return typeof value === 'string' && (DIGEST_NAMES as readonly string[]).includes(value)
}

/** A weight the relay accepts: a non-negative safe integer. */
export function isDigestWeight(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** The digest key, under the practice tier's secret (crypto/space-keys.ts). */
export function deriveDigestKey(spaceId: string, practiceTierSecret: Uint8Array): Promise<CryptoKey> {
  return deriveSpaceAesKey(spaceId, practiceTierSecret, 'tournee/v1/digest')
}

function associatedData(spaceId: string, name: DigestName, weight: number): Uint8Array<ArrayBuffer> {
  if (!isDigestWeight(weight)) throw new RangeError(`A digest weight is a non-negative safe integer; got ${weight}`)
  return encoder.encode(`tournee/v1/digest|${spaceId}|${name}|${weight}`)
}

export async function encryptDigest(
  key: CryptoKey,
  spaceId: string,
  name: DigestName,
  weight: number,
  plain: Uint8Array,
): Promise<Uint8Array> {
  const additionalData = associatedData(spaceId, name, weight)
  const iv = crypto.getRandomValues(new Uint8Array(DIGEST_IV_BYTES))
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, asBuffer(plain))
  const blob = new Uint8Array(DIGEST_IV_BYTES + sealed.byteLength)
  blob.set(iv, 0)
  blob.set(new Uint8Array(sealed), DIGEST_IV_BYTES)
  return blob
}

/** Decrypts a blob sealed for this space, name and weight; anything else is DigestIntegrityError. */
export async function decryptDigest(
  key: CryptoKey,
  spaceId: string,
  name: DigestName,
  weight: number,
  blob: Uint8Array,
): Promise<Uint8Array> {
  if (blob.length < DIGEST_MIN_BYTES) throw new DigestIntegrityError(`Digest too short (${blob.length} bytes)`)
  const additionalData = associatedData(spaceId, name, weight)
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: asBuffer(blob.slice(0, DIGEST_IV_BYTES)), additionalData },
      key,
      asBuffer(blob.subarray(DIGEST_IV_BYTES)),
    )
    return new Uint8Array(plain)
  } catch (cause) {
    throw new DigestIntegrityError(
      `Digest "${name}" failed authentication: another key, space, name or weight (${weight}), or altered bytes`,
      { cause },
    )
  }
}
