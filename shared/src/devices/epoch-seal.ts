/**
 * An epoch's tier secrets (crypto/key-epochs.ts), sealed by the administrator device that makes
 * the epoch to one remaining device of the practice, so that only that device can open them and
 * it can tell which administrator sealed them.
 *
 *   shared key = HKDF-SHA-256( ECDH(publisher.agree, recipient.agree),
 *                              salt = "tournee/epoch-seal/v1" ‖ space ‖ epoch ‖ publisher id ‖ recipient id,
 *                              info = publisher's agree key ‖ recipient's agree key )
 *   sealed     = base64url( iv(12) ‖ AES-GCM-256(shared key, iv, secrets, aad = the salt's text) )
 *   secrets    = practice tier secret (32 bytes) ‖ clinical tier secret (32 bytes, only for a role
 *                that reads the clinical tier: never a secretary's device)
 *
 * The same static-static ECDH as the pairing seal (pairing-seal.ts), for the same reason: opening
 * the blob proves it was made by the holder of the publisher's private agreement key, a device
 * the registry chain names as an administrator. The space, the epoch and both device ids are in
 * the salt and the associated data, so a blob cannot be replayed as another epoch, to another
 * device or from another publisher. The relay stores the blobs and cannot open any.
 */
import { fromBase64Url, randomBytes, toBase64Url } from '../crypto/base64url'
import { checkEpoch } from '../crypto/key-epochs'
import { asBuffer, TIER_SECRET_BYTES, type TierSecrets } from '../crypto/space-keys'
import { importAgreementKey } from './device-identity'

const IV_BYTES = 12
const TAG_BYTES = 16
const LABEL = 'tournee/epoch-seal/v1'
/** iv ‖ two tier secrets ‖ tag, in base64url: 150 characters at most. */
export const MAX_SEALED_EPOCH_CHARS = Math.ceil(((IV_BYTES + 2 * TIER_SECRET_BYTES + TAG_BYTES) * 4) / 3)

export class EpochSealError extends Error {
  override name = 'EpochSealError'
}

/** Who seals to whom, and what for. `own` is the private agreement key of the device doing it. */
export interface EpochSealParties {
  readonly spaceId: string
  readonly epoch: number
  readonly publisherId: string
  readonly publisherAgree: string
  readonly recipientId: string
  readonly recipientAgree: string
  readonly ownAgreePrivateKey: CryptoKey
  /** Which of the two is this device: the peer's public key enters the ECDH. */
  readonly ownSide: 'publisher' | 'recipient'
}

function context(parties: EpochSealParties): Uint8Array<ArrayBuffer> {
  return asBuffer(new TextEncoder().encode([LABEL, parties.spaceId, String(parties.epoch), parties.publisherId, parties.recipientId].join('\n')))
}

async function sharedKey(parties: EpochSealParties): Promise<CryptoKey> {
  checkEpoch(parties.epoch)
  const peer = await importAgreementKey(parties.ownSide === 'publisher' ? parties.recipientAgree : parties.publisherAgree)
  const bits = await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, parties.ownAgreePrivateKey, 256)
  const base = await crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: context(parties), info: asBuffer(new TextEncoder().encode(`${parties.publisherAgree}\n${parties.recipientAgree}`)) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

/** The recipient's blob: the practice tier always, the clinical tier only if `secrets.clinical` is given. */
export async function sealEpochSecrets(parties: EpochSealParties, secrets: TierSecrets): Promise<string> {
  if (secrets.practice.length !== TIER_SECRET_BYTES || (secrets.clinical !== null && secrets.clinical.length !== TIER_SECRET_BYTES)) {
    throw new EpochSealError(`Tier secrets are ${TIER_SECRET_BYTES} bytes each`)
  }
  const plaintext = new Uint8Array(secrets.clinical === null ? TIER_SECRET_BYTES : 2 * TIER_SECRET_BYTES)
  plaintext.set(secrets.practice)
  if (secrets.clinical !== null) plaintext.set(secrets.clinical, TIER_SECRET_BYTES)
  const iv = randomBytes(IV_BYTES)
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: asBuffer(iv), additionalData: context(parties) }, await sharedKey(parties), asBuffer(plaintext)),
  )
  plaintext.fill(0)
  const sealed = new Uint8Array(IV_BYTES + ciphertext.length)
  sealed.set(iv)
  sealed.set(ciphertext, IV_BYTES)
  return toBase64Url(sealed)
}

/** The tier secrets sealed to this device, or EpochSealError when the blob was altered, replayed or sealed by other keys. */
export async function openEpochSecrets(parties: EpochSealParties, sealed: string): Promise<TierSecrets> {
  let bytes: Uint8Array
  try {
    if (sealed.length > MAX_SEALED_EPOCH_CHARS) throw new Error('too long')
    bytes = fromBase64Url(sealed)
  } catch {
    throw new EpochSealError('A sealed epoch key is base64url of at most 92 bytes')
  }
  const length = bytes.length - IV_BYTES - TAG_BYTES
  if (length !== TIER_SECRET_BYTES && length !== 2 * TIER_SECRET_BYTES) throw new EpochSealError('A sealed epoch key holds one or two tier secrets')
  let plaintext: Uint8Array
  try {
    plaintext = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: asBuffer(bytes.slice(0, IV_BYTES)), additionalData: context(parties) },
        await sharedKey(parties),
        asBuffer(bytes.slice(IV_BYTES)),
      ),
    )
  } catch {
    throw new EpochSealError(`The sealed key of epoch ${parties.epoch} does not open: not sealed to this device by that administrator, or altered`)
  }
  return {
    practice: plaintext.slice(0, TIER_SECRET_BYTES),
    clinical: plaintext.length === 2 * TIER_SECRET_BYTES ? plaintext.slice(TIER_SECRET_BYTES) : null,
  }
}
