import { describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../crypto/base64url'
import { asBuffer } from '../crypto/space-keys'
import { checkKeyGrant, KeyGrantRefusal, makeKeyGrant, openKeyGrant, readKeyGrant, type GrantedKeys, type SignedKeyGrant } from './key-grant'
import { DeviceRole, RegistryRefusal, type RegistryChange } from './registry-chain'
import { appendTo, genesisOf, testDevice, type TestChain as Chain, type TestDevice as Device } from './test-support'

const SPACE = randomId(16)
const AT = Date.UTC(2026, 11, 7, 9, 0)

const device = (admin: boolean, role: DeviceRole = DeviceRole.Practitioner) => testDevice(admin, { role })
const append = (chain: Chain, signer: Device, change: RegistryChange) => appendTo(chain, signer, change, AT + chain.entries.length)

const secret = () => randomBytes(32)
/** Every tier of epoch 0 and of epochs 1 and 2: what an administrator holds. */
const fullKeys = (): GrantedKeys => ({
  tiers: { practice: secret(), clinical: secret() },
  epochs: [1, 2].map((epoch) => ({ epoch, practice: secret(), clinical: secret() })),
})

const granter = (d: Device) => ({ deviceId: d.id, agree: d.identity.agree, sign: d.identity.sign })
const recipient = (d: Device) => ({ deviceId: d.id, agreePrivateKey: d.identity.agree.privateKey, agree: d.agree })
const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: { refusal?: string; name?: string }) => error.refusal ?? String(error))

/** The same statement with `edit` applied, signed again by `signer`: what a forger or a faulty device sends. */
async function resigned(entry: SignedKeyGrant, signer: Device, edit: (s: Record<string, unknown>) => void = () => {}): Promise<SignedKeyGrant> {
  const statement = JSON.parse(entry.statement) as Record<string, unknown>
  edit(statement)
  const text = JSON.stringify(statement)
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer.identity.sign.privateKey, asBuffer(new TextEncoder().encode(text)))
  return { statement: text, sig: toBase64Url(new Uint8Array(sig)) }
}

/** admin, second administrator, a secretary, a praticien that is no administrator. */
async function practice(): Promise<{ chain: Chain; admin: Device; other: Device; secretary: Device; member: Device }> {
  const [admin, other, secretary, member] = await Promise.all([device(true), device(true), device(false, DeviceRole.Secretariat), device(false)])
  let chain = await genesisOf(SPACE, admin, AT)
  for (const d of [other, secretary, member]) chain = await append(chain, admin, { op: 'add', device: d.fields })
  return { chain, admin, other, secretary, member }
}

/** The upgrade of `secretary` to praticien by `admin`: the grant, then the change naming it. */
async function upgrade(chain: Chain, admin: Device, secretary: Device, keys: GrantedKeys) {
  const grant = await makeKeyGrant(chain.state, granter(admin), { deviceId: secretary.id, role: DeviceRole.Practitioner, chain: chain.state.length + 1, at: AT }, keys)
  const changed = await append(chain, admin, { op: 'change', target: secretary.id, role: DeviceRole.Practitioner, grant: grant.hash })
  return { grant, changed }
}

describe('key grants', () => {
  it('upgrades a secretary: the change names the grant, the relay’s checks pass, and the device opens every epoch’s clinical tier', async () => {
    const { chain, admin, secretary } = await practice()
    const keys = fullKeys()
    const { grant, changed } = await upgrade(chain, admin, secretary, keys)
    expect(changed.state.devices.get(secretary.id)?.role).toBe(DeviceRole.Practitioner)
    const statement = await checkKeyGrant(changed.state, [1, 2], grant.entry)
    expect(statement).toMatchObject({ device: secretary.id, role: DeviceRole.Practitioner, chain: changed.entries.length, epochs: [1, 2], by: admin.id })
    // Nothing of the keys in the statement the relay stores.
    for (const k of [keys.tiers.practice, keys.tiers.clinical!, ...keys.epochs.map((e) => e.clinical!)]) expect(grant.entry.statement).not.toContain(toBase64Url(k))
    const opened = await openKeyGrant(SPACE, changed.entries, recipient(secretary), grant.entry)
    expect(opened.keys.tiers).toEqual(keys.tiers)
    expect(opened.keys.epochs).toEqual(keys.epochs)
  })

  it('still refuses a widening change with no grant', async () => {
    const { chain, admin, secretary } = await practice()
    expect(await refusal(append(chain, admin, { op: 'change', target: secretary.id, role: DeviceRole.Practitioner }))).toBe(RegistryRefusal.Widening)
  })

  it('re-grants a secretary its practice tier alone, and a non-administrator praticien both tiers', async () => {
    const { chain, admin, secretary, member } = await practice()
    const keys = fullKeys()
    const toSecretary = await makeKeyGrant(chain.state, granter(admin), { deviceId: secretary.id, role: DeviceRole.Secretariat, chain: chain.state.length, at: AT }, keys)
    await checkKeyGrant(chain.state, [1, 2], toSecretary.entry)
    const opened = await openKeyGrant(SPACE, chain.entries, recipient(secretary), toSecretary.entry)
    expect(opened.keys.tiers).toEqual({ practice: keys.tiers.practice, clinical: null })
    expect(opened.keys.epochs.map((e) => e.clinical)).toEqual([null, null])
    const toMember = await makeKeyGrant(chain.state, granter(admin), { deviceId: member.id, role: DeviceRole.Practitioner, chain: chain.state.length, at: AT }, keys)
    expect((await openKeyGrant(SPACE, chain.entries, recipient(member), toMember.entry)).keys.tiers).toEqual(keys.tiers)
  })

  it('refuses forged grants, at the relay and on the device, with named refusals', async () => {
    const { chain: start, admin, other, secretary, member } = await practice()
    const keys = fullKeys()
    const good = await makeKeyGrant(start.state, granter(admin), { deviceId: member.id, role: DeviceRole.Practitioner, chain: start.state.length, at: AT }, keys)

    // Signed by a device that is no administrator (makeKeyGrant refuses to make it; a forger signs anyway).
    await expect(refusal(makeKeyGrant(start.state, granter(member), { deviceId: member.id, role: DeviceRole.Practitioner, chain: start.state.length, at: AT }, keys))).resolves.toBe(
      KeyGrantRefusal.NotAdministrator,
    )
    const byMember = await resigned(good.entry, member, (s) => (s.by = member.id))
    expect(await refusal(checkKeyGrant(start.state, [1, 2], byMember))).toBe(KeyGrantRefusal.NotAdministrator)
    expect(await refusal(openKeyGrant(SPACE, start.entries, recipient(member), byMember))).toBe(KeyGrantRefusal.NotAdministrator)

    // Signed by an administrator revoked before it made it.
    const revoked = await append(start, admin, { op: 'revoke', target: other.id })
    const byRevoked = await resigned(good.entry, other, (s) => {
      s.by = other.id
      s.chain = revoked.state.length
    })
    expect(await refusal(checkKeyGrant(revoked.state, [1, 2], byRevoked))).toBe(KeyGrantRefusal.NotAdministrator)
    expect(await refusal(openKeyGrant(SPACE, revoked.entries, recipient(member), byRevoked))).toBe(KeyGrantRefusal.NotAdministrator)

    // A blob altered after signing.
    const sealed = (readKeyGrant(good.entry).statement.sealed)
    const flipped = `${sealed.slice(0, 20)}${sealed[20] === 'A' ? 'B' : 'A'}${sealed.slice(21)}`
    const tampered = { statement: good.entry.statement.replace(sealed, flipped), sig: good.entry.sig }
    expect(await refusal(checkKeyGrant(start.state, [1, 2], tampered))).toBe(KeyGrantRefusal.BadSignature)
    expect(await refusal(openKeyGrant(SPACE, start.entries, recipient(member), tampered))).toBe(KeyGrantRefusal.BadSignature)

    // A grant for another device: refused by the one it reaches; one re-addressed by the
    // administrator to another device (its blob sealed to the first) does not open there.
    expect(await refusal(openKeyGrant(SPACE, start.entries, recipient(secretary), good.entry))).toBe(KeyGrantRefusal.WrongDevice)
    const toSecretary = await makeKeyGrant(start.state, granter(admin), { deviceId: secretary.id, role: DeviceRole.Secretariat, chain: start.state.length, at: AT }, keys)
    const readdressed = await resigned(toSecretary.entry, admin, (s) => {
      s.device = member.id
      s.role = DeviceRole.Practitioner
    })
    expect(await refusal(checkKeyGrant(start.state, [1, 2], readdressed))).toBe('accepted')
    expect(await refusal(openKeyGrant(SPACE, start.entries, recipient(member), readdressed))).toBe(KeyGrantRefusal.DoesNotOpen)

    // The relay's other checks: a grant made on an older registry, one leaving out a published epoch,
    // one for a role the device does not have (a secretary's device given the clinical tier).
    expect(await refusal(checkKeyGrant(revoked.state, [1, 2], good.entry))).toBe(KeyGrantRefusal.Stale)
    expect(await refusal(checkKeyGrant(start.state, [1, 2, 3], good.entry))).toBe(KeyGrantRefusal.WrongEpochs)
    const clinicalToSecretary = await makeKeyGrant(start.state, granter(admin), { deviceId: secretary.id, role: DeviceRole.Practitioner, chain: start.state.length, at: AT }, keys)
    expect(await refusal(checkKeyGrant(start.state, [1, 2], clinicalToSecretary.entry))).toBe(KeyGrantRefusal.WrongRole)
    expect(await refusal(openKeyGrant(SPACE, start.entries, recipient(secretary), clinicalToSecretary.entry))).toBe(KeyGrantRefusal.WrongRole)
    // Junk.
    expect(await refusal(checkKeyGrant(start.state, [], { statement: '{', sig: 'x' }))).toBe(KeyGrantRefusal.Malformed)
  })

  it('is refused by a device once the chain has taken the role back (a grant made before a demotion)', async () => {
    const { chain, admin, secretary } = await practice()
    const { grant, changed } = await upgrade(chain, admin, secretary, fullKeys())
    const demoted = await append(changed, admin, { op: 'change', target: secretary.id, role: DeviceRole.Secretariat })
    expect(await refusal(openKeyGrant(SPACE, demoted.entries, recipient(secretary), grant.entry))).toBe(KeyGrantRefusal.WrongRole)
  })
})
