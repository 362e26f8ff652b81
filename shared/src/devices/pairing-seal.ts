/**
 * What an administrator's device sends a joining device through the relay: the practice's pairing
 * payload (space, credential, keys: space/pairing-code.ts), sealed so that only the joining device
 * can open it and it can tell that it comes from the device whose keys it confirmed.
 *
 *   shared key = HKDF-SHA-256( ECDH(admin.agree, joining.agree),
 *                              salt = "tournee/pairing-seal/v1" ‖ pairing id,
 *                              info = both devices' public keys )
 *   sealed     = base64url( iv(12) ‖ AES-GCM-256(shared key, iv, payload, aad = pairing id) )
 *
 * Static-static ECDH on purpose: the key is one the admin's private key and the joining device's
 * private key each compute, so opening it proves the sender held the admin key whose public half
 * went into the 6-digit confirmation code (confirmation-code.ts). The pairing id in the salt and
 * the associated data makes each pairing's key its own: a sealed blob cannot be replayed into
 * another pairing between the same two devices. The relay carries the blob and cannot open it.
 */
import { asBuffer } from '../crypto/space-keys'
import { fromBase64Url, randomBytes, toBase64Url } from '../crypto/base64url'
import { importAgreementKey, type DeviceIdentity, type DevicePublicKeys } from './device-identity'

const IV_BYTES = 12
const LABEL = 'tournee/pairing-seal/v1'
/** A sealed payload is a few hundred characters; anything far beyond is not one (and the relay reads
 * pairing bodies under its 4 KiB HTTP body limit). */
export const MAX_SEALED_CHARS = 3000

export class PairingSealError extends Error {
  override name = 'PairingSealError'
}

export interface SealParties {
  pairingId: string
  /** This device's identity (its private agreement key is used). */
  own: DeviceIdentity
  /** Which side this device is: the key schedule names the admin's keys first. */
  ownRole: 'admin' | 'joining'
  ownKeys: DevicePublicKeys
  peerKeys: DevicePublicKeys
}

async function sharedKey(parties: SealParties): Promise<CryptoKey> {
  const peer = await importAgreementKey(parties.peerKeys.agree)
  const bits = await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, parties.own.agree.privateKey, 256)
  const base = await crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey'])
  const [admin, joining] = parties.ownRole === 'admin' ? [parties.ownKeys, parties.peerKeys] : [parties.peerKeys, parties.ownKeys]
  const encoder = new TextEncoder()
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: asBuffer(encoder.encode(`${LABEL}\n${parties.pairingId}`)),
      info: asBuffer(encoder.encode([admin.agree, admin.sign, joining.agree, joining.sign].join('\n'))),
    },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

function associatedData(pairingId: string): Uint8Array<ArrayBuffer> {
  return asBuffer(new TextEncoder().encode(`${LABEL}\n${pairingId}`))
}

export async function sealPairing(parties: SealParties, payload: Uint8Array): Promise<string> {
  const key = await sharedKey(parties)
  const iv = randomBytes(IV_BYTES)
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: asBuffer(iv), additionalData: associatedData(parties.pairingId) }, key, asBuffer(payload)),
  )
  const sealed = new Uint8Array(IV_BYTES + ciphertext.length)
  sealed.set(iv)
  sealed.set(ciphertext, IV_BYTES)
  return toBase64Url(sealed)
}

/** The payload, or PairingSealError when the blob was altered, replayed or sealed by other keys. */
export async function openPairing(parties: SealParties, sealed: string): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    if (sealed.length > MAX_SEALED_CHARS) throw new Error('too long')
    bytes = fromBase64Url(sealed)
  } catch {
    throw new PairingSealError('The sealed pairing is not base64url')
  }
  if (bytes.length <= IV_BYTES + 16) throw new PairingSealError('The sealed pairing is too short')
  const key = await sharedKey(parties)
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: asBuffer(bytes.slice(0, IV_BYTES)), additionalData: associatedData(parties.pairingId) },
      key,
      asBuffer(bytes.slice(IV_BYTES)),
    )
    return new Uint8Array(plaintext)
  } catch {
    throw new PairingSealError('The sealed pairing does not open with the confirmed keys')
  }
}
