/**
 * Who a credential opens a space for (issue 19), for every route and every sync socket:
 *
 *   a space with a device registry   the credential of one of its devices, unrevoked, and for a
 *                                    locum (remplaçant) before its end date: that device, with its
 *                                    role (a secretary's is refused on clinical rooms and
 *                                    attachments: auth/role-access.ts)
 *   a space without one              its one shared credential (created before devices had keys;
 *                                    a new practice writes its registry's first entry right after
 *                                    it is created, relay/src/app/devices.ts)
 *
 * A revoked device is told so (`revoked`), and a locum past its end date (`ended`), not merely
 * refused: it is the signal for the device to erase its copy of the practice and say why. The end
 * date is compared with the relay's clock (`now`, injected: tests set « today »). The credential is
 * hashed before any lookup; the comparison with a space's shared hash is constant-time, and a
 * device's hash is found by equality in storage (a 256-bit random credential's hash leaks nothing
 * usable through timing).
 */
import type { RelayStorage } from '../storage/relay-storage'
import { credentialMatches, hashCredential } from './credential'
import { isCredential } from '../../../shared/src/protocol/ids'
import { DeviceRole } from '../../../shared/src/devices/registry-chain'

export type SpaceAccess =
  /** `deviceId` null: a space's shared credential, which predates roles (a praticien's access). */
  | { readonly ok: true; readonly deviceId: string | null; readonly role: DeviceRole; readonly until: number | null }
  | { readonly ok: false; readonly reason: 'unknown_space' | 'credential' | 'revoked' | 'ended' }

export type AccessStorage = Pick<RelayStorage, 'getCredentialHash' | 'findDevice' | 'countDevices'>

export async function checkSpaceAccess(storage: AccessStorage, spaceId: string, credential: string | null, now: number): Promise<SpaceAccess> {
  const sharedHash = await storage.getCredentialHash(spaceId)
  if (sharedHash === null) return { ok: false, reason: 'unknown_space' }
  if (credential === null || !isCredential(credential)) return { ok: false, reason: 'credential' }
  const device = await storage.findDevice(spaceId, hashCredential(credential))
  if (device !== null) {
    if (device.revoked) return { ok: false, reason: 'revoked' }
    if (device.until !== null && now >= device.until) return { ok: false, reason: 'ended' }
    return { ok: true, deviceId: device.deviceId, role: device.role, until: device.until }
  }
  if ((await storage.countDevices(spaceId)) > 0) return { ok: false, reason: 'credential' }
  return credentialMatches(credential, sharedHash) ? { ok: true, deviceId: null, role: DeviceRole.Practitioner, until: null } : { ok: false, reason: 'credential' }
}
