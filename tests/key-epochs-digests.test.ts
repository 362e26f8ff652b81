/**
 * Digests and attachments move with the key epochs (issue 19, « Revocation »), through a real
 * relay process: after a revocation, the directory digest republished and an attachment added
 * under the new epoch do not open with anything the revoked device kept (its keys, its root
 * secret, a copy of the relay's whole database), while the remaining devices and a device paired
 * later read them; a device meeting a digest of an epoch it has not fetched yet fetches it and
 * reads the digest rather than overwrite it; a relay relabelling a digest's epoch is caught.
 */
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { loadPractice } from '../client/src/sync/device/device'
import { revokePracticeDevice } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { RelayClient } from '../client/src/sync/relay/relay-client'
import {
  AttachmentIntegrityError,
  decryptAttachment,
  deriveAttachmentKey,
  MissingAttachmentEpochError,
  openAttachment,
} from '../shared/src/attachments/attachment-cipher'
import { epochNamedBy } from '../shared/src/crypto/epoch-sealed'
import { GrowingEpochKeyring } from '../shared/src/crypto/key-epochs'
import { deriveTierSecrets } from '../shared/src/crypto/space-keys'
import { decodeDirectoryDigest } from '../shared/src/digest/directory-digest'
import { DigestIntegrityError, decryptDigest, deriveDigestKey, MissingDigestEpochError, openDigest, type DigestKeys } from '../shared/src/digest/digest-cipher'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'
import { useRelayFixture } from './helpers/relay-fixture'
import { waitFor } from './helpers/wait-for'
import { copyOfRelayDatabase as copyOf, MEMBER, patientNames as names, practiceOf as practiceIn, writePatient as write, type Device } from './helpers/epoch-practice'

const fixture = useRelayFixture()
const PRACTICE = { name: 'Cabinet des Chênes', practitioner: 'Maëlle', profession: 'kine' } as const
const practiceOf = (names: string[], grants: Array<typeof MEMBER | undefined> = []) => practiceIn(fixture, names, grants, PRACTICE)
const copyOfRelayDatabase = () => copyOf(fixture)

interface RelayCopy {
  digest: { weight: number; data: Uint8Array }
  attachment: (hash: string) => Uint8Array
}

async function relayCopy(spaceId: string): Promise<RelayCopy> {
  const db = await copyOfRelayDatabase()
  try {
    const row = db.prepare<[string], { weight: number; data: Buffer }>("SELECT weight, data FROM digests WHERE space_id = ? AND name = 'directory'").get(spaceId)!
    const attachments = new Map(
      db.prepare<[string], { hash: string; data: Buffer }>('SELECT hash, data FROM attachments WHERE space_id = ?').all(spaceId).map((r) => [r.hash, new Uint8Array(r.data)] as const),
    )
    return { digest: { weight: row.weight, data: new Uint8Array(row.data) }, attachment: (hash) => attachments.get(hash)! }
  } finally {
    db.close()
  }
}

/** A device's digest and attachment keys as it keeps them: epoch 0's and those of the epochs it holds. */
async function useKeysOf(d: Device): Promise<{ digest: DigestKeys; attachment: DigestKeys }> {
  const registry = new DeviceRegistry(d.env.idbPrefix)
  const stored = (await registry.get(d.p.record.spaceId))!
  const held = await registry.heldEpochs(d.p.record.spaceId)
  return {
    digest: { base: stored.keys.digest, epochs: GrowingEpochKeyring.of(held.map((e) => ({ epoch: e.epoch, key: e.digest! }))) },
    attachment: { base: stored.keys.attachment!, epochs: GrowingEpochKeyring.of(held.filter((e) => e.attachment).map((e) => ({ epoch: e.epoch, key: e.attachment! }))) },
  }
}

const heldBy = async (d: Device) => (await new DeviceRegistry(d.env.idbPrefix).heldEpochs(d.p.record.spaceId)).map((e) => e.epoch)
const relayOf = async (d: Device) => {
  const stored = (await new DeviceRegistry(d.env.idbPrefix).get(d.p.record.spaceId))!
  return new RelayClient({ relayUrl: fixture.relay.url, spaceId: stored.spaceId, credential: stored.credential })
}
const scan = (text: string) => new TextEncoder().encode(`Ordonnance ${text}: 12 séances de rééducation`)

describe('digests and attachments under the key epochs, through a real relay', () => {
  it('after a revocation: the digest republished and an attachment added under the new epoch open with nothing the revoked device kept; the others, and a device paired later, read them', async () => {
    const [a, b, x] = (await practiceOf(['tablette-chenes', 'ordinateur-chenes', 'tablette-volee'], [undefined, MEMBER, undefined])) as [Device, Device, Device]
    const spaceId = a.p.record.spaceId
    await write(a, 'Avant')
    for (const d of [b, x]) await waitFor(async () => expect(await names(d)).toEqual(['Avant']))
    const before = await a.p.space.attachments!.add(scan('avant'))
    expect(await a.p.space.publishDirectoryDigest()).toBe('published')
    // Under epoch 0, not 1 (an epoch-0 IV is random: it names some epoch by chance once in 256).
    expect(epochNamedBy((await relayCopy(spaceId)).digest.data)).not.toBe(1)
    await x.p.space.destroy()

    await revokePracticeDevice(spaceId, x.p.record.deviceId, a.env)
    // A's digest ring grew: it republishes the directory digest under epoch 1 by itself, at once.
    await waitFor(async () => expect(epochNamedBy((await relayCopy(spaceId)).digest.data)).toBe(1))
    await write(a, 'Apres-Revocation')
    expect(await a.p.space.publishDirectoryDigest()).toBe('published')
    const after = await a.p.space.attachments!.add(scan('apres'))
    await a.p.space.attachments!.drain()
    expect(a.p.space.attachments!.getState().pending.size).toBe(0)

    const copy = await relayCopy(spaceId)
    expect(epochNamedBy(copy.digest.data)).toBe(1)
    expect(epochNamedBy(copy.attachment(after.hash))).toBe(1)
    expect(epochNamedBy(copy.attachment(before.hash))).not.toBe(1)

    // Everything the revoked device kept: its keys, its (empty) epochs, its root secret.
    const xRegistry = new DeviceRegistry(x.env.idbPrefix)
    const xStored = (await xRegistry.get(spaceId))!
    expect(await heldBy(x)).toEqual([])
    const xRoot = (await xRegistry.rootSecret(spaceId))!
    expect(xRoot).not.toBeNull()
    const xKeys = await useKeysOf(x)
    const tiers = await deriveTierSecrets(spaceId, xRoot)
    const rootDigest = await deriveDigestKey(spaceId, tiers.practice)
    const rootAttachment = await deriveAttachmentKey(spaceId, tiers.clinical!)
    const { weight, data } = copy.digest
    await expect(openDigest(xKeys.digest, spaceId, 'directory', weight, data)).rejects.toBeInstanceOf(MissingDigestEpochError)
    await expect(decryptDigest(rootDigest, spaceId, 'directory', weight, data)).rejects.toBeInstanceOf(DigestIntegrityError)
    await expect(openAttachment(xKeys.attachment, spaceId, after.hash, copy.attachment(after.hash))).rejects.toBeInstanceOf(MissingAttachmentEpochError)
    await expect(decryptAttachment(rootAttachment, spaceId, after.hash, copy.attachment(after.hash))).rejects.toBeInstanceOf(AttachmentIntegrityError)
    // Any key it has, tried as epoch 1's, opens neither.
    for (const key of [xStored.keys.digest, xStored.keys.attachment!, xStored.keys.aead, xStored.keys.clinical!, rootDigest, rootAttachment]) {
      const asEpoch1 = { base: key, epochs: GrowingEpochKeyring.of([{ epoch: 1, key }]) }
      await expect(openDigest(asEpoch1, spaceId, 'directory', weight, data)).rejects.toBeInstanceOf(DigestIntegrityError)
      await expect(openAttachment(asEpoch1, spaceId, after.hash, copy.attachment(after.hash))).rejects.toBeInstanceOf(AttachmentIntegrityError)
    }
    // What was sealed before its revocation stays readable to it: nothing moves it.
    expect(await decryptAttachment(xStored.keys.attachment!, spaceId, before.hash, copy.attachment(before.hash))).toEqual(scan('avant'))

    // B, online all along, reads the new digest and both attachments.
    const bOpened = await openDigest(await waitForEpochKeys(b), spaceId, 'directory', weight, data)
    expect(bOpened.epoch).toBe(1)
    expect((await decodeDirectoryDigest(bOpened.plain)).patients.map((p) => p.birthName).sort()).toEqual(['Apres-Revocation', 'Avant'])
    expect(await b.p.space.attachments!.open(after.hash)).toEqual(scan('apres'))
    expect(await b.p.space.attachments!.open(before.hash)).toEqual(scan('avant'))

    // A device paired after the rotation: granted epoch 1, it reads the digest and both attachments,
    // and leaves the relay's digest in place (it covers what it holds).
    const env = nodeDeviceEnvironment('nouveau-telephone')
    const late = { env, p: await fixture.track(joinWith(await pairingTicket(spaceId, a.env), env, MEMBER)) }
    await waitFor(async () => expect(await names(late)).toEqual(['Apres-Revocation', 'Avant']))
    expect(await heldBy(late)).toEqual([1])
    const lateOpened = await openDigest((await useKeysOf(late)).digest, spaceId, 'directory', weight, data)
    expect((await decodeDirectoryDigest(lateOpened.plain)).patients).toHaveLength(2)
    expect(await late.p.space.attachments!.open(after.hash)).toEqual(scan('apres'))
    expect(await late.p.space.attachments!.open(before.hash)).toEqual(scan('avant'))
    expect(await late.p.space.publishDirectoryDigest()).toBe('up-to-date')
  })

  it('a digest of an epoch not fetched yet: fetched, then read, never overwritten; one whose epoch the relay relabelled is caught and replaced', async () => {
    const [a, b, x] = (await practiceOf(['tablette-frenes', 'ordinateur-frenes', 'perdu-frenes'], [undefined, MEMBER, MEMBER])) as [Device, Device, Device]
    const spaceId = a.p.record.spaceId
    await write(a, 'Avant')
    await waitFor(async () => expect(await names(b)).toEqual(['Avant']))
    expect(await a.p.space.publishDirectoryDigest()).toBe('published')
    await revokePracticeDevice(spaceId, x.p.record.deviceId, a.env)
    const relay = await relayOf(a)
    await waitFor(async () => expect(epochNamedBy((await relay.getDigest('directory'))!.blob)).toBe(1))

    // B, online all along, has met nothing of epoch 1: the relay's digest is of an epoch it lacks.
    expect(await heldBy(b)).toEqual([])
    const published = (await relay.headDigest('directory'))!
    expect(await b.p.space.publishDirectoryDigest()).toBe('up-to-date')
    expect(await heldBy(b)).toEqual([1])
    expect((await relay.headDigest('directory'))!.etag).toBe(published.etag)
    expect(b.p.space.getSyncState().unreadableDigests).toBe(0)

    // The relay (or anyone with a credential) relabels the header: epoch 2, which no administrator made.
    const stored = (await relay.getDigest('directory'))!
    const relabelled = stored.blob.slice()
    relabelled[2] = 2
    await relay.putDigest('directory', stored.weight, relabelled, { kind: 'etag', etag: stored.etag })
    expect(await b.p.space.publishDirectoryDigest()).toBe('published')
    expect(b.p.space.getSyncState()).toMatchObject({ unreadableDigests: 1, replacedDigests: 1 })
    // Relabelled as epoch 0 (the layout from before epochs): caught likewise.
    const honest = (await relay.getDigest('directory'))!
    expect(epochNamedBy(honest.blob)).toBe(1)
    const unmarked = honest.blob.slice()
    unmarked.set([0x41, 0, 0], 0)
    await relay.putDigest('directory', honest.weight, unmarked, { kind: 'etag', etag: honest.etag })
    expect(await b.p.space.publishDirectoryDigest()).toBe('published')
    expect(b.p.space.getSyncState()).toMatchObject({ unreadableDigests: 2, replacedDigests: 2 })
    const final = (await relay.getDigest('directory'))!
    expect((await openDigest((await useKeysOf(a)).digest, spaceId, 'directory', final.weight, final.blob)).epoch).toBe(1)
  })

  it('an epoch kept by an earlier version without its digest and attachment keys is opened again from its seal', async () => {
    const [a, b, x] = (await practiceOf(['tablette-aulnes', 'ordinateur-aulnes', 'perdu-aulnes'], [undefined, MEMBER, MEMBER])) as [Device, Device, Device]
    const spaceId = a.p.record.spaceId
    await revokePracticeDevice(spaceId, x.p.record.deviceId, a.env)
    await write(a, 'Sous-Epoque-1')
    await waitFor(async () => expect(await heldBy(b)).toEqual([1]))
    await b.p.space.destroy()
    // B's epochs as a version before this one kept them: the entries' keys only.
    await stripUseKeys(b.env.idbPrefix, spaceId)
    expect((await new DeviceRegistry(b.env.idbPrefix).heldEpochs(spaceId))[0]).not.toHaveProperty('digest')

    const again = { env: b.env, p: await fixture.track(loadPractice(b.env)) }
    const [held] = await new DeviceRegistry(b.env.idbPrefix).heldEpochs(spaceId)
    expect(held).toMatchObject({ epoch: 1, digest: expect.anything(), attachment: expect.anything() })
    await waitFor(async () => expect(await names(again)).toEqual(['Sous-Epoque-1']))
    // It publishes under epoch 1, not epoch 0.
    await write(again, 'Par-B')
    expect(await again.p.space.publishDirectoryDigest()).toBe('published')
    expect(epochNamedBy((await (await relayOf(a)).getDigest('directory'))!.blob)).toBe(1)
  })
})

/** Removes the digest and attachment keys from the epochs a device keeps (IndexedDB `tournee-device`, store `epochs`). */
async function stripUseKeys(prefix: string, spaceId: string): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(`${prefix}tournee-device`)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('open failed'))
  })
  try {
    const tx = db.transaction('epochs', 'readwrite')
    const store = tx.objectStore('epochs')
    const request = store.get(spaceId)
    request.onsuccess = () => {
      const record = request.result as { spaceId: string; keys: Array<Record<string, unknown>> }
      store.put({ ...record, keys: record.keys.map(({ digest: _d, attachment: _a, ...rest }) => rest) })
    }
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onabort = () => reject(tx.error ?? new Error('aborted'))
    })
  } finally {
    db.close()
  }
}

/** B's digest keys once it holds epoch 1 (it fetches it on meeting the epoch's entries or digest). */
async function waitForEpochKeys(d: Device): Promise<DigestKeys> {
  await waitFor(async () => expect(await heldBy(d)).toEqual([1]))
  return (await useKeysOf(d)).digest
}
