/**
 * A locum's end of access (issue 19, « People and roles »), on a relay whose clock the test sets:
 * the locum's device reads everything a praticien does until its end date; from that instant, by
 * the relay's clock, its open sockets close (4411) and every route and upgrade refuses its
 * credential with 401 naming `ended`, so the device knows why (and erases: app/lock/device-session.ts).
 *
 * In process (startRelay, real HTTP and WebSockets on a port): a relay process reads the wall
 * clock, and the suite must pass on any day of any year.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { claimPairing, JoiningPairing } from '../client/src/sync/device/pairing'
import { changePracticeDevice, readPracticeDevices, revokeEndedLocums } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { RefusalReason } from '../client/src/sync/errors'
import { RelayClient } from '../client/src/sync/relay/relay-client'
import { DeviceRole } from '../shared/src/devices/registry-chain'
import { addDays, joinDateTime, toInstant } from '../shared/src/model/dates'
import { DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { addNote, listNotes } from '../shared/src/model/patient-file'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { CloseCode } from '../shared/src/protocol/constants'
import { SyncTestClient, TEST_ROOM_ID } from '../relay/src/test-support/sync-test-client'
import { silentLogger } from '../relay/src/log'
import { startRelay, type RunningRelay } from '../relay/src/server'
import { testRelayConfig } from '../relay/src/test-support/relay-config'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { actorOf } from './helpers/relay-fixture'
import { TEST_TIME_ZONE, TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

/** The relay's « now »: the test's calendar, moved by the test. */
let relayNow = toInstant(joinDateTime(TEST_TODAY, '10:00'), TEST_TIME_ZONE)
/** The locum's access ends at midnight after tomorrow (its last day), in the practice's zone. */
const UNTIL = toInstant(joinDateTime(addDays(TEST_TODAY, 2), '00:00'), TEST_TIME_ZONE)

let relay: RunningRelay
let url: string
let dataDir: string
const opened: OpenPractice[] = []

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tournee-locum-'))
  relay = await startRelay(
    // The tick at which an open socket past its end date closes: short, so the test waits little.
    testRelayConfig(dataDir, {}, { keepAliveMs: 100 }),
    { logger: silentLogger, now: () => relayNow },
  )
  url = `http://127.0.0.1:${relay.port}`
})

afterAll(async () => {
  for (const p of opened) await p.space.destroy().catch(() => undefined)
  await relay.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function track(opening: Promise<OpenPractice>): Promise<OpenPractice> {
  const practice = await opening
  opened.push(practice)
  return practice
}

/** A locum's device paired by the administrator's, its access ending at UNTIL. */
async function pairLocum(admin: OpenPractice, adminEnv: DeviceEnvironment, name: string): Promise<{ locum: OpenPractice; locumEnv: DeviceEnvironment }> {
  const locumEnv: DeviceEnvironment = nodeDeviceEnvironment(name)
  const pairing = await JoiningPairing.open(url, locumEnv)
  const joined = pairing.wait({ pollMs: 20 })
  await (await claimPairing(admin.record.spaceId, pairing.code, adminEnv)).accept({ role: DeviceRole.Locum, admin: false, until: UNTIL })
  return { locum: await track(joined), locumEnv }
}

describe('a locum past its end date', () => {
  it('reads the practice until then; from its end date the relay closes its sockets (4411) and refuses it everywhere, naming why', async () => {
    const adminEnv = nodeDeviceEnvironment('tablette')
    const admin = await track(createPractice({ relayUrl: url, practiceName: 'Cabinet des Saules', practitioner: { displayName: 'Lucie', profession: 'kine' } }, adminEnv))
    const directory = await admin.space.openDoc(DIRECTORY_DOC_ID)
    const patientId = addPatient(directory, { birthName: 'Kerbrat', firstNames: 'Yann' }, actorOf(admin), testClock)
    addNote(await admin.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: 'Lombalgie' }, actorOf(admin), testClock)
    await admin.space.flush()
    await admin.space.whenAcknowledged()

    const { locum, locumEnv } = await pairLocum(admin, adminEnv, 'telephone-remplacant')
    expect(locum.record).toMatchObject({ role: DeviceRole.Locum, until: UNTIL })
    const registered = (await readPracticeDevices(admin.record.spaceId, adminEnv))!.state.devices.get(locum.record.deviceId)
    expect(registered).toMatchObject({ role: DeviceRole.Locum, until: UNTIL, admin: false })

    // Before its end date: a praticien's access — the directory and the patient's file.
    await waitFor(async () => expect(listPatients(await locum.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName)).toEqual(['Kerbrat']))
    await waitFor(async () => expect(listNotes(await locum.space.openDoc(patientDocId(patientId))).items).toHaveLength(1))
    const credential = (await new DeviceRegistry(locumEnv.idbPrefix).get(admin.record.spaceId))!.credential
    const probe = () => new RelayClient({ relayUrl: url, spaceId: admin.record.spaceId, credential }).probeAccess()
    relayNow = UNTIL - 1
    expect(await probe()).toEqual({ kind: 'ok' })
    const raw = await SyncTestClient.connect(url, admin.record.spaceId, credential, { roomId: `p${TEST_ROOM_ID.slice(1)}` })

    // Its end date, by the relay's clock: the open sockets close, the device is told why.
    relayNow = UNTIL
    await waitFor(() => expect(raw.closed).toEqual({ code: CloseCode.AccessEnded.code, reason: CloseCode.AccessEnded.reason }))
    await waitFor(() => expect(locum.space.getSyncState()).toMatchObject({ status: 'refused', refusal: RefusalReason.Ended }))
    expect(await probe()).toEqual({ kind: 'refused', reason: RefusalReason.Ended })
    const devicesRoute = await fetch(`${url}/v1/spaces/${admin.record.spaceId}/devices`, { headers: { authorization: `Bearer ${credential}` } })
    expect(devicesRoute.status).toBe(401)
    expect(await devicesRoute.json()).toMatchObject({ field: 'ended' })
    // The praticien goes on.
    await admin.space.flush()
    expect(admin.space.getSyncState().refusal).toBeNull()
    expect(await new RelayClient({ relayUrl: url, spaceId: admin.record.spaceId, credential: (await new DeviceRegistry(adminEnv.idbPrefix).get(admin.record.spaceId))!.credential }).probeAccess()).toEqual({ kind: 'ok' })
  })

  it('is revoked by an administrator’s device once its end has passed, and the practice moves to a key epoch it never receives', async () => {
    relayNow = UNTIL - 60_000
    const adminEnv = nodeDeviceEnvironment('bureau')
    const admin = await track(createPractice({ relayUrl: url, practiceName: 'Cabinet des Aulnes', practitioner: { displayName: 'Lucie', profession: 'kine' } }, adminEnv))
    const { locum, locumEnv } = await pairLocum(admin, adminEnv, 'tablette-remplacant')
    const spaceId = admin.record.spaceId

    // Before its end, by the administrator's clock: nothing to do.
    expect(await revokeEndedLocums(spaceId, { ...adminEnv, now: () => UNTIL - 1 })).toEqual([])
    // After it: revoked, once; the next epoch is sealed to the others, not to it.
    relayNow = UNTIL + 1000
    const after = { ...adminEnv, now: () => UNTIL + 1000 }
    expect(await revokeEndedLocums(spaceId, after)).toEqual([locum.record.deviceId])
    expect(await revokeEndedLocums(spaceId, after)).toEqual([])
    const registered = (await readPracticeDevices(spaceId, after))!.state.devices.get(locum.record.deviceId)
    expect(registered).toMatchObject({ revokedBy: admin.record.deviceId, revokedAt: UNTIL + 1000 })
    expect((await new DeviceRegistry(adminEnv.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1])
    expect(await new DeviceRegistry(locumEnv.idbPrefix).heldEpochs(spaceId)).toEqual([])
  })
})

describe('a locum whose replacement is extended', () => {
  it('past its end date, refused; its end date moved by an administrator (« change », not a revocation), let back in with the same credential', async () => {
    relayNow = UNTIL - 60_000
    // The administrator's clock: before the end, so that it does not revoke the locum by itself.
    const adminEnv: DeviceEnvironment = { ...nodeDeviceEnvironment('bureau-prolonge'), now: () => UNTIL - 1 }
    const admin = await track(createPractice({ relayUrl: url, practiceName: 'Cabinet des Charmes', practitioner: { displayName: 'Lucie', profession: 'kine' } }, adminEnv))
    const patientId = addPatient(await admin.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Morvan', firstNames: 'Gwen' }, actorOf(admin), testClock)
    addNote(await admin.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: 'Cervicalgie' }, actorOf(admin), testClock)
    await admin.space.flush()
    await admin.space.whenAcknowledged()
    const { locum, locumEnv } = await pairLocum(admin, adminEnv, 'telephone-prolonge')
    const spaceId = admin.record.spaceId
    const credential = (await new DeviceRegistry(locumEnv.idbPrefix).get(spaceId))!.credential
    const probe = () => new RelayClient({ relayUrl: url, spaceId, credential }).probeAccess()

    // Its end date passes, by the relay's clock: refused, as any ended locum.
    relayNow = UNTIL + 1000
    await waitFor(() => expect(locum.space.getSyncState()).toMatchObject({ status: 'refused', refusal: RefusalReason.Ended }))
    expect(await probe()).toEqual({ kind: 'refused', reason: RefusalReason.Ended })

    const extended = UNTIL + 14 * 86_400_000
    await changePracticeDevice(spaceId, locum.record.deviceId, { role: DeviceRole.Locum, until: extended }, adminEnv)
    expect((await readPracticeDevices(spaceId, adminEnv))!.state.devices.get(locum.record.deviceId)).toMatchObject({ role: DeviceRole.Locum, until: extended, revokedAt: null })
    // Back in: the same credential opens the space and its clinical rooms, until the new end date.
    expect(await probe()).toEqual({ kind: 'ok' })
    const devicesRoute = await fetch(`${url}/v1/spaces/${spaceId}/devices`, { headers: { authorization: `Bearer ${credential}` } })
    expect(devicesRoute.status).toBe(200)
    const raw = await SyncTestClient.connect(url, spaceId, credential, { roomId: `p${TEST_ROOM_ID.slice(1)}` })
    // An extension is no key loss: no rotation, the locum keeps reading with the keys it has.
    expect(await new DeviceRegistry(adminEnv.idbPrefix).heldEpochs(spaceId)).toEqual([])
    // Past the new end date, the socket open across it closes (its end date followed the change).
    relayNow = extended
    await waitFor(() => expect(raw.closed).toEqual({ code: CloseCode.AccessEnded.code, reason: CloseCode.AccessEnded.reason }))
    expect(await probe()).toEqual({ kind: 'refused', reason: RefusalReason.Ended })
  })
})

describe('the administrator’s device coming online', () => {
  it('revokes a locum whose end passed while it was offline, by itself: no one has to think of it', async () => {
    relayNow = UNTIL - 60_000
    // The administrator's device clock, moved by the test like the relay's.
    let adminNow = UNTIL - 60_000
    const adminEnv: DeviceEnvironment = { ...nodeDeviceEnvironment('bureau-2'), now: () => adminNow }
    const admin = await track(createPractice({ relayUrl: url, practiceName: 'Cabinet des Saules', practitioner: { displayName: 'Jeanne', profession: 'kine' } }, adminEnv))
    const { locum, locumEnv } = await pairLocum(admin, adminEnv, 'telephone-remplacant')
    const spaceId = admin.record.spaceId

    admin.space.disconnect()
    await waitFor(() => expect(admin.space.getSyncState().status).toBe('offline'))
    // Offline, the locum's last day goes by.
    adminNow = UNTIL + 1000
    relayNow = UNTIL + 1000
    admin.space.connect()
    await waitFor(async () => expect((await readPracticeDevices(spaceId, adminEnv))!.state.devices.get(locum.record.deviceId)).toMatchObject({ revokedBy: admin.record.deviceId, revokedAt: UNTIL + 1000 }))
    await waitFor(async () => expect((await new DeviceRegistry(adminEnv.idbPrefix).heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1]))
    expect(await new DeviceRegistry(locumEnv.idbPrefix).heldEpochs(spaceId)).toEqual([])
  })
})
