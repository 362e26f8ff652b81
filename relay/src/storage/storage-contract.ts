/**
 * The contract every RelayStorage passes (tldraw's storageContractSuite). Each backend's test file
 * calls `storageContract(name, factory)`; the factory opens the backend on a location and can be
 * called again on the same location to check durability across a close and a reopen.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { PAIRING_TTL_MS } from '../../../shared/src/devices/pairing-wire'
import { MAX_OPEN_PER_ADDRESS, PairingMailbox } from '../pairing/pairing-mailbox'
import type { StoredPairing } from './pairing-rows'
import { SpaceQuotaError, StorageClosedError, UnknownRoomError, UnknownSpaceError, type RelayStorage } from './relay-storage'

export interface StorageFactory {
  /** A fresh, empty location (a temp folder, a schema). */
  createLocation(): Promise<string> | string
  open(location: string): Promise<RelayStorage> | RelayStorage
}

const SPACE_A = 'spaceAAAAAAAAAAAAAAAAA'
const SPACE_B = 'spaceBBBBBBBBBBBBBBBBB'
const HASH_1 = new Uint8Array(32).fill(1)
const HASH_2 = new Uint8Array(32).fill(2)
const ATTACHMENT_HASH = 'a1'.repeat(32)
const ROOM_X = 'roomXXXXXXXXXXXXXXXXXX'
const ROOM_Y = 'roomYYYYYYYYYYYYYYYYYY'
const ROOM_Z = 'roomZZZZZZZZZZZZZZZZZZ'
/** The room most tests write to (a space's main room is a blinded id like any other). */
const ROOM = 'roomMMMMMMMMMMMMMMMMMM'

function updateWith(text: string, clientID = 1): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientID
  doc.getArray<string>('entries').push([text])
  return Y.encodeStateAsUpdate(doc)
}

function contentOf(updates: Uint8Array[]): string[] {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  return doc.getArray<string>('entries').toArray().sort()
}

/** `length` bytes that look like ciphertext (every value, no pattern a decoder could lean on), the same on every run. */
function bigBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let state = 0x9e3779b9
  for (let index = 0; index < length; index++) {
    // xorshift32: deterministic, so a failure reproduces.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[index] = state & 0xff
  }
  return bytes
}

export function storageContract(name: string, factory: StorageFactory): void {
  describe(`RelayStorage contract: ${name}`, () => {
    const opened: RelayStorage[] = []
    const open = async (location: string): Promise<RelayStorage> => {
      const storage = await factory.open(location)
      opened.push(storage)
      return storage
    }
    afterEach(async () => {
      for (const storage of opened.splice(0)) await storage.close()
    })

    it('creates a space once, recognises a retry, refuses another credential', async () => {
      const storage = await open(await factory.createLocation())
      expect(await storage.createSpace(SPACE_A, HASH_1)).toBe('created')
      expect(await storage.createSpace(SPACE_A, HASH_1)).toBe('exists')
      expect(await storage.createSpace(SPACE_A, HASH_2)).toBe('conflict')
      expect(await storage.getCredentialHash(SPACE_A)).toEqual(HASH_1)
    })

    it('keeps device registry entries in order, takes each seq once, and grants and revokes credentials with them', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.createSpace(SPACE_B, HASH_2)
      expect(await storage.countDevices(SPACE_A)).toBe(0)
      expect(await storage.appendDeviceEntry(SPACE_A, 0, '{"e":0}', { kind: 'add', deviceId: 'device-1', credentialHash: HASH_1, role: 'praticien', until: null, at: 1 })).toBe('appended')
      // Two administrators' changes on the same head: the second finds the seq taken and writes nothing.
      expect(await storage.appendDeviceEntry(SPACE_A, 1, '{"e":1}', { kind: 'add', deviceId: 'device-2', credentialHash: HASH_2, role: 'remplacant', until: 1_800_000_000_000, at: 2 })).toBe('appended')
      expect(await storage.appendDeviceEntry(SPACE_A, 1, '{"e":"late"}', { kind: 'add', deviceId: 'device-3', credentialHash: new Uint8Array(32).fill(3), role: 'secretariat', until: null, at: 3 })).toBe('conflict')
      expect(await storage.findDevice(SPACE_A, new Uint8Array(32).fill(3))).toBeNull()
      expect(await storage.appendDeviceEntry(SPACE_A, 5, '{"e":5}', { kind: 'revoke', deviceId: 'device-1', at: 4 })).toBe('conflict')
      expect(await storage.appendDeviceEntry(SPACE_A, 2, '{"e":2}', { kind: 'revoke', deviceId: 'device-1', at: 4 })).toBe('appended')
      expect(await storage.listDeviceEntries(SPACE_A)).toEqual(['{"e":0}', '{"e":1}', '{"e":2}'])
      expect(await storage.findDevice(SPACE_A, HASH_1)).toEqual({ deviceId: 'device-1', revoked: true, role: 'praticien', until: null })
      expect(await storage.findDevice(SPACE_A, HASH_2)).toEqual({ deviceId: 'device-2', revoked: false, role: 'remplacant', until: 1_800_000_000_000 })
      // Per space: the other space has none of it.
      expect(await storage.listDeviceEntries(SPACE_B)).toEqual([])
      expect(await storage.findDevice(SPACE_B, HASH_2)).toBeNull()
      expect(await storage.countDevices(SPACE_A)).toBe(2)
      expect(await storage.devicesLastSeen(SPACE_A)).toEqual(new Map())
      await storage.touchDevice(SPACE_A, 'device-2', 1_700_000_000_000)
      await storage.touchDevice(SPACE_A, 'device-9', 1_700_000_000_000)
      expect(await storage.devicesLastSeen(SPACE_A)).toEqual(new Map([['device-2', 1_700_000_000_000]]))
      await expect(storage.appendDeviceEntry('spaceCCCCCCCCCCCCCCCCC', 0, '{}', { kind: 'revoke', deviceId: 'x', at: 1 })).rejects.toBeInstanceOf(UnknownSpaceError)
      // Durable: a reopened storage has the same.
      await storage.close()
      opened.splice(opened.indexOf(storage), 1)
      const reopened = await open(location)
      expect(await reopened.listDeviceEntries(SPACE_A)).toHaveLength(3)
      expect(await reopened.findDevice(SPACE_A, HASH_1)).toEqual({ deviceId: 'device-1', revoked: true, role: 'praticien', until: null })
      expect(await reopened.findDevice(SPACE_A, HASH_2)).toMatchObject({ role: 'remplacant', until: 1_800_000_000_000 })
    })

    it('changes a device’s role and end of access in place, with its entry, and never a revoked one’s', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.appendDeviceEntry(SPACE_A, 0, '{"e":0}', { kind: 'add', deviceId: 'device-1', credentialHash: HASH_1, role: 'praticien', until: null, at: 1 })
      await storage.appendDeviceEntry(SPACE_A, 1, '{"e":1}', { kind: 'add', deviceId: 'device-2', credentialHash: HASH_2, role: 'remplacant', until: 1_800_000_000_000, at: 2 })
      // The locum's replacement extended, then the locum made secretary: same credential, new rights.
      expect(await storage.appendDeviceEntry(SPACE_A, 2, '{"e":2}', { kind: 'change', deviceId: 'device-2', role: 'remplacant', until: 1_900_000_000_000, at: 3 })).toBe('appended')
      expect(await storage.findDevice(SPACE_A, HASH_2)).toEqual({ deviceId: 'device-2', revoked: false, role: 'remplacant', until: 1_900_000_000_000 })
      expect(await storage.appendDeviceEntry(SPACE_A, 3, '{"e":3}', { kind: 'change', deviceId: 'device-2', role: 'secretariat', until: null, at: 4 })).toBe('appended')
      expect(await storage.findDevice(SPACE_A, HASH_2)).toEqual({ deviceId: 'device-2', revoked: false, role: 'secretariat', until: null })
      // A change that lost the race for its seq writes nothing.
      expect(await storage.appendDeviceEntry(SPACE_A, 3, '{"e":"late"}', { kind: 'change', deviceId: 'device-1', role: 'secretariat', until: null, at: 5 })).toBe('conflict')
      expect(await storage.findDevice(SPACE_A, HASH_1)).toMatchObject({ role: 'praticien' })
      await storage.appendDeviceEntry(SPACE_A, 4, '{"e":4}', { kind: 'revoke', deviceId: 'device-2', at: 6 })
      await storage.appendDeviceEntry(SPACE_A, 5, '{"e":5}', { kind: 'change', deviceId: 'device-2', role: 'praticien', until: null, at: 7 })
      expect(await storage.findDevice(SPACE_A, HASH_2)).toEqual({ deviceId: 'device-2', revoked: true, role: 'secretariat', until: null })
      await storage.close()
      opened.splice(opened.indexOf(storage), 1)
      const reopened = await open(location)
      expect(await reopened.findDevice(SPACE_A, HASH_2)).toEqual({ deviceId: 'device-2', revoked: true, role: 'secretariat', until: null })
    })

    it('publishes each key epoch once, newest first wins, and serves each device only its own seals', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.createSpace(SPACE_B, HASH_2)
      expect(await storage.listKeyEpochs(SPACE_A)).toEqual([])
      expect(await storage.publishKeyEpoch(SPACE_A, 2, '{"epoch":2}', 'admin-1', new Map([['device-1', 'sealed-2-1'], ['device-2', 'sealed-2-2']]))).toBe('published')
      // Another administrator's rotation to the same epoch, or an older one, finds it taken and writes nothing.
      expect(await storage.publishKeyEpoch(SPACE_A, 2, '{"epoch":"2b"}', 'admin-2', new Map([['device-3', 'late']]))).toBe('conflict')
      expect(await storage.publishKeyEpoch(SPACE_A, 1, '{"epoch":1}', 'admin-2', new Map([['device-3', 'late']]))).toBe('conflict')
      expect(await storage.listEpochSeals(SPACE_A, 'device-3')).toEqual([])
      expect(await storage.publishKeyEpoch(SPACE_A, 3, '{"epoch":3}', 'admin-2', new Map([['device-1', 'sealed-3-1']]))).toBe('published')
      expect(await storage.grantKeyEpoch(SPACE_A, 2, 'device-4', 'admin-2', 'granted-2-4')).toBe('granted')
      expect(await storage.grantKeyEpoch(SPACE_A, 2, 'device-4', 'admin-1', 'again')).toBe('conflict')
      expect(await storage.listKeyEpochs(SPACE_A)).toEqual([2, 3])
      expect(await storage.listEpochSeals(SPACE_A, 'device-1')).toEqual([
        { epoch: 2, by: 'admin-1', sealed: 'sealed-2-1' },
        { epoch: 3, by: 'admin-2', sealed: 'sealed-3-1' },
      ])
      expect(await storage.listEpochSeals(SPACE_A, 'device-4')).toEqual([{ epoch: 2, by: 'admin-2', sealed: 'granted-2-4' }])
      expect(await storage.listKeyEpochs(SPACE_B)).toEqual([])
      expect(await storage.listEpochSeals(SPACE_B, 'device-1')).toEqual([])
      await expect(storage.publishKeyEpoch('spaceCCCCCCCCCCCCCCCCC', 1, '{}', 'x', new Map())).rejects.toBeInstanceOf(UnknownSpaceError)
      // Durable: a reopened storage has the same.
      await storage.close()
      opened.splice(opened.indexOf(storage), 1)
      const reopened = await open(location)
      expect(await reopened.listKeyEpochs(SPACE_A)).toEqual([2, 3])
      expect(await reopened.listEpochSeals(SPACE_A, 'device-2')).toEqual([{ epoch: 2, by: 'admin-1', sealed: 'sealed-2-2' }])
    })

    it('stores a key grant with the change it comes with, or alone on the registry it was made for, and drops it with a later change', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.appendDeviceEntry(SPACE_A, 0, '{"e":0}', { kind: 'add', deviceId: 'device-1', credentialHash: HASH_1, role: 'praticien', until: null, at: 1 })
      await storage.appendDeviceEntry(SPACE_A, 1, '{"e":1}', { kind: 'add', deviceId: 'device-2', credentialHash: HASH_2, role: 'secretariat', until: null, at: 2 })
      expect(await storage.getKeyGrant(SPACE_A, 'device-2')).toBeNull()
      // Alone: only on the registry's length it names.
      expect(await storage.putKeyGrant(SPACE_A, { deviceId: 'device-2', chain: 1, by: 'device-1', entry: '{"g":"stale"}' })).toBe('conflict')
      expect(await storage.getKeyGrant(SPACE_A, 'device-2')).toBeNull()
      expect(await storage.putKeyGrant(SPACE_A, { deviceId: 'device-2', chain: 2, by: 'device-1', entry: '{"g":1}' })).toBe('stored')
      expect(await storage.getKeyGrant(SPACE_A, 'device-2')).toEqual({ deviceId: 'device-2', chain: 2, by: 'device-1', entry: '{"g":1}' })
      // With its change, in the change's transaction: a change that loses its seq stores no grant either.
      const upgrade = { kind: 'change', deviceId: 'device-2', role: 'praticien', until: null, at: 3 } as const
      expect(await storage.appendDeviceEntry(SPACE_A, 1, '{"e":"late"}', upgrade, { deviceId: 'device-2', chain: 2, by: 'device-1', entry: '{"g":"late"}' })).toBe('conflict')
      expect(await storage.getKeyGrant(SPACE_A, 'device-2')).toEqual({ deviceId: 'device-2', chain: 2, by: 'device-1', entry: '{"g":1}' })
      expect(await storage.appendDeviceEntry(SPACE_A, 2, '{"e":2}', upgrade, { deviceId: 'device-2', chain: 3, by: 'device-1', entry: '{"g":2}' })).toBe('appended')
      expect(await storage.findDevice(SPACE_A, HASH_2)).toMatchObject({ deviceId: 'device-2', role: 'praticien' })
      expect(await storage.getKeyGrant(SPACE_A, 'device-2')).toEqual({ deviceId: 'device-2', chain: 3, by: 'device-1', entry: '{"g":2}' })
      await expect(storage.putKeyGrant('spaceCCCCCCCCCCCCCCCCC', { deviceId: 'x', chain: 0, by: 'y', entry: '{}' })).rejects.toBeInstanceOf(UnknownSpaceError)
      // Durable.
      await storage.close()
      opened.splice(opened.indexOf(storage), 1)
      const reopened = await open(location)
      expect(await reopened.getKeyGrant(SPACE_A, 'device-2')).toEqual({ deviceId: 'device-2', chain: 3, by: 'device-1', entry: '{"g":2}' })
      // A change without a grant drops the one made for the role before.
      await reopened.appendDeviceEntry(SPACE_A, 3, '{"e":3}', { kind: 'change', deviceId: 'device-2', role: 'secretariat', until: null, at: 4 })
      expect(await reopened.getKeyGrant(SPACE_A, 'device-2')).toBeNull()
      expect(await reopened.getKeyGrant(SPACE_B, 'device-2')).toBeNull()
    })

    it('returns null for the credential of an unknown space', async () => {
      const storage = await open(await factory.createLocation())
      expect(await storage.getCredentialHash(SPACE_A)).toBeNull()
    })

    it('loads nothing for a room without updates, admitted or not', async () => {
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      expect(await storage.loadUpdates(SPACE_A, ROOM)).toEqual({ updates: [], lastSeq: 0 })
      await storage.admitRoom(SPACE_A, ROOM, 10)
      expect(await storage.loadUpdates(SPACE_A, ROOM)).toEqual({ updates: [], lastSeq: 0 })
    })

    it('appends updates with increasing seqs and loads them in order, per space', async () => {
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.createSpace(SPACE_B, HASH_2)
      await storage.admitRoom(SPACE_A, ROOM, 10)
      await storage.admitRoom(SPACE_B, ROOM, 10)
      const first = await storage.appendUpdate(SPACE_A, ROOM, updateWith('a1'))
      await storage.appendUpdate(SPACE_B, ROOM, updateWith('b1'))
      const second = await storage.appendUpdate(SPACE_A, ROOM, updateWith('a2', 2))
      expect(second).toBeGreaterThan(first)
      const loaded = await storage.loadUpdates(SPACE_A, ROOM)
      expect(loaded.lastSeq).toBe(second)
      expect(loaded.updates).toEqual([updateWith('a1'), updateWith('a2', 2)])
      expect(contentOf((await storage.loadUpdates(SPACE_B, ROOM)).updates)).toEqual(['b1'])
    })

    it('loads only the rows after a seq, compacted ones included, for a node catching up', async () => {
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.admitRoom(SPACE_A, ROOM, 10)
      await storage.admitRoom(SPACE_A, ROOM_X, 10)
      const one = await storage.appendUpdate(SPACE_A, ROOM, updateWith('one', 1))
      const two = await storage.appendUpdate(SPACE_A, ROOM, updateWith('two', 2))
      await storage.appendUpdate(SPACE_A, ROOM_X, updateWith('other room', 9))
      const three = await storage.appendUpdate(SPACE_A, ROOM, updateWith('three', 3))
      const after = await storage.loadUpdates(SPACE_A, ROOM, one)
      expect(contentOf(after.updates)).toEqual(['three', 'two'])
      expect(after.lastSeq).toBe(three)
      expect(await storage.loadUpdates(SPACE_A, ROOM, three)).toEqual({ updates: [], lastSeq: 0 })
      // A node that held row one only: after a compaction of one and two, it still gets two.
      await storage.compact(SPACE_A, ROOM, Y.mergeUpdates([updateWith('one', 1), updateWith('two', 2)]), two)
      expect(contentOf((await storage.loadUpdates(SPACE_A, ROOM, one)).updates)).toEqual(['one', 'three', 'two'])
      expect(contentOf((await storage.loadUpdates(SPACE_A, ROOM, three)).updates)).toEqual([])
    })

    it('gives back exactly the bytes stored in rows, attachments and digests: every byte value, empty, and megabytes', async () => {
      // The read paths decode what the engine returns (PostgreSQL: base64 text, postgres-bytea.ts);
      // ciphertext holds every byte value, rows of a compacted room weigh megabytes.
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.admitRoom(SPACE_A, ROOM, 10)
      const everyByte = Uint8Array.from({ length: 256 * 3 }, (_, index) => (index * 7 + (index >> 8)) & 0xff)
      // Lengths 1, 2 and 3 past a multiple of 3, so every base64 padding case is read back.
      const rows = [everyByte, new Uint8Array(0), everyByte.subarray(0, 1), everyByte.subarray(5, 7), everyByte.subarray(255, 256 + 255), bigBytes(5 * 2 ** 20 + 1)]
      for (const row of rows) await storage.appendUpdate(SPACE_A, ROOM, row)
      const loaded = await storage.loadUpdates(SPACE_A, ROOM)
      expect(loaded.updates.map((update) => update.byteLength)).toEqual(rows.map((row) => row.byteLength))
      loaded.updates.forEach((update, index) => expect(Buffer.from(update).equals(Buffer.from(rows[index]!))).toBe(true))
      expect(loaded.updates[0]).toEqual(everyByte)

      const blob = bigBytes(3 * 2 ** 20 + 2)
      await storage.putAttachment(SPACE_A, ATTACHMENT_HASH, blob)
      expect(Buffer.from((await storage.getAttachment(SPACE_A, ATTACHMENT_HASH))!).equals(Buffer.from(blob))).toBe(true)
      await storage.putDigest(SPACE_A, 'week', 1, everyByte, { kind: 'absent' })
      expect((await storage.getDigest(SPACE_A, 'week'))?.data).toEqual(everyByte)
      await storage.putDigest(SPACE_A, 'empty', 1, new Uint8Array(0), { kind: 'absent' })
      expect((await storage.getDigest(SPACE_A, 'empty'))?.data).toEqual(new Uint8Array(0))
    })

    it('keeps rooms whose ids hold quotes and backslashes to their own rows', async () => {
      // Ids come from the wire; a storage that puts them in its statements must escape them.
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      const rooms = ["room'quoted", 'room\\backslash', "x' OR 'x'='x"]
      for (const [index, room] of rooms.entries()) {
        await storage.admitRoom(SPACE_A, room, 10)
        await storage.appendUpdate(SPACE_A, room, updateWith(`in ${index}`, index + 1))
      }
      for (const [index, room] of rooms.entries()) expect(contentOf((await storage.loadUpdates(SPACE_A, room)).updates)).toEqual([`in ${index}`])
      expect((await storage.loadUpdates(SPACE_A, "x' OR 'y'='y")).updates).toEqual([])
    })

    it('refuses an update for a space that was never created, and for a room not admitted', async () => {
      const storage = await open(await factory.createLocation())
      await expect(storage.appendUpdate(SPACE_A, ROOM, updateWith('x'))).rejects.toBeInstanceOf(UnknownSpaceError)
      await storage.createSpace(SPACE_A, HASH_1)
      await expect(storage.appendUpdate(SPACE_A, ROOM, updateWith('x'))).rejects.toBeInstanceOf(UnknownRoomError)
      expect(await storage.loadUpdates(SPACE_A, ROOM)).toEqual({ updates: [], lastSeq: 0 })
    })

    it('keeps spaces, rooms and updates across a close and a reopen of the same location', async () => {
      const location = await factory.createLocation()
      const first = await open(location)
      await first.createSpace(SPACE_A, HASH_1)
      await first.admitRoom(SPACE_A, ROOM, 10)
      await first.appendUpdate(SPACE_A, ROOM, updateWith('durable'))
      await first.close()
      const reopened = await open(location)
      expect(await reopened.getCredentialHash(SPACE_A)).toEqual(HASH_1)
      expect(contentOf((await reopened.loadUpdates(SPACE_A, ROOM)).updates)).toEqual(['durable'])
      expect(await reopened.appendUpdate(SPACE_A, ROOM, updateWith('again', 2))).toBeGreaterThan(0)
    })

    it('compacts rows up to a seq into one and keeps later rows', async () => {
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.createSpace(SPACE_B, HASH_2)
      await storage.admitRoom(SPACE_A, ROOM, 10)
      await storage.admitRoom(SPACE_B, ROOM, 10)
      const updates = [updateWith('one', 1), updateWith('two', 2), updateWith('three', 3)]
      for (const update of updates) await storage.appendUpdate(SPACE_A, ROOM, update)
      const upTo = (await storage.loadUpdates(SPACE_A, ROOM)).lastSeq
      await storage.appendUpdate(SPACE_B, ROOM, updateWith('other space'))
      const later = await storage.appendUpdate(SPACE_A, ROOM, updateWith('later', 4))

      await storage.compact(SPACE_A, ROOM, Y.mergeUpdates(updates), upTo)

      const loaded = await storage.loadUpdates(SPACE_A, ROOM)
      expect(loaded.updates).toHaveLength(2)
      expect(loaded.lastSeq).toBe(later)
      expect(contentOf(loaded.updates)).toEqual(['later', 'one', 'three', 'two'])
      expect(contentOf((await storage.loadUpdates(SPACE_B, ROOM)).updates)).toEqual(['other space'])
      const next = await storage.appendUpdate(SPACE_A, ROOM, updateWith('after', 5))
      expect(next).toBeGreaterThan(later)
    })

    it('removes the bytes of compacted rows from what it loads', async () => {
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.admitRoom(SPACE_A, ROOM, 10)
      const secret = updateWith('ciphertext-to-erase')
      await storage.appendUpdate(SPACE_A, ROOM, secret)
      const seq = await storage.appendUpdate(SPACE_A, ROOM, updateWith('kept', 2))
      const replacement = updateWith('kept', 2)
      await storage.compact(SPACE_A, ROOM, replacement, seq)
      expect((await storage.loadUpdates(SPACE_A, ROOM)).updates).toEqual([replacement])
    })

    it('keeps each room of a space its own log', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      for (const room of [ROOM, ROOM_X, ROOM_Y]) await storage.admitRoom(SPACE_A, room, 10)
      await storage.appendUpdate(SPACE_A, ROOM, updateWith('main'))
      await storage.appendUpdate(SPACE_A, ROOM, updateWith('main too', 2))
      const x1 = await storage.appendUpdate(SPACE_A, ROOM_X, updateWith('x1', 3))
      await storage.appendUpdate(SPACE_A, ROOM_Y, updateWith('y1', 4))
      const x2 = await storage.appendUpdate(SPACE_A, ROOM_X, updateWith('x2', 5))
      expect(contentOf((await storage.loadUpdates(SPACE_A, ROOM)).updates)).toEqual(['main', 'main too'])
      expect(await storage.loadUpdates(SPACE_A, ROOM_X)).toEqual({ updates: [updateWith('x1', 3), updateWith('x2', 5)], lastSeq: x2 })
      expect(contentOf((await storage.loadUpdates(SPACE_A, ROOM_Y)).updates)).toEqual(['y1'])
      expect(await storage.loadUpdates(SPACE_B, ROOM_X)).toEqual({ updates: [], lastSeq: 0 })

      // Compacting one room leaves the others alone.
      await storage.compact(SPACE_A, ROOM_X, Y.mergeUpdates([updateWith('x1', 3), updateWith('x2', 5)]), x2)
      expect((await storage.loadUpdates(SPACE_A, ROOM_X)).updates).toHaveLength(1)
      expect(contentOf((await storage.loadUpdates(SPACE_A, ROOM_X)).updates)).toEqual(['x1', 'x2'])
      expect((await storage.loadUpdates(SPACE_A, ROOM)).updates).toHaveLength(2)
      expect(x1).toBeLessThan(x2)

      await storage.close()
      const reopened = await open(location)
      expect(contentOf((await reopened.loadUpdates(SPACE_A, ROOM_Y)).updates)).toEqual(['y1'])
    })

    it('admits rooms up to the limit per space, and rooms already admitted always', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.createSpace(SPACE_B, HASH_2)
      expect(await storage.admitRoom(SPACE_A, ROOM_X, 2)).toBe('admitted')
      expect(await storage.admitRoom(SPACE_A, ROOM_Y, 2)).toBe('admitted')
      expect(await storage.admitRoom(SPACE_A, ROOM_Z, 2)).toBe('limit')
      expect(await storage.admitRoom(SPACE_A, ROOM_X, 2)).toBe('admitted')
      expect(await storage.admitRoom(SPACE_B, ROOM_Z, 2)).toBe('admitted')
      // Concurrent admissions cannot both pass the count.
      const racing = await Promise.all([storage.admitRoom(SPACE_B, ROOM_X, 2), storage.admitRoom(SPACE_B, ROOM_Y, 2)])
      expect(racing.filter((result) => result === 'admitted')).toHaveLength(1)
      await storage.close()
      const reopened = await open(location)
      expect(await reopened.admitRoom(SPACE_A, ROOM_Z, 2)).toBe('limit')
      expect(await reopened.admitRoom(SPACE_A, ROOM_Y, 2)).toBe('admitted')
    })

    it('refuses a room of a space that was never created', async () => {
      const storage = await open(await factory.createLocation())
      await expect(storage.admitRoom(SPACE_A, ROOM_X, 10)).rejects.toBeInstanceOf(UnknownSpaceError)
    })

    it('stores an attachment once per space and hash, durably, and keeps the first bytes', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.createSpace(SPACE_B, HASH_2)
      const blob = new Uint8Array([9, 8, 7, 6])
      expect(await storage.putAttachment(SPACE_A, ATTACHMENT_HASH, blob)).toBe('created')
      expect(await storage.putAttachment(SPACE_A, ATTACHMENT_HASH, new Uint8Array([1]))).toBe('exists')
      expect(await storage.getAttachment(SPACE_A, ATTACHMENT_HASH)).toEqual(blob)
      // Spaces do not see each other's attachments, even under the same hash.
      expect(await storage.getAttachment(SPACE_B, ATTACHMENT_HASH)).toBeNull()
      expect(await storage.getAttachment(SPACE_A, 'f'.repeat(64))).toBeNull()
      await storage.close()
      const reopened = await open(location)
      expect(await reopened.getAttachment(SPACE_A, ATTACHMENT_HASH)).toEqual(blob)
    })

    it('refuses an attachment for a space that was never created', async () => {
      const storage = await open(await factory.createLocation())
      await expect(storage.putAttachment(SPACE_A, ATTACHMENT_HASH, new Uint8Array([1]))).rejects.toBeInstanceOf(
        UnknownSpaceError,
      )
      expect(await storage.getAttachment(SPACE_A, ATTACHMENT_HASH)).toBeNull()
    })

    it('counts what each space holds: envelope rows (compaction included) and attachments', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.createSpace(SPACE_B, HASH_2)
      expect(await storage.spaceUsage(SPACE_A)).toEqual({ envelopeBytes: 0, attachments: 0, attachmentBytes: 0 })
      expect(await storage.spaceUsage('spaceUUUUUUUUUUUUUUUUU')).toBeNull()
      for (const room of [ROOM, ROOM_X]) await storage.admitRoom(SPACE_A, room, 10)
      await storage.admitRoom(SPACE_B, ROOM, 10)
      const rows = [updateWith('one', 1), updateWith('two', 2), updateWith('three', 3)]
      for (const row of rows) await storage.appendUpdate(SPACE_A, ROOM, row)
      const inX = updateWith('in another room', 4)
      await storage.appendUpdate(SPACE_A, ROOM_X, inX)
      await storage.appendUpdate(SPACE_B, ROOM, updateWith('other space'))
      const weight = (updates: Uint8Array[]) => updates.reduce((n, u) => n + u.byteLength, 0)
      expect((await storage.spaceUsage(SPACE_A))?.envelopeBytes).toBe(weight([...rows, inX]))

      const merged = Y.mergeUpdates(rows)
      await storage.compact(SPACE_A, ROOM, merged, (await storage.loadUpdates(SPACE_A, ROOM)).lastSeq)
      expect((await storage.spaceUsage(SPACE_A))?.envelopeBytes).toBe(weight([merged, inX]))

      await storage.putAttachment(SPACE_A, ATTACHMENT_HASH, new Uint8Array(100))
      await storage.putAttachment(SPACE_A, ATTACHMENT_HASH, new Uint8Array(100))
      await storage.putAttachment(SPACE_A, 'b2'.repeat(32), new Uint8Array(50))
      await storage.close()
      const reopened = await open(location)
      expect(await reopened.spaceUsage(SPACE_A)).toEqual({ envelopeBytes: weight([merged, inX]), attachments: 2, attachmentBytes: 150 })
      expect(await reopened.spaceUsage(SPACE_B)).toEqual({ envelopeBytes: updateWith('other space').byteLength, attachments: 0, attachmentBytes: 0 })
    })

    it('refuses, writing nothing, an update that would take the space past its byte quota', async () => {
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      for (const room of [ROOM, ROOM_X]) await storage.admitRoom(SPACE_A, room, 10)
      const first = updateWith('first', 1)
      const second = updateWith('second', 2)
      const quota = first.byteLength + second.byteLength
      await storage.appendUpdate(SPACE_A, ROOM, first, quota)
      // The quota is the space's, over all its rooms.
      await storage.appendUpdate(SPACE_A, ROOM_X, second, quota)
      const refused = storage.appendUpdate(SPACE_A, ROOM, updateWith('third', 3), quota)
      await expect(refused).rejects.toBeInstanceOf(SpaceQuotaError)
      await expect(refused).rejects.toMatchObject({ quota: 'envelope-bytes', used: quota, limit: quota })
      expect(contentOf((await storage.loadUpdates(SPACE_A, ROOM)).updates)).toEqual(['first'])
      expect((await storage.spaceUsage(SPACE_A))?.envelopeBytes).toBe(quota)
      // Without a quota (the relay's own writes), or under a higher one, it goes in.
      expect(await storage.appendUpdate(SPACE_A, ROOM, updateWith('third', 3), quota * 2)).toBeGreaterThan(0)
    })

    it('refuses a new attachment past the count or byte quota of its space, never a retry of one stored', async () => {
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      const quota = { maxAttachments: 2, maxAttachmentBytes: 100 }
      expect(await storage.putAttachment(SPACE_A, ATTACHMENT_HASH, new Uint8Array(60), quota)).toBe('created')
      await expect(storage.putAttachment(SPACE_A, 'b2'.repeat(32), new Uint8Array(41), quota)).rejects.toMatchObject({
        name: 'SpaceQuotaError',
        quota: 'attachment-bytes',
        used: 60,
        limit: 100,
      })
      expect(await storage.putAttachment(SPACE_A, 'b2'.repeat(32), new Uint8Array(40), quota)).toBe('created')
      await expect(storage.putAttachment(SPACE_A, 'c3'.repeat(32), new Uint8Array(0), quota)).rejects.toMatchObject({ quota: 'attachments', used: 2 })
      expect(await storage.getAttachment(SPACE_A, 'c3'.repeat(32))).toBeNull()
      expect(await storage.putAttachment(SPACE_A, ATTACHMENT_HASH, new Uint8Array(60), quota)).toBe('exists')
      expect(await storage.spaceUsage(SPACE_A)).toEqual({ envelopeBytes: 0, attachments: 2, attachmentBytes: 100 })
    })

    it('stores a digest per space and name, replaced only by compare-and-swap on the version read', async () => {
      const location = await factory.createLocation()
      const storage = await open(location)
      await storage.createSpace(SPACE_A, HASH_1)
      await storage.createSpace(SPACE_B, HASH_2)
      const absent = { kind: 'absent' } as const
      const version = (n: number) => ({ kind: 'version', version: n }) as const
      expect(await storage.getDigest(SPACE_A, 'directory')).toBeNull()
      expect(await storage.getDigestHead(SPACE_A, 'directory')).toBeNull()
      // Expecting a version where there is none fails, and writes nothing.
      expect(await storage.putDigest(SPACE_A, 'directory', 10, new Uint8Array([9]), version(1))).toEqual({ status: 'precondition-failed', current: null })
      expect(await storage.putDigest(SPACE_A, 'directory', 10, new Uint8Array([1, 1]), absent)).toEqual({ status: 'created', version: 1 })
      expect(await storage.putDigest(SPACE_A, 'directory', 10, new Uint8Array([2, 2]), absent)).toEqual({
        status: 'precondition-failed',
        current: { weight: 10, version: 1 },
      })
      // The weight is the publisher's claim, stored as given: a lighter one replaces a heavier one.
      expect(await storage.putDigest(SPACE_A, 'directory', Number.MAX_SAFE_INTEGER, new Uint8Array([3]), version(1))).toEqual({ status: 'replaced', version: 2 })
      expect(await storage.putDigest(SPACE_A, 'directory', 24, new Uint8Array([4, 4]), version(2))).toEqual({ status: 'replaced', version: 3 })
      // A version already replaced fails: the publisher did not read what is stored now.
      expect(await storage.putDigest(SPACE_A, 'directory', 99, new Uint8Array([5]), version(2))).toEqual({
        status: 'precondition-failed',
        current: { weight: 24, version: 3 },
      })
      expect(await storage.getDigest(SPACE_A, 'directory')).toEqual({ weight: 24, version: 3, data: new Uint8Array([4, 4]) })
      expect(await storage.getDigestHead(SPACE_A, 'directory')).toEqual({ weight: 24, version: 3 })
      // Another name and another space are other rows, with versions of their own.
      expect(await storage.getDigest(SPACE_A, 'agenda')).toBeNull()
      expect(await storage.getDigest(SPACE_B, 'directory')).toBeNull()
      expect(await storage.putDigest(SPACE_B, 'directory', 1, new Uint8Array([5]), absent)).toEqual({ status: 'created', version: 1 })
      // Weights up to the largest safe integer survive the round trip exactly.
      const heaviest = Number.MAX_SAFE_INTEGER
      expect(await storage.putDigest(SPACE_B, 'directory', heaviest, new Uint8Array([6]), version(1))).toEqual({ status: 'replaced', version: 2 })
      await storage.close()
      const reopened = await open(location)
      expect(await reopened.getDigest(SPACE_A, 'directory')).toEqual({ weight: 24, version: 3, data: new Uint8Array([4, 4]) })
      expect(await reopened.getDigestHead(SPACE_B, 'directory')).toEqual({ weight: heaviest, version: 2 })
    })

    it('lets one of several publications of the same read win, started together', async () => {
      const storage = await open(await factory.createLocation())
      await storage.createSpace(SPACE_A, HASH_1)
      const firsts = await Promise.all([1, 2, 3].map((w) => storage.putDigest(SPACE_A, 'directory', w, new Uint8Array([w]), { kind: 'absent' })))
      expect(firsts.filter((r) => r.status === 'created')).toHaveLength(1)
      const replacements = await Promise.all([4, 5, 6, 7].map((w) => storage.putDigest(SPACE_A, 'directory', w, new Uint8Array([w]), { kind: 'version', version: 1 })))
      const won = replacements.flatMap((r, i) => (r.status === 'replaced' ? [4 + i] : []))
      expect(won).toHaveLength(1)
      expect(await storage.getDigest(SPACE_A, 'directory')).toEqual({ weight: won[0], version: 2, data: new Uint8Array([won[0]!]) })
    })

    it('refuses a digest for a space that was never created', async () => {
      const storage = await open(await factory.createLocation())
      await expect(storage.putDigest(SPACE_A, 'directory', 1, new Uint8Array([1]), { kind: 'absent' })).rejects.toBeInstanceOf(UnknownSpaceError)
      expect(await storage.getDigest(SPACE_A, 'directory')).toBeNull()
    })

    describe('pairings (the mailbox on this storage, as every node of a multi-node relay runs it)', () => {
      const JOINING = { agree: 'joiningAgreeKey', sign: 'joiningSignKey' }
      const ADMIN = { agree: 'adminAgreeKey', sign: 'adminSignKey' }
      const OTHER = { agree: 'otherAgreeKey', sign: 'otherSignKey' }
      const clock = { now: 0 }
      beforeEach(() => {
        clock.now = 1_800_000_000_000
      })
      const mailboxOn = (storage: RelayStorage) => new PairingMailbox(storage, () => clock.now)

      it('carries a pairing from waiting to claimed to sealed, across a reopen, and hands the answer over once', async () => {
        const location = await factory.createLocation()
        const mailbox = mailboxOn(await open(location))
        const opened = await mailbox.open(JOINING, '203.0.113.9')
        if (!opened.ok) throw new Error(`not opened: ${opened.reason}`)
        expect(opened.expiresAt).toBe(clock.now + PAIRING_TTL_MS)
        expect(await mailbox.collect(opened.code)).toEqual({ state: 'waiting', expiresAt: opened.expiresAt })
        // A seal before any claim is refused, and changes nothing.
        expect(await mailbox.seal(opened.code, SPACE_A, 'c2VhbGVk')).toEqual({ ok: false, reason: 'not_claimed' })
        expect(await mailbox.claim(opened.code, SPACE_A, ADMIN)).toEqual({ ok: true, joining: JOINING })
        // The same claim again is answered alike; another admin's or another space's is not.
        expect(await mailbox.claim(opened.code, SPACE_A, ADMIN)).toEqual({ ok: true, joining: JOINING })
        expect(await mailbox.claim(opened.code, SPACE_A, OTHER)).toEqual({ ok: false, reason: 'taken' })
        expect(await mailbox.claim(opened.code, SPACE_B, ADMIN)).toEqual({ ok: false, reason: 'taken' })
        expect(await mailbox.seal(opened.code, SPACE_B, 'c2VhbGVk')).toEqual({ ok: false, reason: 'not_claimed' })
        expect(await mailbox.collect(opened.code)).toEqual({ state: 'claimed', expiresAt: opened.expiresAt, admin: ADMIN })

        const reopened = mailboxOn(await open(location))
        expect(await reopened.seal(opened.code, SPACE_A, 'c2VhbGVk')).toEqual({ ok: true })
        expect(await reopened.size()).toBe(1)
        expect(await mailbox.collect(opened.code)).toEqual({ state: 'sealed', admin: ADMIN, sealed: 'c2VhbGVk' })
        expect(await reopened.collect(opened.code)).toBeNull()
        expect(await mailbox.size()).toBe(0)
        expect(await mailbox.claim('0000000000', SPACE_A, ADMIN)).toEqual({ ok: false, reason: 'unknown' })
      })

      it('tells a refusal once; a cancelled pairing is gone', async () => {
        const mailbox = mailboxOn(await open(await factory.createLocation()))
        const refused = await mailbox.open(JOINING, '203.0.113.9')
        const cancelled = await mailbox.open(JOINING, '203.0.113.9')
        if (!refused.ok || !cancelled.ok) throw new Error('not opened')
        expect(await mailbox.refuse(refused.code, SPACE_A)).toEqual({ ok: false, reason: 'not_claimed' })
        await mailbox.claim(refused.code, SPACE_A, ADMIN)
        expect(await mailbox.refuse(refused.code, SPACE_B)).toEqual({ ok: false, reason: 'not_claimed' })
        expect(await mailbox.refuse(refused.code, SPACE_A)).toEqual({ ok: true })
        expect(await mailbox.collect(refused.code)).toEqual({ state: 'refused' })
        expect(await mailbox.collect(refused.code)).toBeNull()
        expect(await mailbox.cancel(cancelled.code)).toBe(true)
        expect(await mailbox.cancel(cancelled.code)).toBe(false)
        expect(await mailbox.collect(cancelled.code)).toBeNull()
        expect(await mailbox.size()).toBe(0)
      })

      it('refuses an expired pairing at every step and removes it; its address may open again', async () => {
        const mailbox = mailboxOn(await open(await factory.createLocation()))
        const codes: string[] = []
        for (let i = 0; i < MAX_OPEN_PER_ADDRESS; i++) {
          const opened = await mailbox.open(JOINING, '203.0.113.9')
          if (!opened.ok) throw new Error('not opened')
          codes.push(opened.code)
        }
        expect(await mailbox.open(JOINING, '203.0.113.9')).toEqual({ ok: false, reason: 'address_full' })
        await mailbox.claim(codes[0]!, SPACE_A, ADMIN)
        await mailbox.seal(codes[0]!, SPACE_A, 'c2VhbGVk')
        clock.now += PAIRING_TTL_MS - 1
        expect(await mailbox.size()).toBe(MAX_OPEN_PER_ADDRESS)
        clock.now += 1
        // Sealed but never collected: gone with the others, the blob with it.
        expect(await mailbox.collect(codes[0]!)).toBeNull()
        expect(await mailbox.claim(codes[1]!, SPACE_A, ADMIN)).toEqual({ ok: false, reason: 'unknown' })
        expect(await mailbox.cancel(codes[2]!)).toBe(false)
        expect(await mailbox.size()).toBe(0)
        expect((await mailbox.open(JOINING, '203.0.113.9')).ok).toBe(true)
      })

      it('bounds pairings per address and in all, and never gives one code to two live pairings', async () => {
        const storage = await open(await factory.createLocation())
        const now = clock.now
        const pairing = (code: string, address: string): StoredPairing => ({ code, joining: JOINING, address, expiresAt: now + 1000, stage: { kind: 'waiting' } })
        const bounds = { maxOpen: 3, maxPerAddress: 2 }
        expect(await storage.openPairing(pairing('AAAAAAAAAA', 'a'), now, bounds)).toBe('opened')
        expect(await storage.openPairing(pairing('AAAAAAAAAA', 'b'), now, bounds)).toBe('code_taken')
        expect(await storage.openPairing(pairing('BBBBBBBBBB', 'a'), now, bounds)).toBe('opened')
        expect(await storage.openPairing(pairing('CCCCCCCCCC', 'a'), now, bounds)).toBe('address_full')
        expect(await storage.openPairing(pairing('CCCCCCCCCC', 'b'), now, bounds)).toBe('opened')
        expect(await storage.openPairing(pairing('DDDDDDDDDD', 'c'), now, bounds)).toBe('relay_full')
        expect(await storage.countPairings(now)).toBe(3)
        // Expired, a code is free again.
        expect(await storage.openPairing({ ...pairing('AAAAAAAAAA', 'c'), expiresAt: now + 3000 }, now + 1000, bounds)).toBe('opened')
        expect(await storage.countPairings(now + 1000)).toBe(1)
      })

      it('two nodes on one storage: begun on one, answered on the other, collected once whoever polls', async () => {
        const location = await factory.createLocation()
        const [one, two] = [mailboxOn(await open(location)), mailboxOn(await open(location))]
        // Opened on both at once from one address: the bound holds across nodes.
        const opens = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? one : two).open(JOINING, '198.51.100.4')))
        expect(opens.filter((o) => o.ok)).toHaveLength(MAX_OPEN_PER_ADDRESS)
        const opened = opens.find((o) => o.ok)
        if (!opened?.ok) throw new Error('not opened')
        expect(await two.claim(opened.code, SPACE_A, ADMIN)).toEqual({ ok: true, joining: JOINING })
        expect(await one.collect(opened.code)).toMatchObject({ state: 'claimed', admin: ADMIN })
        expect(await two.seal(opened.code, SPACE_A, 'c2VhbGVk')).toEqual({ ok: true })
        const polls = await Promise.all([one, two, one, two].map((mailbox) => mailbox.collect(opened.code)))
        expect(polls.filter((p) => p?.state === 'sealed')).toHaveLength(1)
        expect(polls.filter((p) => p === null)).toHaveLength(3)
      })
    })

    it('rejects calls after close', async () => {
      const storage = await factory.open(await factory.createLocation())
      await storage.close()
      await expect(storage.getCredentialHash(SPACE_A)).rejects.toBeInstanceOf(StorageClosedError)
    })
  })
}
