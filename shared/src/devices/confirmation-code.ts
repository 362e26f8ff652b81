/**
 * The 6-digit code both screens show during a pairing, to compare before accepting (issue 19).
 *
 * It is a hash of the pairing id and of both devices' public keys, so it differs as soon as the
 * relay (or anyone between) substitutes a key on either side: a person reading the same six digits
 * on both screens has checked that each device holds the other's real keys. Six digits give a
 * one-in-a-million chance to a substitution that is tried once; a pairing id is used once.
 */
import { asBuffer } from '../crypto/space-keys'
import type { DevicePublicKeys } from './device-identity'

const LABEL = 'tournee/pairing-confirmation/v1'

export async function confirmationCode(pairingId: string, admin: DevicePublicKeys, joining: DevicePublicKeys): Promise<string> {
  // Fixed order and separators: the same inputs give the same code on both devices, and no two
  // different inputs can be read as one.
  const text = [LABEL, pairingId, admin.agree, admin.sign, joining.agree, joining.sign].join('\n')
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', asBuffer(new TextEncoder().encode(text))))
  const value = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0
  // 2^32 mod 10^6 leaves a bias under 0.03 % on the lowest codes: no matter for a comparison by eye.
  return String(value % 1_000_000).padStart(6, '0')
}

/** « 123 456 »: how the screens show it, in two groups a person reads at a glance. */
export function groupedConfirmationCode(code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3)}`
}
