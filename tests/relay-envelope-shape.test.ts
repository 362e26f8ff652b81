/**
 * A credential holder without the keys, against a real relay process, while real devices keep a
 * practice on it: each attack of issue 18 that used to be stored (a wipe, a device's next clock
 * taken by a GC struct, junk that decodes as Yjs) is refused with its close code, nothing of it is
 * stored (the bytes of the space, as its quota counts them, do not change), and a fresh device joining
 * afterwards sees the whole practice. These are the relay's checks of an update's *shape*; a
 * well-shaped entry the credential holder did not sign is refused too (tests/signed-entries.test.ts).
 *
 * The attacker knows what a proxy log or the relay's disk would tell: the space id, the credential
 * and the room ids in the socket paths. (The test computes the main room's id with the keys, as a
 * device does; the attacker's socket uses only the credential.)
 *
 * Filling the space (issue 18, attack 5) is played by a registered device in the wrong hands
 * (helpers/stolen-device.ts): its signed junk passes every check of shape and signature, so the
 * space quota is what stops it.
 */
import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createPractice, type OpenPractice } from '../client/src/sync/device/device'
import { Practice } from '../client/src/sync/practice/practice'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import { randomId } from '../shared/src/crypto/base64url'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { CloseCode, MessageType } from '../shared/src/protocol/constants'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { MAIN_ROOM } from '../shared/src/space/rooms'
import { SyncTestClient } from '../relay/src/test-support/sync-test-client'
import { testEntry } from '../relay/src/test-support/test-entries'
import { encodeUpdate } from '../relay/src/rooms/yjs-structs'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'
import { stolenDevice } from './helpers/stolen-device'

const PATIENTS = ['Zorgbrecht', 'Quillemaine', 'Vaudrecourt']
const KIB = 1024
/** The second relay's quota: a small practice fits, an attacker's heavy entries do not. */
const QUOTA = 1024 * KIB

interface Target {
  relay: RelayProcess
  alice: OpenPractice
  pairing?: PairingTicket
  spaceId: string
  credential: string
  mainRoomId: string
}

const targets: Target[] = []
afterAll(async () => {
  for (const { alice, relay } of targets.splice(0)) {
    await alice.space.destroy()
    await relay.dispose()
  }
})

/** A relay process with a practice of three patients on it, every change acknowledged. */
async function practiceOn(env: Record<string, string> = {}): Promise<Target> {
  const relay = await startRelayProcess({ env })
  const aliceEnv = nodeDeviceEnvironment('alice')
  const alice = await createPractice(
    { relayUrl: relay.url, practiceName: 'Cabinet Forme', practitioner: { displayName: 'Alice', profession: 'kine' } },
    aliceEnv,
  )
  const target: Target = { relay, alice, spaceId: '', credential: '', mainRoomId: '' }
  targets.push(target)
  const directory = await alice.space.openDoc(DIRECTORY_DOC_ID)
  for (const name of PATIENTS) addPatient(directory, { birthName: name, firstNames: 'Test' }, { memberId: 'm', deviceId: 'alice' }, Date.now)
  await alice.space.flush()
  await waitFor(() => expect(alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
  target.pairing = await pairingTicket(alice.record.spaceId, aliceEnv)
  const info = decodePairingCode(target.pairing!.code)
  target.spaceId = info.spaceId
  target.credential = info.credential
  target.mainRoomId = await blindRoomName(await derivePracticeKeys(info.spaceId, info.tiers), MAIN_ROOM)
  return target
}

/**
 * What the relay stores for the space: the bytes of its rows, every room's, read from its storage
 * (SQLite or PostgreSQL, a second storage on the relay's own), as its quota counts them.
 */
async function stored(target: Target): Promise<{ bytes: number }> {
  const storage = await target.relay.openStorage()
  try {
    const usage = await storage.spaceUsage(target.spaceId)
    if (usage === null) throw new Error(`The relay holds no space ${target.spaceId}`)
    return { bytes: usage.envelopeBytes }
  } finally {
    await storage.close()
  }
}

/** The attacker's socket on a room, synced: its doc holds the room's ciphertext, as the relay sent it. */
async function attacker(target: Target, roomId = target.mainRoomId): Promise<SyncTestClient> {
  const client = await SyncTestClient.connect(target.relay.url, target.spaceId, target.credential, { roomId })
  await waitFor(() => expect(client.acks.length).toBeGreaterThanOrEqual(2))
  return client
}

function updateFrame(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Sync)
  encoding.writeVarUint(encoder, 2)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

/** Sends one attack; resolves with the close code once the relay has closed the socket. */
async function attack(target: Target, craft: (seen: Y.Doc) => Uint8Array, roomId?: string): Promise<number> {
  const client = await attacker(target, roomId)
  client.send(updateFrame(craft(client.doc)))
  await waitFor(() => expect(client.closed).not.toBeNull())
  client.destroy()
  return client.closed!.code
}

/** A fresh device joins with the pairing code and lists the patients. */
async function freshDeviceSees(target: Target): Promise<string[]> {
  const bob = await joinWith(target.pairing!, nodeDeviceEnvironment('bob'))
  try {
    const directory = await bob.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(listPatients(directory).items.length).toBe(PATIENTS.length))
    return listPatients(directory).items.map((p) => p.birthName).sort()
  } finally {
    await bob.space.destroy()
  }
}

describe('a credential holder without keys, against a real relay', () => {
  let target: Target
  beforeAll(async () => {
    target = await practiceOn()
  })

  const struct = (client: number, clock: number, length: number): Y.GC => new Y.GC(Y.createID(client, clock), length)
  const alone = (s: Y.GC | Y.Item) => encodeUpdate([{ client: s.id.client, structs: [s], offset: 0 }], new Map())

  it.each([
    ['a wipe: a delete set over everything the room holds', (seen: Y.Doc) => {
      const ranges = [...Y.decodeStateVector(Y.encodeStateVector(seen))].map(([client, clock]) => [client, [{ clock: 0, len: clock }]] as const)
      return encodeUpdate([], new Map(ranges))
    }],
    ['a GC struct at the next clock of the practice\'s device', (seen: Y.Doc) => {
      const [[client, clock]] = [...Y.decodeStateVector(Y.encodeStateVector(seen))] as [[number, number]]
      return alone(struct(client, clock, 1000))
    }],
    ['a GC struct of length 2^52', () => alone(struct(4242, 0, 2 ** 52))],
    ['a delete set of 200,000 ranges', () => encodeUpdate([], new Map([[4242, Array.from({ length: 200_000 }, (_, i) => ({ clock: 2 * i, len: 1 }))]]))],
    ['3,000 nested maps', () => {
      const doc = new Y.Doc()
      let map = doc.getMap<unknown>('m')
      for (let i = 0; i < 3000; i++) map = map.set('k', new Y.Map<unknown>())
      return Y.encodeStateAsUpdate(doc)
    }],
    ['an entry under a map key', () => {
      const doc = new Y.Doc()
      doc.getMap('entries').set('k', testEntry('doc'))
      return Y.encodeStateAsUpdate(doc)
    }],
    ['an entry whose ciphertext is shorter than an IV and a tag', () => {
      const doc = new Y.Doc()
      doc.getArray('entries').push([testEntry('doc', new Uint8Array(12))])
      return Y.encodeStateAsUpdate(doc)
    }],
    ['deletions of entries that do not exist', (seen: Y.Doc) => {
      const [[client, clock]] = [...Y.decodeStateVector(Y.encodeStateVector(seen))] as [[number, number]]
      return encodeUpdate([], new Map([[client, [{ clock, len: 50 }]]]))
    }],
  ])('refuses %s with 4400 and stores nothing', async (_label, craft) => {
    const before = await stored(target)
    expect(await attack(target, craft)).toBe(CloseCode.BadFrame.code)
    expect(await stored(target)).toEqual(before)
    expect(target.alice.space.getSyncState().status).toBe('online')
  })

  it('counts each refusal by its reason on /metrics', async () => {
    const metrics = await (await fetch(`${target.relay.url}/metrics`)).text()
    for (const reason of ['uncovered_deletion', 'not_an_item', 'dangling_reference', 'outside_entries', 'not_an_entry']) {
      expect(metrics).toMatch(new RegExp(`^tournee_frames_rejected_total\\{reason="${reason}"\\} [1-9]`, 'm'))
    }
  })

  it('leaves the practice whole: a fresh device sees every patient, and the first device still syncs', async () => {
    expect(await freshDeviceSees(target)).toEqual([...PATIENTS].sort())
    const directory = await target.alice.space.openDoc(DIRECTORY_DOC_ID)
    addPatient(directory, { birthName: 'Après', firstNames: 'Attaques' }, { memberId: 'm', deviceId: 'alice' }, Date.now)
    await target.alice.space.flush()
    await waitFor(() => expect(target.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
  })
})

describe('a stolen registered device filling the space, against a relay with a small quota', () => {
  it('is closed with 4507 once the space is full, the quota holds, and the practice stays readable', async () => {
    const target = await practiceOn({
      TOURNEE_MAX_SPACE_ENVELOPE_BYTES: String(QUOTA),
      TOURNEE_MAX_UPDATE_BYTES: String(256 * KIB),
    })
    // Well-formed entries, 200 KiB each, signed by the device at their position, into a room of
    // its own (any blinded id is a room).
    const thief = await stolenDevice(target.pairing!)
    const roomId = randomId(16)
    const client = await SyncTestClient.connect(target.relay.url, thief.spaceId, thief.credential, { roomId })
    await waitFor(() => expect(client.acks.length).toBeGreaterThanOrEqual(1))
    let accepted = 0
    for (let i = 0; i < 8 && client.closed === null; i++) {
      await thief.pushSigned(client.doc, roomId, [testEntry('junk', new Uint8Array(200 * KIB).fill(i))])
      await waitFor(() => expect(client.ackCovers() || client.closed !== null).toBe(true))
      if (client.closed === null) accepted++
    }
    // The first entries were taken (signed by a registered device): the quota, not the signature, stops the rest.
    expect(accepted).toBeGreaterThan(0)
    await waitFor(() => expect(client.closed?.code).toBe(CloseCode.SpaceFull.code))
    client.destroy()
    expect((await stored(target)).bytes).toBeLessThanOrEqual(QUOTA)
    // What the practice had is intact: a device opening it reads every patient (reading writes nothing).
    const info = decodePairingCode(target.pairing!.code)
    const reader = await Practice.open({
      spaceId: info.spaceId,
      relayUrl: info.relayUrl,
      credential: info.credential,
      keys: await derivePracticeKeys(info.spaceId, info.tiers),
      idbName: `reader-${randomId()}`,
      rooms: { WebSocketImpl: nodeDeviceEnvironment('reader').WebSocketImpl!, reconnect: { baseDelayMs: 20, maxDelayMs: 40 } },
      background: false,
    })
    try {
      const directory = await reader.openDoc(DIRECTORY_DOC_ID)
      await waitFor(() => expect(listPatients(directory).items.map((p) => p.birthName).sort()).toEqual([...PATIENTS].sort()))
    } finally {
      await reader.destroy()
    }
  })
})
