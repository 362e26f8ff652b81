import { createContext, useContext } from 'react'
import type * as device from '../sync/device/device'
import type { PairingQr } from '../../../shared/src/devices/pairing-qr'
import type { ClaimedPairing, JoiningPairing } from '../sync/device/pairing'

/**
 * The device registry calls the screens make (create, pair, choose a member). main.tsx passes the
 * real calls; a test can pass its own.
 */
export type DeviceApi = Pick<typeof device, 'createPractice' | 'setMember' | 'getStorageStatus' | 'requestPersistentStorage'> & {
  /** This device wants to join: its key pairs made, a pairing opened on the relay (pairing.ts). */
  openPairing(relayUrl: string): Promise<JoiningPairing>
  /** An administrator typed the code another device shows, or scanned its QR code. */
  claimPairing(spaceId: string, typedOrScanned: string | PairingQr): Promise<ClaimedPairing>
}

export const DeviceApiContext = createContext<DeviceApi | null>(null)

export function useDeviceApi(): DeviceApi {
  const api = useContext(DeviceApiContext)
  if (!api) throw new Error('useDeviceApi() needs a <DeviceApiContext> above it')
  return api
}
