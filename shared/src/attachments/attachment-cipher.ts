/**
 * Encryption of an attachment (a prescription scan, a photo) before it leaves the device.
 *
 *   key  = HKDF-SHA-256(clinical tier secret, salt "tournee/space/<spaceId>", info "tournee/v1/attachment")
 *          → AES-GCM-256, non-extractable (crypto/space-keys.ts: a secretary's device has no such key)
 *   blob = iv (12 random bytes) ‖ AES-GCM-256(key, iv, file bytes, aad)
 *   aad  = "tournee/v1/attachment|" ‖ spaceId
 *   hash = lower-case hex SHA-256(blob)       — the blob's address on the relay, 64 chars
 *
 * Its own key (not the envelope's `aead` key): the two kinds of ciphertext can never be swapped
 * for one another, and the attachment key could later be handed out per attachment without
 * exposing the docs. The hash addresses the ciphertext, not the file, so the relay learns nothing
 * from it (the random IV makes two uploads of one file two unrelated blobs). A device checks the
 * hash of what it downloads before decrypting: a relay cannot serve another blob under a hash.
 * The file's name and type are not in the blob: they live in the patient doc, which is encrypted.
 */
import { asBuffer, deriveSpaceAesKey } from '../crypto/space-keys'

export const ATTACHMENT_IV_BYTES = 12
const TAG_BYTES = 16
const encoder = new TextEncoder()

export class AttachmentIntegrityError extends Error {
  override name = 'AttachmentIntegrityError'
}

/** The attachment key, under the clinical tier's secret (crypto/space-keys.ts). */
export function deriveAttachmentKey(spaceId: string, clinicalTierSecret: Uint8Array): Promise<CryptoKey> {
  return deriveSpaceAesKey(spaceId, clinicalTierSecret, 'tournee/v1/attachment')
}

function associatedData(spaceId: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`tournee/v1/attachment|${spaceId}`)
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

export async function encryptAttachment(key: CryptoKey, spaceId: string, file: Uint8Array): Promise<SealedAttachment> {
  const iv = crypto.getRandomValues(new Uint8Array(ATTACHMENT_IV_BYTES))
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: associatedData(spaceId) }, key, asBuffer(file))
  const blob = new Uint8Array(ATTACHMENT_IV_BYTES + sealed.byteLength)
  blob.set(iv, 0)
  blob.set(new Uint8Array(sealed), ATTACHMENT_IV_BYTES)
  return { blob, hash: await sha256Hex(blob) }
}

/** Checks the blob is the one `hash` names, then decrypts it. */
export async function decryptAttachment(key: CryptoKey, spaceId: string, hash: string, blob: Uint8Array): Promise<Uint8Array> {
  if ((await sha256Hex(blob)) !== hash) {
    throw new AttachmentIntegrityError(`The attachment's bytes do not hash to ${hash}: corrupted or substituted`)
  }
  if (blob.length < ATTACHMENT_IV_BYTES + TAG_BYTES) throw new AttachmentIntegrityError(`Attachment too short (${blob.length} bytes)`)
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: asBuffer(blob.slice(0, ATTACHMENT_IV_BYTES)), additionalData: associatedData(spaceId) },
      key,
      asBuffer(blob.subarray(ATTACHMENT_IV_BYTES)),
    )
    return new Uint8Array(plain)
  } catch (cause) {
    throw new AttachmentIntegrityError('Attachment failed authentication: another key or another space', { cause })
  }
}
