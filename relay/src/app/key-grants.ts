/**
 * Key grants on the relay (shared/src/devices/key-grant.ts): an administrator device seals to a
 * device already registered the keys of its role, of epoch 0 and of every published epoch; the
 * device fetches its own. With a registry « change » that widens a secretary's role, both are
 * stored in one transaction: the relay never holds the widened role without its grant.
 *
 *   GET  /v1/spaces/:spaceId/grant    Bearer (a device's credential)
 *        → 200 { grant: SignedKeyGrant | null }    the newest grant addressed to the calling device
 *   POST /v1/spaces/:spaceId/grants   Bearer, { entry: { grant, change? } } → 201 { device, chain }
 *        400 { error, field: 'entry', refusal }   the grant (or its change) is malformed, forged,
 *                                                 for a role the device does not have, or a change
 *                                                 that names another grant
 *        403 { error, field: 'authorization' }     sent by another device than the one that signed it
 *        409 { error, field: 'grant', refusal }   the registry or the epochs moved: read both again
 *                                                 and grant again
 *        413 { error, field: 'body' }              above MAX_GRANT_BODY_BYTES
 *
 * The relay checks the grant against the chain it holds (with the change applied), exactly as a
 * device can, except the sealed keys, which it cannot open: a device refuses a grant that does
 * not open or holds other keys (client/src/sync/device/key-grants-sync.ts).
 */
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { checkKeyGrant, KeyGrantError, MAX_GRANT_STATEMENT_CHARS, SignedKeyGrant } from '../../../shared/src/devices/key-grant'
import { applyEntry, entryHash, readStatement, RegistryError, SignedEntry, verifyRegistry, type DeviceRole } from '../../../shared/src/devices/registry-chain'
import type { Logger } from '../log'
import type { RelayStorage } from '../storage/relay-storage'
import { readSignedEntryBody } from './signed-entry-body'
import { admitSpaceRequest, type ErrorBody } from './spaces'

/** A grant of the most epochs a grant may hold, with a registry entry beside it. */
export const MAX_GRANT_BODY_BYTES = MAX_GRANT_STATEMENT_CHARS + 4096

const GrantBody = z.object({ grant: SignedKeyGrant, change: SignedEntry.optional() }).strict()

export interface KeyGrantsDeps {
  storage: RelayStorage
  logger: Logger
  now?: () => number
  /** A change came with the grant: what devices.ts does after a change (server.ts). */
  onDeviceChanged?: (spaceId: string, deviceId: string, access: { role: DeviceRole; until: number | null }) => void
  onRegistryChanged?: (spaceId: string) => void
}

export function keyGrantsRoutes(deps: KeyGrantsDeps): Hono {
  const app = new Hono()
  const now = deps.now ?? Date.now

  app.get('/:spaceId/grant', async (c) => {
    const admitted = await admitSpaceRequest(c, deps.storage, now())
    if (!admitted.ok) return admitted.response
    const { deviceId } = admitted.access
    // The space's shared credential (a practice without a registry) names no device: no grant.
    const stored = deviceId === null ? null : await deps.storage.getKeyGrant(admitted.spaceId, deviceId)
    return c.json({ grant: stored === null ? null : (JSON.parse(stored.entry) as unknown) }, 200, { 'cache-control': 'no-store' })
  })

  app.post('/:spaceId/grants', async (c) => {
    const admitted = await admitSpaceRequest(c, deps.storage, now())
    if (!admitted.ok) return admitted.response
    const { access, spaceId } = admitted
    const body = await readSignedEntryBody(c, MAX_GRANT_BODY_BYTES, GrantBody, 'A key grant')
    if (!body.ok) return body.response
    const { grant, change } = body.entry
    const before = await verifyRegistry(
      spaceId,
      (await deps.storage.listDeviceEntries(spaceId)).map((text) => SignedEntry.parse(JSON.parse(text))),
    )

    let state = before
    let changed: { target: string; role: DeviceRole; until: number | null } | null = null
    if (change !== undefined) {
      try {
        const { statement } = readStatement(change, before.length)
        if (statement.op !== 'change' || statement.grant !== (await entryHash(grant))) {
          return c.json({ error: 'A registry entry sent with a key grant is the change that names it', field: 'entry', refusal: 'wrong-change' }, 400)
        }
        if (statement.seq < before.length) return c.json({ error: 'Another change of the registry came first: read it again', field: 'grant', refusal: 'stale' }, 409)
        if (access.deviceId !== statement.by) return c.json<ErrorBody>({ error: 'An entry is sent by the device that signed it', field: 'authorization' }, 403)
        state = await applyEntry(before, change)
        changed = { target: statement.target, role: statement.role, until: statement.until ?? null }
      } catch (error) {
        if (error instanceof RegistryError) return c.json({ error: error.message, field: 'entry', refusal: error.refusal }, 400)
        throw error
      }
    }

    let statement
    try {
      statement = await checkKeyGrant(state, await deps.storage.listKeyEpochs(spaceId), grant)
    } catch (error) {
      if (error instanceof KeyGrantError) return refuse(c, error)
      throw error
    }
    // Sent by the device that signed it: another device cannot replay an administrator's grant.
    if (access.deviceId !== statement.by) return c.json<ErrorBody>({ error: 'A key grant is sent by the device that signed it', field: 'authorization' }, 403)

    const stored = { deviceId: statement.device, chain: statement.chain, by: statement.by, entry: JSON.stringify(grant) }
    const result =
      changed === null
        ? await deps.storage.putKeyGrant(spaceId, stored)
        : await deps.storage.appendDeviceEntry(spaceId, before.length, JSON.stringify(change), { kind: 'change', deviceId: changed.target, role: changed.role, until: changed.until, at: now() }, stored)
    if (result === 'conflict') return c.json({ error: 'Another change of the registry came first: read it again and grant again', field: 'grant', refusal: 'stale' }, 409)
    if (changed === null) deps.logger.info('key_grant_stored', { spaceId })
    else deps.logger.info('device_changed_with_grant', { spaceId, seq: before.length })
    if (changed !== null) {
      deps.onRegistryChanged?.(spaceId)
      deps.onDeviceChanged?.(spaceId, changed.target, { role: changed.role, until: changed.until })
    }
    return c.json({ device: statement.device, chain: statement.chain }, 201)
  })

  return app
}

function refuse(c: Context, error: KeyGrantError): Response {
  if (error.status === 409) return c.json({ error: error.message, field: 'grant', refusal: error.refusal }, 409)
  return c.json({ error: error.message, field: 'entry', refusal: error.refusal }, 400)
}
