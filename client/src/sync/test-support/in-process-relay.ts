/**
 * For the sync layer's unit tests of the relay's HTTP routes (attachments, digests): the relay's
 * real hono app and SQLite storage in this process, one space created on it, reached through a
 * fetch that records every URL and can be cut off like a network.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomId } from '../../../../shared/src/crypto/base64url'
import { DefaultLimits, type Limits } from '../../../../shared/src/protocol/constants'
import { createApp } from '../../../../relay/src/app/create-app'
import { silentLogger } from '../../../../relay/src/log'
import { createRelayMetrics } from '../../../../relay/src/metrics/relay-metrics'
import { SqliteStorage } from '../../../../relay/src/storage/sqlite-storage'

export const IN_PROCESS_RELAY_URL = 'http://relay.test'

export interface InProcessRelay {
  readonly app: ReturnType<typeof createApp>
  readonly storage: SqliteStorage
  /** `up: false` makes every request fail as an unreachable relay; `urls`: every request made. */
  readonly network: { up: boolean; urls: string[] }
  readonly fetchImpl: typeof fetch
  readonly spaceId: string
  readonly credential: string
}

/** `cleanups` receives what closes the storage and removes its folder (run them after each test). */
export async function inProcessRelay(cleanups: Array<() => unknown>, limits: Partial<Limits> = {}): Promise<InProcessRelay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tournee-in-process-relay-'))
  const storage = new SqliteStorage({ dataDir })
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }), () => storage.close())
  const app = createApp({
    storage,
    metrics: createRelayMetrics(),
    logger: silentLogger,
    enrolmentSecret: null,
    allowedOrigins: [],
    staticDir: null,
    limits: { ...DefaultLimits, ...limits },
  })
  const network = { up: true, urls: [] as string[] }
  const fetchImpl: typeof fetch = async (input, init) => {
    if (!network.up) throw new TypeError('Failed to fetch')
    network.urls.push(String(input))
    return app.request(String(input), init)
  }
  const spaceId = randomId()
  const credential = randomId(32)
  await app.request(`${IN_PROCESS_RELAY_URL}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })
  return { app, storage, network, fetchImpl, spaceId, credential }
}
