/**
 * Encryption of an attachment (a prescription scan, a photo) before it leaves the device.
 *
 *   key  = HKDF-SHA-256(clinical tier secret, salt "tournee/space/<spaceId>", info "tournee/v1/attachment")
 *          → AES-GCM-256, non-extractable (crypto/space-keys.ts: a secretary's device has no such key)
 *   blob = iv (12 random bytes) ‖ AES-GCM-256(key, iv, file bytes, aad)
 *   aad  = "tournee/v1/attachment|" ‖ spaceId
 *   hash = lower-case hex SHA-256(blob)       — the blob's address on the relay, 64 chars
 *
 * Key epochs (issue 19, « Revocation »: crypto/key-epochs.ts, crypto/epoch-sealed.ts): once a
 * device holds an epoch ≥ 1, it seals under the newest clinical epoch it holds, named in the IV:
 *
 *   key of epoch n = HKDF-SHA-256(clinical tier secret of epoch n, salt "tournee/space/<spaceId>",
 *                                 info "tournee/v3/attachment/epoch/<n>")
 *   blob = 0x03 ‖ n (uint16 BE) ‖ 9 random bytes ‖ AES-GCM-256(key of n, iv, file bytes, aad)
 *   aad  = "tournee/v3/attachment|" ‖ spaceId ‖ "|epoch:" ‖ n
 *   hash = lower-case hex SHA-256(blob), as before
 *
 * The hash still addresses the ciphertext, epoch header included: the relay's check (the body
 * hashes to its address) and a reader's (what it downloads hashes to the hash it asked for) are
 * unchanged, and a relabelled epoch is another blob under another hash. Nothing was ever
 * deduplicated across uploads (random IVs), so nothing is lost by two epochs' blobs of one file.
 * Attachments sealed before (epoch 0, the layout above) stay readable. One of an epoch this device
 * does not hold is MissingAttachmentEpochError: fetch the sealed epoch keys and open it again.
 *
 * Its own key (not the envelope's `aead` key): the two kinds of ciphertext can never be swapped
 * for one another, and the attachment key could later be handed out per attachment without
 * exposing the docs. The hash addresses the ciphertext, not the file, so the relay learns nothing
 * from it (the random IV makes two uploads of one file two unrelated blobs). A device checks the
 * hash of what it downloads before decrypting: a relay cannot serve another blob under a hash.
 * The file's name and type are not in the blob: they live in the patient doc, which is encrypted.
 */
import { checkEpoch } from '../crypto/key-epochs'
import { openByEpoch, sealAt, sealAtNewest, SEALED_MIN_BYTES, type EpochSealKeys } from '../crypto/epoch-sealed'
import { asBuffer, deriveSpaceAesKey, SpaceKeyError, TIER_SECRET_BYTES } from '../crypto/space-keys'

export const ATTACHMENT_IV_BYTES = 12
const encoder = new TextEncoder()

export class AttachmentIntegrityError extends Error {
  override name = 'AttachmentIntegrityError'
}

/** The attachment is under a clinical key epoch this device does not hold (yet, or ever: a revoked device). */
export class MissingAttachmentEpochError extends Error {
  override name = 'MissingAttachmentEpochError'
  constructor(readonly epoch: number) {
    super(`This attachment is under key epoch ${epoch}, which this device does not hold: fetch the practice's sealed epoch keys`)
  }
}

/** A device's attachment keys: epoch 0's (deriveAttachmentKey) and those of the later clinical epochs it holds. */
export type AttachmentKeys = EpochSealKeys

/** The attachment key, under the clinical tier's secret (crypto/space-keys.ts). */
export function deriveAttachmentKey(spaceId: string, clinicalTierSecret: Uint8Array): Promise<CryptoKey> {
  return deriveSpaceAesKey(spaceId, clinicalTierSecret, 'tournee/v1/attachment')
}

/** The attachment key of epoch `epoch` ≥ 1, under that epoch's clinical tier secret. Non-extractable. */
export function deriveAttachmentEpochKey(spaceId: string, epoch: number, clinicalTierSecret: Uint8Array): Promise<CryptoKey> {
  checkEpoch(epoch)
  if (clinicalTierSecret.length !== TIER_SECRET_BYTES) throw new SpaceKeyError(`An epoch's tier secret is ${TIER_SECRET_BYTES} bytes; got ${clinicalTierSecret.length}`)
  return deriveSpaceAesKey(spaceId, clinicalTierSecret, `tournee/v3/attachment/epoch/${epoch}`)
}

function associatedData(spaceId: string): (epoch: number) => Uint8Array<ArrayBuffer> {
  return (epoch) => encoder.encode(epoch === 0 ? `tournee/v1/attachment|${spaceId}` : `tournee/v3/attachment|${spaceId}|epoch:${epoch}`)
}

/** SHA-256 of `bytes` as 64 lower-case hex digits. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', asBuffer(bytes)))
  let hex = ''
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0')
  return hex
}

export interface SealedAttachment {
  readonly blob: Uint8Array
  readonly hash: string
}

/** Seals under epoch 0's key (the layout from before epochs). */
export async function encryptAttachment(key: CryptoKey, spaceId: string, file: Uint8Array): Promise<SealedAttachment> {
  const { blob } = await sealAt(0, key, associatedData(spaceId), file)
  return { blob, hash: await sha256Hex(blob) }
}

/** Seals under the newest clinical epoch `keys` hold; the blob, its address and that epoch. */
export async function sealAttachment(keys: AttachmentKeys, spaceId: string, file: Uint8Array): Promise<SealedAttachment & { epoch: number }> {
  const { blob, epoch } = await sealAtNewest(keys, associatedData(spaceId), file)
  return { blob, hash: await sha256Hex(blob), epoch }
}

/**
 * Checks the blob is the one `hash` names, then opens it under whichever epoch `keys` hold that it
 * names. MissingAttachmentEpochError for an epoch they lack; AttachmentIntegrityError otherwise.
 */
export async function openAttachment(keys: AttachmentKeys, spaceId: string, hash: string, blob: Uint8Array): Promise<Uint8Array> {
  if ((await sha256Hex(blob)) !== hash) {
    throw new AttachmentIntegrityError(`The attachment's bytes do not hash to ${hash}: corrupted or substituted`)
  }
  if (blob.length < SEALED_MIN_BYTES) throw new AttachmentIntegrityError(`Attachment too short (${blob.length} bytes)`)
  const opened = await openByEpoch(keys, associatedData(spaceId), blob)
  if (opened === null) throw new AttachmentIntegrityError('Attachment failed authentication: another key, another space or another epoch')
  if ('missing' in opened) throw new MissingAttachmentEpochError(opened.missing)
  return opened.plain
}

/** Checks the blob is the one `hash` names, then decrypts it with epoch 0's key. */
export async function decryptAttachment(key: CryptoKey, spaceId: string, hash: string, blob: Uint8Array): Promise<Uint8Array> {
  try {
    return await openAttachment({ base: key }, spaceId, hash, blob)
  } catch (error) {
    if (error instanceof MissingAttachmentEpochError) throw new AttachmentIntegrityError(`Attachment is under key epoch ${error.epoch}, not epoch 0`, { cause: error })
    throw error
  }
}
