/**
 * Several relay nodes behind one address (issue 22): two relays in this process on one storage
 * (tests/helpers/relay-nodes.ts), fan-out between them through a real Redis
 * (tests/helpers/redis-server.ts), devices on real WebSockets. What a device writes through one
 * node reaches the devices of the other live; a notice lost (Redis restarted or down, a node that
 * died between its commit and its publish) is read from storage; a revocation recorded through one
 * node closes the device's sockets on the other, and so does a change of role on its clinical ones.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../shared/src/crypto/base64url'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { claimPairing, JoiningPairing } from '../client/src/sync/device/pairing'
import { changePracticeDevice, revokePracticeDevice } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { RefusalReason } from '../client/src/sync/errors'
import { derivePracticeKeys, deriveTierSecrets } from '../shared/src/crypto/space-keys'
import { DeviceRole } from '../shared/src/devices/registry-chain'
import { DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { CloseCode } from '../shared/src/protocol/constants'
import { blindRoomName, keysOfRoom } from '../shared/src/space/room-keys'
import { MAIN_ROOM, roomOf } from '../shared/src/space/rooms'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { SyncTestClient, TEST_ROOM_ID } from '../relay/src/test-support/sync-test-client'
import { labelOf, testEntry } from '../relay/src/test-support/test-entries'
import * as Y from 'yjs'
import { createClient } from 'redis'
import { silentLogger, type Logger } from '../relay/src/log'
import { useRedisServer } from './helpers/redis-fixture'
import { deviceOnNode, FRONT_URL, startRelayNodes, type RelayNode, type RelayNodes } from './helpers/relay-nodes'
import { actorOf } from './helpers/relay-fixture'
import { testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { startWithholdingProxy } from './helpers/withholding-proxy'

type Entry = { d: string; c: Uint8Array }

const fixture = useRedisServer()
const { cleanups } = fixture

async function nodes(count: number, options: Parameters<typeof startRelayNodes>[2] = {}): Promise<RelayNodes> {
  const started = await startRelayNodes(count, fixture.redis.url, options)
  cleanups.push(() => started.dispose())
  return started
}

async function createSpace(node: RelayNode): Promise<{ spaceId: string; credential: string }> {
  const spaceId = randomId()
  const credential = toBase64Url(randomBytes(32))
  const response = await fetch(`${node.url}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })
  expect(response.status).toBe(201)
  return { spaceId, credential }
}

async function connect(node: RelayNode, space: { spaceId: string; credential: string }): Promise<SyncTestClient> {
  const client = await SyncTestClient.connect(node.url, space.spaceId, space.credential)
  cleanups.push(() => client.destroy())
  // Joined: the relay's step 1 and first ACK arrived, so the room is loaded on that node.
  await waitFor(() => expect(client.acks.length).toBeGreaterThan(0))
  return client
}

function push(client: SyncTestClient, label: string, bytes?: number): void {
  client.doc.getArray<Entry>('entries').push([testEntry(label, bytes)])
}

function labels(client: SyncTestClient): string[] {
  return client.doc
    .getArray<Entry>('entries')
    .toArray()
    .map((entry) => labelOf(entry.d))
    .sort()
}

function metric(node: RelayNode, name: string, labels: Record<string, string> = {}): number {
  return node.relay.metrics.registry.value(name, labels)
}

async function health(node: RelayNode): Promise<unknown> {
  return (await fetch(`${node.url}/healthz`)).json()
}

describe('several relay nodes with Redis fan-out', () => {
  it('a device on each node sees the other\'s edits live, both ways, and each node measures the lag', async () => {
    const { nodes: [one, two] } = await nodes(2)
    const space = await createSpace(one!)
    const a = await connect(one!, space)
    const b = await connect(two!, space)
    await waitFor(async () => expect(await health(two!)).toEqual({ status: 'ok', storage: 'sqlite', redis: 'reachable' }))

    push(a, 'from-a')
    await waitFor(() => expect(labels(b)).toEqual(['from-a']))
    push(b, 'from-b')
    await waitFor(() => expect(labels(a)).toEqual(['from-a', 'from-b']))
    expect(metric(two!, 'tournee_fanout_received_total', { kind: 'row' })).toBeGreaterThanOrEqual(1)
    expect(two!.relay.metrics.registry.histogramCount('tournee_fanout_lag_seconds')).toBeGreaterThanOrEqual(1)
    expect(one!.relay.metrics.registry.render()).toContain('tournee_fanout_lag_seconds_bucket{le="0.005"}')
    // Each device's own write is acknowledged by its node, once stored.
    await waitFor(() => expect(a.ackCovers() && b.ackCovers()).toBe(true))
  })

  it('a node holds a room only while it has sockets on it; reloaded, the room has what the other node committed meanwhile', async () => {
    const { nodes: [one, two] } = await nodes(2)
    const space = await createSpace(one!)
    const a = await connect(one!, space)
    const b = await connect(two!, space)
    push(a, 'first')
    await waitFor(() => expect(labels(b)).toEqual(['first']))
    expect(metric(two!, 'tournee_loaded_rooms')).toBe(1)

    // The last socket on node two closes: the room, its rows and its seq are dropped there.
    b.destroy()
    await waitFor(() => expect(metric(two!, 'tournee_loaded_rooms')).toBe(0))
    expect(metric(one!, 'tournee_loaded_rooms')).toBe(1)
    push(a, 'while-unloaded')
    await waitFor(() => expect(a.ackCovers()).toBe(true))

    // A device comes back to node two: the room is loaded again, from storage.
    const back = await connect(two!, space)
    await waitFor(() => expect(labels(back)).toEqual(['first', 'while-unloaded']))
    expect(metric(two!, 'tournee_loaded_rooms')).toBe(1)
    // And hears node one live again.
    push(a, 'after')
    await waitFor(() => expect(labels(back)).toEqual(['after', 'first', 'while-unloaded']))
  })

  it('a row too big to travel on Redis reaches the other node through storage', async () => {
    const { nodes: [one, two] } = await nodes(2)
    const space = await createSpace(one!)
    const a = await connect(one!, space)
    const b = await connect(two!, space)
    push(a, 'big', 100 * 1024)
    await waitFor(() => expect(labels(b)).toEqual(['big']))
    expect(metric(two!, 'tournee_fanout_received_total', { kind: 'head' })).toBe(1)
    expect(metric(two!, 'tournee_fanout_catchups_total', { reason: 'head' })).toBeGreaterThanOrEqual(1)
    expect(metric(two!, 'tournee_fanout_received_total', { kind: 'row' })).toBe(0)
  })

  it('a row whose notice was lost (its node died after the commit) reaches the other node with the next notice', async () => {
    const { nodes: [one, two], storage } = await nodes(2)
    const space = await createSpace(one!)
    const a = await connect(one!, space)
    const b = await connect(two!, space)
    push(a, 'first')
    await waitFor(() => expect(labels(b)).toEqual(['first']))
    // Committed by a node that never published it.
    const silent = new Y.Doc()
    Y.applyUpdate(silent, Y.encodeStateAsUpdate(a.doc))
    const before = Y.encodeStateVector(silent)
    silent.getArray<Entry>('entries').push([testEntry('unannounced')])
    await storage.appendUpdate(space.spaceId, TEST_ROOM_ID, Y.encodeStateAsUpdate(silent, before))
    push(a, 'next')
    await waitFor(() => expect(labels(b)).toEqual(['first', 'next', 'unannounced']))
    expect(metric(two!, 'tournee_fanout_catchups_total', { reason: 'gap' })).toBeGreaterThanOrEqual(1)
  })

  it('the newest row\'s notice lost, and no row after it: the other node reads it at its periodic check', async () => {
    // A tail gap: no later seq reveals it, Redis never went away.
    const { nodes: [one, two], storage } = await nodes(2, { fanoutCheckMs: 300 })
    const space = await createSpace(one!)
    const a = await connect(one!, space)
    const b = await connect(two!, space)
    push(a, 'first')
    await waitFor(() => expect(labels(b)).toEqual(['first']))
    const checksBefore = metric(two!, 'tournee_fanout_catchups_total', { reason: 'periodic' })
    // Committed by a node that died before publishing it; nothing is written after.
    const silent = new Y.Doc()
    Y.applyUpdate(silent, Y.encodeStateAsUpdate(a.doc))
    const before = Y.encodeStateVector(silent)
    silent.getArray<Entry>('entries').push([testEntry('last-unannounced')])
    await storage.appendUpdate(space.spaceId, TEST_ROOM_ID, Y.encodeStateAsUpdate(silent, before))
    await waitFor(() => expect(labels(b)).toEqual(['first', 'last-unannounced']))
    await waitFor(() => expect(labels(a)).toEqual(['first', 'last-unannounced']))
    expect(metric(two!, 'tournee_fanout_catchups_total', { reason: 'periodic' })).toBeGreaterThan(checksBefore)
    expect(metric(two!, 'tournee_fanout_catchups_total', { reason: 'gap' })).toBe(0)
  })

  it('Redis restarted: what was committed while it was away reaches the other node when it is back', async () => {
    // No polling within the test: only the recovery can bring the row.
    const { nodes: [one, two] } = await nodes(2, { pollWhileBusDownMs: 60_000 })
    const space = await createSpace(one!)
    const a = await connect(one!, space)
    const b = await connect(two!, space)
    push(a, 'before')
    await waitFor(() => expect(labels(b)).toEqual(['before']))

    await fixture.redis.stop()
    await waitFor(async () => expect(await health(one!)).toEqual({ status: 'ok', storage: 'sqlite', redis: 'unreachable' }))
    push(a, 'while-away')
    // Stored and acknowledged by node one: Redis is no part of a write.
    await waitFor(() => expect(a.ackCovers()).toBe(true))
    expect(labels(b)).toEqual(['before'])

    await fixture.redis.start()
    await waitFor(() => expect(labels(b)).toEqual(['before', 'while-away']))
    expect(metric(two!, 'tournee_fanout_catchups_total', { reason: 'recovered' })).toBeGreaterThanOrEqual(1)
    await waitFor(async () => expect(await health(two!)).toEqual({ status: 'ok', storage: 'sqlite', redis: 'reachable' }))
    // Live again.
    push(b, 'after')
    await waitFor(() => expect(labels(a)).toEqual(['after', 'before', 'while-away']))
  })

  it('Redis down: devices on different nodes still see each other\'s edits, from storage, seconds late', async () => {
    const { nodes: [one, two] } = await nodes(2, { pollWhileBusDownMs: 100 })
    const space = await createSpace(one!)
    const a = await connect(one!, space)
    const b = await connect(two!, space)
    await fixture.redis.stop()
    await waitFor(async () => expect(await health(two!)).toEqual({ status: 'ok', storage: 'sqlite', redis: 'unreachable' }))
    push(a, 'no-redis')
    await waitFor(() => expect(labels(b)).toEqual(['no-redis']))
    expect(metric(two!, 'tournee_fanout_catchups_total', { reason: 'bus_down' })).toBeGreaterThanOrEqual(1)
  })
})

describe('practices on several relay nodes', () => {
  const opened: OpenPractice[] = []
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.space.destroy().catch(() => undefined)
  })

  async function track(opening: Promise<OpenPractice | null>): Promise<OpenPractice> {
    const practice = await opening
    if (!practice) throw new Error('No practice on this device')
    opened.push(practice)
    return practice
  }

  /** A practice created by a device on node `one`, and a second praticien device paired to it on node `two`. */
  async function practiceOnTwoNodes(one: RelayNode, two: RelayNode): Promise<{ a: OpenPractice; envA: DeviceEnvironment; b: OpenPractice; envB: DeviceEnvironment }> {
    const envA: DeviceEnvironment = deviceOnNode('tablette', one, one)
    const a = await track(
      createPractice({ relayUrl: FRONT_URL, practiceName: 'Cabinet des Aulnes', practitioner: { displayName: 'Nadège', profession: 'infirmier' } }, envA),
    )
    // B's pairing is opened and polled on node two, claimed and sealed by A on node one.
    const envB = deviceOnNode('telephone', two, two)
    const pairing = await JoiningPairing.open(FRONT_URL, envB)
    const joined = pairing.wait({ pollMs: 20 })
    await (await claimPairing(a.record.spaceId, pairing.code, envA)).accept({ role: DeviceRole.Practitioner, admin: false })
    return { a, envA, b: await track(joined), envB }
  }

  it('a device paired across two nodes joins; a patient added on a device of one node shows on a device of the other; a revocation through one node closes the device on the other', async () => {
    const { nodes: [one, two] } = await nodes(2)
    const { a, envA, b } = await practiceOnTwoNodes(one!, two!)

    addPatient(await a.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Quéméner', firstNames: 'Loïc' }, actorOf(a), testClock)
    await waitFor(async () => expect(listPatients(await b.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName)).toEqual(['Quéméner']))
    addPatient(await b.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Le Goff', firstNames: 'Maïwenn' }, actorOf(b), testClock)
    await waitFor(async () => expect(listPatients(await a.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName).sort()).toEqual(['Le Goff', 'Quéméner']))
    expect(metric(two!, 'tournee_open_connections')).toBeGreaterThan(0)
    expect(metric(one!, 'tournee_fanout_received_total', { kind: 'row' })).toBeGreaterThan(0)

    await waitFor(() => expect(b.space.getSyncState().status).toBe('online'))
    // Recorded through node one (A's); B's sockets are on node two.
    await revokePracticeDevice(a.record.spaceId, b.record.deviceId, envA)
    await waitFor(() => expect(b.space.getSyncState()).toMatchObject({ status: 'refused', refusal: RefusalReason.Revoked }))
  })

  it('a node whose space-events subscription died with a Redis restart subscribes again: a revocation through the other node closes the device\'s socket there', async () => {
    // Both nodes reach Redis through a proxy that withholds their SUBSCRIBE to the events'
    // channel: it is in flight, unanswered, when Redis is restarted, and node-redis rejects it
    // (« Socket closed unexpectedly ») and makes again only the subscriptions Redis confirmed.
    const proxy = await startWithholdingProxy(fixture.redis.port)
    cleanups.push(() => proxy.close())
    proxy.withhold('tournee:space-events')
    const refused: string[] = []
    const logger: Logger = { ...silentLogger, warn: (event) => void (event === 'redis_subscribe_failed' && refused.push(event)) }
    const started = await startRelayNodes(2, proxy.url, { logger })
    cleanups.push(() => started.dispose())
    const [one, two] = started.nodes
    await proxy.withheld(2)
    proxy.withhold(null)
    await fixture.redis.restart()
    await waitFor(() => expect(refused).toHaveLength(2))

    // Back: each node made its subscription again (Redis counts the subscribers of the channel).
    const watcher = createClient({ url: fixture.redis.url })
    await watcher.connect()
    cleanups.push(() => watcher.close())
    await waitFor(async () => expect(await watcher.pubSubNumSub('tournee:space-events')).toEqual({ 'tournee:space-events': 2 }))

    const { a, envA, b, envB } = await practiceOnTwoNodes(one!, two!)
    const spaceId = a.record.spaceId
    // A socket of B's on node two, with B's credential: only the relay can close it.
    const credential = (await new DeviceRegistry(envB.idbPrefix).get(spaceId))!.credential
    const rootSecret = (await new DeviceRegistry(envA.idbPrefix).rootSecret(spaceId))!
    const mainRoomId = await blindRoomName(await derivePracticeKeys(spaceId, await deriveTierSecrets(spaceId, rootSecret)), MAIN_ROOM)
    const socket = await SyncTestClient.connect(two!.url, spaceId, credential, { roomId: mainRoomId })
    cleanups.push(() => socket.destroy())
    await waitFor(() => expect(socket.acks.length).toBeGreaterThan(0))

    // Recorded through node one, where B has no socket: node two hears it on the events' channel.
    await revokePracticeDevice(spaceId, b.record.deviceId, envA)
    await waitFor(() => expect(socket.closed).toEqual({ code: CloseCode.DeviceRevoked.code, reason: CloseCode.DeviceRevoked.reason }), { timeoutMs: 1000 })
  })

  it('a praticien\'s device made secretary through one node: its clinical socket on the other node closes with 4403 within a second', async () => {
    const { nodes: [one, two] } = await nodes(2)
    const { a, envA, b, envB } = await practiceOnTwoNodes(one!, two!)
    const spaceId = a.record.spaceId
    const patientId = addPatient(await a.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Le Bihan', firstNames: 'Gwenola' }, actorOf(a), testClock)
    await a.space.whenAcknowledged()

    // B's sockets on node two, made with its own credential: a clinical room (the patient's file)
    // and the practice's main room, which a secretary keeps.
    const rootSecret = (await new DeviceRegistry(envA.idbPrefix).rootSecret(spaceId))!
    const full = await derivePracticeKeys(spaceId, await deriveTierSecrets(spaceId, rootSecret))
    const fileRoom = await roomOf(patientDocId(patientId))
    const fileRoomId = await blindRoomName(keysOfRoom(full, fileRoom), fileRoom)
    const mainRoomId = await blindRoomName(full, MAIN_ROOM)
    const credential = (await new DeviceRegistry(envB.idbPrefix).get(spaceId))!.credential
    const openOnTwo = async (roomId: string): Promise<SyncTestClient> => {
      const client = await SyncTestClient.connect(two!.url, spaceId, credential, { roomId })
      cleanups.push(() => client.destroy())
      await waitFor(() => expect(client.acks.length).toBeGreaterThan(0))
      return client
    }
    const file = await openOnTwo(fileRoomId)
    const main = await openOnTwo(mainRoomId)
    // Node two heard of every registry entry so far (the pairing): nothing stale is left to refresh.
    await b.space.whenAcknowledged()

    // Recorded through node one, where B has no socket.
    await changePracticeDevice(spaceId, b.record.deviceId, { role: DeviceRole.Secretariat, until: null }, envA)
    // At once, not at B's next admission (B does not reconnect meanwhile: its sockets are open).
    await waitFor(() => expect(file.closed).toEqual({ code: CloseCode.RoleForbidden.code, reason: CloseCode.RoleForbidden.reason }), { timeoutMs: 1000 })
    expect(main.closed).toBeNull()
  })
})
