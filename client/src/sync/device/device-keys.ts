/**
 * The keys a device works with, derived once from the tier secrets its role was given
 * (shared/src/crypto/space-keys.ts) when it creates or joins the practice, and kept as
 * non-extractable CryptoKeys: page script can use them, never read them out.
 *
 *   aead, blind   the practice tier: main and agenda rooms' entries, every routing id the relay sees
 *   digest        the practice tier: the digests' ciphertext (digest/digest-cipher.ts)
 *   clinical      the clinical tier: patient files' entries (files/<shard> rooms) — null on a
 *                 secretary's device, which never had the clinical tier's secret
 *   attachment    the clinical tier: attachments' ciphertext — null likewise
 *
 * Opening the practice needs these alone: no secret is read at each opening, and none is stored
 * beside them (registry.ts keeps an administrator's root secret apart, as what it is: the means
 * to pair another device).
 */
import { deriveAttachmentKey } from '../../../../shared/src/attachments/attachment-cipher'
import { derivePracticeKeys, type PracticeKeys, type TierSecrets } from '../../../../shared/src/crypto/space-keys'
import { deriveDigestKey } from '../../../../shared/src/digest/digest-cipher'
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'

export interface DeviceKeys {
  readonly aead: CryptoKey
  readonly blind: CryptoKey
  readonly digest: CryptoKey
  readonly clinical: CryptoKey | null
  readonly attachment: CryptoKey | null
}

export async function deriveDeviceKeys(spaceId: string, tiers: TierSecrets): Promise<DeviceKeys> {
  const [space, attachment, digest] = await Promise.all([
    derivePracticeKeys(spaceId, tiers),
    tiers.clinical === null ? null : deriveAttachmentKey(spaceId, tiers.clinical),
    deriveDigestKey(spaceId, tiers.practice),
  ])
  return { aead: space.aead, blind: space.blind, digest, clinical: space.clinical, attachment }
}

export function spaceKeysOf(spaceId: string, keys: DeviceKeys): PracticeKeys {
  return { spaceId, aead: keys.aead, blind: keys.blind, clinical: keys.clinical }
}

/** Whether a role reads the clinical tier: every role but secretariat (pairing-code.ts gives it none). */
export function readsClinicalRole(role: DeviceRole): boolean {
  return role !== DeviceRole.Secretariat
}

/** Whether this device holds the clinical tier (its role reads patient files). */
export function readsClinical(keys: DeviceKeys): boolean {
  return keys.clinical !== null
}

/** Whether a value read back from IndexedDB is a complete set of keys (a record may be older). */
export function isDeviceKeys(value: unknown): value is DeviceKeys {
  if (typeof value !== 'object' || value === null) return false
  const keys = value as Record<string, unknown>
  // A structured clone of a CryptoKey is a CryptoKey; an older record lacks some of them.
  const isKey = (key: unknown) => typeof key === 'object' && key !== null && 'algorithm' in key
  // The clinical tier's two keys are both there or both null: a record with one is not this layout.
  const clinicalTier = (keys['clinical'] === null && keys['attachment'] === null) || (isKey(keys['clinical']) && isKey(keys['attachment']))
  return ['aead', 'blind', 'digest'].every((name) => isKey(keys[name])) && clinicalTier
}
