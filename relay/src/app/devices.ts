/**
 * The practice's device registry on the relay (shared/src/devices/registry-chain.ts):
 *
 *   GET  /v1/spaces/:spaceId/devices   Bearer     → 200 { entries: SignedEntry[] in order,
 *                                                          lastSeen: { deviceId: ms } }
 *   POST /v1/spaces/:spaceId/devices   Bearer, { entry } → 201 { seq }
 *        400 { error, field: 'entry', refusal }   the entry does not verify against the chain
 *        403 { error, field: 'authorization' }     sent by another device than the one that signed it
 *        409 { error, field: 'seq', length }       another administrator's entry took that seq:
 *                                                  read the chain again and rebase
 *
 * The relay verifies every entry exactly as the devices do, before storing it, and writes what it
 * grants or takes away (a device's credential) in the entry's transaction. It holds no key of the
 * practice and cannot add a device itself: an entry must be signed by an unrevoked administrator
 * device of the chain, and sent with that device's own credential. The first entry (genesis) is
 * sent with the space's shared credential, and must register exactly that credential: the
 * practice's first device takes over the credential it created the space with.
 *
 * A revocation closes the revoked device's open sockets at once (CloseCode.DeviceRevoked), through
 * `onDeviceRevoked`; its credential is refused from then on (auth/space-access.ts). A change of
 * role or end date rewrites what the device's credential opens in the entry's transaction, and
 * `onDeviceChanged` applies it to the sockets already open (a praticien made secretary loses its
 * clinical rooms at once, CloseCode.RoleForbidden; a locum's sockets close at its new end date).
 */
import { Hono, type Context } from 'hono'
import { fromBase64Url } from '../../../shared/src/crypto/base64url'
import { applyEntry, readStatement, RegistryError, RegistryRefusal, SignedEntry, verifyRegistry, type DeviceRole, type RegistryState } from '../../../shared/src/devices/registry-chain'
import { timingSafeEqualBytes } from '../auth/constant-time'
import type { Logger } from '../log'
import type { DeviceEffect, RelayStorage } from '../storage/relay-storage'
import { readSignedEntryBody } from './signed-entry-body'
import { admitSpaceRequest, type ErrorBody } from './spaces'

export interface DevicesDeps {
  storage: RelayStorage
  logger: Logger
  maxBodyBytes: number
  now?: () => number
  onDeviceRevoked?: (spaceId: string, deviceId: string) => void
  /** A device's role or end of access changed: its open sockets follow (server.ts). */
  onDeviceChanged?: (spaceId: string, deviceId: string, access: { role: DeviceRole; until: number | null }) => void
  /** An entry was appended: what reads the chain (the entries' signers, rooms/entry-signatures.ts) reads it again. */
  onRegistryChanged?: (spaceId: string) => void
}

export function devicesRoutes(deps: DevicesDeps): Hono {
  const app = new Hono()
  const now = deps.now ?? Date.now

  /** The chain as stored, verified again: storage is not where trust comes from either. */
  const chainOf = async (spaceId: string): Promise<RegistryState> =>
    verifyRegistry(
      spaceId,
      (await deps.storage.listDeviceEntries(spaceId)).map((text) => SignedEntry.parse(JSON.parse(text))),
    )

  app.get('/:spaceId/devices', async (c) => {
    const admitted = await admitSpaceRequest(c, deps.storage, now())
    if (!admitted.ok) return admitted.response
    const entries = (await deps.storage.listDeviceEntries(admitted.spaceId)).map((text) => JSON.parse(text) as unknown)
    // When the relay last saw each device: the relay's own observation, shown as such.
    const lastSeen = Object.fromEntries(await deps.storage.devicesLastSeen(admitted.spaceId))
    return c.json({ entries, lastSeen }, 200, { 'cache-control': 'no-store' })
  })

  app.post('/:spaceId/devices', async (c) => {
    const admitted = await admitSpaceRequest(c, deps.storage, now())
    if (!admitted.ok) return admitted.response
    const { access } = admitted
    const body = await readSignedEntryBody(c, deps.maxBodyBytes, SignedEntry, 'A registry entry')
    if (!body.ok) return body.response
    const { spaceId } = admitted
    const state = await chainOf(spaceId)

    let statement
    try {
      statement = readStatement(body.entry, state.length).statement
    } catch (error) {
      if (error instanceof RegistryError) return refuseEntry(c, error)
      throw error
    }
    if (statement.seq < state.length) {
      return c.json({ error: 'Another change of the registry came first: read it again', field: 'seq', length: state.length }, 409)
    }
    // A change naming a key grant is stored only with that grant (key-grants.ts): alone, the
    // widened role would be stored without the keys it names.
    if (statement.op === 'change' && statement.grant !== undefined) {
      return c.json({ error: 'A change naming a key grant is sent with it, to /grants', field: 'entry', refusal: 'grant-missing' }, 400)
    }
    // Sent by the device that signed it: a device's credential cannot be used to push entries
    // another device signed (replaying an administrator's old, valid-looking statement).
    if (statement.op === 'genesis') {
      const shared = await deps.storage.getCredentialHash(spaceId)
      if (access.deviceId !== null || shared === null || !timingSafeEqualBytes(fromBase64Url(statement.device.credential), shared)) {
        return c.json<ErrorBody>({ error: 'The first device registers the credential the practice was created with', field: 'authorization' }, 403)
      }
    } else if (access.deviceId !== statement.by) {
      return c.json<ErrorBody>({ error: 'An entry is sent by the device that signed it', field: 'authorization' }, 403)
    }

    try {
      await applyEntry(state, body.entry)
    } catch (error) {
      if (error instanceof RegistryError) return refuseEntry(c, error)
      throw error
    }
    const at = now()
    const effect: DeviceEffect =
      statement.op === 'revoke'
        ? { kind: 'revoke', deviceId: statement.target, at }
        : statement.op === 'change'
          ? { kind: 'change', deviceId: statement.target, role: statement.role, until: statement.until ?? null, at }
          : {
              kind: 'add',
              deviceId: statement.device.id,
              credentialHash: fromBase64Url(statement.device.credential),
              role: statement.device.role,
              until: statement.device.until ?? null,
              at,
            }
    const stored = await deps.storage.appendDeviceEntry(spaceId, statement.seq, JSON.stringify(body.entry), effect)
    if (stored === 'conflict') {
      return c.json({ error: 'Another change of the registry came first: read it again', field: 'seq', length: state.length + 1 }, 409)
    }
    deps.logger.info(LOGGED[statement.op], { spaceId, seq: statement.seq })
    deps.onRegistryChanged?.(spaceId)
    if (statement.op === 'revoke') deps.onDeviceRevoked?.(spaceId, statement.target)
    if (statement.op === 'change') deps.onDeviceChanged?.(spaceId, statement.target, { role: statement.role, until: statement.until ?? null })
    return c.json({ seq: statement.seq }, 201)
  })

  return app
}

const LOGGED = { genesis: 'device_added', add: 'device_added', revoke: 'device_revoked', change: 'device_changed' } as const

function refuseEntry(c: Context, error: RegistryError): Response {
  const status = error.refusal === RegistryRefusal.OutOfOrder ? 409 : 400
  return c.json({ error: error.message, field: status === 409 ? 'seq' : 'entry', refusal: error.refusal }, status)
}
