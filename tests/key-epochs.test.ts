/**
 * Key epochs on revocation (issue 19, « Revocation ») through a real relay process: revoking a
 * device moves the practice's keys to a new epoch sealed to every remaining device; they write
 * and read under it, old entries stay readable, a device offline through the rotation picks its
 * key up when it comes back, two administrators revoking at once end in one epoch sequence, and
 * the revoked device reads nothing written after its revocation from a copy of the relay's whole
 * database, with everything it kept.
 */
import 'fake-indexeddb/auto'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { loadPractice } from '../client/src/sync/device/device'
import { revokePracticeDevice } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { deriveSpaceKeys, type PracticeKeys, type SpaceKeys } from '../shared/src/crypto/space-keys'
import { GrowingEpochKeyring } from '../shared/src/crypto/key-epochs'
import { openEpochSecrets } from '../shared/src/devices/epoch-seal'
import { publicKeysOf } from '../shared/src/devices/device-identity'
import { blindDocId, decryptEntry, epochOfEntry, MissingEpochKeyError } from '../shared/src/envelope/entry-cipher'
import type { EnvelopeEntry } from '../shared/src/envelope/envelope'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { nextStatement, signStatement, verifyRegistry } from '../shared/src/devices/registry-chain'
import { RelayClient } from '../client/src/sync/relay/relay-client'
import { blindRoomName } from '../shared/src/space/room-keys'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'
import { useRelayFixture } from './helpers/relay-fixture'
import { testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { copyOfRelayDatabase as copyOf, MEMBER, patientNames as names, practiceOf as practiceIn, writePatient as write, type Device } from './helpers/epoch-practice'

const fixture = useRelayFixture()
const PRACTICE = { name: 'Cabinet des Ormes', practitioner: 'Solène', profession: 'infirmier' } as const
const practiceOf = (count: number, names: string[], grants: Array<typeof MEMBER | undefined> = []) => practiceIn(fixture, names.slice(0, count), grants, PRACTICE)
const copyOfRelayDatabase = () => copyOf(fixture)

/** The main room's directory entries in a relay database copy. */
async function directoryEntries(db: Database.Database, keys: SpaceKeys): Promise<EnvelopeEntry[]> {
  const roomId = await blindRoomName(keys, 'main')
  const rows = db.prepare<[string, string], { data: Buffer }>('SELECT data FROM updates WHERE space_id = ? AND room_id = ? ORDER BY seq').all(keys.spaceId, roomId)
  const doc = new Y.Doc()
  for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data))
  const blind = await blindDocId(keys, DIRECTORY_DOC_ID)
  return doc.getArray<EnvelopeEntry>('entries').toArray().filter((e) => e.d === blind)
}

/** The keys a device holds, epoch 0's and its later epochs, as its rooms use them. */
async function keysHeldBy(d: Device): Promise<PracticeKeys> {
  const registry = new DeviceRegistry(d.env.idbPrefix)
  const stored = (await registry.get(d.p.record.spaceId))!
  const held = await registry.heldEpochs(d.p.record.spaceId)
  return {
    spaceId: stored.spaceId,
    aead: stored.keys.aead,
    blind: stored.keys.blind,
    clinical: stored.keys.clinical,
    epochs: GrowingEpochKeyring.of(held.map((e) => ({ epoch: e.epoch, key: e.practice }))),
  }
}

const text = (bytes: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(bytes)

describe('key epochs on revocation, through a real relay', () => {
  it('rotates on revocation: the others write and read under the new epoch, an offline device catches up, the revoked device reads nothing after', async () => {
    const [a, b, c, x] = await practiceOf(4, ['tablette-ormes', 'ordinateur-ormes', 'telephone-ormes', 'tablette-perdue'], [undefined, undefined, MEMBER, undefined]) as [Device, Device, Device, Device]
    const spaceId = a.p.record.spaceId
    await write(a, 'Avant')
    for (const d of [b, c, x]) await waitFor(async () => expect(await names(d)).toEqual(['Avant']))
    // C goes offline through the rotation; the lost tablet is offline too, its storage kept.
    await c.p.space.destroy()
    await x.p.space.destroy()

    await revokePracticeDevice(spaceId, x.p.record.deviceId, a.env)
    expect((await new DeviceRegistry(a.env.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1])

    await write(a, 'Apres-Revocation')
    // B, online all along, meets an entry of epoch 1, fetches its seal and reads it.
    await waitFor(async () => expect(await names(b)).toEqual(['Apres-Revocation', 'Avant']))
    expect((await new DeviceRegistry(b.env.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1])
    await write(b, 'Ecrit-Par-B')
    await waitFor(async () => expect(await names(a)).toEqual(['Apres-Revocation', 'Avant', 'Ecrit-Par-B']))

    // C comes back: it picks its sealed key up, reads what was written meanwhile, writes under epoch 1.
    const cAgain = await fixture.track(loadPractice(c.env))
    const c2 = { env: c.env, p: cAgain }
    await waitFor(async () => expect(await names(c2)).toEqual(['Apres-Revocation', 'Avant', 'Ecrit-Par-B']))
    await write(c2, 'Ecrit-Par-C')
    await waitFor(async () => expect(await names(a)).toEqual(['Apres-Revocation', 'Avant', 'Ecrit-Par-B', 'Ecrit-Par-C']))

    // The relay's whole database, copied; the revoked device's every key, its root secret included.
    const db = await copyOfRelayDatabase()
    const aKeys = await keysHeldBy(a)
    const entries = await directoryEntries(db, aKeys)
    const later = entries.filter((e) => (epochOfEntry(e.c) ?? 0) >= 1)
    const earlier = entries.filter((e) => epochOfEntry(e.c) === null)
    // A, B and C wrote after the revocation: under epoch 1. The entries before stay readable to A.
    expect(later.length).toBeGreaterThanOrEqual(3)
    expect(earlier.length).toBeGreaterThanOrEqual(1)
    const readByA = await Promise.all(later.map(async (e) => text((await decryptEntry(aKeys, 'main', DIRECTORY_DOC_ID, e.c)).update)))
    expect(readByA.join('\n')).toContain('Apres-Revocation')
    expect(readByA.join('\n')).toContain('Ecrit-Par-C')
    const earlierByA = await Promise.all(earlier.map(async (e) => text((await decryptEntry(aKeys, 'main', DIRECTORY_DOC_ID, e.c)).update)))
    expect(earlierByA.join('\n')).toContain('Avant')

    const xRegistry = new DeviceRegistry(x.env.idbPrefix)
    const xStored = (await xRegistry.get(spaceId))!
    const xRoot = await xRegistry.rootSecret(spaceId)
    expect(xRoot).not.toBeNull()
    expect(await xRegistry.heldEpochs(spaceId)).toEqual([])
    const xKeys = await keysHeldBy(x)
    const fromRoot = await deriveSpaceKeys(spaceId, xRoot!)
    for (const entry of later) {
      const epoch = epochOfEntry(entry.c)!
      await expect(decryptEntry(xKeys, 'main', DIRECTORY_DOC_ID, entry.c)).rejects.toThrow(MissingEpochKeyError)
      await expect(decryptEntry(fromRoot, 'main', DIRECTORY_DOC_ID, entry.c)).rejects.toThrow(MissingEpochKeyError)
      // Its epoch-0 keys tried as the new epoch's: they do not open it either.
      for (const key of [xKeys.aead, fromRoot.aead, fromRoot.clinical!]) {
        await expect(decryptEntry({ ...xKeys, epochs: GrowingEpochKeyring.of([{ epoch, key }]) }, 'main', DIRECTORY_DOC_ID, entry.c)).rejects.toThrow(/authentication/)
      }
    }
    // Nor does any seal the relay stores open with its private key, whoever it names.
    const seals = db.prepare<[string], { epoch: number; device_id: string; by_device: string; sealed: string }>('SELECT epoch, device_id, by_device, sealed FROM epoch_seals WHERE space_id = ?').all(spaceId)
    expect(seals.map((s) => s.device_id)).not.toContain(x.p.record.deviceId)
    expect(seals.length).toBeGreaterThanOrEqual(3)
    const xAgree = (await publicKeysOf(xStored.identity!)).agree
    const aAgree = (await publicKeysOf((await new DeviceRegistry(a.env.idbPrefix).get(spaceId))!.identity!)).agree
    for (const seal of seals) {
      const attempt = openEpochSecrets(
        { spaceId, epoch: seal.epoch, publisherId: seal.by_device, publisherAgree: aAgree, recipientId: x.p.record.deviceId, recipientAgree: xAgree, ownAgreePrivateKey: xStored.identity!.agree.privateKey, ownSide: 'recipient' },
        seal.sealed,
      )
      await expect(attempt).rejects.toThrow(/does not open/)
    }
    db.close()
    // What it had stays readable to it: the entries from before the revocation.
    const earlierByX = await Promise.all(earlier.map(async (e) => text((await decryptEntry(xKeys, 'main', DIRECTORY_DOC_ID, e.c)).update)))
    expect(earlierByX.join('\n')).toContain('Avant')
  })

  it('two administrators revoking at once: one epoch sequence, its newest sealed to neither revoked device', async () => {
    const [a, b, m, x, y] = await practiceOf(5, ['tablette-tilleuls', 'ordinateur-tilleuls', 'telephone-tilleuls', 'perdu-x', 'perdu-y'], [undefined, undefined, MEMBER, MEMBER, MEMBER]) as [Device, Device, Device, Device, Device]
    const spaceId = a.p.record.spaceId
    await Promise.all([revokePracticeDevice(spaceId, x.p.record.deviceId, a.env), revokePracticeDevice(spaceId, y.p.record.deviceId, b.env)])

    const db = await copyOfRelayDatabase()
    const epochs = db.prepare<[string], { epoch: number }>('SELECT epoch FROM key_epochs WHERE space_id = ? ORDER BY epoch').all(spaceId).map((r) => r.epoch)
    const sealsOf = (deviceId: string) => db.prepare<[string, string], { epoch: number }>('SELECT epoch FROM epoch_seals WHERE space_id = ? AND device_id = ?').all(spaceId, deviceId).map((r) => r.epoch)
    expect(epochs.at(-1)).toBe(2)
    for (const d of [a, b, m]) expect(sealsOf(d.p.record.deviceId)).toContain(2)
    // Neither revoked device has the newest epoch; the one revoked second may hold epoch 1, the
    // first none (which was first depends on which revocation reached the relay first).
    const revokedSeals = [sealsOf(x.p.record.deviceId), sealsOf(y.p.record.deviceId)]
    for (const seals of revokedSeals) expect(seals).not.toContain(2)
    expect(revokedSeals.filter((seals) => seals.length === 0)).not.toHaveLength(0)
    db.close()
    // The administrator that published epoch 2 holds it; the other takes it up on meeting an entry
    // of epoch 2; both then write under it, and the member reads them.
    const holds2 = async (d: Device) => (await new DeviceRegistry(d.env.idbPrefix).heldEpochs(spaceId)).some((e) => e.epoch === 2)
    const [first, second] = (await holds2(a)) ? [a, b] : [b, a]
    expect(await holds2(first)).toBe(true)
    await write(first, 'Par-Le-Premier')
    await waitFor(async () => expect(await names(second)).toEqual(['Par-Le-Premier']))
    expect(await holds2(second)).toBe(true)
    await write(second, 'Par-Le-Second')
    await waitFor(async () => expect(await names(m)).toEqual(['Par-Le-Premier', 'Par-Le-Second']))
    const copy = await copyOfRelayDatabase()
    const entries = await directoryEntries(copy, await keysHeldBy(a))
    copy.close()
    expect(entries.filter((e) => epochOfEntry(e.c) === 2).length).toBeGreaterThanOrEqual(2)
    expect(entries.filter((e) => (epochOfEntry(e.c) ?? 0) === 1)).toHaveLength(0)
  })

  it('a device paired after the rotation is granted every epoch and reads the entries written under it', async () => {
    const [a, x] = await practiceOf(2, ['tablette-saules', 'perdu-saules'], [undefined, MEMBER]) as [Device, Device]
    const spaceId = a.p.record.spaceId
    await revokePracticeDevice(spaceId, x.p.record.deviceId, a.env)
    await write(a, 'Sous-Epoque-1')
    const env = nodeDeviceEnvironment('nouvelle-tablette')
    const late = { env, p: await fixture.track(joinWith(await pairingTicket(spaceId, a.env), env)) }
    await waitFor(async () => expect(await names(late)).toEqual(['Sous-Epoque-1']))
    expect((await new DeviceRegistry(env.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1])
    await write(late, 'Par-La-Nouvelle')
    await waitFor(async () => expect(await names(a)).toEqual(['Par-La-Nouvelle', 'Sous-Epoque-1']))

    // Compaction rewrites the doc under the newest epoch: no ciphertext of epoch 0 is left of it on the relay.
    const before = await directoryEntries(await copyOfRelayDatabase(), await keysHeldBy(a))
    expect(before.some((e) => epochOfEntry(e.c) === null)).toBe(true)
    await a.p.space.compact(DIRECTORY_DOC_ID)
    await a.p.space.whenAcknowledged()
    await waitFor(async () => {
      const after = await directoryEntries(await copyOfRelayDatabase(), await keysHeldBy(a))
      expect(after.length).toBeGreaterThan(0)
      expect(after.map((e) => epochOfEntry(e.c))).toEqual(after.map(() => 1))
    })
    await waitFor(async () => expect(await names(late)).toEqual(['Par-La-Nouvelle', 'Sous-Epoque-1']))
  })

  it('a revocation whose rotation never went out (the relay lost right after it): the administrator publishes it when it comes back online', async () => {
    const [a, x] = await practiceOf(2, ['tablette-pins', 'perdu-pins'], [undefined, MEMBER]) as [Device, Device]
    const spaceId = a.p.record.spaceId
    // Offline first: an online pass still running would publish the rotation as soon as the revocation lands.
    a.p.space.disconnect()
    await waitFor(() => expect(a.p.space.getSyncState().status).toBe('offline'))
    // The revocation alone, as revokePracticeDevice's first step leaves it if the relay went away then.
    const stored = (await new DeviceRegistry(a.env.idbPrefix).get(spaceId))!
    const relay = new RelayClient({ relayUrl: fixture.relay.url, spaceId, credential: stored.credential })
    const state = await verifyRegistry(spaceId, await relay.getDeviceEntries())
    const entry = await signStatement(nextStatement(state, stored.deviceId, testClock(), { op: 'revoke', target: x.p.record.deviceId }), stored.identity!.sign.privateKey)
    expect(await relay.postDeviceEntry(entry)).toBe('appended')
    expect((await relay.getKeyEpochs()).epochs).toEqual([])
    a.p.space.connect()
    await waitFor(async () => expect((await relay.getKeyEpochs()).epochs).toEqual([1]))
    await waitFor(async () => expect((await new DeviceRegistry(a.env.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1]))
    await write(a, 'Apres-Reprise')
    const copy = await copyOfRelayDatabase()
    const entries = await directoryEntries(copy, await keysHeldBy(a))
    copy.close()
    expect(entries.some((e) => epochOfEntry(e.c) === 1)).toBe(true)
  })
})
