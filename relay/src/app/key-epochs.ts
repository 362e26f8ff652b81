/**
 * The practice's key epochs on the relay (shared/src/devices/key-epoch-entry.ts): after a
 * revocation, an administrator device publishes the new epoch's tier secrets sealed to each
 * remaining device; each device fetches its own seals.
 *
 *   GET  /v1/spaces/:spaceId/epochs   Bearer (a device's credential)
 *        → 200 { epochs: number[] published, ascending,
 *                seals: [{ epoch, by, sealed }] addressed to the calling device, ascending }
 *   POST /v1/spaces/:spaceId/epochs   Bearer, { entry } → 201 { epoch, op }
 *        400 { error, field: 'entry', refusal }    the entry is malformed, forged, or its
 *                                                  recipients are not the chain's active devices
 *        403 { error, field: 'authorization' }     sent by another device than the one that signed it
 *        409 { error, field: 'epoch', refusal, epochs }  another administrator's rotation came
 *                                                  first, or the registry moved: read both again
 *        413 { error, field: 'body' }              above MAX_EPOCH_BODY_BYTES
 *
 * The relay checks every entry against the registry chain it holds (verified again from storage),
 * exactly as a device can, before storing it; it cannot open a seal, and serves each device only
 * the seals addressed to it (a revoked device's credential is refused before: 401). What it could
 * do wrongly (withhold a seal, serve an old one) denies service; it cannot give a key to anyone.
 */
import { Hono, type Context } from 'hono'
import { checkEpochEntry, EpochEntryError, MAX_EPOCH_STATEMENT_CHARS, SignedEpochEntry, type PublishedEpochs } from '../../../shared/src/devices/key-epoch-entry'
import { SignedEntry, verifyRegistry } from '../../../shared/src/devices/registry-chain'
import type { Logger } from '../log'
import type { RelayStorage } from '../storage/relay-storage'
import { readSignedEntryBody } from './signed-entry-body'
import { admitSpaceRequest, type ErrorBody } from './spaces'

/** A rotation for the most devices a practice may have (key-epoch-entry.ts), with its envelope. */
export const MAX_EPOCH_BODY_BYTES = MAX_EPOCH_STATEMENT_CHARS + 1024

export interface KeyEpochsDeps {
  storage: RelayStorage
  logger: Logger
  now?: () => number
}

export function keyEpochsRoutes(deps: KeyEpochsDeps): Hono {
  const app = new Hono()
  const now = deps.now ?? Date.now

  const published = async (spaceId: string): Promise<{ epochs: number[]; view: PublishedEpochs }> => {
    const epochs = await deps.storage.listKeyEpochs(spaceId)
    return { epochs, view: { newest: epochs.at(-1) ?? null, has: (epoch) => epochs.includes(epoch) } }
  }

  app.get('/:spaceId/epochs', async (c) => {
    const admitted = await admitSpaceRequest(c, deps.storage, now())
    if (!admitted.ok) return admitted.response
    const { access } = admitted
    const epochs = await deps.storage.listKeyEpochs(admitted.spaceId)
    // The space's shared credential (a practice without a registry) has no device, hence no seal.
    const seals = access.deviceId === null ? [] : await deps.storage.listEpochSeals(admitted.spaceId, access.deviceId)
    return c.json({ epochs, seals }, 200, { 'cache-control': 'no-store' })
  })

  app.post('/:spaceId/epochs', async (c) => {
    const admitted = await admitSpaceRequest(c, deps.storage, now())
    if (!admitted.ok) return admitted.response
    const { access } = admitted
    const body = await readSignedEntryBody(c, MAX_EPOCH_BODY_BYTES, SignedEpochEntry, 'An epoch entry')
    if (!body.ok) return body.response
    const { spaceId } = admitted
    const state = await verifyRegistry(
      spaceId,
      (await deps.storage.listDeviceEntries(spaceId)).map((text) => SignedEntry.parse(JSON.parse(text))),
    )
    const before = await published(spaceId)
    let statement
    try {
      statement = await checkEpochEntry(state, before.view, body.entry, now())
    } catch (error) {
      if (error instanceof EpochEntryError) return refuse(c, error, before.epochs)
      throw error
    }
    // Sent by the device that signed it: another device cannot replay an administrator's entry.
    if (access.deviceId !== statement.by) {
      return c.json<ErrorBody>({ error: 'An epoch entry is sent by the device that signed it', field: 'authorization' }, 403)
    }
    const stored =
      statement.op === 'rotate'
        ? await deps.storage.publishKeyEpoch(spaceId, statement.epoch, body.entry.statement, statement.by, new Map(Object.entries(statement.seals)))
        : await deps.storage.grantKeyEpoch(spaceId, statement.epoch, statement.device, statement.by, statement.sealed)
    if (stored === 'conflict') {
      const epochs = await deps.storage.listKeyEpochs(spaceId)
      const what = statement.op === 'rotate' ? 'Another administrator published this key epoch or a newer one first' : 'That device already has its key of this epoch'
      return c.json({ error: `${what}: read the epochs again`, field: 'epoch', refusal: 'already-published', epochs }, 409)
    }
    deps.logger.info(statement.op === 'rotate' ? 'key_epoch_published' : 'key_epoch_granted', { spaceId, epoch: statement.epoch })
    return c.json({ epoch: statement.epoch, op: statement.op }, 201)
  })

  return app
}

function refuse(c: Context, error: EpochEntryError, epochs: number[]): Response {
  if (error.status === 409) return c.json({ error: error.message, field: 'epoch', refusal: error.refusal, epochs }, 409)
  return c.json({ error: error.message, field: 'entry', refusal: error.refusal }, 400)
}
