/**
 * The one-time notice of a role the registry changed on this device (issue 19): narrowed
 * (role-downgrade.ts, « les dossiers cliniques ont été retirés ») or widened (key-grants-sync.ts,
 * « de nouveau disponibles »). Which of the two the banner says follows from the role itself
 * (views/device/RoleNoticeBanner.tsx); who changed it and when come from the registry.
 */
import { readStatement, type DeviceRole } from '../../../../shared/src/devices/registry-chain'
import type { RoleNotice } from './registry'

/** The « change » entry that last set `deviceId`'s role, as a notice: when and by which device. */
export function noticeOf(entries: readonly unknown[], deviceId: string, role: DeviceRole): RoleNotice {
  for (let seq = entries.length - 1; seq >= 0; seq--) {
    const { statement } = readStatement(entries[seq], seq)
    if (statement.op === 'change' && statement.target === deviceId) return { role, at: statement.at, by: statement.by }
  }
  return { role, at: null, by: null }
}
