/**
 * The keys a device works with, derived once from the practice's root secret when the device
 * creates or joins the practice, and kept as non-extractable CryptoKeys: page script can use them,
 * never read them out.
 *
 *   aead, blind   the envelope's entries and the routing ids the relay sees (crypto/space-keys.ts)
 *   attachment    the attachments' ciphertext (attachments/attachment-cipher.ts)
 *   digest        the digests' ciphertext (digest/digest-cipher.ts)
 *
 * Opening the practice needs these alone: the root secret is not read at each opening any more,
 * and is not stored beside them (registry.ts keeps it apart, as what it is: the means to pair
 * another device, until devices seal keys to each other).
 */
import { deriveAttachmentKey } from '../../../../shared/src/attachments/attachment-cipher'
import { deriveSpaceKeys, type SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { deriveDigestKey } from '../../../../shared/src/digest/digest-cipher'

export interface DeviceKeys {
  readonly aead: CryptoKey
  readonly blind: CryptoKey
  readonly attachment: CryptoKey
  readonly digest: CryptoKey
}

export async function deriveDeviceKeys(spaceId: string, rootSecret: Uint8Array): Promise<DeviceKeys> {
  const [space, attachment, digest] = await Promise.all([
    deriveSpaceKeys(spaceId, rootSecret),
    deriveAttachmentKey(spaceId, rootSecret),
    deriveDigestKey(spaceId, rootSecret),
  ])
  return { aead: space.aead, blind: space.blind, attachment, digest }
}

export function spaceKeysOf(spaceId: string, keys: DeviceKeys): SpaceKeys {
  return { spaceId, aead: keys.aead, blind: keys.blind }
}

/** Whether a value read back from IndexedDB is a complete set of keys (a record may be older). */
export function isDeviceKeys(value: unknown): value is DeviceKeys {
  if (typeof value !== 'object' || value === null) return false
  const keys = value as Record<string, unknown>
  // A structured clone of a CryptoKey is a CryptoKey; an older record lacks some of them.
  return ['aead', 'blind', 'attachment', 'digest'].every((name) => typeof keys[name] === 'object' && keys[name] !== null && 'algorithm' in keys[name])
}
