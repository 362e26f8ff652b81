/**
 * The practice's device registry through a real relay process (issue 19): the first device
 * registers itself, each paired device gets its own credential, and a revocation closes the
 * revoked device's sockets at once (4410), refuses its credential on every route (401 naming
 * `revoked`) and its frames, while every other device goes on. Two administrators changing the
 * registry at once both end consistent, and the relay refuses an entry that does not verify.
 */
import { describe, expect, it } from 'vitest'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { claimPairing, JoiningPairing } from '../client/src/sync/device/pairing'
import { readPracticeDevices, revokePracticeDevice } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { RelayClient } from '../client/src/sync/relay/relay-client'
import { RefusalReason } from '../client/src/sync/errors'
import { activeDevices, nextStatement, signStatement, verifyRegistry } from '../shared/src/devices/registry-chain'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()

async function create(name: string): Promise<{ device: OpenPractice; env: DeviceEnvironment }> {
  const env = nodeDeviceEnvironment(name)
  const device = await fixture.track(
    createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet des Aulnes', practitioner: { displayName: 'Nadège', profession: 'infirmier' } }, env),
  )
  return { device, env }
}

async function pair(
  admin: { device: OpenPractice; env: DeviceEnvironment },
  name: string,
  options: { admin?: boolean } = {},
): Promise<{ device: OpenPractice; env: DeviceEnvironment }> {
  const env = nodeDeviceEnvironment(name)
  const pairing = await JoiningPairing.open(fixture.relay.url, env)
  const joined = pairing.wait({ pollMs: 20 })
  await (await claimPairing(admin.device.record.spaceId, pairing.code, admin.env)).accept(options)
  return { device: await fixture.track(joined), env }
}

async function credentialOf(device: OpenPractice, env: DeviceEnvironment): Promise<string> {
  return (await new DeviceRegistry(env.idbPrefix).get(device.record.spaceId))!.credential
}

function relayFor(device: OpenPractice, credential: string): RelayClient {
  return new RelayClient({ relayUrl: fixture.relay.url, spaceId: device.record.spaceId, credential })
}

describe('the device registry on a real relay', () => {
  it('registers the first device, gives each paired device its own credential, and verifies on every device', async () => {
    const a = await create('tablette')
    const b = await pair(a, 'telephone')
    const fromA = (await readPracticeDevices(a.device.record.spaceId, a.env))?.state
    const fromB = (await readPracticeDevices(b.device.record.spaceId, b.env))?.state
    expect(fromA?.length).toBe(2)
    expect(fromB?.head).toBe(fromA?.head)
    expect(activeDevices(fromA!, Date.UTC(2026, 0, 1)).map((d) => d.id).sort()).toEqual([a.device.record.deviceId, b.device.record.deviceId].sort())
    expect(fromA!.devices.get(b.device.record.deviceId)).toMatchObject({ addedBy: a.device.record.deviceId, admin: true })
    expect(await credentialOf(b.device, b.env)).not.toBe(await credentialOf(a.device, a.env))
    // The relay says when it last saw each device: both opened sockets.
    await waitFor(async () => expect([...((await readPracticeDevices(a.device.record.spaceId, a.env))?.lastSeen.keys() ?? [])].sort()).toEqual([a.device.record.deviceId, b.device.record.deviceId].sort()))
    // B syncs with its own credential.
    addPatient(await a.device.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Quéméner', firstNames: 'Loïc' }, actorOf(a.device), testClock)
    await waitFor(async () => expect(listPatients(await b.device.space.openDoc(DIRECTORY_DOC_ID)).items).toHaveLength(1))
  })

  it('revoked: sockets closed at once, its credential refused everywhere, its writes never stored; the others go on', async () => {
    const a = await create('tablette-2')
    const b = await pair(a, 'telephone-perdu')
    const directoryB = await b.device.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(b.device.space.getSyncState().status).toBe('online'))
    const bCredential = await credentialOf(b.device, b.env)

    await revokePracticeDevice(a.device.record.spaceId, b.device.record.deviceId, a.env)
    await waitFor(() => expect(b.device.space.getSyncState()).toMatchObject({ status: 'refused', refusal: RefusalReason.Revoked }))
    expect(await relayFor(b.device, bCredential).probeAccess()).toEqual({ kind: 'refused', reason: RefusalReason.Revoked })
    await expect(relayFor(b.device, bCredential).getDeviceEntries()).rejects.toMatchObject({ status: 401 })

    // What B writes now stays on B; A, still online, never sees it.
    addPatient(directoryB, { birthName: 'Après-révocation', firstNames: 'Yvon' }, actorOf(b.device), testClock)
    addPatient(await a.device.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Le Goff', firstNames: 'Maïwenn' }, actorOf(a.device), testClock)
    await a.device.space.whenAcknowledged()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(listPatients(await a.device.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName)).toEqual(['Le Goff'])
    expect(fixture.relay.logs.join('\n')).toContain('device_revoked')
    expect(fixture.relay.logs.join('\n')).not.toContain(bCredential)
  })

  it('two administrators revoking at once: both end with the same registry; mutual revocations leave one administrator', async () => {
    const a = await create('tablette-3')
    const b = await pair(a, 'ordinateur')
    const c = await pair(a, 'telephone-3')
    const spaceId = a.device.record.spaceId
    await Promise.all([
      revokePracticeDevice(spaceId, c.device.record.deviceId, a.env),
      revokePracticeDevice(spaceId, c.device.record.deviceId, b.env),
    ])
    const afterC = (await readPracticeDevices(spaceId, a.env))?.state
    expect(afterC?.length).toBe(4)
    expect(afterC!.devices.get(c.device.record.deviceId)?.revokedAt).not.toBeNull()

    const outcomes = await Promise.allSettled([
      revokePracticeDevice(spaceId, b.device.record.deviceId, a.env),
      revokePracticeDevice(spaceId, a.device.record.deviceId, b.env),
    ])
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    const survivor = outcomes[0].status === 'fulfilled' ? a : b
    const final = (await readPracticeDevices(spaceId, survivor.env))?.state
    expect(activeDevices(final!, Date.UTC(2026, 0, 1)).map((d) => d.id)).toEqual([survivor.device.record.deviceId])
  })

  it('a device added without the administrator role cannot revoke, and the relay says why', async () => {
    const a = await create('tablette-5')
    const member = await pair(a, 'telephone-membre', { admin: false })
    const spaceId = a.device.record.spaceId
    expect((await readPracticeDevices(spaceId, a.env))?.state.devices.get(member.device.record.deviceId)?.admin).toBe(false)
    await expect(revokePracticeDevice(spaceId, a.device.record.deviceId, member.env)).rejects.toMatchObject({ status: 400 })
    expect(activeDevices((await readPracticeDevices(spaceId, a.env))!.state, Date.UTC(2026, 0, 1))).toHaveLength(2)
  })

  it('refuses an entry that does not verify, or that another device sends, and stores nothing', async () => {
    const a = await create('tablette-4')
    const b = await pair(a, 'telephone-4')
    const spaceId = a.device.record.spaceId
    const relayA = relayFor(a.device, await credentialOf(a.device, a.env))
    const relayB = relayFor(b.device, await credentialOf(b.device, b.env))
    const state = await verifyRegistry(spaceId, await relayA.getDeviceEntries())
    const storedA = (await new DeviceRegistry(a.env.idbPrefix).get(spaceId))!
    // Signed by A, named as B: the signature does not verify.
    const forged = await signStatement(nextStatement(state, b.device.record.deviceId, 1, { op: 'revoke', target: a.device.record.deviceId }), storedA.identity!.sign.privateKey)
    await expect(relayB.postDeviceEntry(forged)).rejects.toMatchObject({ status: 400 })
    // A's genuine entry, sent with B's credential: refused, it is A's to send.
    const genuine = await signStatement(nextStatement(state, a.device.record.deviceId, 1, { op: 'revoke', target: b.device.record.deviceId }), storedA.identity!.sign.privateKey)
    await expect(relayB.postDeviceEntry(genuine)).rejects.toMatchObject({ status: 403 })
    expect((await readPracticeDevices(spaceId, a.env))?.state.length).toBe(state.length)
  })
})
