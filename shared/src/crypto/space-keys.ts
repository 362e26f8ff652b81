/**
 * Keys of a space.
 *
 * A space has one 32-byte root secret, created on the first device and handed to the others at
 * pairing. Everything else is derived from it with HKDF-SHA-256 (salt = the space id, so two
 * spaces never share a derived key even if a secret were reused), as non-extractable CryptoKeys:
 *
 *   aead  — AES-GCM-256, encrypts each envelope entry
 *   blind — HMAC-SHA-256, turns a doc id into the opaque routing id the relay sees
 *
 * Same code in the browser and in Node (globalThis.crypto.subtle).
 */

export const ROOT_SECRET_BYTES = 32

export interface SpaceKeys {
  readonly spaceId: string
  readonly aead: CryptoKey
  readonly blind: CryptoKey
}

export class SpaceKeyError extends Error {
  override name = 'SpaceKeyError'
}

const encoder = new TextEncoder()

export async function deriveSpaceKeys(spaceId: string, rootSecret: Uint8Array): Promise<SpaceKeys> {
  if (rootSecret.length !== ROOT_SECRET_BYTES) {
    throw new SpaceKeyError(`A space secret is ${ROOT_SECRET_BYTES} bytes; got ${rootSecret.length}`)
  }
  const base = await importRootSecret(rootSecret)
  const [aead, blind] = await Promise.all([
    crypto.subtle.deriveKey(hkdfParams(spaceId, 'tournee/v1/aead'), base, { name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]),
    crypto.subtle.deriveKey(hkdfParams(spaceId, 'tournee/v1/blind'), base, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, [
      'sign',
    ]),
  ])
  return { spaceId, aead, blind }
}

/**
 * A further AES-GCM-256 key of the space, derived like `aead` but under its own `info`
 * ('tournee/v1/attachment', 'tournee/v1/digest'): what it encrypts cannot be read, or passed off,
 * with another key of the space. Non-extractable.
 */
export async function deriveSpaceAesKey(spaceId: string, rootSecret: Uint8Array, info: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(hkdfParams(spaceId, info), await importRootSecret(rootSecret), { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ])
}

function importRootSecret(rootSecret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', asBuffer(rootSecret), 'HKDF', false, ['deriveKey'])
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
