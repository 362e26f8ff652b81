/**
 * A device's role changed without revoking it (issue 19, « change » entry of the device registry),
 * through a real relay process: a praticien's device made secretary has its open socket on a
 * clinical room closed at once (4403, the relay's role refusal), its credential refused on
 * clinical rooms from then on while the practice tier stays open to it, and the practice moves to
 * a key epoch whose clinical key it is never given: the clinical entries written after are
 * unreadable with everything it holds. The device then applies the change itself: opened again, it
 * is secretary and keeps no clinical key (client/src/sync/device/role-downgrade.ts; the raw stores:
 * tests/role-downgrade-local.test.ts). Made praticien again, its open sockets close with 4205 so
 * that it reads the registry and takes its grant (tests/key-grants.test.ts). (A locum's end date
 * extended: tests/locum-end.test.ts, which sets the relay's clock.)
 */
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { loadPractice } from '../client/src/sync/device/device'
import { changePracticeDevice, readPracticeDevices } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { RefusalReason } from '../client/src/sync/errors'
import { GrowingEpochKeyring } from '../shared/src/crypto/key-epochs'
import { derivePracticeKeys, deriveTierSecrets, type SpaceKeys } from '../shared/src/crypto/space-keys'
import { DeviceRole } from '../shared/src/devices/registry-chain'
import { decryptEntry, epochOfEntry, MissingEpochKeyError } from '../shared/src/envelope/entry-cipher'
import { DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { addNote, listNotes } from '../shared/src/model/patient-file'
import { addPatient } from '../shared/src/model/patients'
import { CloseCode } from '../shared/src/protocol/constants'
import { blindRoomName, keysOfRoom } from '../shared/src/space/room-keys'
import { MAIN_ROOM, roomOf } from '../shared/src/space/rooms'
import { SyncTestClient } from '../relay/src/test-support/sync-test-client'
import { copyOfRelayDatabase, entriesOf, MEMBER, patientNames, practiceOf, writePatient, type Device } from './helpers/epoch-practice'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()
const PRACTICE = { name: 'Cabinet des Frênes', practitioner: 'Maëlle', profession: 'kine' } as const

const text = (bytes: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(bytes)

describe('a praticien’s device made secretary, without revoking it', () => {
  it('loses its clinical sockets at once (4403), is refused on clinical rooms, and reads no clinical entry written after', async () => {
    const [admin, member] = (await practiceOf(fixture, ['tablette-frenes', 'telephone-frenes'], [undefined, MEMBER], PRACTICE)) as [Device, Device]
    const spaceId = admin.p.record.spaceId
    const patientId = addPatient(await admin.p.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Le Goff', firstNames: 'Annaïg' }, actorOf(admin.p), testClock)
    addNote(await admin.p.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: 'Avant-Changement' }, actorOf(admin.p), testClock)
    await admin.p.space.flush()
    await admin.p.space.whenAcknowledged()
    await waitFor(async () => expect(listNotes(await member.p.space.openDoc(patientDocId(patientId))).items).toHaveLength(1))

    // The rooms' ids on the relay, from the administrator's root secret; the member's credential.
    const rootSecret = (await new DeviceRegistry(admin.env.idbPrefix).rootSecret(spaceId))!
    const full = await derivePracticeKeys(spaceId, await deriveTierSecrets(spaceId, rootSecret))
    const fileRoom = await roomOf(patientDocId(patientId))
    const fileKeys = keysOfRoom(full, fileRoom)
    const fileRoomId = await blindRoomName(fileKeys, fileRoom)
    const mainRoomId = await blindRoomName(full, MAIN_ROOM)
    const memberStored = (await new DeviceRegistry(member.env.idbPrefix).get(spaceId))!
    const connect = (roomId: string) => SyncTestClient.connect(fixture.relay.url, spaceId, memberStored.credential, { roomId })
    const openFile = await connect(fileRoomId)
    const openMain = await connect(mainRoomId)
    await waitFor(() => expect(openFile.doc.getArray('entries').length).toBeGreaterThan(0))

    await changePracticeDevice(spaceId, member.p.record.deviceId, { role: DeviceRole.Secretariat, until: null }, admin.env)

    // Every device verifying the chain reads the new role; the device keeps its keys and credential.
    const registered = (await readPracticeDevices(spaceId, admin.env))!.state.devices.get(member.p.record.deviceId)
    expect(registered).toMatchObject({ role: DeviceRole.Secretariat, admin: false, revokedAt: null })
    // Its open clinical socket closes with the role refusal; its practice-tier socket stays open.
    await waitFor(() => expect(openFile.closed).toEqual({ code: CloseCode.RoleForbidden.code, reason: CloseCode.RoleForbidden.reason }))
    expect(openMain.closed).toBeNull()
    openMain.destroy()
    // The device's own app, whose file room was open: refused « role-forbidden », not retrying.
    await waitFor(() => expect(member.p.space.getSyncState()).toMatchObject({ status: 'refused', refusal: RefusalReason.RoleForbidden }))
    // From then on its credential is refused on the clinical rooms, not on the practice tier.
    const again = await connect(fileRoomId)
    await waitFor(() => expect(again.closed).toEqual({ code: CloseCode.RoleForbidden.code, reason: CloseCode.RoleForbidden.reason }))
    expect(again.doc.getArray('entries').length, 'not one entry of the file reached it').toBe(0)
    const main = await connect(mainRoomId)
    await waitFor(() => expect(main.doc.getArray('entries').length).toBeGreaterThan(0))
    expect(main.closed).toBeNull()
    main.destroy()

    // The keys moved to epoch 1, like after a revocation; the member is sealed its practice tier alone.
    expect((await new DeviceRegistry(admin.env.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1])
    addNote(await admin.p.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: 'Apres-Changement' }, actorOf(admin.p), testClock)
    await writePatient(admin, 'Apres-Changement')
    await admin.p.space.flush()
    await admin.p.space.whenAcknowledged()
    // It still reads the practice tier written under the new epoch.
    await waitFor(async () => expect(await patientNames(member)).toEqual(['Apres-Changement', 'Le Goff']))
    const memberEpochs = await new DeviceRegistry(member.env.idbPrefix).heldEpochs(spaceId)
    expect(memberEpochs.map((e) => [e.epoch, e.clinical])).toEqual([[1, null]])

    // The clinical entries written after: under epoch 1, which nothing the member holds opens.
    const db = await copyOfRelayDatabase(fixture)
    const entries = await entriesOf(db, fileKeys, fileRoomId, patientDocId(patientId))
    db.close()
    const later = entries.filter((e) => (epochOfEntry(e.c) ?? 0) >= 1)
    const earlier = entries.filter((e) => epochOfEntry(e.c) === null)
    expect(later.length).toBeGreaterThanOrEqual(1)
    const adminEpochs = await new DeviceRegistry(admin.env.idbPrefix).heldEpochs(spaceId)
    const adminClinical: SpaceKeys = { ...fileKeys, epochs: GrowingEpochKeyring.of(adminEpochs.map((e) => ({ epoch: e.epoch, key: e.clinical! }))) }
    const readByAdmin = await Promise.all(later.map(async (e) => text((await decryptEntry(adminClinical, fileRoom, patientDocId(patientId), e.c)).update)))
    expect(readByAdmin.join('\n')).toContain('Apres-Changement')
    const memberClinical: SpaceKeys = {
      spaceId,
      aead: memberStored.keys.clinical!,
      blind: memberStored.keys.blind,
      epochs: GrowingEpochKeyring.of(memberEpochs.flatMap((e) => (e.clinical === null ? [] : [{ epoch: e.epoch, key: e.clinical }]))),
    }
    for (const entry of later) {
      await expect(decryptEntry(memberClinical, fileRoom, patientDocId(patientId), entry.c)).rejects.toThrow(MissingEpochKeyError)
      // Every key it holds tried as the new epoch's clinical key: none opens it.
      for (const key of [memberStored.keys.clinical!, memberStored.keys.aead, ...memberEpochs.map((e) => e.practice)]) {
        const forced = { ...memberClinical, epochs: GrowingEpochKeyring.of([{ epoch: epochOfEntry(entry.c)!, key }]) }
        await expect(decryptEntry(forced, fileRoom, patientDocId(patientId), entry.c)).rejects.toThrow(/authentication/)
      }
    }
    // What it read before the change, it still holds the key of (revocation cannot undo that either).
    const earlierByMember = await Promise.all(earlier.map(async (e) => text((await decryptEntry(memberClinical, fileRoom, patientDocId(patientId), e.c)).update)))
    expect(earlierByMember.join('\n')).toContain('Avant-Changement')

    // Until the device applies the change itself (role-downgrade.ts): it read the registry on the
    // 4403, and the app opens the practice again narrowed — no clinical key left, of any epoch.
    await waitFor(() => expect(member.p.role?.get()).toMatchObject({ role: DeviceRole.Secretariat, notice: { by: admin.p.record.deviceId } }))
    await member.p.space.destroy()
    const narrowed = await fixture.track(loadPractice(member.env))
    expect(narrowed.record).toMatchObject({ role: DeviceRole.Secretariat, roleNotice: { role: DeviceRole.Secretariat, by: admin.p.record.deviceId } })
    const kept = (await new DeviceRegistry(member.env.idbPrefix, member.env.unlocked).get(spaceId))!
    expect(kept.keys).toMatchObject({ clinical: null, attachment: null })
    const keptEpochs = await new DeviceRegistry(member.env.idbPrefix, member.env.unlocked).heldEpochs(spaceId)
    expect(keptEpochs.map((e) => [e.epoch, e.clinical])).toEqual([[1, null]])
    // What it read before the change, nothing it keeps opens any more.
    for (const entry of earlier) {
      for (const key of [kept.keys.aead, ...keptEpochs.map((e) => e.practice)]) {
        await expect(decryptEntry({ ...memberClinical, aead: key }, fileRoom, patientDocId(patientId), entry.c)).rejects.toThrow(/authentication/)
      }
    }
    // The practice tier syncs on.
    await writePatient(admin, 'Apres-Application')
    await waitFor(async () => expect(await patientNames({ env: member.env, p: narrowed })).toEqual(['Apres-Application', 'Apres-Changement', 'Le Goff']))
  })
  it('a secretary’s device made praticien again has its open sockets closed with 4205 (not a refusal), and opens clinical rooms from then on', async () => {
    const [admin, member] = (await practiceOf(fixture, ['tablette-hetres', 'telephone-hetres'], [undefined, MEMBER], PRACTICE)) as [Device, Device]
    const spaceId = admin.p.record.spaceId
    await changePracticeDevice(spaceId, member.p.record.deviceId, { role: DeviceRole.Secretariat, until: null }, admin.env)
    const rootSecret = (await new DeviceRegistry(admin.env.idbPrefix).rootSecret(spaceId))!
    const full = await derivePracticeKeys(spaceId, await deriveTierSecrets(spaceId, rootSecret))
    const mainRoomId = await blindRoomName(full, MAIN_ROOM)
    const fileRoom = await roomOf(patientDocId('patient-hetres'))
    const fileRoomId = await blindRoomName(keysOfRoom(full, fileRoom), fileRoom)
    const memberStored = (await new DeviceRegistry(member.env.idbPrefix).get(spaceId))!
    const connect = (roomId: string) => SyncTestClient.connect(fixture.relay.url, spaceId, memberStored.credential, { roomId })
    const openMain = await connect(mainRoomId)
    const adminMain = await SyncTestClient.connect(fixture.relay.url, spaceId, (await new DeviceRegistry(admin.env.idbPrefix).get(spaceId))!.credential, { roomId: mainRoomId })

    await changePracticeDevice(spaceId, member.p.record.deviceId, { role: DeviceRole.Practitioner, until: null }, admin.env)
    // The widened device's socket closes so that it reconnects and reads the registry; another device's stays.
    await waitFor(() => expect(openMain.closed).toEqual({ code: CloseCode.RoleWidened.code, reason: CloseCode.RoleWidened.reason }))
    expect(adminMain.closed).toBeNull()
    adminMain.destroy()
    const file = await connect(fileRoomId)
    // Admitted: the relay answers its sync step 1 (a refused room closes at once, 4403, with none).
    await waitFor(() => expect(file.syncFrames.some((f) => f.kind === 'step2')).toBe(true))
    expect(file.closed).toBeNull()
    file.destroy()
  })
})
