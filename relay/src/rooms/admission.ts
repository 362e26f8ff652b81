/**
 * Whether a sync socket may open, decided before anything is allocated: the upgrade's checks
 * (auth/upgrade.ts: path, protocol, origin, space, credential), then the room's admission under
 * the rooms-per-space limit. The relay's server (server.ts) and the in-memory relay of the tests
 * (tests/helpers/in-memory-relay.ts) both ask here, so both refuse alike.
 *
 *   refused     answered as an HTTP status before the upgrade: no socket, no room, no storage
 *   room-limit  the upgrade completes and closes at once with TooManyRooms (4507): a browser sees
 *               close codes, never a failed upgrade's status, and only a device holding the
 *               credential learns the limit is reached
 *   role        a secretary's device on a clinical room (auth/role-access.ts): the upgrade
 *               completes and closes at once with RoleForbidden (4403); the room is not admitted
 *               (nothing allocated, nothing stored)
 *   admitted    a SyncConnection may open on the room (`until`: a locum's end of access, after
 *               which server.ts closes it with AccessEnded at its next keep-alive tick)
 */
import type { Limits } from '../../../shared/src/protocol/constants'
import { mayOpenRoom } from '../auth/role-access'
import type { DeviceRole } from '../../../shared/src/devices/registry-chain'
import { decideUpgrade, type UpgradeRequest } from '../auth/upgrade'
import type { UpgradeRefusalReason } from '../metrics/relay-metrics'
import type { RelayStorage } from '../storage/relay-storage'

export type Admission =
  | { readonly kind: 'refused'; readonly status: number; readonly reason: UpgradeRefusalReason; readonly message: string; readonly spaceId?: string }
  | { readonly kind: 'room-limit'; readonly spaceId: string; readonly roomId: string }
  | { readonly kind: 'role'; readonly spaceId: string; readonly roomId: string }
  | {
      readonly kind: 'admitted'
      readonly spaceId: string
      readonly roomId: string
      readonly deviceId: string | null
      readonly role: DeviceRole
      readonly until: number | null
      /** The device reads an answer to any step 1 in frames (FRAMED_ANSWERS_SUBPROTOCOL). */
      readonly framedAnswers: boolean
    }

export interface AdmissionDeps {
  readonly storage: RelayStorage
  readonly allowedOrigins: readonly string[]
  readonly limits: Pick<Limits, 'maxRoomsPerSpace'>
  /** The relay's clock (default Date.now): a locum's end of access is compared with it. */
  readonly now?: () => number
}

export async function admitSyncSocket(request: UpgradeRequest, deps: AdmissionDeps): Promise<Admission> {
  const decision = await decideUpgrade(request, { allowedOrigins: deps.allowedOrigins, storage: deps.storage, now: deps.now ?? Date.now })
  if (!decision.ok) {
    const { status, reason, message } = decision
    return { kind: 'refused', status, reason, message, ...(decision.spaceId === undefined ? {} : { spaceId: decision.spaceId }) }
  }
  if (!mayOpenRoom(decision.role, decision.roomId)) return { kind: 'role', spaceId: decision.spaceId, roomId: decision.roomId }
  const admitted = await deps.storage.admitRoom(decision.spaceId, decision.roomId, deps.limits.maxRoomsPerSpace)
  if (admitted === 'limit') return { kind: 'room-limit', spaceId: decision.spaceId, roomId: decision.roomId }
  const { spaceId, roomId, deviceId, role, until, framedAnswers } = decision
  return { kind: 'admitted', spaceId, roomId, deviceId, role, until, framedAnswers }
}
