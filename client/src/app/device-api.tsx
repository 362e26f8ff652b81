import { createContext, useContext } from 'react'
import type * as device from '../sync/device/device'
import type { PairingQr } from '../../../shared/src/devices/pairing-qr'
import type { ClaimedPairing, JoiningPairing } from '../sync/device/pairing'
import type { DeviceRoleChange, PracticeDevices } from '../sync/device/practice-devices'
import type * as lock from '../sync/device/lock/device-lock'

/**
 * The calls the screens make on this device: create, pair, choose a member (device registry), the
 * practice's devices, and the lock's (choose a method, unlock, open the practice again, forget
 * it). main.tsx passes the real calls; a test can pass its own.
 */
export type DeviceApi = Pick<typeof device, 'createPractice' | 'setMember' | 'getStorageStatus' | 'requestPersistentStorage' | 'loadPractice'> &
  Pick<typeof lock, 'readLock' | 'canUsePasskey' | 'choosePin' | 'choosePasskey' | 'removeLock' | 'unlockWithPin' | 'unlockWithPasskey' | 'forgetPractice' | 'lockKeys'> & {
    /** This device wants to join: its key pairs made, a pairing opened on the relay (pairing.ts). */
    openPairing(relayUrl: string): Promise<JoiningPairing>
    /** An administrator typed the code another device shows, or scanned its QR code. */
    claimPairing(spaceId: string, typedOrScanned: string | PairingQr): Promise<ClaimedPairing>
    /** The practice's device registry, verified on this device; null for a practice without one. */
    readPracticeDevices(spaceId: string): Promise<PracticeDevices | null>
    /** Revokes a device of the practice (this device must be an administrator). */
    revokeDevice(spaceId: string, deviceId: string): Promise<void>
    /** Gives a device of the practice a new role and end date, without revoking it (this device must be an administrator). */
    changeDevice(spaceId: string, deviceId: string, change: DeviceRoleChange): Promise<void>
    /** Seals a device the keys of its role again (« Renvoyer les clés »: key-grants-sync.ts; this device must be an administrator). */
    regrantDevice(spaceId: string, deviceId: string): Promise<void>
    /** The person read the notice of the role the registry narrowed (role-downgrade.ts). */
    dismissRoleNotice(spaceId: string): Promise<void>
  }

export const DeviceApiContext = createContext<DeviceApi | null>(null)

export function useDeviceApi(): DeviceApi {
  const api = useContext(DeviceApiContext)
  if (!api) throw new Error('useDeviceApi() needs a <DeviceApiContext> above it')
  return api
}
