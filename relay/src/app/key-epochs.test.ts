import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { makeDeviceIdentity, publicKeysOf } from '../../../shared/src/devices/device-identity'
import { makeGrant, makeRotation, openEpochSeal, type OwnDevice } from '../../../shared/src/devices/epoch-rotation'
import { readEpochStatement, signEpochStatement } from '../../../shared/src/devices/key-epoch-entry'
import { credentialHash, DeviceRole, emptyRegistry, nextStatement, signStatement, verifyRegistry, type DeviceFields, type RegistryState, type SignedEntry } from '../../../shared/src/devices/registry-chain'
import { openTestApp } from './test-support/test-app'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const AT = 1_800_000_000_000
const json = (body: unknown, credential: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
  body: JSON.stringify(body),
})

interface Device extends OwnDevice {
  credential: string
  fields: DeviceFields
}

async function device(admin: boolean, role: DeviceRole = DeviceRole.Practitioner, credential = toBase64Url(randomBytes(32))): Promise<Device> {
  const identity = await makeDeviceIdentity()
  const deviceId = randomId(9)
  return { deviceId, agree: identity.agree, sign: identity.sign, credential, fields: { id: deviceId, ...(await publicKeysOf(identity)), role, admin, credential: await credentialHash(credential) } }
}

/** A practice on the relay with an administrator, a second administrator, a secretary and two more devices. */
async function practice() {
  const { app, storage } = await openTestApp(cleanups, { now: () => AT })
  const spaceId = randomId(16)
  const shared = toBase64Url(randomBytes(32))
  expect((await app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${shared}` } })).status).toBe(201)
  const admin = await device(true, DeviceRole.Practitioner, shared)
  const [second, secretary, x, y] = await Promise.all([device(true), device(false, DeviceRole.Secretariat), device(false), device(false)])
  const post = async (signer: Device, change: Parameters<typeof nextStatement>[3]) => {
    const state = await chain()
    const entry: SignedEntry = await signStatement(nextStatement(state, signer.deviceId, AT, change), signer.sign.privateKey)
    return app.request(`/v1/spaces/${spaceId}/devices`, json({ entry }, signer.credential))
  }
  const chain = async (): Promise<RegistryState> => {
    const { entries } = (await (await app.request(`/v1/spaces/${spaceId}/devices`, { headers: { authorization: `Bearer ${admin.credential}` } })).json()) as { entries: unknown[] }
    return entries.length === 0 ? emptyRegistry(spaceId) : verifyRegistry(spaceId, entries)
  }
  expect((await post(admin, { op: 'genesis', device: admin.fields })).status).toBe(201)
  for (const d of [second, secretary, x, y]) expect((await post(admin, { op: 'add', device: d.fields })).status).toBe(201)
  const epochs = async (d: Device) => app.request(`/v1/spaces/${spaceId}/epochs`, { headers: { authorization: `Bearer ${d.credential}` } })
  const publish = async (d: Device, entry: unknown) => app.request(`/v1/spaces/${spaceId}/epochs`, json({ entry }, d.credential))
  return { app, storage, spaceId, admin, second, secretary, x, y, post, chain, epochs, publish }
}

describe('key epoch routes', () => {
  it('publishes a rotation after a revocation and serves each device only its own seal', async () => {
    const p = await practice()
    expect((await p.post(p.admin, { op: 'revoke', target: p.x.deviceId })).status).toBe(201)
    const state = await p.chain()
    const rotation = await makeRotation(state, p.admin, AT)
    const published = await p.publish(p.admin, rotation.entry)
    expect(published.status).toBe(201)
    expect(await published.json()).toEqual({ epoch: 1, op: 'rotate' })

    const forSecretary = (await (await p.epochs(p.secretary)).json()) as { epochs: number[]; seals: Array<{ epoch: number; by: string; sealed: string }> }
    expect(forSecretary.epochs).toEqual([1])
    expect(forSecretary.seals).toHaveLength(1)
    expect(await openEpochSeal(state, p.secretary, p.secretary.fields.agree, forSecretary.seals[0]!)).toEqual({ practice: rotation.secrets.practice, clinical: null })
    const forSecond = (await (await p.epochs(p.second)).json()) as typeof forSecretary
    expect(await openEpochSeal(state, p.second, p.second.fields.agree, forSecond.seals[0]!)).toEqual(rotation.secrets)
    // The revoked device's credential is refused: it is not even told which epochs exist.
    expect((await p.epochs(p.x)).status).toBe(401)
  })

  it('refuses a rotation sent by another device, from a non-administrator, or without a revocation, with named errors', async () => {
    const p = await practice()
    const quiet = await p.chain()
    const early = await signEpochStatement({ v: 1, op: 'rotate', space: p.spaceId, epoch: 1, chain: quiet.length, at: AT, by: p.admin.deviceId, seals: {} }, p.admin.sign.privateKey)
    const none = await p.publish(p.admin, early)
    expect(none.status).toBe(400)
    expect(await none.json()).toMatchObject({ field: 'entry', refusal: 'no-such-epoch' })

    expect((await p.post(p.admin, { op: 'revoke', target: p.x.deviceId })).status).toBe(201)
    const rotation = await makeRotation(await p.chain(), p.admin, AT)
    const replayed = await p.publish(p.second, rotation.entry)
    expect(replayed.status).toBe(403)
    expect(await replayed.json()).toMatchObject({ field: 'authorization' })
    const { statement } = readEpochStatement(rotation.entry)
    const bySecretary = await p.publish(p.secretary, await signEpochStatement({ ...statement, by: p.secretary.deviceId }, p.secretary.sign.privateKey))
    expect(await bySecretary.json()).toMatchObject({ field: 'entry', refusal: 'not-administrator' })
    expect((await p.publish(p.admin, { statement: 'x' })).status).toBe(400)
    const huge = await p.app.request(`/v1/spaces/${p.spaceId}/epochs`, json({ entry: { statement: 'x'.repeat(60_000), sig: 'y' } }, p.admin.credential))
    expect(huge.status).toBe(413)
    expect(await (await p.epochs(p.admin)).json()).toEqual({ epochs: [], seals: [] })
  })

  it('two administrators revoking at once: one rotation is stale (409), the newest epoch seals to neither revoked device', async () => {
    const p = await practice()
    // Both read the same chain; the admin's revocation of x lands first, the second's of y is rebased after it.
    expect((await p.post(p.admin, { op: 'revoke', target: p.x.deviceId })).status).toBe(201)
    const afterFirst = await p.chain()
    const rotationFirst = await makeRotation(afterFirst, p.admin, AT)
    expect((await p.post(p.second, { op: 'revoke', target: p.y.deviceId })).status).toBe(201)
    const afterBoth = await p.chain()
    const rotationSecond = await makeRotation(afterBoth, p.second, AT)

    const stale = await p.publish(p.admin, rotationFirst.entry)
    expect(stale.status).toBe(409)
    expect(await stale.json()).toMatchObject({ field: 'epoch', refusal: 'stale', epochs: [] })
    expect((await p.publish(p.second, rotationSecond.entry)).status).toBe(201)
    // The first administrator reads again and makes its rotation on the new chain: epoch 2 is taken.
    const again = await p.publish(p.admin, (await makeRotation(afterBoth, p.admin, AT)).entry)
    expect(again.status).toBe(409)
    expect(await again.json()).toMatchObject({ refusal: 'already-published', epochs: [2] })

    const sealsOf = async (d: Device) => ((await (await p.epochs(d)).json()) as { seals: Array<{ epoch: number }> }).seals.map((s) => s.epoch)
    expect(await sealsOf(p.admin)).toEqual([2])
    expect(await sealsOf(p.secretary)).toEqual([2])
    expect(await p.storage.listEpochSeals(p.spaceId, p.x.deviceId)).toEqual([])
    expect(await p.storage.listEpochSeals(p.spaceId, p.y.deviceId)).toEqual([])
  })

  it('grants a published epoch to a device added after it, once', async () => {
    const p = await practice()
    expect((await p.post(p.admin, { op: 'revoke', target: p.x.deviceId })).status).toBe(201)
    const rotation = await makeRotation(await p.chain(), p.admin, AT)
    expect((await p.publish(p.admin, rotation.entry)).status).toBe(201)
    const late = await device(false)
    expect((await p.post(p.admin, { op: 'add', device: late.fields })).status).toBe(201)
    const state = await p.chain()
    const grant = await makeGrant(state, p.admin, 1, rotation.secrets, late.deviceId, AT)
    expect((await p.publish(p.admin, grant)).status).toBe(201)
    expect((await p.publish(p.admin, grant)).status).toBe(409)
    const { seals } = (await (await p.epochs(late)).json()) as { seals: Array<{ epoch: number; by: string; sealed: string }> }
    expect(await openEpochSeal(state, late, late.fields.agree, seals[0]!)).toEqual(rotation.secrets)
  })
})
