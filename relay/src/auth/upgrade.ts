/**
 * Decides a WebSocket upgrade before it completes, in this order, each with its HTTP status:
 *
 *   path is /v1/sync/<spaceId>/<roomId>   else 404 (roomId: 22 base64url chars, a blinded name)
 *   `tournee.1` offered               else 426 (the app is older or newer than the relay)
 *   Origin allowed                    else 403
 *   space exists                      else 404
 *   credential opens the space        else 401 (auth/space-access.ts: a device of its registry,
 *                                      unrevoked and, for a locum, before its end date — 401 naming
 *                                      `ended` after it — or the shared credential of a space
 *                                      without one)
 *
 * Whether the device's role opens that room (a secretary's, a clinical room: auth/role-access.ts)
 * is decided after, by admission.ts: that refusal is a close code, so that a browser sees it.
 *
 * A refusal allocates nothing: no room, no socket state, no storage write. Every room of a space
 * takes the space's credential; the rooms-per-space limit is checked after this (server.ts),
 * since only an authenticated device may learn it.
 */
import { Paths } from '../../../shared/src/protocol/constants'
import { isRoomId, isSpaceId } from '../../../shared/src/protocol/ids'
import type { UpgradeRefusalReason } from '../metrics/relay-metrics'
import type { DeviceRole } from '../../../shared/src/devices/registry-chain'
import { checkSpaceAccess, type AccessStorage } from './space-access'
import { checkOrigin } from './origin'
import { parseSubprotocols } from './subprotocols'

export interface UpgradeRequest {
  /** Request target as received, possibly with a query string (never logged). */
  url: string | undefined
  headers: {
    host?: string | undefined
    origin?: string | undefined
    'sec-websocket-protocol'?: string | string[] | undefined
  }
}

export type UpgradeDecision =
  /** `deviceId`: the registered device the credential belongs to; null for a space's shared credential. */
  | { ok: true; spaceId: string; roomId: string; deviceId: string | null; role: DeviceRole; until: number | null; framedAnswers: boolean }
  | { ok: false; status: number; reason: UpgradeRefusalReason; message: string; spaceId?: string }

export interface UpgradeDeps {
  allowedOrigins: readonly string[]
  storage: AccessStorage
  /** The relay's clock: a locum's end of access is compared with it. */
  now: () => number
}

/** `/v1/sync/<spaceId>/<roomId>` → that room of that space; anything else → null. */
export function roomFromSyncPath(url: string | undefined): { spaceId: string; roomId: string } | null {
  if (url === undefined) return null
  const path = url.split('?', 1)[0] ?? ''
  if (!path.startsWith(Paths.syncPrefix)) return null
  const segments = path.slice(Paths.syncPrefix.length).split('/')
  if (segments.length !== 2) return null
  const [spaceId, roomId] = segments
  if (!isSpaceId(spaceId) || !isRoomId(roomId)) return null
  return { spaceId, roomId }
}

export async function decideUpgrade(request: UpgradeRequest, deps: UpgradeDeps): Promise<UpgradeDecision> {
  const target = roomFromSyncPath(request.url)
  if (target === null) {
    return { ok: false, status: 404, reason: 'path', message: `Not a sync path: use ${Paths.syncPrefix}<spaceId>/<roomId>` }
  }
  const { spaceId, roomId } = target
  const offered = parseSubprotocols(request.headers['sec-websocket-protocol'])
  if (!offered.versionOffered) {
    return {
      ok: false,
      status: 426,
      reason: 'protocol',
      spaceId,
      message: 'Protocol version mismatch: update the app (this relay speaks tournee.1)',
    }
  }
  if (checkOrigin(request.headers.origin, request.headers.host, deps.allowedOrigins) === 'refused') {
    return { ok: false, status: 403, reason: 'origin', spaceId, message: 'Origin not allowed on this relay' }
  }
  const access = await checkSpaceAccess(deps.storage, spaceId, offered.credential, deps.now())
  if (!access.ok) {
    if (access.reason === 'unknown_space') return { ok: false, status: 404, reason: 'unknown_space', spaceId, message: 'Unknown space' }
    if (access.reason === 'revoked') return { ok: false, status: 401, reason: 'revoked', spaceId, message: 'This device was revoked' }
    if (access.reason === 'ended') return { ok: false, status: 401, reason: 'ended', spaceId, message: "This locum's access has ended" }
    return { ok: false, status: 401, reason: 'credential', spaceId, message: 'Wrong or missing credential' }
  }
  return { ok: true, spaceId, roomId, deviceId: access.deviceId, role: access.role, until: access.until, framedAnswers: offered.framedAnswers }
}
