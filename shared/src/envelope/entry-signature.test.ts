import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { randomBytes, randomId } from '../crypto/base64url'
import { deriveSpaceKeys } from '../crypto/space-keys'
import { makeDeviceIdentity } from '../devices/device-identity'
import { blindRoomName } from '../space/room-keys'
import { isSignedEntry, isWellFormedEntry } from './entry-shape'
import { checkEntrySignature, entrySignedBytes, entrySigner, SIGNATURE_BYTES, type SignerDirectory } from './entry-signature'
import { Envelope, entriesWithPositions, type EnvelopeEntry } from './envelope'

const ROOM = 'agenda/2026-12'

async function device() {
  const identity = await makeDeviceIdentity()
  const deviceId = randomId(9)
  return { deviceId, identity, signer: entrySigner(deviceId, identity.sign.privateKey) }
}

function directoryOf(...devices: Array<{ deviceId: string; identity: { sign: CryptoKeyPair } }>): SignerDirectory {
  const keys = new Map(devices.map((d) => [d.deviceId, d.identity.sign.publicKey]))
  return { enforced: async () => true, keyOf: async (id) => keys.get(id) ?? null }
}

describe('entry signatures', () => {
  it('verify at the position signed, and nowhere else: another clock, client, room or space, or another ciphertext', async () => {
    const { deviceId, identity, signer } = await device()
    const keyOf = async (id: string) => (id === deviceId ? identity.sign.publicKey : null)
    const c = randomBytes(64)
    const d = 'A'.repeat(22)
    const at = { client: 7, clock: 41 }
    const s = await signer.sign(entrySignedBytes('space1', 'room1', at, d, c))
    expect(s).toHaveLength(SIGNATURE_BYTES)
    const entry = { d, c, w: deviceId, s }
    expect(await checkEntrySignature(keyOf, 'space1', 'room1', at, entry)).toBe('valid')
    expect(await checkEntrySignature(keyOf, 'space1', 'room1', { client: 7, clock: 42 }, entry)).toBe('forged')
    expect(await checkEntrySignature(keyOf, 'space1', 'room1', { client: 8, clock: 41 }, entry)).toBe('forged')
    expect(await checkEntrySignature(keyOf, 'space1', 'room2', at, entry)).toBe('forged')
    expect(await checkEntrySignature(keyOf, 'space2', 'room1', at, entry)).toBe('forged')
    const flipped = new Uint8Array(c)
    flipped[10]! ^= 1
    expect(await checkEntrySignature(keyOf, 'space1', 'room1', at, { ...entry, c: flipped })).toBe('forged')
    expect(await checkEntrySignature(keyOf, 'space1', 'room1', at, { d, c })).toBe('unsigned')
    expect(await checkEntrySignature(keyOf, 'space1', 'room1', at, { ...entry, w: randomId(9) })).toBe('unknown-signer')
    expect(await checkEntrySignature(keyOf, 'space1', 'room1', at, { ...entry, s: s.subarray(1) })).toBe('forged')
  })

  it('have a strict shape: d, c, and w and s together or neither', () => {
    const base = { d: 'A'.repeat(22), c: new Uint8Array(40) }
    const signed = { ...base, w: randomId(9), s: new Uint8Array(SIGNATURE_BYTES) }
    expect(isWellFormedEntry(base, 1000)).toBe(true)
    expect(isWellFormedEntry(signed, 1000)).toBe(true)
    expect(isSignedEntry(signed)).toBe(true)
    expect(isWellFormedEntry({ ...base, w: randomId(9) }, 1000)).toBe(false)
    expect(isWellFormedEntry({ ...base, s: new Uint8Array(SIGNATURE_BYTES) }, 1000)).toBe(false)
    expect(isWellFormedEntry({ ...signed, s: new Uint8Array(63) }, 1000)).toBe(false)
    expect(isWellFormedEntry({ ...signed, w: 'not a device id' }, 1000)).toBe(false)
    expect(isWellFormedEntry({ ...signed, x: 1 }, 1000)).toBe(false)
  })
})

describe('an envelope with a signer and the practice’s signers', () => {
  it('signs every entry it writes at the position it takes, and a second device applies them', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const [alice, bob] = [await device(), await device()]
    const signers = directoryOf(alice, bob)
    const docA = new Y.Doc()
    const a = new Envelope(docA, keys, ROOM, { batchDelayMs: 0, signer: alice.signer, signers })
    const inner = await a.openDoc('agenda/2026-12')
    for (let i = 0; i < 3; i++) inner.getMap('appointments').set(`r${i}`, i)
    await a.flush()
    const roomId = await blindRoomName(keys, ROOM)
    const written = [...entriesWithPositions(a.entries)]
    expect(written.length).toBeGreaterThan(0)
    for (const [entry, at] of written) {
      expect((entry as EnvelopeEntry).w).toBe(alice.deviceId)
      expect(await checkEntrySignature(signers.keyOf, keys.spaceId, roomId, at, entry as EnvelopeEntry)).toBe('valid')
    }
    const docB = new Y.Doc()
    Y.applyUpdate(docB, Y.encodeStateAsUpdate(docA))
    const b = new Envelope(docB, keys, ROOM, { signer: bob.signer, signers })
    expect((await b.openDoc('agenda/2026-12')).getMap('appointments').toJSON()).toEqual({ r0: 0, r1: 1, r2: 2 })
    expect(b.stats().unverified).toBe(0)
  })

  it('never applies an entry unsigned, forged, moved to another position or signed by a device the registry does not know', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const [alice, bob, stranger] = [await device(), await device(), await device()]
    const signers = directoryOf(alice, bob)
    const writer = (signer: typeof alice.signer | undefined) => {
      const doc = new Y.Doc()
      return { doc, env: new Envelope(doc, keys, ROOM, { batchDelayMs: 0, ...(signer ? { signer } : {}) }) }
    }
    const write = async (w: ReturnType<typeof writer>, key: string) => {
      ;(await w.env.openDoc('agenda/2026-12')).getMap('appointments').set(key, 1)
      await w.env.flush()
      return Y.encodeStateAsUpdate(w.doc)
    }
    const good = await write(writer(alice.signer), 'good')
    const unsigned = await write(writer(undefined), 'unsigned')
    const foreign = await write(writer(stranger.signer), 'stranger')
    // Bob's own entry, its signature moved to another position: the same {d, c, w, s} copied by a
    // credential holder under another client id.
    const bobs = writer(bob.signer)
    await write(bobs, 'moved')
    const moved = new Y.Doc()
    moved.getArray('entries').push(bobs.env.entries.toArray().map((e) => ({ ...e })))

    const errors: string[] = []
    const undecryptable: number[] = []
    const doc = new Y.Doc()
    for (const update of [good, unsigned, foreign, Y.encodeStateAsUpdate(moved)]) Y.applyUpdate(doc, update)
    const reader = new Envelope(doc, keys, ROOM, {
      signers,
      onError: (error) => errors.push(error.name),
      onUndecryptable: (_docId, entries) => undecryptable.push(entries.length),
    })
    expect((await reader.openDoc('agenda/2026-12')).getMap('appointments').toJSON()).toEqual({ good: 1 })
    expect(reader.stats().unverified).toBe(3)
    expect(errors.filter((name) => name === 'UnverifiedEntryError')).toHaveLength(3)
    // Asked for again like an entry that does not decrypt: a device holding a good copy republishes it.
    expect(undecryptable.reduce((n, k) => n + k, 0)).toBe(3)
  })

  it('on a page (a decoder), checks a batch verifyPerSlice at a time with the thread given back between, and still refuses the forged', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const [alice, stranger] = [await device(), await device()]
    const known = directoryOf(alice)
    const write = async (signer: typeof alice.signer, names: string[]) => {
      const doc = new Y.Doc()
      const env = new Envelope(doc, keys, ROOM, { batchDelayMs: 0, signer })
      const inner = await env.openDoc('agenda/2026-12')
      // One entry each: a flush per change.
      for (const name of names) {
        inner.getMap('appointments').set(name, 1)
        await env.flush()
      }
      return Y.encodeStateAsUpdate(doc)
    }
    const goods = Array.from({ length: 9 }, (_, i) => `a${i}`)
    const doc = new Y.Doc()
    for (const update of [await write(alice.signer, goods), await write(stranger.signer, ['forged'])]) Y.applyUpdate(doc, update)
    // Signatures checked since the thread was last given back: never more than verifyPerSlice.
    let checkedInTask = 0
    let mostInTask = 0
    let turns = 0
    const signers: SignerDirectory = {
      enforced: known.enforced,
      keyOf: async (id) => {
        mostInTask = Math.max(mostInTask, ++checkedInTask)
        return known.keyOf(id)
      },
    }
    const decoder = {
      worthIt: () => false,
      decode: () => {
        throw new Error('not used: every batch is small')
      },
      nextSlice: async () => {
        turns++
        checkedInTask = 0
      },
    }
    const errors: string[] = []
    const reader = new Envelope(doc, keys, ROOM, { signers, decoder, verifyPerSlice: 3, onError: (error) => errors.push(error.name) })
    const applied = (await reader.openDoc('agenda/2026-12')).getMap('appointments').toJSON()
    expect(Object.keys(applied).sort()).toEqual(goods)
    expect(reader.stats().unverified).toBe(1)
    expect(errors).toEqual(['UnverifiedEntryError'])
    // 10 entries, 3 a task: 4 groups, the thread given back 3 times in between.
    expect(turns).toBe(3)
    expect(mostInTask).toBe(3)

    // Bounded by bytes too: with room for one entry's ciphertext a task, each is checked alone.
    turns = 0
    mostInTask = 0
    checkedInTask = 0
    const oneEach = new Envelope(doc, keys, ROOM, { signers, decoder, verifyBytesPerSlice: 1, onError: () => undefined })
    expect(Object.keys((await oneEach.openDoc('agenda/2026-12')).getMap('appointments').toJSON()).sort()).toEqual(goods)
    expect(oneEach.stats().unverified).toBe(1)
    expect(turns).toBe(9)
    expect(mostInTask).toBe(1)
  })

  it('accepts unsigned entries where the practice has no registry (signers not enforced)', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const docA = new Y.Doc()
    const a = new Envelope(docA, keys, ROOM, { batchDelayMs: 0 })
    ;(await a.openDoc('agenda/2026-12')).getMap('appointments').set('x', 1)
    await a.flush()
    const doc = new Y.Doc()
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(docA))
    const reader = new Envelope(doc, keys, ROOM, { signers: { enforced: async () => false, keyOf: async () => null } })
    expect((await reader.openDoc('agenda/2026-12')).getMap('appointments').toJSON()).toEqual({ x: 1 })
    expect(reader.stats().unverified).toBe(0)
  })
})
