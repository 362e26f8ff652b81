/**
 * Space credentials: 32 random bytes (base64url on the wire), shared with a space's devices at
 * pairing. The relay stores only SHA-256 of the bytes.
 *
 * A plain fast hash is enough here, unlike for passwords: slow hashes (scrypt, argon2) exist to
 * make guessing low-entropy secrets expensive, and a 256-bit random credential cannot be guessed
 * whatever the cost per guess. A leaked database therefore yields nothing that opens a room.
 */
import { createHash } from 'node:crypto'
import { fromBase64Url } from '../../../shared/src/crypto/base64url'
import { isCredential } from '../../../shared/src/protocol/ids'
import { timingSafeEqualBytes } from './constant-time'

export class InvalidCredentialError extends Error {
  override name = 'InvalidCredentialError'
  constructor() {
    super('A credential is 32 random bytes in base64url (43 characters)')
  }
}

export function hashCredential(credential: string): Uint8Array {
  if (!isCredential(credential)) throw new InvalidCredentialError()
  return new Uint8Array(createHash('sha256').update(fromBase64Url(credential)).digest())
}

/** True when `credential` hashes to `storedHash`; compared in constant time. */
export function credentialMatches(credential: string, storedHash: Uint8Array): boolean {
  if (!isCredential(credential)) return false
  return timingSafeEqualBytes(hashCredential(credential), storedHash)
}
