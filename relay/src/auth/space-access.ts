/**
 * Who a credential opens a space for (issue 19), for every route and every sync socket:
 *
 *   a space with a device registry   the credential of one of its devices, unrevoked: that device
 *   a space without one              its one shared credential (created before devices had keys;
 *                                    a new practice writes its registry's first entry right after
 *                                    it is created, relay/src/app/devices.ts)
 *
 * A revoked device is told so (`revoked`), not merely refused: it is the signal for it to erase
 * its copy of the practice. The credential is hashed before any lookup; the comparison with a
 * space's shared hash is constant-time, and a device's hash is found by equality in storage (a
 * 256-bit random credential's hash leaks nothing usable through timing).
 */
import type { RelayStorage } from '../storage/relay-storage'
import { credentialMatches, hashCredential } from './credential'
import { isCredential } from '../../../shared/src/protocol/ids'

export type SpaceAccess =
  | { readonly ok: true; readonly deviceId: string | null }
  | { readonly ok: false; readonly reason: 'unknown_space' | 'credential' | 'revoked' }

export type AccessStorage = Pick<RelayStorage, 'getCredentialHash' | 'findDevice' | 'countDevices'>

export async function checkSpaceAccess(storage: AccessStorage, spaceId: string, credential: string | null): Promise<SpaceAccess> {
  const sharedHash = await storage.getCredentialHash(spaceId)
  if (sharedHash === null) return { ok: false, reason: 'unknown_space' }
  if (credential === null || !isCredential(credential)) return { ok: false, reason: 'credential' }
  const device = await storage.findDevice(spaceId, hashCredential(credential))
  if (device !== null) return device.revoked ? { ok: false, reason: 'revoked' } : { ok: true, deviceId: device.deviceId }
  if ((await storage.countDevices(spaceId)) > 0) return { ok: false, reason: 'credential' }
  return credentialMatches(credential, sharedHash) ? { ok: true, deviceId: null } : { ok: false, reason: 'credential' }
}
