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
 * Key epochs (issue 19, « Revocation »: crypto/key-epochs.ts, crypto/epoch-sealed.ts): once a
 * device holds an epoch ≥ 1, it publishes under the newest one it holds, the epoch named in the IV:
 *
 *   key of epoch n = HKDF-SHA-256(practice tier secret of epoch n, salt "tournee/space/<spaceId>",
 *                                 info "tournee/v3/digest/epoch/<n>")
 *   blob = 0x03 ‖ n (uint16 BE) ‖ 9 random bytes ‖ AES-GCM-256(key of n, iv, plain, aad)
 *   aad  = "tournee/v3/digest|" ‖ spaceId ‖ "|" ‖ name ‖ "|" ‖ weight ‖ "|epoch:" ‖ n
 *
 * so a device revoked before epoch n reads no digest published after it moved, even with a copy
 * of the relay's database. The layout above (epoch 0) is still read: a practice's digests from
 * before its first revocation. A digest of an epoch this device does not hold is
 * MissingDigestEpochError, not DigestIntegrityError: the device fetches its sealed epoch keys and
 * tries again rather than replace a digest it may simply be behind on (digest-sync.ts).
 *
 * Its own key, like attachments: a digest can never be passed off as an envelope entry or an
 * attachment, nor the reverse. The relay stores a digest under (space, name) with a weight (how
 * much of the doc's history it covers, as its publisher claims; the relay stores it unchecked and
 * replaces a digest only by compare-and-swap on what its publisher read, docs/relay.md), which it
 * must be able to read in clear, so the weight is bound in the associated data: a relay that
 * serves an old blob under a newer weight, or one space's digest in another, fails authentication
 * on the device, which then replaces it (client/src/sync/digests/digest-sync.ts).
 */
import { checkEpoch } from '../crypto/key-epochs'
import { openByEpoch, SEALED_MIN_BYTES, sealAt, sealAtNewest, type EpochSealKeys } from '../crypto/epoch-sealed'
import { deriveSpaceAesKey, SpaceKeyError, TIER_SECRET_BYTES } from '../crypto/space-keys'

export const DIGEST_NAMES = ['directory', 'week'] as const
export type DigestName = (typeof DIGEST_NAMES)[number]

export const DIGEST_IV_BYTES = 12
/** The shortest blob, in either layout: an IV and a tag around an empty plaintext. The relay refuses anything shorter. */
export const DIGEST_MIN_BYTES = SEALED_MIN_BYTES
const encoder = new TextEncoder()

export class DigestIntegrityError extends Error {
  override name = 'DigestIntegrityError'
}

/** The digest is under a key epoch this device does not hold (yet: its sealed keys may be on the relay; or ever: a revoked device). */
export class MissingDigestEpochError extends Error {
  override name = 'MissingDigestEpochError'
  constructor(readonly epoch: number) {
    super(`This digest is under key epoch ${epoch}, which this device does not hold: fetch the practice's sealed epoch keys`)
  }
}

/** The digest keys of a device: epoch 0's (deriveDigestKey) and those of the later epochs it holds. */
export type DigestKeys = EpochSealKeys

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

/** The digest key of epoch `epoch` ≥ 1, under that epoch's practice tier secret. Non-extractable. */
export function deriveDigestEpochKey(spaceId: string, epoch: number, practiceTierSecret: Uint8Array): Promise<CryptoKey> {
  checkEpoch(epoch)
  if (practiceTierSecret.length !== TIER_SECRET_BYTES) throw new SpaceKeyError(`An epoch's tier secret is ${TIER_SECRET_BYTES} bytes; got ${practiceTierSecret.length}`)
  return deriveSpaceAesKey(spaceId, practiceTierSecret, `tournee/v3/digest/epoch/${epoch}`)
}

function associatedData(spaceId: string, name: DigestName, weight: number): (epoch: number) => Uint8Array<ArrayBuffer> {
  if (!isDigestWeight(weight)) throw new RangeError(`A digest weight is a non-negative safe integer; got ${weight}`)
  return (epoch) => encoder.encode(epoch === 0 ? `tournee/v1/digest|${spaceId}|${name}|${weight}` : `tournee/v3/digest|${spaceId}|${name}|${weight}|epoch:${epoch}`)
}

/** Seals under epoch 0's key (the layout from before epochs; this device's first-screen record). */
export async function encryptDigest(key: CryptoKey, spaceId: string, name: DigestName, weight: number, plain: Uint8Array): Promise<Uint8Array> {
  return (await sealAt(0, key, associatedData(spaceId, name, weight), plain)).blob
}

/** Seals under the newest epoch `keys` hold; the blob and that epoch. */
export async function sealDigest(keys: DigestKeys, spaceId: string, name: DigestName, weight: number, plain: Uint8Array): Promise<{ blob: Uint8Array; epoch: number }> {
  return sealAtNewest(keys, associatedData(spaceId, name, weight), plain)
}

/**
 * Opens a blob sealed for this space, name and weight under any epoch `keys` hold: its plaintext
 * and epoch. MissingDigestEpochError for an epoch they lack; anything else is DigestIntegrityError.
 */
export async function openDigest(keys: DigestKeys, spaceId: string, name: DigestName, weight: number, blob: Uint8Array): Promise<{ plain: Uint8Array; epoch: number }> {
  if (blob.length < DIGEST_MIN_BYTES) throw new DigestIntegrityError(`Digest too short (${blob.length} bytes)`)
  const opened = await openByEpoch(keys, associatedData(spaceId, name, weight), blob)
  if (opened === null) {
    throw new DigestIntegrityError(`Digest "${name}" failed authentication: another key, space, name, weight (${weight}) or epoch, or altered bytes`)
  }
  if ('missing' in opened) throw new MissingDigestEpochError(opened.missing)
  return opened
}

/** Decrypts a blob sealed under epoch 0's key for this space, name and weight; anything else is DigestIntegrityError. */
export async function decryptDigest(key: CryptoKey, spaceId: string, name: DigestName, weight: number, blob: Uint8Array): Promise<Uint8Array> {
  try {
    return (await openDigest({ base: key }, spaceId, name, weight, blob)).plain
  } catch (error) {
    // With epoch 0's key alone, a blob naming a later epoch is one this key does not open.
    if (error instanceof MissingDigestEpochError) throw new DigestIntegrityError(`Digest "${name}" is under key epoch ${error.epoch}, not epoch 0`, { cause: error })
    throw error
  }
}
