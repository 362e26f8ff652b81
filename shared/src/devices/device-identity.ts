/**
 * A device's own keys, made on the device (issue 19): a key-agreement pair (ECDH P-256), to which
 * other devices seal keys, and a signing pair (ECDSA P-256), which names the device in the
 * practice's device registry. The private halves are non-extractable CryptoKeys: page script can
 * use them, never read them out, and a structured clone into IndexedDB keeps them so. A device
 * makes them through makeWrappableIdentity: exported once, at birth, held in the page's memory for
 * that session only, so that a passkey chosen then wraps them (the device's copy at rest then goes).
 *
 * P-256 rather than X25519/Ed25519: every browser a practice uses (Safari on an iPad included)
 * has had it in WebCrypto for years; the Curve25519 pair reached all of them only recently.
 *
 * Public keys travel as base64url of the raw uncompressed point (65 bytes: 0x04 ‖ x ‖ y).
 */
import { asBuffer } from '../crypto/space-keys'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'

export const PUBLIC_KEY_BYTES = 65
/** base64url of 65 bytes, no padding. */
export const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{87}$/

export interface DeviceIdentity {
  readonly agree: CryptoKeyPair
  readonly sign: CryptoKeyPair
}

export interface DevicePublicKeys {
  /** ECDH P-256, raw point, base64url. */
  readonly agree: string
  /** ECDSA P-256, raw point, base64url. */
  readonly sign: string
}

export class DeviceKeyError extends Error {
  override name = 'DeviceKeyError'
}

const AGREE: EcKeyGenParams = { name: 'ECDH', namedCurve: 'P-256' }
const SIGN: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' }

/**
 * The private halves of an identity as JWK (d, x, y): what a passkey's PRF secret wraps on the
 * device (client/src/sync/device/lock/prf-wrap.ts), never stored or sent in the clear.
 */
export interface IdentitySecrets {
  readonly agree: JsonWebKey
  readonly sign: JsonWebKey
}

/**
 * An identity whose private halves are exported once, at birth, so that the passkey may wrap them:
 * the pairs returned are non-extractable imports of them, like makeDeviceIdentity's.
 */
export async function makeWrappableIdentity(): Promise<{ identity: DeviceIdentity; secrets: IdentitySecrets }> {
  const [agree, sign] = await Promise.all([crypto.subtle.generateKey(AGREE, true, ['deriveBits']), crypto.subtle.generateKey(SIGN, true, ['sign', 'verify'])])
  const secrets = { agree: await crypto.subtle.exportKey('jwk', agree.privateKey), sign: await crypto.subtle.exportKey('jwk', sign.privateKey) }
  return { identity: await identityFromSecrets(secrets), secrets }
}

/** The identity from its wrapped private halves: private keys non-extractable, public keys rebuilt from (x, y). */
export async function identityFromSecrets(secrets: IdentitySecrets): Promise<DeviceIdentity> {
  const pair = async (jwk: JsonWebKey, params: EcKeyGenParams, privateUse: KeyUsage[], publicUse: KeyUsage[]): Promise<CryptoKeyPair> => {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
      throw new DeviceKeyError('A wrapped device key is not a P-256 private JWK')
    }
    const { kty, crv, x, y, d } = jwk
    return {
      privateKey: await crypto.subtle.importKey('jwk', { kty, crv, x, y, d }, params, false, privateUse),
      publicKey: await crypto.subtle.importKey('jwk', { kty, crv, x, y }, params, true, publicUse),
    }
  }
  return { agree: await pair(secrets.agree, AGREE, ['deriveBits'], []), sign: await pair(secrets.sign, SIGN, ['sign'], ['verify']) }
}

export async function makeDeviceIdentity(): Promise<DeviceIdentity> {
  const [agree, sign] = await Promise.all([
    crypto.subtle.generateKey(AGREE, false, ['deriveBits']),
    crypto.subtle.generateKey(SIGN, false, ['sign', 'verify']),
  ])
  return { agree, sign }
}

export async function publicKeysOf(identity: DeviceIdentity): Promise<DevicePublicKeys> {
  const [agree, sign] = await Promise.all([
    crypto.subtle.exportKey('raw', identity.agree.publicKey),
    crypto.subtle.exportKey('raw', identity.sign.publicKey),
  ])
  return { agree: toBase64Url(new Uint8Array(agree)), sign: toBase64Url(new Uint8Array(sign)) }
}

/** Whether a value read back from storage is a whole identity (a record may be older). */
export function isDeviceIdentity(value: unknown): value is DeviceIdentity {
  if (typeof value !== 'object' || value === null) return false
  const identity = value as Record<string, unknown>
  return ['agree', 'sign'].every((name) => {
    const pair = identity[name] as Record<string, unknown> | undefined
    return typeof pair === 'object' && pair !== null && isCryptoKey(pair.privateKey) && isCryptoKey(pair.publicKey)
  })
}

function isCryptoKey(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'algorithm' in value && 'type' in value
}

/** The raw bytes of a public key received from elsewhere, checked for form (not yet for the curve). */
export function publicKeyBytes(encoded: string): Uint8Array {
  if (!PUBLIC_KEY_PATTERN.test(encoded)) throw new DeviceKeyError('A device public key is 65 bytes in base64url')
  const bytes = fromBase64Url(encoded)
  if (bytes.length !== PUBLIC_KEY_BYTES || bytes[0] !== 0x04) throw new DeviceKeyError('A device public key is an uncompressed P-256 point')
  return bytes
}

/** Imports another device's agreement key; WebCrypto refuses a point that is not on the curve. */
export async function importAgreementKey(encoded: string): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('raw', asBuffer(publicKeyBytes(encoded)), AGREE, false, [])
  } catch (error) {
    if (error instanceof DeviceKeyError) throw error
    throw new DeviceKeyError('A device public key is not a P-256 point')
  }
}

/** Imports another device's signing key (verify only). */
export async function importSigningKey(encoded: string): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('raw', asBuffer(publicKeyBytes(encoded)), SIGN, false, ['verify'])
  } catch (error) {
    if (error instanceof DeviceKeyError) throw error
    throw new DeviceKeyError('A device public key is not a P-256 point')
  }
}
