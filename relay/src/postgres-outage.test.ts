/**
 * The relay on PostgreSQL while PostgreSQL refuses it (a restart, a failover, a full disk): a
 * device's update is never acknowledged, its socket closes with StorageFailure (4500), and once
 * PostgreSQL is back the device's change, sent again, is stored. A real relay, a real database of
 * the test run's server (tests/helpers/postgres-server.ts), refused for real.
 */
import { afterEach, describe, expect, inject, it } from 'vitest'
import * as Y from 'yjs'
import { randomBytes, randomId, toBase64Url } from '../../shared/src/crypto/base64url'
import { adminQuery } from '../../tests/helpers/postgres-server'
import { silentLogger } from './log'
import { startRelay } from './server'
import { testRelayConfig } from './test-support/relay-config'
import { SyncTestClient, TEST_ROOM_ID } from './test-support/sync-test-client'
import { labelOf, testEntry } from './test-support/test-entries'
import { TEST_STORAGES } from './test-support/test-storages'
import { waitFor } from './test-support/wait-for'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('the relay while PostgreSQL refuses connections', () => {
  it('acknowledges nothing, closes the writer with 4500, and stores the change sent again once PostgreSQL is back', async () => {
    const postgres = TEST_STORAGES.find((storage) => storage.name === 'postgres')!
    const place = await postgres.location(cleanups)
    if (place.storage.kind !== 'postgres') throw new Error('a PostgreSQL location')
    const database = new URL(place.storage.databaseUrl).pathname.slice(1)
    const adminUrl = inject('postgresAdminUrl')
    const relay = await startRelay(testRelayConfig(place.dataDir, {}, { storage: place.storage }), { logger: silentLogger })
    cleanups.push(() => relay.close())
    const url = `http://127.0.0.1:${relay.port}`
    const spaceId = randomId()
    const credential = toBase64Url(randomBytes(32))
    expect((await fetch(`${url}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })).status).toBe(201)
    const connect = async (): Promise<SyncTestClient> => {
      const client = await SyncTestClient.connect(url, spaceId, credential)
      cleanups.push(() => client.destroy())
      await waitFor(() => expect(client.acks.length).toBeGreaterThan(0))
      return client
    }
    const writer = await connect()
    const entries = (client: SyncTestClient): string[] => client.doc.getArray<{ d: string }>('entries').toArray().map((entry) => labelOf(entry.d))

    await adminQuery(adminUrl, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`)
    cleanups.push(() => adminQuery(adminUrl, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`))
    await adminQuery(adminUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}'`)
    const acksBefore = writer.acks.length
    writer.doc.getArray('entries').push([testEntry('while-down')])
    await waitFor(() => expect(writer.closed).toEqual({ code: 4500, reason: 'Relay storage failure' }), { timeoutMs: 15_000 })
    expect(writer.acks.length).toBe(acksBefore)
    expect(writer.ackCovers()).toBe(false)

    await adminQuery(adminUrl, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`)
    // The device comes back with what it still holds as pending, as its provider would.
    const again = await connect()
    Y.applyUpdate(again.doc, Y.encodeStateAsUpdate(writer.doc))
    await waitFor(() => expect(again.ackCoversAll()).toBe(true))
    const fresh = await connect()
    await waitFor(() => expect(entries(fresh)).toEqual(['while-down']))
    const stored = await place.open()
    cleanups.push(() => stored.close())
    expect((await stored.loadUpdates(spaceId, TEST_ROOM_ID)).updates.length).toBeGreaterThan(0)
  })
})
