/**
 * Which socket close codes are refusals: retrying cannot help until someone acts, so a room stops
 * its reconnect loop and the sync state says why. Every other close is a lost link, retried with
 * backoff — 4205 (RoleWidened) among them on purpose: the relay closes a device made praticien so
 * that, back online, it reads the registry and takes its key grant (device/role-change.ts).
 *
 * 4403 is the relay's role refusal (CloseCode.RoleForbidden; CloseCode.Forbidden shares its code
 * but the relay closes no open socket with it: a refused origin is an HTTP 403 at the upgrade,
 * which relay-client.ts reads as RefusalReason.Forbidden). A 4403 therefore means « this device is
 * a secretary's and this room is clinical », never « this app is not allowed ».
 */
import { CloseCode } from '../../../../shared/src/protocol/constants'
import { RefusalReason } from '../errors'

const REFUSING_CLOSE: ReadonlyMap<number, RefusalReason> = new Map([
  [CloseCode.Unauthorized.code, RefusalReason.Unauthorized],
  [CloseCode.RoleForbidden.code, RefusalReason.RoleForbidden],
  [CloseCode.SpaceNotFound.code, RefusalReason.SpaceNotFound],
  [CloseCode.ProtocolMismatch.code, RefusalReason.ProtocolMismatch],
  [CloseCode.TooManyRooms.code, RefusalReason.TooManyRooms],
  [CloseCode.DeviceRevoked.code, RefusalReason.Revoked],
  [CloseCode.AccessEnded.code, RefusalReason.Ended],
])

/** The refusal a close code means, or null for a close worth retrying. */
export function refusalOfClose(code: number | null): RefusalReason | null {
  return code === null ? null : (REFUSING_CLOSE.get(code) ?? null)
}
