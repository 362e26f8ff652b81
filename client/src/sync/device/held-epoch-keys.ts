/**
 * One key epoch's AES keys as this device uses them (registry.ts HeldEpoch), derived from the
 * epoch's tier secrets: the entries' of each tier, the digests' (practice tier) and the
 * attachments' (clinical tier), all non-extractable. Derived where a seal opens (key-epochs-sync.ts)
 * and, on a device whose secrets its passkey wraps, again at each unlock (lock/at-rest.ts).
 */
import { deriveEpochAesKey } from '../../../../shared/src/crypto/key-epochs'
import { deriveAttachmentEpochKey } from '../../../../shared/src/attachments/attachment-cipher'
import { deriveDigestEpochKey } from '../../../../shared/src/digest/digest-cipher'
import type { HeldEpoch } from './registry'

export async function heldEpochOf(spaceId: string, epoch: number, secrets: { practice: Uint8Array; clinical: Uint8Array | null }): Promise<HeldEpoch> {
  const [practice, clinical, digest, attachment] = await Promise.all([
    deriveEpochAesKey(spaceId, epoch, secrets.practice),
    secrets.clinical === null ? null : deriveEpochAesKey(spaceId, epoch, secrets.clinical),
    deriveDigestEpochKey(spaceId, epoch, secrets.practice),
    secrets.clinical === null ? null : deriveAttachmentEpochKey(spaceId, epoch, secrets.clinical),
  ])
  return { epoch, practice, clinical, digest, attachment }
}
