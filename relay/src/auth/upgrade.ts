/**
 * Decides a WebSocket upgrade before it completes, in this order, each with its HTTP status:
 *
 *   path is /v1/sync/<spaceId>        else 404
 *   `tournee.1` offered               else 426 (the app is older or newer than the relay)
 *   Origin allowed                    else 403
 *   space exists                      else 404
 *   credential matches its hash       else 401
 *
 * A refusal allocates nothing: no room, no socket state, no storage write.
 */
import { Paths } from '../../../shared/src/protocol/constants'
import { isSpaceId } from '../../../shared/src/protocol/ids'
import type { UpgradeRefusalReason } from '../metrics/relay-metrics'
import { credentialMatches } from './credential'
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
  | { ok: true; spaceId: string }
  | { ok: false; status: number; reason: UpgradeRefusalReason; message: string; spaceId?: string }

export interface UpgradeDeps {
  allowedOrigins: readonly string[]
  getCredentialHash(spaceId: string): Promise<Uint8Array | null>
}

export function spaceIdFromSyncPath(url: string | undefined): string | null {
  if (url === undefined) return null
  const path = url.split('?', 1)[0] ?? ''
  if (!path.startsWith(Paths.syncPrefix)) return null
  const spaceId = path.slice(Paths.syncPrefix.length)
  return isSpaceId(spaceId) ? spaceId : null
}

export async function decideUpgrade(request: UpgradeRequest, deps: UpgradeDeps): Promise<UpgradeDecision> {
  const spaceId = spaceIdFromSyncPath(request.url)
  if (spaceId === null) {
    return { ok: false, status: 404, reason: 'path', message: `Not a sync path: use ${Paths.syncPrefix}<spaceId>` }
  }
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
  const storedHash = await deps.getCredentialHash(spaceId)
  if (storedHash === null) {
    return { ok: false, status: 404, reason: 'unknown_space', spaceId, message: 'Unknown space' }
  }
  if (offered.credential === null || !credentialMatches(offered.credential, storedHash)) {
    return { ok: false, status: 401, reason: 'credential', spaceId, message: 'Wrong or missing credential' }
  }
  return { ok: true, spaceId }
}
