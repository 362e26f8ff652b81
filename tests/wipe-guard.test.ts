/**
 * Issue 18, attack 1 (« Wipe »), against the devices: the relay's disk is edited by its operator
 * (or whoever holds it) so that every room of a practice holds a deletion of every entry, folded
 * into one snapshot (the ciphertext gone from the relay for good). The relay's checks of what
 * sockets send do not apply to its own disk, so the devices are the last line:
 *   - each device that receives the wipe refuses it (no snapshot it can read covers the deletion),
 *     writes the entries back and shows the alarm line;
 *   - reloaded offline, each device still shows all its data;
 *   - the relay holds the entries again, and a fresh device sees the whole practice.
 * The same for a forged compaction sent over a socket by a registered device in the wrong hands:
 * it signs its entry, so the relay takes the frame (a credential holder without a device key is
 * refused by the relay itself now: tests/signed-entries.test.ts), and the devices refuse the deletion.
 * Devices are real (their own fake IndexedDB and sockets), the relay runs in this process.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { createTranslator } from '../client/src/i18n'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import { DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { addNote, getNoteText } from '../shared/src/model/patient-file'
import { addPatient } from '../shared/src/model/patients'
import { randomBytes } from '../shared/src/crypto/base64url'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import type { EnvelopeEntry } from '../shared/src/envelope/envelope'
import { AUTH_SUBPROTOCOL_PREFIX, MessageType, SUBPROTOCOL } from '../shared/src/protocol/constants'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { MAIN_ROOM } from '../shared/src/space/rooms'
import { storedLiveEntries, storedRoomIds, wipeStoredSpace } from './helpers/hostile-storage'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import type { InMemoryRelay } from './helpers/in-memory-relay'
import { actorOf } from './helpers/relay-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { shown, wholePractice, writeTestPractice } from './helpers/practice-shown'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'
import { stolenDevice, type StolenDevice } from './helpers/stolen-device'

const fixture = useInMemoryRelay()
const track = fixture.track
const fr = createTranslator('fr', 'Europe/Paris')

const NAMES = ['Quenouille', 'Vaucanson', 'Éparvier', 'Margelle', 'Tiercelin'] as const

function device(name: string): DeviceEnvironment {
  return fixture.device(name, { practice: { background: false } })
}


const EVERYTHING = wholePractice(NAMES)

/** A practice of five patients, two appointments and a note on device A, joined and synced by device B. */
async function practiceOnTwoDevices(): Promise<{ a: OpenPractice; b: OpenPractice; envA: DeviceEnvironment; envB: DeviceEnvironment; code: PairingTicket; patientId: string; noteId: string }> {
  const envA = device('secrétariat')
  const a = await track(
    createPractice(
      { relayUrl: fixture.relay.url, practiceName: 'Cabinet de la Herse', practitioner: { displayName: 'Roseline Vautrin', profession: 'kine' } },
      envA,
    ),
  )
  const { patientId, noteId } = await writeTestPractice(a, NAMES)

  const code = await pairingTicket(a.record.spaceId, envA)
  const envB = device('tablette')
  const b = await track(joinWith(code, envB))
  await waitFor(async () => expect(await shown(b, patientId, noteId)).toEqual(EVERYTHING))
  await b.space.whenAcknowledged()
  return { a, b, envA, envB, code, patientId, noteId }
}

/**
 * A registered device in the wrong hands (helpers/stolen-device.ts), on one room's socket: it holds
 * a signing key but not the practice's data keys (or does not use them). It syncs the room's
 * ciphertext, then sends the one deletion the relay's checks let through, a compaction's shape — a
 * new entry of a doc (random bytes under the doc's blinded id, seen on the wire, signed by the
 * device at its position) and the deletion of that doc's other entries. The doc chosen is the one
 * with the most entries (the directory, in main).
 */
async function forgeCompaction(relay: InMemoryRelay, thief: StolenDevice, roomId: string): Promise<number> {
  const doc = new Y.Doc({ gc: true })
  const socket = new relay.WebSocketImpl(`${relay.url.replace(/^http/, 'ws')}/v1/sync/${thief.spaceId}/${roomId}`, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + thief.credential])
  socket.binaryType = 'arraybuffer'
  let synced = false
  socket.onmessage = (event: MessageEvent<ArrayBuffer>) => {
    const decoder = decoding.createDecoder(new Uint8Array(event.data))
    if (decoding.readVarUint(decoder) !== MessageType.Sync) return // ACKs, keep-alives
    const reply = encoding.createEncoder()
    encoding.writeVarUint(reply, MessageType.Sync)
    if (syncProtocol.readSyncMessage(decoder, reply, doc, 'relay') === syncProtocol.messageYjsSyncStep2) synced = true
    if (encoding.length(reply) > 1) socket.send(encoding.toUint8Array(reply))
  }
  await new Promise<void>((resolve) => (socket.onopen = () => resolve()))
  const hello = encoding.createEncoder()
  encoding.writeVarUint(hello, MessageType.Sync)
  syncProtocol.writeSyncStep1(hello, doc)
  socket.send(encoding.toUint8Array(hello))
  await waitFor(() => expect(synced).toBe(true))

  const entries = doc.getArray<EnvelopeEntry>('entries')
  const perDoc = new Map<string, number>()
  for (const entry of entries.toArray()) perDoc.set(entry.d, (perDoc.get(entry.d) ?? 0) + 1)
  const [target, count] = [...perDoc].sort((x, y) => y[1] - x[1])[0]!
  const before = Y.encodeStateVector(doc)
  const junk = await thief.sign(roomId, { client: doc.clientID, clock: Y.getState(doc.store, doc.clientID) }, { d: target, c: randomBytes(300) })
  doc.transact(() => {
    entries.push([junk])
    for (let i = entries.length - 2; i >= 0; i--) if (entries.get(i).d === target) entries.delete(i, 1)
  })
  const frame = encoding.createEncoder()
  encoding.writeVarUint(frame, MessageType.Sync)
  syncProtocol.writeUpdate(frame, Y.encodeStateAsUpdate(doc, before))
  socket.send(encoding.toUint8Array(frame))
  return count
}

describe('a compaction by a colleague’s device', () => {
  it('is accepted, of a patient file this device never opened too (the directory names it): nothing written back', async () => {
    const { a, b, patientId } = await practiceOnTwoDevices()
    // A patient whose file shares the shard of the file B holds open (B never opens this one).
    const shard = await a.space.roomOfDoc(patientDocId(patientId))
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    let other = ''
    for (let i = 0; other === ''; i++) {
      const id = addPatient(directory, { birthName: `Témoin ${i}`, firstNames: 'Aude', birthDate: '1970-05-06' }, actorOf(a), testClock)
      if ((await a.space.roomOfDoc(patientDocId(id))) === shard) other = id
    }
    const file = await a.space.openDoc(patientDocId(other))
    const notes = ['Bilan.', 'Séance 2.', 'Séance 3.']
    for (const text of notes) {
      addNote(file, { date: TEST_TODAY, kind: 'session', text }, actorOf(a), testClock)
      await a.space.flush()
    }
    await a.space.whenAcknowledged()
    const roomA = await a.space.inspect.room(shard)
    const roomB = await b.space.inspect.room(shard)
    await waitFor(() => expect(roomB.envelope.stats().entries).toBe(roomA.envelope.stats().entries))
    const before = roomA.envelope.stats().entries

    await a.space.compact(patientDocId(other))
    await a.space.whenAcknowledged()
    expect(roomA.envelope.stats().entries).toBe(before - notes.length + 1)
    await waitFor(() => expect(roomB.envelope.stats().entries).toBe(roomA.envelope.stats().entries))
    await roomB.envelope.settle()
    expect(roomB.envelope.stats()).toMatchObject({ restored: 0, openDocs: 1 })
    expect(b.space.getSyncState().restoredEntries).toBe(0)
    const onB = await b.space.openDoc(patientDocId(other))
    expect([...onB.getMap('notes').keys()].map((id) => getNoteText(onB, id).toString()).sort()).toEqual([...notes].sort())
  })
})

describe('a forged compaction by a stolen registered device (what the relay cannot check: it cannot decrypt)', () => {
  it('is accepted by the relay, refused by the devices: the alarm shown, data kept after a reload and on a fresh device', async () => {
    const { a, b, envA, envB, code, patientId, noteId } = await practiceOnTwoDevices()
    const { spaceId, tiers } = decodePairingCode(code.code)
    // The room id is in every socket's path: a proxy log gives it. The test computes it with the keys.
    const mainRoomId = await blindRoomName(await derivePracticeKeys(spaceId, tiers), MAIN_ROOM)
    const thief = await stolenDevice(code)
    const deleted = await forgeCompaction(fixture.relay, thief, mainRoomId)
    expect(deleted).toBeGreaterThan(0)

    for (const d of [a, b]) {
      await waitFor(() => expect(d.space.getSyncState().restoredEntries).toBe(deleted))
      expect(describeSyncState(d.space.getSyncState(), fr).restored).toMatch(/^\d+ entrées? supprimées? sans instantané couvrant : rétablies?$/)
      await d.space.whenAcknowledged()
    }
    fixture.relay.network.up = false
    for (const [env, d] of [[envA, a], [envB, b]] as const) {
      await d.space.destroy()
      const reloaded = await track(loadPractice(env))
      expect(await shown(reloaded, patientId, noteId)).toEqual(EVERYTHING)
    }
    fixture.relay.network.up = true
    const fresh = await track(joinWith(code, device('remplaçant')))
    await waitFor(async () => expect(await shown(fresh, patientId, noteId)).toEqual(EVERYTHING))
  })
})

describe('a wipe of the relay’s disk (issue 18, attack 1)', () => {
  it('is refused by every device: data kept after a reload, the alarm shown, the relay given everything back', async () => {
    const { a, b, envA, envB, code, patientId, noteId } = await practiceOnTwoDevices()

    // The attack: with every room unloaded, the relay's disk is wiped and folded.
    const spaceId = a.record.spaceId
    const relay = fixture.relay
    relay.network.up = false
    await waitFor(() => expect(relay.loadedRooms()).toBe(0))
    const rooms = storedRoomIds(relay, spaceId)
    expect(rooms.length).toBeGreaterThanOrEqual(3) // main, the month, the patient's file shard
    const wiped = await wipeStoredSpace(relay, spaceId)
    expect(wiped).toBeGreaterThan(0)
    for (const roomId of rooms) expect(await storedLiveEntries(relay, spaceId, roomId)).toBe(0)

    // Back online: each device receives the deletions, refuses them, and says so.
    relay.network.up = true
    // What the devices wrote back is on the relay's disk again, in every room.
    for (const roomId of rooms) await waitFor(async () => expect(await storedLiveEntries(relay, spaceId, roomId)).toBeGreaterThan(0))
    // All of them (copies from both devices may be there twice, until a compaction folds them).
    const held = async () => (await Promise.all(rooms.map((roomId) => storedLiveEntries(relay, spaceId, roomId)))).reduce((x, y) => x + y)
    await waitFor(async () => expect(await held()).toBeGreaterThanOrEqual(wiped))
    // Every room was written back by a device. A device that reconnects after another one wrote a
    // room back gets the deletions and the copies in one update: covered, accepted, no alarm there.
    const restored = () => [a, b].map((d) => d.space.getSyncState().restoredEntries)
    await waitFor(() => expect(restored().reduce((x, y) => x + y)).toBeGreaterThanOrEqual(rooms.length))
    for (const d of [a, b]) {
      const alarm = describeSyncState(d.space.getSyncState(), fr).restored
      if (d.space.getSyncState().restoredEntries > 0) expect(alarm).toMatch(/^\d+ entrées? supprimées? sans instantané couvrant : rétablies?$/)
      else expect(alarm).toBeNull()
      expect(await shown(d, patientId, noteId)).toEqual(EVERYTHING)
      await d.space.whenAcknowledged()
    }
    // Reloaded with no network, from IndexedDB alone: nothing lost.
    relay.network.up = false
    for (const [env, d] of [[envA, a], [envB, b]] as const) {
      await d.space.destroy()
      const reloaded = await track(loadPractice(env))
      expect(await shown(reloaded, patientId, noteId)).toEqual(EVERYTHING)
    }
    relay.network.up = true

    // A fresh device, after that honest period, sees the whole practice from the relay.
    const fresh = await track(joinWith(code, device('remplaçant')))
    await waitFor(async () => expect(await shown(fresh, patientId, noteId)).toEqual(EVERYTHING))
    expect(fresh.space.getSyncState()).toMatchObject({ restoredEntries: 0, undecryptableEntries: 0 })
  })
})
