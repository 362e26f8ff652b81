/**
 * Relay nodes as separate processes (relay/src/main.ts, TOURNEE_STORAGE=postgres) on one
 * PostgreSQL database and one Redis, devices on real WebSockets routed each to its node (tests/helpers/relay-nodes.ts):
 *
 * - two devices on two nodes see each other's edits live;
 * - a pairing opened through one node is claimed and answered through another, and the joining
 *   device, polling a third, joins (pairings live in storage, not in a node's memory);
 * - an address's refused credentials spent on one node count on the other (Redis);
 * - seeded randomized: three nodes, six paired devices adding patients, while a node is killed
 *   (SIGKILL) and restarted, Redis is restarted, and PostgreSQL refuses the relay's connections for
 *   a while. At the end every device holds every patient added, all devices equal. A failure
 *   prints its seed; MULTI_NODE_SEED=<seed> replays it, and `pinned` keeps it.
 *
 * It runs in every `npm test`, on a random seed (printed; MULTI_NODE_SEED=<seed> replays it), in
 * about a minute on a loaded 2-core machine. A failure prints the steps taken, what each device
 * lacks and whose it was, each device's sync state, and the nodes' last warnings.
 *
 * It was opt-in while seeds 1898567772 and 1515683109 had ended one device short of two patients,
 * beside the other suites on a loaded machine (issue 22). Neither failed again when replayed, alone
 * or four runs at once: what they met depends on timing, not on the seed alone, so they are not
 * pinned. What this test has found since, and what mends it: a node ended by PostgreSQL refusing
 * it (a connection terminated mid-transaction emitted an error nothing listened to:
 * relay/src/storage/postgres-storage.ts), which left its devices offline to the end; a row whose
 * notice is lost with no later row to reveal the gap (its node killed between commit and publish),
 * unread as long as the room stayed loaded (a periodic read, relay/src/fanout/room-fanout.ts); and
 * an entry of a colleague's device this device did not know yet, arriving while the relay could
 * not give the registry and the device stayed online, which waited for its next coming online
 * (checked again every 5 s, shared/src/envelope/envelope.ts, UNCHECKED_RETRY_MS).
 */
import * as prng from 'lib0/prng'
import { describe, expect, inject, it } from 'vitest'
import { createPractice, type OpenPractice } from '../client/src/sync/device/device'
import { claimPairing, JoiningPairing } from '../client/src/sync/device/pairing'
import { randomBytes, randomId, toBase64Url } from '../shared/src/crypto/base64url'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { SyncTestClient } from '../relay/src/test-support/sync-test-client'
import { labelOf, testEntry } from '../relay/src/test-support/test-entries'
import { adminQuery, freshDatabase } from './helpers/postgres-server'
import { useRedisServer } from './helpers/redis-fixture'
import { actorOf } from './helpers/relay-fixture'
import { deviceOnNode, FRONT_URL } from './helpers/relay-nodes'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

type Entry = { d: string; c: Uint8Array }

const adminUrl = inject('postgresAdminUrl')
const fixture = useRedisServer()
const { cleanups } = fixture

async function startNodes(count: number, databaseUrl: string, env: Record<string, string> = {}): Promise<RelayProcess[]> {
  const nodes = await Promise.all(
    Array.from({ length: count }, () =>
      startRelayProcess({ env: { TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: databaseUrl, TOURNEE_REDIS_URL: fixture.redis.url, ...env } }),
    ),
  )
  for (const node of nodes) cleanups.push(() => node.dispose())
  return nodes
}

async function metric(node: RelayProcess, line: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text()
  const found = text.split('\n').find((l) => l.startsWith(line + ' '))
  return found ? Number(found.slice(line.length + 1)) : 0
}

describe('relay nodes as processes on PostgreSQL and Redis', () => {
  it('two devices on two nodes see each other\'s edits live', async () => {
    const [one, two] = await startNodes(2, await freshDatabase(adminUrl, 'live'))
    const spaceId = randomId()
    const credential = toBase64Url(randomBytes(32))
    expect((await fetch(`${one!.url}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })).status).toBe(201)
    const a = await SyncTestClient.connect(one!.url, spaceId, credential)
    const b = await SyncTestClient.connect(two!.url, spaceId, credential)
    cleanups.push(() => a.destroy(), () => b.destroy())
    await waitFor(() => expect(a.acks.length * b.acks.length).toBeGreaterThan(0))
    await waitFor(async () => expect(await (await fetch(`${two!.url}/healthz`)).json()).toMatchObject({ redis: 'reachable' }))

    a.doc.getArray<Entry>('entries').push([testEntry('from-a')])
    await waitFor(() => expect(b.doc.getArray<Entry>('entries').map((e) => labelOf(e.d))).toEqual(['from-a']))
    b.doc.getArray<Entry>('entries').push([testEntry('from-b')])
    await waitFor(() => expect(a.doc.getArray<Entry>('entries').map((e) => labelOf(e.d)).sort()).toEqual(['from-a', 'from-b']))
    expect(await metric(two!, 'tournee_fanout_lag_seconds_count')).toBeGreaterThanOrEqual(1)
  })

  it('a pairing opened through one node, answered through another and polled through a third completes', async () => {
    const [one, two, three] = await startNodes(3, await freshDatabase(adminUrl, 'pairing'))
    const adminEnv = deviceOnNode('tablette', one!, two!)
    const admin = await createPractice({ relayUrl: FRONT_URL, practiceName: 'Cabinet des Saules', practitioner: { displayName: 'Inès', profession: 'kine' } }, adminEnv)
    const joiningEnv = deviceOnNode('telephone', one!, three!)
    cleanups.push(() => admin.space.destroy())
    // Opened on node three (the joining device's pairing routes), polled there; claimed and sealed on node two.
    const pairing = await JoiningPairing.open(FRONT_URL, joiningEnv)
    const joined = pairing.wait({ pollMs: 20 })
    await (await claimPairing(admin.record.spaceId, pairing.code, adminEnv)).accept()
    const joiner = await joined
    cleanups.push(() => joiner.space.destroy())
    expect(joiner.record.spaceId).toBe(admin.record.spaceId)
    addPatient(await admin.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Ropars', firstNames: 'Yann' }, actorOf(admin), testClock)
    await waitFor(async () => expect(listPatients(await joiner.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName)).toEqual(['Ropars']))
    // The answer was taken once: the code is gone on every node.
    for (const node of [one!, two!, three!]) expect((await fetch(`${node.url}/v1/pairings/${pairing.code}`)).status).toBe(404)
  })

  it('an address that spent its refused credentials on one node is refused on the other', async () => {
    // Behind one (simulated) proxy: the address is read from X-Forwarded-For. A failure back a minute.
    const [one, two] = await startNodes(2, await freshDatabase(adminUrl, 'perimeter'), {
      TOURNEE_TRUST_PROXY: '1',
      TOURNEE_FAILED_AUTH_BURST: '5',
      TOURNEE_FAILED_AUTH_PER_MINUTE: '1',
    })
    const spaceId = randomId()
    const credential = toBase64Url(randomBytes(32))
    expect((await fetch(`${one!.url}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })).status).toBe(201)
    const probe = async (node: RelayProcess, value: string, address: string) =>
      (await fetch(`${node.url}/v1/spaces/${spaceId}`, { headers: { authorization: `Bearer ${value}`, 'x-forwarded-for': address } })).status
    // Each node reaches Redis (its limits would be its own otherwise).
    await waitFor(async () => {
      for (const node of [one!, two!]) expect(await (await fetch(`${node.url}/healthz`)).json()).toMatchObject({ redis: 'reachable' })
    })
    const wrong = () => toBase64Url(randomBytes(32))
    for (let i = 0; i < 5; i++) expect(await probe(one!, wrong(), '203.0.113.66')).toBe(401)
    expect(await probe(one!, wrong(), '203.0.113.66')).toBe(429)
    // Node two never saw this address fail: it is refused there too, even with the right credential.
    expect(await probe(two!, credential, '203.0.113.66')).toBe(429)
    expect(await probe(two!, credential, '198.51.100.4')).toBe(204)
  })

  // Seeds that once failed: replayed on every run.
  const pinned: number[] = []
  const seeds = [...pinned, Number(process.env.MULTI_NODE_SEED ?? Math.floor(Math.random() * 2 ** 31))]
  for (const seed of seeds) {
    it(`three nodes, six devices: a node killed, Redis restarted, PostgreSQL refused; every device ends with every patient (seed ${seed})`, { timeout: 240_000 }, async () => {
      console.log(`multi-node randomized seed ${seed} (MULTI_NODE_SEED=${seed} replays it)`)
      try {
        await run(seed)
      } catch (error) {
        console.error(`Multi-node randomized test failed with seed ${seed}: add it to 'pinned' to replay`)
        throw error
      }
    })
  }
})

async function run(seed: number): Promise<void> {
  const gen = prng.create(seed)
  const databaseUrl = await freshDatabase(adminUrl, 'randomized')
  const databaseName = new URL(databaseUrl).pathname.slice(1)
  const nodes = await startNodes(3, databaseUrl)
  const opened: OpenPractice[] = []
  cleanups.push(async () => {
    for (const p of opened) await p.space.destroy().catch(() => undefined)
  })

  const firstEnv = deviceOnNode('device-0', nodes[0]!, nodes[0]!)
  const first = await createPractice({ relayUrl: FRONT_URL, practiceName: `Cabinet ${seed}`, practitioner: { displayName: 'Léa', profession: 'infirmier' } }, firstEnv)
  opened.push(first)
  const devices = [first]
  for (let i = 1; i < 6; i++) {
    // Pairings live in storage: each device pairs through a node of its own, the admin through node 0.
    const env = deviceOnNode(`device-${i}`, nodes[i % 3]!, nodes[(i + 1) % 3]!)
    const pairing = await JoiningPairing.open(FRONT_URL, env)
    const joined = pairing.wait({ pollMs: 20 })
    await (await claimPairing(first.record.spaceId, pairing.code, firstEnv)).accept()
    const device = await joined
    if (!device) throw new Error(`device-${i} did not join`)
    opened.push(device)
    devices.push(device)
  }

  const added: string[] = []
  /** Who added each patient, and what each step did: printed if the devices do not converge. */
  const writers = new Map<string, string>()
  const steps: string[] = []
  const done = { kills: 0, redisRestarts: 0, storageRefusals: 0 }
  let refusedUntil = -1
  /** Killed nodes waiting for PostgreSQL: a node cannot start while it refuses connections. */
  const down: RelayProcess[] = []
  const allowConnections = async (allow: boolean): Promise<void> => {
    await adminQuery(adminUrl, `ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS ${allow}`)
    if (!allow) await adminQuery(adminUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${databaseName}'`)
    if (allow) for (const node of down.splice(0)) await node.restart()
  }
  const STEPS = 40
  for (let step = 0; step < STEPS; step++) {
    if (step === refusedUntil) await allowConnections(true)
    // Each kind of failure at least once, at a step the seed chooses, besides the random rolls.
    const roll = step === 8 ? 75 : step === 18 ? 85 : step === 28 ? 92 : prng.int32(gen, 0, 99)
    if (roll < 70) {
      const device = prng.oneOf(gen, devices)
      const name = `Patient-${step}`
      addPatient(await device.space.openDoc(DIRECTORY_DOC_ID), { birthName: name, firstNames: 'Test' }, actorOf(device), testClock)
      added.push(name)
      writers.set(name, `device-${devices.indexOf(device)}`)
      steps.push(`${step}: ${name} by device-${devices.indexOf(device)}`)
    } else if (roll < 80) {
      const node = prng.oneOf(gen, nodes.filter((n) => !down.includes(n)))
      steps.push(`${step}: node ${nodes.indexOf(node)} killed`)
      if (refusedUntil >= step) {
        await node.stop('SIGKILL')
        down.push(node)
      } else {
        await node.restart('SIGKILL')
      }
      done.kills++
    } else if (roll < 88) {
      steps.push(`${step}: Redis restarted`)
      await fixture.redis.restart()
      done.redisRestarts++
    } else if (refusedUntil < step) {
      steps.push(`${step}: PostgreSQL refused`)
      await allowConnections(false)
      refusedUntil = step + prng.int32(gen, 2, 4)
      done.storageRefusals++
    }
    // Let the devices and nodes work between steps: one device's writes are acknowledged, or a moment passes.
    await Promise.race([prng.oneOf(gen, devices).space.whenAcknowledged(), new Promise((resolve) => setTimeout(resolve, 100))])
  }
  await allowConnections(true)

  expect(done.kills).toBeGreaterThanOrEqual(1)
  expect(done.redisRestarts).toBeGreaterThanOrEqual(1)
  expect(done.storageRefusals).toBeGreaterThanOrEqual(1)
  expect(added.length).toBeGreaterThan(10)
  const expected = [...added].sort()
  try {
    for (const device of devices) {
      await waitFor(async () => expect(listPatients(await device.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName).sort()).toEqual(expected), {
        timeoutMs: 90_000,
        intervalMs: 200,
      })
    }
  } catch (error) {
    const report = [`steps: ${steps.join(' · ')}`]
    for (const [i, device] of devices.entries()) {
      const have = new Set(listPatients(await device.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName))
      const missing = expected.filter((name) => !have.has(name)).map((name) => `${name} by ${writers.get(name)}`)
      report.push(`device-${i} (node ${i % 3}) lacks [${missing.join(', ')}], sync state ${JSON.stringify(device.space.getSyncState())}`)
    }
    for (const [i, node] of nodes.entries()) {
      // Its log lines (stdout) and stderr chunks: warnings, errors, and whatever a crash printed.
      const lines = node.logs.join('\n').split('\n').filter((line) => line.trim() !== '' && !/"level":"(debug|info)"/.test(line))
      report.push(`node ${i}, last warnings:\n${lines.slice(-40).join('\n')}`)
    }
    console.error(`Seed ${seed}: the devices did not converge\n${report.join('\n')}`)
    throw error
  }
  await Promise.all(devices.map((device) => device.space.whenAcknowledged()))
  // Cross-node fan-out did the delivering: the nodes heard each other.
  let received = 0
  for (const node of nodes) received += await metric(node, 'tournee_fanout_received_total{kind="row"}')
  expect(received).toBeGreaterThan(0)
}
