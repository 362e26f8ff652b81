/** For tests: a device registry's record of a practitioner's device paired with `spaceId`, holding `keys`. */
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'
import type { DeviceKeys } from '../device/device-keys'
import type { StoredPractice } from '../device/registry'

export function practiceRecord(spaceId: string, keys: DeviceKeys): StoredPractice {
  return {
    spaceId,
    relayUrl: 'http://127.0.0.1:1',
    practiceName: 'Cabinet des Lilas',
    deviceId: 'dev',
    memberId: 'm1',
    credential: 'c',
    role: DeviceRole.Practitioner,
    until: null,
    roleNotice: null,
    keys,
  }
}
