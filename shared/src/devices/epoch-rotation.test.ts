import { describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../crypto/base64url'
import { makeDeviceIdentity, publicKeysOf, type DeviceIdentity } from './device-identity'
import { EpochSealError, openEpochSecrets } from './epoch-seal'
import { makeGrant, makeRotation, openEpochSeal, type OwnDevice } from './epoch-rotation'
import { checkEpochEntry, EpochEntryError, EpochRefusal, readEpochStatement, revocationsIn, signEpochStatement, type PublishedEpochs } from './key-epoch-entry'
import { applyEntry, credentialHash, DeviceRole, emptyRegistry, nextStatement, signStatement, type DeviceFields, type RegistryState } from './registry-chain'

const SPACE = randomId(16)
const AT = Date.UTC(2027, 2, 14, 9, 30)

interface Device extends OwnDevice {
  identity: DeviceIdentity
  fields: DeviceFields
}

async function device(admin: boolean, role: DeviceRole = DeviceRole.Practitioner): Promise<Device> {
  const identity = await makeDeviceIdentity()
  const deviceId = randomId(9)
  const fields: DeviceFields = { id: deviceId, ...(await publicKeysOf(identity)), role, admin, credential: await credentialHash(toBase64Url(randomBytes(32))) }
  return { deviceId, identity, agree: identity.agree, sign: identity.sign, fields }
}

async function chainOf(first: Device, ...changes: Array<[Device, Parameters<typeof nextStatement>[3]]>): Promise<RegistryState> {
  let state = await applyEntry(emptyRegistry(SPACE), await signStatement(nextStatement(emptyRegistry(SPACE), first.deviceId, AT, { op: 'genesis', device: first.fields }), first.sign.privateKey))
  for (const [signer, change] of changes) state = await applyEntry(state, await signStatement(nextStatement(state, signer.deviceId, AT, change), signer.sign.privateKey))
  return state
}

const none: PublishedEpochs = { newest: null, has: () => false }
const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: unknown) => (error instanceof EpochEntryError ? error.refusal : String(error)))

describe('a key rotation sealed to each remaining device', () => {
  it('seals both tiers to a praticien, the practice tier alone to a secretary, nothing to the revoked device', async () => {
    const [admin, phone, secretary, lost] = await Promise.all([device(true), device(false), device(false, DeviceRole.Secretariat), device(false)])
    const state = await chainOf(admin, [admin, { op: 'add', device: phone.fields }], [admin, { op: 'add', device: secretary.fields }], [admin, { op: 'add', device: lost.fields }], [admin, { op: 'revoke', target: lost.deviceId }])
    const { epoch, entry, secrets } = await makeRotation(state, admin, AT)
    expect(epoch).toBe(1)
    const statement = (await checkEpochEntry(state, none, entry, AT)) as Extract<ReturnType<typeof readEpochStatement>['statement'], { op: 'rotate' }>
    expect(Object.keys(statement.seals).sort()).toEqual([admin.deviceId, phone.deviceId, secretary.deviceId].sort())

    const open = (d: Device) => openEpochSeal(state, d, d.fields.agree, { epoch, by: admin.deviceId, sealed: statement.seals[d.deviceId]! })
    expect(await open(phone)).toEqual(secrets)
    expect(await open(admin)).toEqual(secrets)
    expect(await open(secretary)).toEqual({ practice: secrets.practice, clinical: null })
    // Another device's blob does not open with the lost device's keys, nor the phone's.
    await expect(openEpochSeal(state, lost, lost.fields.agree, { epoch, by: admin.deviceId, sealed: statement.seals[phone.deviceId]! })).rejects.toThrow(EpochSealError)
    await expect(openEpochSeal(state, phone, phone.fields.agree, { epoch, by: admin.deviceId, sealed: statement.seals[secretary.deviceId]! })).rejects.toThrow(EpochSealError)
    // Nor as another epoch, nor as sealed by another administrator.
    await expect(openEpochSeal(state, phone, phone.fields.agree, { epoch: 2, by: admin.deviceId, sealed: statement.seals[phone.deviceId]! })).rejects.toThrow(EpochSealError)
    await expect(openEpochSeal(state, phone, phone.fields.agree, { epoch, by: secretary.deviceId, sealed: statement.seals[phone.deviceId]! })).rejects.toThrow(/not an administrator/)
  })

  it('grants a published epoch to a device added after it, by its role', async () => {
    const [admin, lost, late] = await Promise.all([device(true), device(false), device(false, DeviceRole.Secretariat)])
    const before = await chainOf(admin, [admin, { op: 'add', device: lost.fields }], [admin, { op: 'revoke', target: lost.deviceId }])
    const { secrets } = await makeRotation(before, admin, AT)
    const state = await chainOf(admin, [admin, { op: 'add', device: lost.fields }], [admin, { op: 'revoke', target: lost.deviceId }], [admin, { op: 'add', device: late.fields }])
    const grant = await makeGrant(state, admin, 1, secrets, late.deviceId, AT)
    const published: PublishedEpochs = { newest: 1, has: (e) => e === 1 }
    const statement = await checkEpochEntry(state, published, grant, AT)
    expect(statement).toMatchObject({ op: 'grant', epoch: 1, device: late.deviceId })
    const sealed = (statement as Extract<typeof statement, { op: 'grant' }>).sealed
    expect(await openEpochSeal(state, late, late.fields.agree, { epoch: 1, by: admin.deviceId, sealed })).toEqual({ practice: secrets.practice, clinical: null })
    expect(await refusal(checkEpochEntry(state, none, grant, AT))).toBe(EpochRefusal.NoSuchEpoch)
    await expect(makeGrant(state, admin, 1, secrets, lost.deviceId, AT)).rejects.toThrow(EpochSealError)
  })
})

describe('what the relay accepts of a key epoch', () => {
  it('refuses a rotation without a revocation, from a non-administrator, forged, or for the wrong space', async () => {
    const [admin, member, lost] = await Promise.all([device(true), device(false), device(false)])
    const quiet = await chainOf(admin, [admin, { op: 'add', device: member.fields }])
    expect(revocationsIn(quiet)).toBe(0)
    await expect(makeRotation(quiet, admin, AT)).rejects.toThrow(/epoch 0/)
    const state = await chainOf(admin, [admin, { op: 'add', device: member.fields }], [admin, { op: 'add', device: lost.fields }], [admin, { op: 'revoke', target: lost.deviceId }])
    await expect(makeRotation(state, member, AT)).rejects.toThrow(/administrator/)
    const { entry } = await makeRotation(state, admin, AT)
    const { statement } = readEpochStatement(entry)
    // The member signs the administrator's statement as its own: not an administrator.
    expect(await refusal(checkEpochEntry(state, none, await signEpochStatement({ ...statement, by: member.deviceId }, member.sign.privateKey), AT))).toBe(EpochRefusal.NotAdministrator)
    // Named as the administrator, signed by the member's key: a forgery.
    expect(await refusal(checkEpochEntry(state, none, { statement: entry.statement, sig: (await signEpochStatement(statement, member.sign.privateKey)).sig }, AT))).toBe(EpochRefusal.BadSignature)
    expect(await refusal(checkEpochEntry(state, none, await signEpochStatement({ ...statement, space: randomId(16) }, admin.sign.privateKey), AT))).toBe(EpochRefusal.WrongSpace)
    expect(await refusal(checkEpochEntry(state, none, await signEpochStatement({ ...statement, epoch: 2 }, admin.sign.privateKey), AT))).toBe(EpochRefusal.NoSuchEpoch)
    expect(await refusal(checkEpochEntry(state, none, { statement: '{', sig: entry.sig }, AT))).toBe(EpochRefusal.Malformed)
    expect(await refusal(checkEpochEntry(state, none, entry, AT))).toBe('accepted')
  })

  it('refuses a rotation that leaves out an active device or seals to the revoked one', async () => {
    const [admin, member, lost] = await Promise.all([device(true), device(false), device(false)])
    const state = await chainOf(admin, [admin, { op: 'add', device: member.fields }], [admin, { op: 'add', device: lost.fields }], [admin, { op: 'revoke', target: lost.deviceId }])
    const { statement } = readEpochStatement((await makeRotation(state, admin, AT)).entry)
    if (statement.op !== 'rotate') throw new Error('a rotation')
    const { [member.deviceId]: _left, ...withoutMember } = statement.seals
    const withLost = { ...statement.seals, [lost.deviceId]: statement.seals[member.deviceId]! }
    for (const seals of [withoutMember, withLost]) {
      const entry = await signEpochStatement({ ...statement, seals }, admin.sign.privateKey)
      expect(await refusal(checkEpochEntry(state, none, entry, AT))).toBe(EpochRefusal.WrongRecipients)
    }
  })

  it('two administrators revoking at once end in one epoch sequence that excludes both revoked devices', async () => {
    const [a, b, x, y, member] = await Promise.all([device(true), device(true), device(false), device(false), device(false)])
    const base: Array<[Device, Parameters<typeof nextStatement>[3]]> = [[a, { op: 'add', device: b.fields }], [a, { op: 'add', device: x.fields }], [a, { op: 'add', device: y.fields }], [a, { op: 'add', device: member.fields }]]
    // A revokes x first; B's revocation of y, refused 409 by the registry, is rebased after it.
    const afterA = await chainOf(a, ...base, [a, { op: 'revoke', target: x.deviceId }])
    const afterBoth = await chainOf(a, ...base, [a, { op: 'revoke', target: x.deviceId }], [b, { op: 'revoke', target: y.deviceId }])
    const rotationA = await makeRotation(afterA, a, AT)
    const rotationB = await makeRotation(afterBoth, b, AT)
    expect([rotationA.epoch, rotationB.epoch]).toEqual([1, 2])

    // A's rotation reaches the relay after B's revocation: stale (it still seals to y).
    expect(await refusal(checkEpochEntry(afterBoth, none, rotationA.entry, AT))).toBe(EpochRefusal.Stale)
    expect(await refusal(checkEpochEntry(afterBoth, none, rotationB.entry, AT))).toBe('accepted')
    // Once B's epoch 2 is published, A, reading again, has nothing to publish: epoch 1 is skipped.
    const published: PublishedEpochs = { newest: 2, has: (e) => e === 2 }
    expect(await refusal(checkEpochEntry(afterBoth, published, (await makeRotation(afterBoth, a, AT)).entry, AT))).toBe(EpochRefusal.AlreadyPublished)
    expect(new EpochEntryError(EpochRefusal.Stale, '').status).toBe(409)
    const seals = (readEpochStatement(rotationB.entry).statement as { seals: Record<string, string> }).seals
    expect(Object.keys(seals).sort()).toEqual([a.deviceId, b.deviceId, member.deviceId].sort())
  })

  it('a revoked device cannot open the new epoch with every blob the relay holds', async () => {
    const [admin, member, lost] = await Promise.all([device(true), device(false), device(false)])
    const state = await chainOf(admin, [admin, { op: 'add', device: member.fields }], [admin, { op: 'add', device: lost.fields }], [admin, { op: 'revoke', target: lost.deviceId }])
    const { entry } = await makeRotation(state, admin, AT)
    const { seals } = readEpochStatement(entry).statement as { seals: Record<string, string> }
    // Every pairing of a blob with the lost device's private key, whoever it names as the other side.
    for (const [recipientId, sealed] of Object.entries(seals)) {
      for (const side of ['recipient', 'publisher'] as const) {
        const attempt = openEpochSecrets(
          {
            spaceId: SPACE,
            epoch: 1,
            publisherId: admin.deviceId,
            publisherAgree: admin.fields.agree,
            recipientId,
            recipientAgree: state.devices.get(recipientId)!.agree,
            ownAgreePrivateKey: lost.agree.privateKey,
            ownSide: side,
          },
          sealed,
        )
        await expect(attempt).rejects.toThrow(EpochSealError)
      }
    }
  })
})
