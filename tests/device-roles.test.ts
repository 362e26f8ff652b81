/**
 * Roles enforced by keys, through a real relay process (issue 19, « People and roles »): a
 * secretary's device is paired with the practice tier's keys alone — its storage holds no
 * clinical key nor the root secret — reads the directory and the agenda, never opens a patient
 * file, and the relay refuses its credential on the clinical rooms (4403) and on attachments
 * (403), while a praticien's goes in.
 */
import { describe, expect, it } from 'vitest'
import { createPractice, getPairingCode, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { claimPairing, JoiningPairing } from '../client/src/sync/device/pairing'
import { readPracticeDevices, type DeviceGrantOptions } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { decryptAttachment, deriveAttachmentKey, encryptAttachment } from '../shared/src/attachments/attachment-cipher'
import { randomBytes } from '../shared/src/crypto/base64url'
import { asBuffer, derivePracticeKeys, deriveTierSecrets } from '../shared/src/crypto/space-keys'
import { DeviceRole } from '../shared/src/devices/registry-chain'
import { listAppointments } from '../shared/src/model/agenda'
import { monthOf } from '../shared/src/model/dates'
import { DIRECTORY_DOC_ID, agendaDocId, patientDocId } from '../shared/src/model/doc-ids'
import { addNote } from '../shared/src/model/patient-file'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { listPractitioners } from '../shared/src/model/practitioners'
import { CloseCode } from '../shared/src/protocol/constants'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName, keysOfRoom, MissingTierKeyError } from '../shared/src/space/room-keys'
import { MAIN_ROOM, roomOf } from '../shared/src/space/rooms'
import { SyncTestClient } from '../relay/src/test-support/sync-test-client'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { bookIn } from './helpers/room-devices'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()
const MONTH = monthOf(TEST_TODAY)
const SECRETARY: DeviceGrantOptions = { role: DeviceRole.Secretariat, admin: false, until: null }

async function pair(admin: { device: OpenPractice; env: DeviceEnvironment }, name: string, grant: DeviceGrantOptions) {
  const env = nodeDeviceEnvironment(name)
  const pairing = await JoiningPairing.open(fixture.relay.url, env)
  const joined = pairing.wait({ pollMs: 20 })
  await (await claimPairing(admin.device.record.spaceId, pairing.code, admin.env)).accept(grant)
  return { device: await fixture.track(joined), env }
}

/** Whether `key` opens what `sealedBy` encrypted (AES-GCM): the test of « holds that key ». */
async function opens(key: CryptoKey, sealedBy: CryptoKey): Promise<boolean> {
  const iv = asBuffer(randomBytes(12))
  const plain = new TextEncoder().encode('note de séance')
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, sealedBy, plain)
  return crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed).then(
    () => true,
    () => false,
  )
}

describe('a secretary’s device', () => {
  it('holds no clinical key, reads the directory and the agenda, never opens a file; the relay refuses it on clinical rooms and attachments', async () => {
    const adminEnv = nodeDeviceEnvironment('tablette-praticien')
    const admin = {
      env: adminEnv,
      device: await fixture.track(
        createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet des Tilleuls', practitioner: { displayName: 'Inès', profession: 'kine' } }, adminEnv),
      ),
    }
    const directory = await admin.device.space.openDoc(DIRECTORY_DOC_ID)
    const patientId = addPatient(directory, { birthName: 'Vandermolen', firstNames: 'Odile', phones: ['06 11 22 33 44'] }, actorOf(admin.device), testClock)
    const [practitioner] = listPractitioners(directory).items
    await bookIn(admin.device, MONTH, { practitionerId: practitioner!.id, patientId })
    const file = await admin.device.space.openDoc(patientDocId(patientId))
    addNote(file, { date: TEST_TODAY, kind: 'session', text: 'Entorse de cheville, J+3' }, actorOf(admin.device), testClock)
    await admin.device.space.flush()
    await admin.device.space.whenAcknowledged()

    const secretary = await pair(admin, 'accueil', SECRETARY)
    expect(secretary.device.record).toMatchObject({ role: DeviceRole.Secretariat, until: null })

    // What its storage holds: the practice tier's keys only, and no root secret.
    const registry = new DeviceRegistry(secretary.env.idbPrefix)
    const stored = (await registry.get(secretary.device.record.spaceId))!
    expect(stored.keys.clinical).toBeNull()
    expect(stored.keys.attachment).toBeNull()
    expect(await registry.rootSecret(secretary.device.record.spaceId)).toBeNull()
    // None of the keys it holds opens what the clinical keys seal (the administrator's, from its root secret).
    const spaceId = admin.device.record.spaceId
    const rootSecret = (await new DeviceRegistry(admin.env.idbPrefix).rootSecret(spaceId))!
    const tiers = await deriveTierSecrets(spaceId, rootSecret)
    const full = await derivePracticeKeys(spaceId, tiers)
    const attachmentKey = await deriveAttachmentKey(spaceId, tiers.clinical)
    const held = [stored.keys.aead, stored.keys.digest]
    for (const key of held) {
      expect(await opens(key, full.clinical!)).toBe(false)
      expect(await opens(key, attachmentKey)).toBe(false)
    }
    // The control: the practice tier's key the secretary holds is the one the practice uses.
    expect(await opens(stored.keys.aead, full.aead)).toBe(true)

    // It reads the practice tier: the patient's identity and contact, the appointment.
    const identity = (doc: Parameters<typeof listPatients>[0]) => listPatients(doc).items.map((p) => [p.birthName, p.firstNames, p.phones])
    expect(identity(directory)).toHaveLength(1)
    await waitFor(async () => expect(identity(await secretary.device.space.openDoc(DIRECTORY_DOC_ID))).toEqual(identity(directory)))
    await waitFor(async () => expect(listAppointments(await secretary.device.space.openDoc(agendaDocId(MONTH)), {}).items).toHaveLength(1))
    // And never opens a patient file: refused on the device, before any room.
    await expect(secretary.device.space.openDoc(patientDocId(patientId))).rejects.toBeInstanceOf(MissingTierKeyError)
    expect(secretary.device.space.handle().readsClinical).toBe(false)
    expect(admin.device.space.handle().readsClinical).toBe(true)

    // The relay: its credential is refused on the file's room (4403), a praticien's is not.
    const credentialOf = async (env: DeviceEnvironment) => (await new DeviceRegistry(env.idbPrefix).get(spaceId))!.credential
    const fileRoom = await roomOf(patientDocId(patientId))
    const fileRoomId = await blindRoomName(keysOfRoom(full, fileRoom), fileRoom)
    const mainRoomId = await blindRoomName(full, MAIN_ROOM)
    const raw = await SyncTestClient.connect(fixture.relay.url, spaceId, await credentialOf(secretary.env), { roomId: fileRoomId })
    await waitFor(() => expect(raw.closed).toEqual({ code: CloseCode.RoleForbidden.code, reason: CloseCode.RoleForbidden.reason }))
    expect(raw.doc.getArray('entries').length, 'not one entry of the file reached it').toBe(0)
    const main = await SyncTestClient.connect(fixture.relay.url, spaceId, await credentialOf(secretary.env), { roomId: mainRoomId })
    await waitFor(() => expect(main.doc.getArray('entries').length).toBeGreaterThan(0))
    expect(main.closed).toBeNull()
    main.destroy()
    const practitionerSocket = await SyncTestClient.connect(fixture.relay.url, spaceId, await credentialOf(admin.env), { roomId: fileRoomId })
    await waitFor(() => expect(practitionerSocket.doc.getArray('entries').length).toBeGreaterThan(0))
    expect(practitionerSocket.closed).toBeNull()
    practitionerSocket.destroy()

    // Attachments: the praticien stores one; the secretary is refused both ways, with 403 naming its role.
    const sealed = await encryptAttachment(attachmentKey, spaceId, new TextEncoder().encode('ordonnance.pdf'))
    const url = `${fixture.relay.url}/v1/spaces/${spaceId}/attachments/${sealed.hash}`
    const put = (credential: string) => fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${credential}` }, body: sealed.blob.slice().buffer })
    expect((await put(await credentialOf(admin.env))).status).toBe(201)
    const refusedPut = await put(await credentialOf(secretary.env))
    expect(refusedPut.status).toBe(403)
    expect(await refusedPut.json()).toMatchObject({ field: 'role' })
    const refusedGet = await fetch(url, { headers: { authorization: `Bearer ${await credentialOf(secretary.env)}` } })
    expect(refusedGet.status).toBe(403)
    const got = await fetch(url, { headers: { authorization: `Bearer ${await credentialOf(admin.env)}` } })
    expect(await decryptAttachment(attachmentKey, spaceId, sealed.hash, new Uint8Array(await got.arrayBuffer()))).toEqual(new TextEncoder().encode('ordonnance.pdf'))

    // The registry says what it is, to every device that verifies it.
    const devices = (await readPracticeDevices(spaceId, admin.env))!.state.devices
    expect(devices.get(secretary.device.record.deviceId)).toMatchObject({ role: DeviceRole.Secretariat, admin: false })
    // It cannot pair others: it holds nothing to seal.
    await expect(getPairingCode(spaceId, secretary.env)).rejects.toThrow(/administrator/)
  })

  it('the payload a secretary was sealed carries the practice tier only (no clinical tier, no root secret)', async () => {
    const adminEnv = nodeDeviceEnvironment('tablette-2')
    const admin = await fixture.track(
      createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet des Aulnes', practitioner: { displayName: 'Nadège', profession: 'infirmier' } }, adminEnv),
    )
    const grant = { deviceId: 'accueilAAAAA', credential: 'x'.repeat(43), ...SECRETARY }
    const payload = decodePairingCode(await getPairingCode(admin.record.spaceId, adminEnv, grant))
    expect(payload).toMatchObject({ role: DeviceRole.Secretariat, admin: false, rootSecret: null, tiers: { clinical: null } })
    const root = (await new DeviceRegistry(adminEnv.idbPrefix).rootSecret(admin.record.spaceId))!
    expect(payload.tiers.practice).toEqual((await deriveTierSecrets(admin.record.spaceId, root)).practice)
  })
})
