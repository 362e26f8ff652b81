import { useCallback, useEffect, useState } from 'react'
import type { RegistryState } from '../../../../shared/src/devices/registry-chain'
import { useDeviceApi } from '../../app/device-api'
import { useT } from '../../i18n'
import { usePractice } from '../../state'
import { describeError } from '../form/describe-error'

export type PracticeDevicesRead =
  | { status: 'loading' }
  | { status: 'none' }
  | { status: 'ready'; state: RegistryState; lastSeen: ReadonlyMap<string, number> }
  | { status: 'failed'; message: string }

/**
 * The practice's device registry as Réglages shows it (read from the relay, verified here), read
 * once per visit and again after a change this device made (`reread`). One owner for both
 * sections: « Ajouter un appareil » needs to know whether this device may add one, « Appareils »
 * lists them.
 */
export function usePracticeDevices(): { read: PracticeDevicesRead; reread: () => void; isAdmin: boolean } {
  const translator = useT()
  const { record } = usePractice()
  const device = useDeviceApi()
  const [read, setRead] = useState<PracticeDevicesRead>({ status: 'loading' })
  const [version, setVersion] = useState(0)

  useEffect(() => {
    let live = true
    device.readPracticeDevices(record.spaceId).then(
      (devices) => live && setRead(devices === null ? { status: 'none' } : { status: 'ready', ...devices }),
      (error: unknown) => live && setRead({ status: 'failed', message: describeError(error, translator) }),
    )
    return () => {
      live = false
    }
  }, [device, record.spaceId, translator, version])

  const reread = useCallback(() => setVersion((n) => n + 1), [])
  const self = read.status === 'ready' ? read.state.devices.get(record.deviceId) : undefined
  // A practice without a registry (created before devices had keys): every device may pair one.
  const isAdmin = read.status === 'none' || (self?.admin === true && self.revokedAt === null)
  return { read, reread, isAdmin }
}
