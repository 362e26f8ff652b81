/**
 * Key grants (issue 19; shared/src/devices/key-grant.ts, relay/src/app/key-grants.ts,
 * client/src/sync/device/key-grants-sync.ts) through a real relay process: a secretary's device
 * upgraded to praticien after two key rotations opens its practice again and reads the clinical
 * entries of epochs 0, 1 and 2; the relay refuses a widening change without its grant and forged
 * grants, with named refusals; a praticien's device that is no administrator, in a session after
 * the one it joined, cannot wrap its keys until an administrator re-grants them, and then can.
 */
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { loadPractice } from '../client/src/sync/device/device'
import { sendKeyGrant } from '../client/src/sync/device/key-grants-sync'
import { canWrapAtRest, lockAtRest, openAtRest, wrapAtRest } from '../client/src/sync/device/lock/at-rest'
import { UnlockedKeys } from '../client/src/sync/device/lock/unlocked-keys'
import { changePracticeDevice, revokePracticeDevice } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { randomBytes } from '../shared/src/crypto/base64url'
import { deriveTierSecrets } from '../shared/src/crypto/space-keys'
import { KeyGrantRefusal, makeKeyGrant, type SignedKeyGrant } from '../shared/src/devices/key-grant'
import { DeviceRole, nextStatement, RegistryRefusal, signStatement, verifyRegistry } from '../shared/src/devices/registry-chain'
import { patientDocId } from '../shared/src/model/doc-ids'
import { addNote, listNotes } from '../shared/src/model/patient-file'
import { addPatient } from '../shared/src/model/patients'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { MEMBER, practiceOf, type Device } from './helpers/epoch-practice'
import { actorOf, useRelayFixture, type RelayFixture } from './helpers/relay-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { ConnectionStatus } from '../client/src/sync/sync-state'

const fixture = useRelayFixture()
const PRACTICE = { name: 'Cabinet des Aulnes', practitioner: 'Maëlle', profession: 'kine' } as const
const SECRETARY = { role: DeviceRole.Secretariat, admin: false, until: null }

/** A note written by `d` in the patient's file, acknowledged by the relay. */
async function note(d: Device, patientId: string, text: string): Promise<void> {
  addNote(await d.p.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text }, actorOf(d.p), testClock)
  await d.p.space.flush()
  await d.p.space.whenAcknowledged()
}

/**
 * A patient whose file holds a note of each epoch: « Epoque-0 », then for each of `lost` (closed
 * and revoked, a new key epoch each) « Epoque-<n> ». Its id.
 */
async function fileOverEpochs(admin: Device, lost: readonly Device[], patient: { birthName: string; firstNames: string }): Promise<string> {
  const spaceId = admin.p.record.spaceId
  const patientId = addPatient(await admin.p.space.openDoc(DIRECTORY_DOC_ID), patient, actorOf(admin.p), testClock)
  await note(admin, patientId, 'Epoque-0')
  for (const [i, d] of lost.entries()) {
    await d.p.space.destroy()
    await revokePracticeDevice(spaceId, d.p.record.deviceId, admin.env)
    await note(admin, patientId, `Epoque-${i + 1}`)
  }
  return patientId
}

async function notes(d: Device, patientId: string): Promise<string[]> {
  return listNotes(await d.p.space.openDoc(patientDocId(patientId)))
    .items.map((n) => String(n.text))
    .sort()
}

async function credentialOf(d: Device): Promise<string> {
  return (await new DeviceRegistry(d.env.idbPrefix, d.env.unlocked).get(d.p.record.spaceId))!.credential
}

/** A POST to the relay's space routes with a device's credential: its status and refusal. */
async function post(f: RelayFixture, spaceId: string, path: string, credential: string, entry: unknown): Promise<{ status: number; refusal?: string }> {
  const response = await fetch(`${f.relay.url}/v1/spaces/${spaceId}/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: JSON.stringify({ entry }),
  })
  const body = (await response.json()) as { refusal?: string }
  return { status: response.status, ...(body.refusal === undefined ? {} : { refusal: body.refusal }) }
}

/** The chain as the relay holds it. */
async function chainOf(f: RelayFixture, spaceId: string, credential: string): Promise<unknown[]> {
  const response = await fetch(`${f.relay.url}/v1/spaces/${spaceId}/devices`, { headers: { authorization: `Bearer ${credential}` } })
  return ((await response.json()) as { entries: unknown[] }).entries
}

/** The requests a device sends through the fetch it is given (`env.fetchImpl`), as « METHOD /last-path-segment ». */
function countRequests(d: Device): { count(request: string): number; reset(): void } {
  const sent: string[] = []
  const given = d.env.fetchImpl ?? fetch
  d.env.fetchImpl = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    sent.push(`${init?.method ?? 'GET'} /${url.pathname.split('/').at(-1)}`)
    return given(input, init)
  }
  return { count: (request) => sent.filter((r) => r === request).length, reset: () => void sent.splice(0) }
}

/** Waits until `d` went offline and came back online, then until its reading of the registry for its role is done. */
async function reconnected(d: Device, restart: () => Promise<void>): Promise<void> {
  let wentOffline = false
  const unsubscribe = d.p.space.subscribe(() => {
    if (d.p.space.getSyncState().status !== ConnectionStatus.Online) wentOffline = true
  })
  await restart()
  await waitFor(() => expect(wentOffline && d.p.space.getSyncState().status === ConnectionStatus.Online).toBe(true))
  unsubscribe()
}

describe('key grants', () => {
  it('upgrades a secretary after two rotations: opened again, it reads the clinical entries of epochs 0, 1 and 2', async () => {
    const [admin, secretary, lost1, lost2] = (await practiceOf(fixture, ['tablette-aulnes', 'accueil-aulnes', 'perdu-1', 'perdu-2'], [undefined, SECRETARY, MEMBER, MEMBER], PRACTICE)) as [
      Device,
      Device,
      Device,
      Device,
    ]
    const spaceId = admin.p.record.spaceId
    const patientId = await fileOverEpochs(admin, [lost1, lost2], { birthName: 'Kerhervé', firstNames: 'Youenn' })
    const secretaryRegistry = new DeviceRegistry(secretary.env.idbPrefix, secretary.env.unlocked)
    expect((await secretaryRegistry.get(spaceId))!.keys.clinical, 'a secretary holds no clinical key').toBeNull()

    // A widening change alone is refused by the relay, with or without a grant's hash in it.
    const adminCredential = await credentialOf(admin)
    const state = await verifyRegistry(spaceId, await chainOf(fixture, spaceId, adminCredential))
    const adminIdentity = (await new DeviceRegistry(admin.env.idbPrefix, admin.env.unlocked).get(spaceId))!.identity!
    const widen = (grant?: string) =>
      signStatement(
        nextStatement(state, admin.p.record.deviceId, testClock(), { op: 'change', target: secretary.p.record.deviceId, role: DeviceRole.Practitioner, ...(grant ? { grant } : {}) }),
        adminIdentity.sign.privateKey,
      )
    expect(await post(fixture, spaceId, 'devices', adminCredential, await widen())).toEqual({ status: 400, refusal: RegistryRefusal.Widening })
    expect(await post(fixture, spaceId, 'devices', adminCredential, await widen('A'.repeat(43)))).toEqual({ status: 400, refusal: 'grant-missing' })

    // « Modifier » on the administrator's device: the change and its grant, in one request.
    await changePracticeDevice(spaceId, secretary.p.record.deviceId, { role: DeviceRole.Practitioner, until: null }, admin.env)
    expect((await verifyRegistry(spaceId, await chainOf(fixture, spaceId, adminCredential))).devices.get(secretary.p.record.deviceId)?.role).toBe(DeviceRole.Practitioner)

    // The secretary's device opens the practice again: it takes its grant and reads every epoch's clinical entries.
    await secretary.p.space.destroy()
    const upgraded: Device = { env: secretary.env, p: await fixture.track(loadPractice(secretary.env).then((p) => p!)) }
    expect(upgraded.p.record.role).toBe(DeviceRole.Practitioner)
    await waitFor(async () => expect(await notes(upgraded, patientId)).toEqual(['Epoque-0', 'Epoque-1', 'Epoque-2']))
    expect((await secretaryRegistry.heldEpochs(spaceId)).map((e) => [e.epoch, e.clinical !== null])).toEqual([
      [1, true],
      [2, true],
    ])
    // And it writes clinical entries the others read.
    await note(upgraded, patientId, 'Ecrit-Par-L-Accueil')
    await waitFor(async () => expect(await notes(admin, patientId)).toContain('Ecrit-Par-L-Accueil'))
  })

  it('upgrades a secretary whose passkey wraps its keys: the granted keys are wrapped with the others, none at rest', async () => {
    const [admin, secretary, lost] = (await practiceOf(fixture, ['tablette-aulnes', 'accueil-aulnes', 'perdu-1'], [undefined, SECRETARY, MEMBER], PRACTICE)) as [Device, Device, Device]
    const spaceId = admin.p.record.spaceId
    const prf = randomBytes(32)
    expect(await wrapAtRest(spaceId, randomBytes(16), prf, secretary.env)).toBe(true)
    const patientId = await fileOverEpochs(admin, [lost], { birthName: 'Guivarc’h', firstNames: 'Nolwenn' })
    await changePracticeDevice(spaceId, secretary.p.record.deviceId, { role: DeviceRole.Practitioner, until: null }, admin.env)

    // Opened again while unlocked: the grant is taken and sealed under the passkey's wrap.
    await secretary.p.space.destroy()
    const upgraded: Device = { env: secretary.env, p: await fixture.track(loadPractice(secretary.env).then((p) => p!)) }
    await waitFor(async () => expect(await notes(upgraded, patientId)).toEqual(['Epoque-0', 'Epoque-1']))
    const registry = new DeviceRegistry(secretary.env.idbPrefix, secretary.env.unlocked)
    expect(await registry.heldEpochsAtRest(spaceId), 'no key of an epoch at rest').toEqual([])
    // Locked, then unlocked with the passkey: the clinical keys come back from the wrap alone.
    await upgraded.p.space.destroy()
    await lockAtRest(spaceId, secretary.env)
    expect(await openAtRest(spaceId, prf, secretary.env)).toBe(true)
    expect((await registry.get(spaceId))!.keys.clinical).not.toBeNull()
    const unlocked: Device = { env: secretary.env, p: await fixture.track(loadPractice(secretary.env).then((p) => p!)) }
    await waitFor(async () => expect(await notes(unlocked, patientId)).toEqual(['Epoque-0', 'Epoque-1']))
  })

  it('refuses forged grants at the relay, with named refusals', async () => {
    const [admin, member, secretary] = (await practiceOf(fixture, ['tablette-aulnes', 'telephone-aulnes', 'accueil-aulnes'], [undefined, MEMBER, SECRETARY], PRACTICE)) as [Device, Device, Device]
    const spaceId = admin.p.record.spaceId
    const adminCredential = await credentialOf(admin)
    const memberCredential = await credentialOf(member)
    const state = await verifyRegistry(spaceId, await chainOf(fixture, spaceId, adminCredential))
    const adminStored = (await new DeviceRegistry(admin.env.idbPrefix, admin.env.unlocked).get(spaceId))!
    const memberStored = (await new DeviceRegistry(member.env.idbPrefix, member.env.unlocked).get(spaceId))!
    const tiers = await deriveTierSecrets(spaceId, (await new DeviceRegistry(admin.env.idbPrefix, admin.env.unlocked).rootSecret(spaceId))!)
    const grantBy = (by: typeof adminStored, deviceId: string, role: DeviceRole) =>
      makeKeyGrant(
        // A forger's state that calls it an administrator: the relay checks against its own chain.
        { ...state, devices: new Map([...state.devices].map(([id, d]) => [id, id === by.deviceId ? { ...d, admin: true } : d])) },
        { deviceId: by.deviceId, agree: by.identity!.agree, sign: by.identity!.sign },
        { deviceId, role, chain: state.length, at: testClock() },
        { tiers, epochs: [] },
      )

    // Signed by a praticien's device that is no administrator.
    const byMember = await grantBy(memberStored, secretary.p.record.deviceId, DeviceRole.Secretariat)
    expect(await post(fixture, spaceId, 'grants', memberCredential, { grant: byMember.entry })).toEqual({ status: 400, refusal: KeyGrantRefusal.NotAdministrator })
    // The administrator's, altered on the way: a re-grant to the secretary, which a grant can help
    // (in a later session it holds no secret its passkey can wrap: key-grants-sync.ts grantCanHelp).
    const good = await grantBy(adminStored, secretary.p.record.deviceId, DeviceRole.Secretariat)
    const tampered: SignedKeyGrant = { statement: good.entry.statement.replace('"sealed":"', '"sealed":"AAAA'), sig: good.entry.sig }
    expect(await post(fixture, spaceId, 'grants', adminCredential, { grant: tampered })).toEqual({ status: 400, refusal: KeyGrantRefusal.BadSignature })
    // The clinical tier for a secretary, with no change to make it praticien.
    const widening = await grantBy(adminStored, secretary.p.record.deviceId, DeviceRole.Practitioner)
    expect(await post(fixture, spaceId, 'grants', adminCredential, { grant: widening.entry })).toEqual({ status: 400, refusal: KeyGrantRefusal.WrongRole })
    // The administrator's grant replayed by another device's credential.
    expect((await post(fixture, spaceId, 'grants', memberCredential, { grant: good.entry })).status).toBe(403)
    // Junk.
    expect(await post(fixture, spaceId, 'grants', adminCredential, { grant: { statement: '{}', sig: 'A'.repeat(86) } })).toEqual({ status: 400, refusal: KeyGrantRefusal.Malformed })
    // The good one is stored, and served to its device alone.
    expect(await post(fixture, spaceId, 'grants', adminCredential, { grant: good.entry })).toEqual({ status: 201 })
    const served = async (credential: string) =>
      ((await (await fetch(`${fixture.relay.url}/v1/spaces/${spaceId}/grant`, { headers: { authorization: `Bearer ${credential}` } })).json()) as { grant: unknown }).grant
    expect(await served(await credentialOf(secretary))).toEqual(good.entry)
    expect(await served(memberCredential)).toBeNull()
  })

  it('lets a praticien’s device that is no administrator, in a later session, wrap its keys once re-granted', async () => {
    const [admin, member] = (await practiceOf(fixture, ['tablette-aulnes', 'telephone-aulnes'], [undefined, MEMBER], PRACTICE)) as [Device, Device]
    const spaceId = admin.p.record.spaceId
    const patientId = addPatient(await admin.p.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Le Bihan', firstNames: 'Soizic' }, actorOf(admin.p), testClock)
    await note(admin, patientId, 'Avant-Regrant')
    await member.p.space.destroy()
    // A later session on the same device: nothing of the joining session's secrets in memory.
    const later = { ...member.env, unlocked: new UnlockedKeys(), epochRings: new Map() }
    const reopened: Device = { env: later, p: await fixture.track(loadPractice(later).then((p) => p!)) }
    expect(await canWrapAtRest(spaceId, later), 'only non-extractable keys: nothing to wrap').toBe(false)
    await reopened.p.space.destroy()

    await sendKeyGrant(spaceId, member.p.record.deviceId, admin.env)
    const regranted: Device = { env: later, p: await fixture.track(loadPractice(later).then((p) => p!)) }
    expect(await canWrapAtRest(spaceId, later)).toBe(true)
    const prf = randomBytes(32)
    expect(await wrapAtRest(spaceId, randomBytes(16), prf, later)).toBe(true)
    await regranted.p.space.destroy()
    await lockAtRest(spaceId, later)
    expect(await new DeviceRegistry(later.idbPrefix).wrapped(spaceId)).not.toBeNull()
    expect(await openAtRest(spaceId, prf, later)).toBe(true)
    const unlocked: Device = { env: later, p: await fixture.track(loadPractice(later).then((p) => p!)) }
    await waitFor(async () => expect(await notes(unlocked, patientId)).toEqual(['Avant-Regrant']))
  })
  it('reads the registry once on a reconnect, and asks for no grant that cannot help', async () => {
    const [admin, member, secretary] = (await practiceOf(fixture, ['tablette-aulnes', 'telephone-aulnes', 'accueil-aulnes'], [undefined, MEMBER, SECRETARY], PRACTICE)) as [Device, Device, Device]
    const spaceId = admin.p.record.spaceId
    // A grant waits on the relay for the member (a re-grant): it holds this session's secrets already, so it gains nothing from it.
    await sendKeyGrant(spaceId, member.p.record.deviceId, admin.env)
    const counted = [member, secretary].map((d) => ({ d, requests: countRequests(d) }))
    await reconnected(member, () => fixture.relay.restart())
    for (const { d, requests } of counted) {
      await waitFor(() => expect(d.p.space.getSyncState().status).toBe(ConnectionStatus.Online))
      await waitFor(() => expect(requests.count('GET /devices')).toBeGreaterThan(0))
      await d.p.role!.settled()
      // One read of the registry for both the role and the grant; no grant asked for: the
      // praticien holds the clinical tier and its secrets, the secretary is still secretary.
      expect({ devices: requests.count('GET /devices'), grant: requests.count('GET /grant') }, d.p.record.deviceId).toEqual({ devices: 1, grant: 0 })
    }
  })

  it('upgrades a secretary’s device while it is open: it takes its grant at once, with a notice, and reads every epoch once opened again', async () => {
    const [admin, secretary, lost] = (await practiceOf(fixture, ['tablette-aulnes', 'accueil-aulnes', 'perdu-1'], [undefined, SECRETARY, MEMBER], PRACTICE)) as [Device, Device, Device]
    const spaceId = admin.p.record.spaceId
    const patientId = await fileOverEpochs(admin, [lost], { birthName: 'Le Gall', firstNames: 'Armelle' })
    await waitFor(() => expect(secretary.p.space.getSyncState().status).toBe(ConnectionStatus.Online))
    expect(secretary.p.role!.get(), 'no change yet').toBeNull()

    await changePracticeDevice(spaceId, secretary.p.record.deviceId, { role: DeviceRole.Practitioner, until: null }, admin.env)
    // The relay closes its sockets (4205); back online, with its practice still open, it reads the registry and takes its grant.
    await waitFor(() => expect(secretary.p.role!.get()).toMatchObject({ widened: true, role: DeviceRole.Practitioner, notice: { role: DeviceRole.Practitioner, by: admin.p.record.deviceId } }))
    const registry = new DeviceRegistry(secretary.env.idbPrefix, secretary.env.unlocked)
    const stored = (await registry.get(spaceId))!
    expect(stored.keys.clinical).not.toBeNull()
    expect(stored).toMatchObject({ role: DeviceRole.Practitioner, roleNotice: { role: DeviceRole.Practitioner, by: admin.p.record.deviceId } })

    // The app's move (app/lock/device-session.ts): the practice closes and opens again in place, with the clinical keys.
    await secretary.p.space.destroy()
    const upgraded: Device = { env: secretary.env, p: await fixture.track(loadPractice(secretary.env).then((p) => p!)) }
    expect(upgraded.p.record.roleNotice).toMatchObject({ role: DeviceRole.Practitioner, at: expect.any(Number) })
    await waitFor(async () => expect(await notes(upgraded, patientId)).toEqual(['Epoque-0', 'Epoque-1']))
    await note(admin, patientId, 'Apres-Promotion')
    await waitFor(async () => expect(await notes(upgraded, patientId)).toEqual(['Apres-Promotion', 'Epoque-0', 'Epoque-1']))
  })
})
