import { createContext, useContext } from 'react'
import type * as device from '../sync/device/device'

/**
 * The device registry calls the screens make (create, join, choose a member, show the pairing
 * code). main.tsx passes the real module; a test can pass its own.
 */
export type DeviceApi = Pick<
  typeof device,
  'createPractice' | 'joinPractice' | 'setMember' | 'getPairingCode' | 'getStorageStatus' | 'requestPersistentStorage'
>

export const DeviceApiContext = createContext<DeviceApi | null>(null)

export function useDeviceApi(): DeviceApi {
  const api = useContext(DeviceApiContext)
  if (!api) throw new Error('useDeviceApi() needs a <DeviceApiContext> above it')
  return api
}
