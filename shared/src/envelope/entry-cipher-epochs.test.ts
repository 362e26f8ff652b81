import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { randomBytes, randomId } from '../crypto/base64url'
import { deriveEpochAesKey, EpochKeyError, GrowingEpochKeyring } from '../crypto/key-epochs'
import { deriveSpaceKeys, type PracticeKeys, type SpaceKeys } from '../crypto/space-keys'
import { keysOfRoom } from '../space/room-keys'
import { DecryptError, decryptEntry, encryptEntry, encryptEntryAtEpoch, epochOfEntry, MissingEpochKeyError, V2_IV_MARK, V3_IV_MARK } from './entry-cipher'
import type { EntryHeader } from './entry-header'

const spaceId = randomId()
const rootSecret = randomBytes(32)
const update = (() => {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, 'séance du mardi')
  return Y.encodeStateAsUpdate(doc)
})()
const change: EntryHeader = { kind: 'change', writer: 'k3J9xQaa', seq: 1, seen: new Map() }

/** A device's keys of a tier with the epochs given (fresh secrets per epoch, as a rotation makes them). */
async function withEpochs(base: SpaceKeys, secrets: ReadonlyMap<number, Uint8Array>): Promise<SpaceKeys> {
  const ring = new GrowingEpochKeyring()
  for (const [epoch, secret] of secrets) ring.add(epoch, await deriveEpochAesKey(spaceId, epoch, secret))
  return { ...base, epochs: ring }
}

describe('entry format v3 (key epochs)', () => {
  it('writes under the newest epoch held, the epoch in the IV; a device holding it reads it', async () => {
    const base = await deriveSpaceKeys(spaceId, rootSecret)
    const secrets = new Map([[1, randomBytes(32)], [2, randomBytes(32)]])
    const keys = await withEpochs(base, secrets)
    const c = await encryptEntry(keys, 'main', 'directory', change, update)
    expect(c[0]).toBe(V3_IV_MARK)
    expect(epochOfEntry(c)).toBe(2)
    expect(await decryptEntry(keys, 'main', 'directory', c)).toMatchObject({ header: change, update })
    // Another device given the same epoch secrets (sealed to it) reads it too.
    const other = await withEpochs(await deriveSpaceKeys(spaceId, rootSecret), secrets)
    expect((await decryptEntry(other, 'main', 'directory', c)).update).toEqual(update)
  })

  it('keeps writing v2 while only epoch 0 is held, and reads v2 entries once it holds later epochs', async () => {
    const base = await deriveSpaceKeys(spaceId, rootSecret)
    const v2 = await encryptEntry({ ...base, epochs: new GrowingEpochKeyring() }, 'main', 'directory', change, update)
    expect(v2[0]).toBe(V2_IV_MARK)
    const rotated = await withEpochs(base, new Map([[1, randomBytes(32)]]))
    expect((await decryptEntry(rotated, 'main', 'directory', v2)).update).toEqual(update)
  })

  it('reads entries of every older epoch it holds', async () => {
    const base = await deriveSpaceKeys(spaceId, rootSecret)
    const secrets = new Map([[1, randomBytes(32)], [2, randomBytes(32)]])
    const keys = await withEpochs(base, secrets)
    const ring = keys.epochs as GrowingEpochKeyring
    const atOne = await encryptEntryAtEpoch(keys, 'main', 'directory', change, update, { epoch: 1, key: ring.key(1)! })
    expect(epochOfEntry(atOne)).toBe(1)
    expect((await decryptEntry(keys, 'main', 'directory', atOne)).update).toEqual(update)
  })

  it('refuses an entry of an epoch the device lacks with MissingEpochKeyError, naming the epoch', async () => {
    const base = await deriveSpaceKeys(spaceId, rootSecret)
    const writer = await withEpochs(base, new Map([[1, randomBytes(32)], [2, randomBytes(32)]]))
    const c = await encryptEntry(writer, 'main', 'directory', change, update)
    // The revoked device: epoch 0 and epoch 1, never epoch 2.
    const revoked = await withEpochs(base, new Map([[1, randomBytes(32)]]))
    const refusal = await decryptEntry(revoked, 'main', 'directory', c).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(MissingEpochKeyError)
    expect(refusal).toBeInstanceOf(DecryptError)
    expect((refusal as MissingEpochKeyError).epoch).toBe(2)
    await expect(decryptEntry(base, 'main', 'directory', c)).rejects.toThrow(MissingEpochKeyError)
  })

  it('binds the epoch: a secret given as another epoch, a rewritten epoch byte, another doc all fail', async () => {
    const base = await deriveSpaceKeys(spaceId, rootSecret)
    const secret = randomBytes(32)
    const writer = await withEpochs(base, new Map([[1, secret]]))
    const c = await encryptEntry(writer, 'main', 'directory', change, update)
    // The same secret held as epoch 2 derives another key (the epoch is in the HKDF info).
    const relabelled = c.slice()
    relabelled[2] = 2
    const misfiled = await withEpochs(base, new Map([[2, secret]]))
    await expect(decryptEntry(misfiled, 'main', 'directory', relabelled)).rejects.toThrow(/authentication/)
    await expect(decryptEntry(writer, 'main', 'manifest', c)).rejects.toThrow(/authentication/)
    const flipped = c.slice()
    flipped[30] = flipped[30]! ^ 1
    await expect(decryptEntry(writer, 'main', 'directory', flipped)).rejects.toThrow(/authentication/)
  })

  it('gives each tier its own ring through keysOfRoom: clinical rooms under the clinical epochs', async () => {
    const base = await deriveSpaceKeys(spaceId, rootSecret)
    const practice = new GrowingEpochKeyring()
    const clinical = new GrowingEpochKeyring()
    practice.add(1, await deriveEpochAesKey(spaceId, 1, randomBytes(32)))
    clinical.add(1, await deriveEpochAesKey(spaceId, 1, randomBytes(32)))
    const keys: PracticeKeys = { ...base, epochs: practice, clinicalEpochs: clinical }
    expect(keysOfRoom(keys, 'main').epochs).toBe(practice)
    expect(keysOfRoom(keys, 'files/3').epochs).toBe(clinical)
    const c = await encryptEntry(keysOfRoom(keys, 'files/3'), 'files/3', 'patient/p1', change, update)
    // The practice tier's epoch-1 key does not open a clinical entry of epoch 1.
    await expect(decryptEntry({ ...keysOfRoom(keys, 'main'), aead: base.aead }, 'files/3', 'patient/p1', c)).rejects.toThrow(DecryptError)
    expect((await decryptEntry(keysOfRoom(keys, 'files/3'), 'files/3', 'patient/p1', c)).update).toEqual(update)
  })
})

describe('GrowingEpochKeyring', () => {
  it('names the newest epoch, keeps the first key of an epoch, refuses epochs out of range', async () => {
    const ring = new GrowingEpochKeyring()
    expect(ring.newest()).toBeNull()
    const k2 = await deriveEpochAesKey(spaceId, 2, randomBytes(32))
    const k1 = await deriveEpochAesKey(spaceId, 1, randomBytes(32))
    ring.add(2, k2)
    ring.add(1, k1)
    ring.add(2, k1)
    expect(ring.newest()).toEqual({ epoch: 2, key: k2 })
    expect(ring.key(1)).toBe(k1)
    expect(ring.key(3)).toBeNull()
    expect(ring.epochs()).toEqual([1, 2])
    expect(k1.extractable).toBe(false)
    for (const bad of [0, -1, 1.5, 0x10000]) expect(() => ring.add(bad, k1)).toThrow(EpochKeyError)
  })
})
