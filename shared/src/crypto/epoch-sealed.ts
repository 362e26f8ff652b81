/**
 * The layout digests and attachments share to name their key epoch (issue 19, « Revocation »;
 * crypto/key-epochs.ts), the envelope entries' v3 way (envelope/entry-cipher.ts):
 *
 *   epoch 0   blob = iv (12 random bytes)                       ‖ AES-GCM-256(base key, iv, plain, aad(0))
 *   epoch n   blob = 0x03 ‖ n (uint16, big-endian) ‖ 9 random   ‖ AES-GCM-256(key of n, iv, plain, aad(n))
 *
 * The epoch is in the IV, which the relay sees: a reader picks the key by it, one AES-GCM pass.
 * Each caller's associated data names the epoch too (aad(n)), so a relay that relabels a blob
 * (other IV bytes, hence another IV) fails authentication either way. Epoch 0 is the layout these
 * blobs had before epochs: a reader of a blob marked 0x03 whose epoch it holds tries that epoch,
 * then epoch 0 (an epoch-0 IV starts with 0x03 once in 256 by chance); a blob of an epoch it does
 * not hold that does not open as epoch 0 is `missing`, its cue to fetch its sealed epoch keys.
 * The minimum length is the same in both layouts: an IV and a tag.
 *
 * 72 random IV bits under a key of one epoch and one use keep a repeated IV negligible for the
 * few blobs a practice seals (a digest every quarter of an hour at most, an attachment per scan).
 */
import { asBuffer } from './space-keys'
import { checkEpoch, type EpochKeyring } from './key-epochs'

export const SEALED_IV_BYTES = 12
export const SEALED_TAG_BYTES = 16
/** The shortest blob in either layout: an IV and a tag around an empty plaintext. */
export const SEALED_MIN_BYTES = SEALED_IV_BYTES + SEALED_TAG_BYTES
/** The first IV byte of a blob under an epoch ≥ 1; the next two carry the epoch. */
export const EPOCH_IV_MARK = 0x03

/** A use's keys: epoch 0's (derived from the first tier secrets) and the later epochs held, if any. */
export interface EpochSealKeys {
  readonly base: CryptoKey
  readonly epochs?: EpochKeyring | null
}

/** The epoch a blob's IV names: n for a marked IV, 0 otherwise (an epoch-0 blob, or one marked by chance). */
export function epochNamedBy(blob: Uint8Array): number {
  if (blob.length < 3 || blob[0] !== EPOCH_IV_MARK) return 0
  return (blob[1]! << 8) | blob[2]!
}

/** Seals under the newest epoch `keys` hold (epoch 0 while they hold none). */
export function sealAtNewest(keys: EpochSealKeys, aadOf: (epoch: number) => Uint8Array<ArrayBuffer>, plain: Uint8Array): Promise<{ blob: Uint8Array; epoch: number }> {
  const newest = keys.epochs?.newest() ?? null
  return newest === null ? sealAt(0, keys.base, aadOf, plain) : sealAt(newest.epoch, newest.key, aadOf, plain)
}

/** Seals under `epoch` with its `key` (0: the base key, the layout from before epochs). */
export async function sealAt(epoch: number, key: CryptoKey, aadOf: (epoch: number) => Uint8Array<ArrayBuffer>, plain: Uint8Array): Promise<{ blob: Uint8Array; epoch: number }> {
  const iv = crypto.getRandomValues(new Uint8Array(SEALED_IV_BYTES))
  if (epoch !== 0) {
    checkEpoch(epoch)
    iv[0] = EPOCH_IV_MARK
    iv[1] = epoch >> 8
    iv[2] = epoch & 0xff
  }
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aadOf(epoch) }, key, asBuffer(plain))
  const blob = new Uint8Array(SEALED_IV_BYTES + sealed.byteLength)
  blob.set(iv, 0)
  blob.set(new Uint8Array(sealed), SEALED_IV_BYTES)
  return { blob, epoch }
}

/** What opening a blob gave: its plaintext and epoch, the epoch it needs and this device lacks, or nothing. */
export type Opened = { readonly plain: Uint8Array; readonly epoch: number } | { readonly missing: number } | null

/**
 * Opens a blob of either layout (header comment). Null when it is too short or authenticates under
 * no key held (another key, another space or use, altered bytes, a relabelled epoch).
 */
export async function openByEpoch(keys: EpochSealKeys, aadOf: (epoch: number) => Uint8Array<ArrayBuffer>, blob: Uint8Array): Promise<Opened> {
  if (blob.length < SEALED_MIN_BYTES) return null
  const named = epochNamedBy(blob)
  const namedKey = named === 0 ? null : (keys.epochs?.key(named) ?? null)
  if (namedKey !== null) {
    const plain = await attempt(namedKey, aadOf(named), blob)
    if (plain !== null) return { plain, epoch: named }
  }
  const plain = await attempt(keys.base, aadOf(0), blob)
  if (plain !== null) return { plain, epoch: 0 }
  return named !== 0 && namedKey === null ? { missing: named } : null
}

async function attempt(key: CryptoKey, additionalData: Uint8Array<ArrayBuffer>, blob: Uint8Array): Promise<Uint8Array | null> {
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: asBuffer(blob.slice(0, SEALED_IV_BYTES)), additionalData }, key, asBuffer(blob.subarray(SEALED_IV_BYTES)))
    return new Uint8Array(plain)
  } catch {
    // AES-GCM reports every failure (wrong key, altered bytes, other associated data) as one OperationError.
    return null
  }
}
