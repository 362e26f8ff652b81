/**
 * What a device's role lets it open on the relay (issue 19, « People and roles »), beside the keys
 * it holds (shared/src/crypto/space-keys.ts): a secretary's device has no clinical key, and the
 * relay refuses its credential where clinical ciphertext is, so that it cannot even fetch it.
 *
 *   clinical rooms   room ids starting with CLINICAL_ROOM_ID_PREFIX (files/<shard>,
 *                    shared/src/space/room-keys.ts): the upgrade completes and closes at once with
 *                    CloseCode.RoleForbidden (4403), like a full space's 4507, so that a browser
 *                    sees why
 *   attachments      every attachment route: 403 { field: 'role' }
 *
 * A secretary keeps the practice tier: main, the agenda months, the digests, the registry.
 */
import { DeviceRole } from '../../../shared/src/devices/registry-chain'
import { isClinicalRoomId } from '../../../shared/src/protocol/ids'

/** The field a role refusal names (body and header): not an error to show, a boundary of the role. */
export const ROLE_FIELD = 'role'

/** Whether a device of `role` reads the clinical tier. */
export function readsClinical(role: DeviceRole): boolean {
  return role !== DeviceRole.Secretariat
}

/** Whether a device of `role` may open the room `roomId` (a blinded id: its first character says its tier). */
export function mayOpenRoom(role: DeviceRole, roomId: string): boolean {
  return readsClinical(role) || !isClinicalRoomId(roomId)
}
