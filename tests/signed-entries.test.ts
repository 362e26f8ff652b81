/**
 * Issue 19, against a real relay process: the attacks of issue 18 that a credential holder without
 * any device key used to play (the relay took its well-shaped junk) are refused by the relay itself
 * now that every entry is signed by its device at its position (shared/src/envelope/entry-signature.ts,
 * relay/src/rooms/entry-signatures.ts). One test per attack; each checks that the frame is closed
 * with 4400 and its named reason, that nothing of it is stored (the space's rows in relay.db) or
 * forwarded (a watcher on the room never receives it), and that the honest devices carry on.
 *
 * The attacker holds what a proxy log or a lost pairing code would give: the space id, a device's
 * credential (Alice's, from her pairing payload) and the room ids in the socket paths. What it
 * lacks is a registered device's signing key. With one (a stolen or rogue device), the relay takes
 * its junk: the device-side defenses prove themselves against that attacker in
 * delivered-means-stored, wipe-guard, hostile-relay and relay-envelope-shape.
 */
import 'fake-indexeddb/auto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createPractice, type OpenPractice } from '../client/src/sync/device/device'
import { randomId } from '../shared/src/crypto/base64url'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import { entrySignedBytes, entrySigner } from '../shared/src/envelope/entry-signature'
import type { EnvelopeEntry } from '../shared/src/envelope/envelope'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { CloseCode } from '../shared/src/protocol/constants'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { MAIN_ROOM } from '../shared/src/space/rooms'
import { SQLITE_FILE_NAME } from '../relay/src/storage/sqlite-storage'
import { SyncTestClient } from '../relay/src/test-support/sync-test-client'
import { testEntry } from '../relay/src/test-support/test-entries'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { waitFor } from './helpers/wait-for'

const actor = { memberId: 'm', deviceId: 'alice' }
const KIB = 1024

interface Scene {
  relay: RelayProcess
  alice: OpenPractice
  bob: OpenPractice
  spaceId: string
  /** Alice's credential, as her pairing payload holds it: all the attacker has. */
  credential: string
  mainRoomId: string
}

let s: Scene

beforeAll(async () => {
  const relay = await startRelayProcess()
  const aliceEnv = { ...nodeDeviceEnvironment('alice'), practice: { background: false } }
  const alice = await createPractice(
    { relayUrl: relay.url, practiceName: 'Cabinet Signé', practitioner: { displayName: 'Alice', profession: 'kine' } },
    aliceEnv,
  )
  addPatient(await alice.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Avant', firstNames: 'Test' }, actor, Date.now)
  await alice.space.flush()
  await waitFor(() => expect(alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
  const ticket = await pairingTicket(alice.record.spaceId, aliceEnv)
  const bob = await joinWith(ticket, { ...nodeDeviceEnvironment('bob'), practice: { background: false } })
  await waitFor(async () => expect(await patientsOf(bob)).toEqual(['Avant']))
  const info = decodePairingCode(ticket.code)
  const mainRoomId = await blindRoomName(await derivePracticeKeys(info.spaceId, info.tiers), MAIN_ROOM)
  s = { relay, alice, bob, spaceId: info.spaceId, credential: info.credential, mainRoomId }
})

afterAll(async () => {
  await s?.bob.space.destroy()
  await s?.alice.space.destroy()
  await s?.relay.dispose()
})

async function patientsOf(practice: OpenPractice): Promise<string[]> {
  return listPatients(await practice.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName).sort()
}

/** What the relay stores for the space: its rows and their bytes, read from relay.db. */
function stored(): { rows: number; bytes: number } {
  const db = new Database(join(s.relay.dataDir, SQLITE_FILE_NAME), { readonly: true })
  try {
    return db.prepare('SELECT COUNT(*) AS rows, COALESCE(SUM(length(data)), 0) AS bytes FROM updates WHERE space_id = ?').get(s.spaceId) as { rows: number; bytes: number }
  } finally {
    db.close()
  }
}

/** A socket on a room with Alice's credential, synced: its doc holds the room's ciphertext as the relay sent it. */
async function connected(roomId = s.mainRoomId): Promise<SyncTestClient> {
  const client = await SyncTestClient.connect(s.relay.url, s.spaceId, s.credential, { roomId })
  // The relay's step 2 (what the room holds) and the ACK of the client's empty one.
  await waitFor(() => expect(client.acks.length).toBeGreaterThanOrEqual(2))
  return client
}

/**
 * Plays one attack on `roomId` (`write` changes the attacker's synced doc; its update goes up as
 * one frame) while a watcher sits on the same room. Resolves with how the attacker's socket was
 * closed, once an honest change of Alice's, written after the refusal, has reached the watcher:
 * whatever the relay forwarded of the attack would have reached it before.
 */
async function attack(write: (doc: Y.Doc) => void | Promise<void>, roomId = s.mainRoomId): Promise<{ closed: Refusal; watcher: SyncTestClient }> {
  const watcher = await connected(roomId)
  const attacker = await connected(roomId)
  const from = s.relay.logs.length
  await write(attacker.doc)
  const closed = await refusal(attacker, from)
  attacker.destroy()
  if (roomId === s.mainRoomId) {
    const before = watcher.doc.getArray('entries').length
    addPatient(await s.alice.space.openDoc(DIRECTORY_DOC_ID), { birthName: `Témoin-${randomId(4)}`, firstNames: 'Test' }, actor, Date.now)
    await s.alice.space.flush()
    await waitFor(() => expect(watcher.doc.getArray('entries').length).toBeGreaterThan(before))
  }
  watcher.destroy()
  return { closed, watcher }
}

/** The relay's copy of main as a socket opened now is served it. */
async function freshCopy(): Promise<Y.Doc> {
  const reader = await connected()
  reader.destroy()
  return reader.doc
}

/** Whether the relay's copy of main holds an entry with these ciphertext bytes. */
async function relayHolds(c: Uint8Array): Promise<boolean> {
  return holds(await freshCopy(), c)
}

function entriesPerDoc(doc: Y.Doc): Map<string, number> {
  const perDoc = new Map<string, number>()
  for (const entry of doc.getArray<EnvelopeEntry>('entries').toArray()) perDoc.set(entry.d, (perDoc.get(entry.d) ?? 0) + 1)
  return perDoc
}

/** Whether `doc` holds an entry with these ciphertext bytes. */
function holds(doc: Y.Doc, c: Uint8Array): boolean {
  return doc.getArray<EnvelopeEntry>('entries').toArray().some((entry) => Buffer.from(entry.c).equals(Buffer.from(c)))
}

/**
 * How a socket was refused: its close code, and the named reason the relay logged for it (the
 * close frame itself carries the code's generic text: the reason is for the operator).
 */
interface Refusal {
  code: number
  reason: string | null
}

function refusedWith(reason: string): Refusal {
  return { code: CloseCode.BadFrame.code, reason }
}

/** Waits for `client` to be closed and for the relay's log line of it (logged after `from`). */
async function refusal(client: SyncTestClient, from: number): Promise<Refusal> {
  await waitFor(() => expect(client.closed).not.toBeNull())
  const logged = () =>
    s.relay.logs
      .slice(from)
      .join('')
      .split('\n')
      .filter((line) => line.includes('"frame_rejected"'))
      .map((line) => (JSON.parse(line) as { reason?: string }).reason ?? null)
  await waitFor(() => expect(logged()).toHaveLength(1))
  return { code: client.closed!.code, reason: logged()[0]! }
}

describe('a credential holder without a device key, against a relay that checks signatures', () => {
  it('junk at an offline device\'s next clock (attack 2) is refused as unsigned_entry: the device\'s change lands at its own clock, nothing resent', async () => {
    const aliceMain = s.alice.space.inspect.mainEnvelope.doc
    s.alice.space.disconnect()
    await waitFor(() => expect(s.alice.space.getSyncState().status).toBe('offline'))
    addPatient(await s.alice.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Hors-ligne', firstNames: 'Test' }, actor, Date.now)
    await s.alice.space.flush()
    expect(s.alice.space.getSyncState().pendingChanges).toBe(1)
    const aliceClient = aliceMain.clientID
    const resentBefore = s.alice.space.getSyncState().resentEntries

    const before = stored()
    const junk = testEntry('junk-clock')
    const watcher = await connected()
    const attacker = await connected()
    expect(Y.getState(attacker.doc.store, aliceClient)).toBe(Y.getState(aliceMain.store, aliceClient) - 1)
    attacker.doc.clientID = aliceClient
    const from = s.relay.logs.length
    attacker.doc.getArray('entries').push([junk])
    expect(await refusal(attacker, from)).toEqual(refusedWith('unsigned_entry'))
    attacker.destroy()
    expect(stored()).toEqual(before)

    // Alice comes back: her clock was not taken, so her entry is stored where she wrote it.
    s.alice.space.connect()
    await waitFor(() => expect(s.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    expect(s.alice.space.getSyncState().resentEntries).toBe(resentBefore)
    expect(aliceMain.clientID).toBe(aliceClient)
    await waitFor(() => expect(Y.getState(watcher.doc.store, aliceClient)).toBe(Y.getState(aliceMain.store, aliceClient)))
    expect(holds(watcher.doc, junk.c)).toBe(false)
    watcher.destroy()
    expect(await relayHolds(junk.c)).toBe(false)
    await waitFor(async () => expect(await patientsOf(s.bob)).toContain('Hors-ligne'))
  })

  it('an entry signed by a device the registry never added is refused as unknown_signer', async () => {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const stranger = entrySigner(randomId(9), pair.privateKey)
    const junk = testEntry('junk-stranger')
    const { closed, watcher } = await attack(async (doc) => {
      const at = { client: doc.clientID, clock: Y.getState(doc.store, doc.clientID) }
      const s2 = await stranger.sign(entrySignedBytes(s.spaceId, s.mainRoomId, at, junk.d, junk.c))
      doc.getArray('entries').push([{ ...junk, w: stranger.deviceId, s: s2 }])
    })
    expect(closed).toEqual(refusedWith('unknown_signer'))
    expect(holds(watcher.doc, junk.c)).toBe(false)
    expect(await relayHolds(junk.c)).toBe(false)
  })

  it('a device\'s entry copied, with its signature, to another position of the room is refused as bad_signature', async () => {
    const { closed, watcher, copied } = await copyAttack(s.mainRoomId)
    expect(closed).toEqual(refusedWith('bad_signature'))
    // The watcher and the relay hold the original, once, at its own position; never the copy.
    for (const doc of [watcher.doc, await freshCopy()]) {
      expect(doc.getArray<EnvelopeEntry>('entries').toArray().filter((e) => Buffer.from(e.c).equals(Buffer.from(copied.c)))).toHaveLength(1)
    }
  })

  it('a device\'s entry copied, with its signature, into another room is refused as bad_signature, and nothing is stored there', async () => {
    const before = stored()
    const roomId = randomId(16)
    const { closed, watcher, copied } = await copyAttack(roomId)
    expect(closed).toEqual(refusedWith('bad_signature'))
    expect(holds(watcher.doc, copied.c)).toBe(false)
    expect(stored()).toEqual(before)
  })

  it('a forged compaction (attack 1: a fresh unsigned entry of a doc and the deletion of its others) is refused as unsigned_entry: nothing deleted, no device restores anything', async () => {
    const restoredBefore = [s.alice, s.bob].map((d) => d.space.getSyncState().restoredEntries)
    const forged = { d: '', c: testEntry('forged', 300).c, deleted: 0 }
    const { closed, watcher } = await attack((doc) => {
      const entries = doc.getArray<EnvelopeEntry>('entries')
      const [target, count] = [...entriesPerDoc(doc)].sort((x, y) => y[1] - x[1])[0]!
      Object.assign(forged, { d: target, deleted: count })
      doc.transact(() => {
        entries.push([{ d: target, c: forged.c }])
        for (let i = entries.length - 2; i >= 0; i--) if (entries.get(i).d === target) entries.delete(i, 1)
      })
    })
    expect(forged.deleted).toBeGreaterThan(1)
    expect(closed).toEqual(refusedWith('unsigned_entry'))
    // Nothing forwarded, nothing stored: the watcher and a fresh reader of the relay hold every entry of that doc.
    for (const doc of [watcher.doc, await freshCopy()]) {
      expect(entriesPerDoc(doc).get(forged.d)).toBeGreaterThanOrEqual(forged.deleted)
      expect(holds(doc, forged.c)).toBe(false)
    }
    // No device saw a deletion to refuse.
    expect([s.alice, s.bob].map((d) => d.space.getSyncState().restoredEntries)).toEqual(restoredBefore)
  })

  it('filling the space (attack 5) is refused at its first entry as unsigned_entry: nothing stored', async () => {
    const before = stored()
    const roomId = randomId(16)
    const junk = testEntry('junk-fill', new Uint8Array(200 * KIB).fill(7))
    const { closed } = await attack((doc) => void doc.getArray('entries').push([junk]), roomId)
    expect(closed).toEqual(refusedWith('unsigned_entry'))
    expect(stored()).toEqual(before)
  })

  it('counts each refusal by its reason on /metrics, and the practice carries on: Bob sees every patient Alice wrote', async () => {
    const metrics = await (await fetch(`${s.relay.url}/metrics`)).text()
    for (const reason of ['unsigned_entry', 'unknown_signer', 'bad_signature']) {
      expect(metrics).toMatch(new RegExp(`^tournee_frames_rejected_total\\{reason="${reason}"\\} [1-9]`, 'm'))
    }
    await waitFor(async () => expect(await patientsOf(s.bob)).toEqual(await patientsOf(s.alice)))
    expect(s.bob.space.getSyncState().undecryptableEntries).toBe(0)
    expect(s.alice.space.getSyncState().undecryptableEntries).toBe(0)
  })
})

/** Copies the last signed entry of main, `w` and `s` as they are, to the attacker's own next position in `roomId`. */
async function copyAttack(roomId: string): Promise<{ closed: Refusal; watcher: SyncTestClient; copied: EnvelopeEntry }> {
  const reader = await connected()
  const signed = reader.doc.getArray<EnvelopeEntry>('entries').toArray().filter((e) => typeof e.w === 'string' && e.s instanceof Uint8Array)
  reader.destroy()
  expect(signed.length).toBeGreaterThan(0)
  const copied = signed[signed.length - 1]!
  const { closed, watcher } = await attack((doc) => void doc.getArray('entries').push([{ d: copied.d, c: new Uint8Array(copied.c), w: copied.w, s: new Uint8Array(copied.s!) }]), roomId)
  return { closed, watcher, copied }
}
