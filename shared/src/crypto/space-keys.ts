/**
 * Keys of a space, in two tiers (issue 19, « People and roles »): what a device may read is the
 * keys it holds, not what its screens show.
 *
 *   root secret R (32 bytes)      made on the practice's first device; kept only by administrator
 *     │                           praticien devices, as the means to pair another device
 *     ├─ practice tier P = HKDF(R, info "tournee/v1/tier/practice")
 *     │     aead    entries of the main and agenda/YYYY-MM rooms
 *     │     blind   every routing id the relay sees: doc ids and room ids, whatever the tier
 *     │     digest  the directory and week digests (digest/digest-cipher.ts)
 *     └─ clinical tier C = HKDF(R, info "tournee/v1/tier/clinical")
 *           aead        entries of the files/<shard> rooms: notes, bilans, ordonnances, the
 *                       access log (« Consultations du dossier »)
 *           attachment  attachments' ciphertext (attachments/attachment-cipher.ts)
 *
 * Every HKDF here is SHA-256 with salt "tournee/space/<spaceId>" (two spaces never share a derived
 * key even if a secret were reused); keys are non-extractable CryptoKeys. Under a tier secret, the
 * `info` names what the key is for ('tournee/v1/aead', 'tournee/v1/blind', …): the same labels
 * under P and C give unrelated keys.
 *
 * A role gets the tier secrets it may read, sealed to its device at pairing
 * (space/pairing-code.ts): praticien and remplaçant P and C, secrétariat P alone, and R only an
 * administrator praticien, who may pair others. A secretary's device never holds C nor anything
 * derived from it.
 *
 * One blind key for all tiers, from P: blinding is routing, not secrecy from the practice's own
 * people (a secretary knows every patient id from the directory), and one key gives one id per
 * doc whoever computes it. The relay tells a clinical room by its id (space/room-keys.ts).
 *
 * Same code in the browser and in Node (globalThis.crypto.subtle).
 */
import type { EpochKeyring } from './key-epochs'

export const ROOT_SECRET_BYTES = 32
export const TIER_SECRET_BYTES = 32

export const KeyTier = { Practice: 'practice', Clinical: 'clinical' } as const
export type KeyTier = (typeof KeyTier)[keyof typeof KeyTier]

/**
 * The keys one room's envelope uses: its tier's AES-GCM key of epoch 0, and the practice's blind
 * key; `epochs`, the tier's keys of later epochs this device holds (key-epochs.ts), absent or
 * empty before any revocation: entries are then written in format v2 under `aead`.
 */
export interface SpaceKeys {
  readonly spaceId: string
  readonly aead: CryptoKey
  readonly blind: CryptoKey
  readonly epochs?: EpochKeyring
}

/**
 * The envelope keys a device holds: `aead` is the practice tier's (so a PracticeKeys is the main
 * room's SpaceKeys), `clinical` the clinical tier's, null on a device whose role does not read it.
 * Which one a room uses: space/room-keys.ts, keysOfRoom.
 */
export interface PracticeKeys extends SpaceKeys {
  readonly clinical: CryptoKey | null
  /** The clinical tier's later epochs (key-epochs.ts); `epochs` is the practice tier's. */
  readonly clinicalEpochs?: EpochKeyring
}

/** The tier secrets a device is given: the practice tier always, the clinical tier if its role reads it. */
export interface TierSecrets {
  readonly practice: Uint8Array
  readonly clinical: Uint8Array | null
}

export class SpaceKeyError extends Error {
  override name = 'SpaceKeyError'
}

const encoder = new TextEncoder()

/** Both tier secrets, from the root secret: what an administrator's device seals, by role, at pairing. */
export async function deriveTierSecrets(spaceId: string, rootSecret: Uint8Array): Promise<{ practice: Uint8Array; clinical: Uint8Array }> {
  checkLength(rootSecret, ROOT_SECRET_BYTES, 'root')
  const base = await crypto.subtle.importKey('raw', asBuffer(rootSecret), 'HKDF', false, ['deriveBits'])
  const tier = async (name: KeyTier) => new Uint8Array(await crypto.subtle.deriveBits(hkdfParams(spaceId, `tournee/v1/tier/${name}`), base, TIER_SECRET_BYTES * 8))
  const [practice, clinical] = await Promise.all([tier(KeyTier.Practice), tier(KeyTier.Clinical)])
  return { practice, clinical }
}

/** The envelope keys of the tiers given (a secretary's device: the practice tier alone). */
export async function derivePracticeKeys(spaceId: string, tiers: TierSecrets): Promise<PracticeKeys> {
  checkLength(tiers.practice, TIER_SECRET_BYTES, 'practice tier')
  if (tiers.clinical !== null) checkLength(tiers.clinical, TIER_SECRET_BYTES, 'clinical tier')
  const [aead, blind, clinical] = await Promise.all([
    deriveSpaceAesKey(spaceId, tiers.practice, 'tournee/v1/aead'),
    crypto.subtle.deriveKey(hkdfParams(spaceId, 'tournee/v1/blind'), await importSecret(tiers.practice), { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, [
      'sign',
    ]),
    tiers.clinical === null ? null : deriveSpaceAesKey(spaceId, tiers.clinical, 'tournee/v1/aead'),
  ])
  return { spaceId, aead, blind, clinical }
}

/** Every envelope key of a space, both tiers, from its root secret (its first device; tests). */
export async function deriveSpaceKeys(spaceId: string, rootSecret: Uint8Array): Promise<PracticeKeys> {
  return derivePracticeKeys(spaceId, await deriveTierSecrets(spaceId, rootSecret))
}

/**
 * A further AES-GCM-256 key under a tier secret, with its own `info` ('tournee/v1/attachment'
 * under C, 'tournee/v1/digest' under P): what it encrypts cannot be read, or passed off, with
 * another key of the space. Non-extractable.
 */
export async function deriveSpaceAesKey(spaceId: string, tierSecret: Uint8Array, info: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(hkdfParams(spaceId, info), await importSecret(tierSecret), { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ])
}

function checkLength(secret: Uint8Array, bytes: number, what: string): void {
  if (secret.length !== bytes) throw new SpaceKeyError(`A space's ${what} secret is ${bytes} bytes; got ${secret.length}`)
}

function importSecret(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', asBuffer(secret), 'HKDF', false, ['deriveKey'])
}

/** HKDF-SHA-256, salt = the space (two spaces never share a derived key), info = what the key is for. */
function hkdfParams(spaceId: string, info: string): HkdfParams {
  return {
    name: 'HKDF',
    hash: 'SHA-256',
    salt: asBuffer(encoder.encode(`tournee/space/${spaceId}`)),
    info: asBuffer(encoder.encode(info)),
  }
}

/** WebCrypto's typings want an ArrayBuffer-backed view; copy only when the view is not one. */
export function asBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
}
