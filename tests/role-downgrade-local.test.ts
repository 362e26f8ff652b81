/**
 * A praticien's device the registry made secretary drops, on the device itself, what its new role
 * does not read (client/src/sync/device/role-downgrade.ts), through a real relay process, real
 * Yjs and real WebCrypto (IndexedDB: fake-indexeddb, read raw store by store):
 *
 *   - no key left anywhere in its databases opens a clinical entry the relay holds (before the
 *     change, one did: the check can fail), and no byte string holds the root secret or a clinical
 *     tier secret; its clinical rooms' databases and held clinical docs are gone;
 *   - the directory still syncs both ways, and no clinical room is opened again;
 *   - a device whose passkey wraps its secrets: the wrap is sealed again without the clinical tier,
 *     and opens, at the next unlock, to a practice without it;
 *   - a tab closed after the registry was read, or between the two steps, is finished at the next start.
 */
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { loadPractice, type DeviceEnvironment } from '../client/src/sync/device/device'
import { heldStateDatabase } from '../client/src/sync/device/held-state'
import { lockAtRest, openAtRest, wrapAtRest } from '../client/src/sync/device/lock/at-rest'
import { openSecrets, wrappingKeyFrom } from '../client/src/sync/device/lock/prf-wrap'
import { UnlockedKeys } from '../client/src/sync/device/lock/unlocked-keys'
import { changePracticeDevice } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry, type StoredPractice } from '../client/src/sync/device/registry'
import { checkRole, narrowRole } from '../client/src/sync/device/role-downgrade'
import { randomBytes } from '../shared/src/crypto/base64url'
import { GrowingEpochKeyring } from '../shared/src/crypto/key-epochs'
import { derivePracticeKeys, deriveTierSecrets, type SpaceKeys } from '../shared/src/crypto/space-keys'
import { DeviceRole } from '../shared/src/devices/registry-chain'
import { blindDocId, decryptEntry, epochOfEntry } from '../shared/src/envelope/entry-cipher'
import type { EnvelopeEntry } from '../shared/src/envelope/envelope'
import { patientDocId } from '../shared/src/model/doc-ids'
import { addNote, listNotes } from '../shared/src/model/patient-file'
import { addPatient } from '../shared/src/model/patients'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { MissingTierKeyError, blindRoomName, keysOfRoom } from '../shared/src/space/room-keys'
import { fileRooms, roomOf } from '../shared/src/space/rooms'
import { containsBytes, copyOfDevice } from './helpers/device-databases'
import { copyOfRelayDatabase, entriesOf, patientNames, practiceOf, writePatient, type Device } from './helpers/epoch-practice'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()
const PRACTICE = { name: 'Cabinet des Tilleuls', practitioner: 'Maëlle', profession: 'kine' } as const

interface Clinical {
  readonly spaceId: string
  readonly patientId: string
  readonly rootSecret: Uint8Array
  /** Every clinical tier secret of the practice: epoch 0's and each later epoch's. */
  readonly secrets: Uint8Array[]
  readonly entries: EnvelopeEntry[]
  readonly room: Awaited<ReturnType<typeof roomOf>>
  readonly keys: SpaceKeys
  readonly roomIds: string[]
}

/** A practice of `names` devices (every one an administrator praticien), a patient and a note every device read. */
async function practiceWithANote(names: string[]): Promise<{ devices: Device[]; spaceId: string; patientId: string }> {
  const devices = await practiceOf(fixture, names, [], PRACTICE)
  const admin = devices[0]!
  const spaceId = admin.p.record.spaceId
  const patientId = addPatient(await admin.p.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Le Bihan', firstNames: 'Gwenola' }, actorOf(admin.p), testClock)
  addNote(await admin.p.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: 'Note-Clinique' }, actorOf(admin.p), testClock)
  await admin.p.space.flush()
  await admin.p.space.whenAcknowledged()
  for (const d of devices.slice(1)) await waitFor(async () => expect(listNotes(await d.p.space.openDoc(patientDocId(patientId))).items).toHaveLength(1))
  return { devices, spaceId, patientId }
}

/** What the relay holds of the patient's file, and every secret that reads it (from the administrator). */
async function clinicalOf(admin: Device, spaceId: string, patientId: string): Promise<Clinical> {
  const registry = new DeviceRegistry(admin.env.idbPrefix, admin.env.unlocked)
  const rootSecret = (await registry.rootSecret(spaceId))!
  const tiers = await deriveTierSecrets(spaceId, rootSecret)
  const full = await derivePracticeKeys(spaceId, tiers)
  const room = await roomOf(patientDocId(patientId))
  const keys = keysOfRoom(full, room)
  const db = await copyOfRelayDatabase(fixture)
  const entries = await entriesOf(db, keys, await blindRoomName(keys, room), patientDocId(patientId))
  db.close()
  const epochs = (await registry.epochSecrets(spaceId)).flatMap((e) => (e.clinical === null ? [] : [e.clinical]))
  const roomIds = await Promise.all(fileRooms().map((r) => blindRoomName(keys, r)))
  return { spaceId, patientId, rootSecret, secrets: [tiers.clinical!, ...epochs], entries, room, keys, roomIds }
}

/** The keys among `keys` that open one of the file's entries on the relay, whatever its epoch. */
async function keysOpening(keys: readonly CryptoKey[], clinical: Clinical): Promise<CryptoKey[]> {
  const opening: CryptoKey[] = []
  for (const key of keys) {
    for (const entry of clinical.entries) {
      const epoch = epochOfEntry(entry.c)
      const tried: SpaceKeys = { ...clinical.keys, aead: key, ...(epoch === null ? {} : { epochs: GrowingEpochKeyring.of([{ epoch, key }]) }) }
      const opened = await decryptEntry(tried, clinical.room, patientDocId(clinical.patientId), entry.c).then(
        () => true,
        () => false,
      )
      if (opened) {
        opening.push(key)
        break
      }
    }
  }
  return opening
}

/** What a copy of the device's profile holds of the clinical tier: keys opening its entries, secrets, databases. */
async function clinicalLeft(env: DeviceEnvironment, clinical: Clinical): Promise<{ keys: number; secrets: number; databases: string[] }> {
  const copy = await copyOfDevice(env.idbPrefix)
  const secrets = [clinical.rootSecret, ...clinical.secrets]
  const space = `${env.idbPrefix}tournee-space-${clinical.spaceId}`
  return {
    keys: (await keysOpening(copy.keys, clinical)).length,
    secrets: copy.bytes.filter((bytes) => secrets.some((secret) => containsBytes(bytes, secret))).length,
    databases: copy.names.filter((name) => clinical.roomIds.some((id) => name === `${space}-${id}`) || name === `${env.idbPrefix}tournee-attachments-${clinical.spaceId}`),
  }
}

/** Whether the device-held state holds the patient's file (its rows are keyed by the blinded doc id). */
async function holdsFile(env: DeviceEnvironment, stored: StoredPractice, patientId: string): Promise<boolean> {
  const blind = await blindDocId({ spaceId: stored.spaceId, aead: stored.keys.aead, blind: stored.keys.blind }, patientDocId(patientId))
  const name = heldStateDatabase(`${env.idbPrefix}tournee-space-${stored.spaceId}`)
  if (!(await indexedDB.databases()).some((db) => db.name === name)) return false
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  try {
    if (!db.objectStoreNames.contains('docs')) return false
    return await new Promise<boolean>((resolve, reject) => {
      const request = db.transaction('docs').objectStore('docs').get(blind)
      request.onsuccess = () => resolve(request.result !== undefined)
      request.onerror = () => reject(request.error)
    })
  } finally {
    db.close()
  }
}

function storedOf(d: Device): Promise<StoredPractice> {
  return new DeviceRegistry(d.env.idbPrefix, d.env.unlocked).get(d.p.record.spaceId).then((s) => s!)
}

/** The app's move (app/lock/device-session.ts): once the registry narrowed the role, the practice closes and opens again. */
async function reopenOnceNarrowed(d: Device): Promise<Device> {
  await waitFor(() => expect(d.p.role?.get()).toMatchObject({ role: DeviceRole.Secretariat }))
  await d.p.space.destroy()
  return { env: d.env, p: await fixture.track(loadPractice(d.env)) }
}

describe('a device made secretary drops the clinical tier it held', () => {
  it('keeps no clinical key, secret, room or held file; the directory syncs on; no clinical room opens again', async () => {
    const { devices, spaceId, patientId } = await practiceWithANote(['tablette-tilleuls', 'telephone-tilleuls'])
    const [admin, member] = devices as [Device, Device]
    const before = await clinicalLeft(member.env, await clinicalOf(admin, spaceId, patientId))
    // The checks can fail: before the change the member's profile opens the file and holds its room and the root secret.
    expect(before.keys).toBeGreaterThan(0)
    expect(before.secrets).toBeGreaterThan(0)
    expect(before.databases.length).toBeGreaterThan(0)
    expect(await holdsFile(member.env, await storedOf(member), patientId)).toBe(true)

    await changePracticeDevice(spaceId, member.p.record.deviceId, { role: DeviceRole.Secretariat, until: null }, admin.env)
    const after = await reopenOnceNarrowed(member)

    expect(after.p.record).toMatchObject({ role: DeviceRole.Secretariat, until: null, roleNotice: { role: DeviceRole.Secretariat, by: admin.p.record.deviceId } })
    expect(after.p.record.roleNotice?.at).toEqual(expect.any(Number))
    // Epoch 1 (the change's rotation) joins the relay's entries of the file: every secret of both epochs is looked for.
    addNote(await admin.p.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: 'Apres-Changement' }, actorOf(admin.p), testClock)
    await admin.p.space.flush()
    await admin.p.space.whenAcknowledged()
    const clinical = await clinicalOf(admin, spaceId, patientId)
    expect(clinical.entries.some((e) => (epochOfEntry(e.c) ?? 0) >= 1)).toBe(true)
    expect(await clinicalLeft(after.env, clinical)).toEqual({ keys: 0, secrets: 0, databases: [] })
    const stored = await storedOf(after)
    expect(stored.keys).toMatchObject({ clinical: null, attachment: null })
    expect(stored.narrowing).toBeUndefined()
    expect(await holdsFile(after.env, stored, patientId)).toBe(false)
    const registry = new DeviceRegistry(after.env.idbPrefix, after.env.unlocked)
    expect(await registry.rootSecret(spaceId)).toBeNull()
    expect((await registry.heldEpochs(spaceId)).map((e) => [e.epoch, e.clinical, e.attachment])).toEqual([[1, null, null]])
    expect(after.env.unlocked?.get(spaceId)?.secrets.tiers.clinical ?? null).toBeNull()

    // The directory syncs both ways.
    await writePatient(admin, 'Apres-Changement')
    await waitFor(async () => expect(await patientNames(after)).toEqual(['Apres-Changement', 'Le Bihan']))
    await writePatient(after, 'Ecrit-Par-Le-Secretariat')
    await waitFor(async () => expect(await patientNames(admin)).toEqual(['Apres-Changement', 'Ecrit-Par-Le-Secretariat', 'Le Bihan']))
    // No clinical room opens again: not asked for, not by the background pass, not refused by the relay.
    await expect(after.p.space.openDoc(patientDocId(patientId))).rejects.toBeInstanceOf(MissingTierKeyError)
    expect(after.p.space.getSyncState().refusal).toBeNull()
    expect((await clinicalLeft(after.env, clinical)).databases).toEqual([])
  })

  it('seals the passkey’s wrap again without the clinical tier; unlocked again, the practice opens without it', async () => {
    const { devices, spaceId, patientId } = await practiceWithANote(['tablette-chenes', 'telephone-chenes'])
    const [admin, member] = devices as [Device, Device]
    // The member joined in this session: its passkey, chosen now, wraps everything it holds.
    const prf = randomBytes(32)
    expect(await wrapAtRest(spaceId, randomBytes(16), prf, member.env)).toBe(true)
    const registry = new DeviceRegistry(member.env.idbPrefix, member.env.unlocked)
    const opened = async () => {
      const wrapped = (await registry.wrapped(spaceId))!
      return openSecrets(await wrappingKeyFrom(prf, wrapped.salt, spaceId), spaceId, wrapped.sealed)
    }
    expect((await opened()).tiers.clinical).not.toBeNull()

    await changePracticeDevice(spaceId, member.p.record.deviceId, { role: DeviceRole.Secretariat, until: null }, admin.env)
    const after = await reopenOnceNarrowed(member)
    const sealed = await opened()
    expect(sealed).toMatchObject({ tiers: { clinical: null }, rootSecret: null, epochSecrets: [] })
    expect(sealed.heldEpochs.every((e) => e.clinical === null)).toBe(true)
    expect(sealed.credential).not.toBeNull()
    expect(sealed.held).not.toBeNull()
    const clinical = await clinicalOf(admin, spaceId, patientId)
    expect(await clinicalLeft(after.env, clinical)).toEqual({ keys: 0, secrets: 0, databases: [] })

    // Locked, then unlocked with the passkey: the practice opens as secretary, and syncs.
    await after.p.space.destroy()
    await lockAtRest(spaceId, after.env)
    expect(await openAtRest(spaceId, prf, after.env)).toBe(true)
    const unlocked = { env: after.env, p: await fixture.track(loadPractice(after.env)) }
    expect(unlocked.p.record.role).toBe(DeviceRole.Secretariat)
    expect((await storedOf(unlocked)).keys).toMatchObject({ clinical: null, attachment: null })
    await writePatient(admin, 'Apres-Deverrouillage')
    await waitFor(async () => expect(await patientNames(unlocked)).toEqual(['Apres-Deverrouillage', 'Le Bihan']))
    expect(await clinicalLeft(unlocked.env, clinical)).toEqual({ keys: 0, secrets: 0, databases: [] })
  })

  it('finishes at the next start what a closed tab left: after the registry was read, and between the two steps', async () => {
    const { devices, spaceId, patientId } = await practiceWithANote(['tablette-ormes', 'telephone-ormes', 'portable-ormes'])
    const [admin, read, halfway] = devices as [Device, Device, Device]
    const storedHalfway = await storedOf(halfway)
    for (const d of [read, halfway]) {
      await d.p.space.destroy()
      await changePracticeDevice(spaceId, d.p.record.deviceId, { role: DeviceRole.Secretariat, until: null }, admin.env)
    }
    const clinical = await clinicalOf(admin, spaceId, patientId)
    // A new page on the same profile: nothing of the last session in memory.
    const restarted = (d: Device): DeviceEnvironment => ({ ...d.env, unlocked: new UnlockedKeys(), epochRings: new Map() })

    // One read the registry (and kept it), then its tab closed before anything was dropped.
    expect(await checkRole(spaceId, read.env)).toMatchObject({ role: DeviceRole.Secretariat })
    expect((await clinicalLeft(read.env, clinical)).keys, 'nothing dropped yet').toBeGreaterThan(0)
    // The other dropped the keys, and its tab closed before the databases went.
    const narrowing = (await checkRole(spaceId, halfway.env))!
    await narrowRole(spaceId, narrowing, halfway.env)
    expect(await clinicalLeft(halfway.env, clinical)).toMatchObject({ keys: 0, secrets: 0 })
    expect((await clinicalLeft(halfway.env, clinical)).databases.length, 'the databases are still there').toBeGreaterThan(0)
    expect((await storedOf(halfway)).narrowing?.databases.length).toBeGreaterThan(0)

    for (const d of [read, halfway]) {
      const env = restarted(d)
      const again = { env, p: await fixture.track(loadPractice(env)) }
      expect(again.p.record.role).toBe(DeviceRole.Secretariat)
      expect(await clinicalLeft(env, clinical)).toEqual({ keys: 0, secrets: 0, databases: [] })
      expect((await storedOf(again)).narrowing).toBeUndefined()
      await writePatient(admin, `Apres-Redemarrage-${d.p.record.deviceId}`)
      await waitFor(async () => expect(await patientNames(again)).toContain(`Apres-Redemarrage-${d.p.record.deviceId}`))
    }
    expect(await holdsFile(halfway.env, storedHalfway, patientId)).toBe(false)
  })
  it('reads the clinical files of every epoch again once upgraded, after the deletions of its downgrade', async () => {
    const { devices, spaceId, patientId } = await practiceWithANote(['tablette-saules', 'telephone-saules'])
    const [admin, member] = devices as [Device, Device]
    await changePracticeDevice(spaceId, member.p.record.deviceId, { role: DeviceRole.Secretariat, until: null }, admin.env)
    const narrowed = await reopenOnceNarrowed(member)
    // Settled: its clinical rooms' databases and held state are gone, and it holds no clinical key.
    expect(await clinicalLeft(narrowed.env, await clinicalOf(admin, spaceId, patientId))).toEqual({ keys: 0, secrets: 0, databases: [] })
    expect((await storedOf(narrowed)).narrowing).toBeUndefined()
    // Written under epoch 1 (the downgrade's rotation) while it was secretary.
    addNote(await admin.p.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: 'Pendant-Secretariat' }, actorOf(admin.p), testClock)
    await admin.p.space.flush()
    await admin.p.space.whenAcknowledged()

    // Made praticien again while open: it takes its grant live (role-change.ts), and the app opens the practice again with it.
    await changePracticeDevice(spaceId, member.p.record.deviceId, { role: DeviceRole.Practitioner, until: null }, admin.env)
    await waitFor(() => expect(narrowed.p.role?.get()).toMatchObject({ widened: true, role: DeviceRole.Practitioner }))
    await narrowed.p.space.destroy()
    const upgraded: Device = { env: narrowed.env, p: await fixture.track(loadPractice(narrowed.env)) }
    expect(upgraded.p.record).toMatchObject({ role: DeviceRole.Practitioner, roleNotice: { role: DeviceRole.Practitioner, by: admin.p.record.deviceId } })
    addNote(await admin.p.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: 'Apres-Promotion' }, actorOf(admin.p), testClock)
    await admin.p.space.flush()
    await admin.p.space.whenAcknowledged()
    // Its clinical databases were deleted: every note comes back from the relay, of epoch 0 (before the downgrade) and of epoch 1.
    const read = async () => listNotes(await upgraded.p.space.openDoc(patientDocId(patientId))).items.map((n) => String(n.text)).sort()
    await waitFor(async () => expect(await read()).toEqual(['Apres-Promotion', 'Note-Clinique', 'Pendant-Secretariat']))
    const epochs = (await clinicalOf(admin, spaceId, patientId)).entries.map((e) => epochOfEntry(e.c) ?? 0)
    expect(new Set(epochs), 'the file holds entries of both epochs').toEqual(new Set([0, 1]))
    expect((await new DeviceRegistry(upgraded.env.idbPrefix, upgraded.env.unlocked).heldEpochs(spaceId)).map((e) => [e.epoch, e.clinical !== null])).toEqual([[1, true]])
  })
})
