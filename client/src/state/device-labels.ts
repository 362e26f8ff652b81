/** What people call the practice's devices (the directory's `devices`, shared/src/model/device-labels.ts). */
import { deviceLabels } from '../../../shared/src/model'
import type { DeviceLabel } from '../../../shared/src/model'
import { useDirectory } from './directory'
import { useDocSnapshot } from './use-doc'

/** Device id → its label; null while the directory opens. */
export function useDeviceLabels(): ReadonlyMap<string, DeviceLabel> | null {
  return useDocSnapshot(useDirectory(), deviceLabels)
}
