import { createContext, useContext } from 'react'
import type * as device from '../sync/device/device'
import type * as lock from '../sync/device/lock/device-lock'

/**
 * The device registry calls the screens make (create, join, choose a member, show the pairing
 * code), and the lock's (choose a method, unlock, open the practice again, forget it). main.tsx
 * passes the real modules; a test can pass its own.
 */
export type DeviceApi = Pick<
  typeof device,
  'createPractice' | 'joinPractice' | 'setMember' | 'getPairingCode' | 'getStorageStatus' | 'requestPersistentStorage' | 'loadPractice'
> &
  Pick<typeof lock, 'readLock' | 'canUsePasskey' | 'choosePin' | 'choosePasskey' | 'removeLock' | 'unlockWithPin' | 'unlockWithPasskey' | 'forgetPractice'>

export const DeviceApiContext = createContext<DeviceApi | null>(null)

export function useDeviceApi(): DeviceApi {
  const api = useContext(DeviceApiContext)
  if (!api) throw new Error('useDeviceApi() needs a <DeviceApiContext> above it')
  return api
}
