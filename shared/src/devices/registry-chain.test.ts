import { describe, expect, it } from 'vitest'
import { randomId } from '../crypto/base64url'
import {
  accessEnded,
  activeDevices,
  applyEntry,
  DeviceRole,
  nextStatement,
  RegistryRefusal,
  signStatement,
  verifyRegistry,
  type RegistryChange,
  type SignedEntry,
} from './registry-chain'
import { appendTo, genesisOf, testDevice, type TestChain, type TestDevice } from './test-support'

const SPACE = randomId(16)
const AT = Date.UTC(2026, 11, 31, 23, 59)

const device = testDevice
const genesis = (first: TestDevice) => genesisOf(SPACE, first, AT)
const append = (chain: TestChain, signer: TestDevice, change: RegistryChange) => appendTo(chain, signer, change, AT + chain.entries.length)

const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: { refusal?: string }) => error.refusal ?? String(error))

describe('device registry chain', () => {
  it('adds and revokes devices, signed by administrators, and verifies end to end', async () => {
    const [tablet, phone, secretary] = await Promise.all([device(true), device(true), device(false)])
    let chain = await genesis(tablet)
    chain = await append(chain, tablet, { op: 'add', device: phone.fields })
    chain = await append(chain, phone, { op: 'add', device: secretary.fields })
    chain = await append(chain, phone, { op: 'revoke', target: tablet.id })
    const state = await verifyRegistry(SPACE, chain.entries)
    expect(activeDevices(state, AT).map((d) => d.id).sort()).toEqual([phone.id, secretary.id].sort())
    expect(state.devices.get(tablet.id)).toMatchObject({ revokedBy: phone.id, addedBy: tablet.id })
    expect(state.devices.get(secretary.id)).toMatchObject({ addedBy: phone.id, revokedAt: null })
  })

  it('refuses an entry signed by a device that is not an administrator, unknown, or revoked', async () => {
    const [admin, member, stranger, newcomer] = await Promise.all([device(true), device(false), device(true), device(false)])
    let chain = await genesis(admin)
    chain = await append(chain, admin, { op: 'add', device: member.fields })
    expect(await refusal(append(chain, member, { op: 'add', device: newcomer.fields }))).toBe(RegistryRefusal.NotAdministrator)
    expect(await refusal(append(chain, stranger, { op: 'add', device: newcomer.fields }))).toBe(RegistryRefusal.UnknownDevice)
    // Named as the administrator, signed by another key: a forgery.
    const forged = await signStatement(nextStatement(chain.state, admin.id, AT, { op: 'add', device: newcomer.fields }), stranger.identity.sign.privateKey)
    expect(await refusal(applyEntry(chain.state, forged))).toBe(RegistryRefusal.BadSignature)
  })

  it('refuses a chain with an entry cut out, reordered, altered or from another practice', async () => {
    const [admin, a, b] = await Promise.all([device(true), device(false), device(false)])
    let chain = await genesis(admin)
    chain = await append(chain, admin, { op: 'add', device: a.fields })
    chain = await append(chain, admin, { op: 'add', device: b.fields })
    const [first, second, third] = chain.entries as [SignedEntry, SignedEntry, SignedEntry]
    expect(await refusal(verifyRegistry(SPACE, [first, third]))).toBe(RegistryRefusal.OutOfOrder)
    expect(await refusal(verifyRegistry(SPACE, [second, first]))).toBe(RegistryRefusal.OutOfOrder)
    expect(await refusal(verifyRegistry(randomId(16), chain.entries))).toBe(RegistryRefusal.WrongSpace)
    const altered = { ...second, statement: second.statement.replace('"admin":false', '"admin":true') }
    expect(await refusal(verifyRegistry(SPACE, [first, altered]))).toBe(RegistryRefusal.BadSignature)
    expect(await refusal(verifyRegistry(SPACE, [first, { ...second, extra: 1 }]))).toBe(RegistryRefusal.Malformed)
  })

  it('of two revocations written at once, the second is refused and must be rebased; the last administrator stays', async () => {
    const [x, y] = await Promise.all([device(true), device(true)])
    let chain = await genesis(x)
    chain = await append(chain, x, { op: 'add', device: y.fields })
    // X revokes Y while Y revokes X, both on the same head.
    const xRevokesY = await signStatement(nextStatement(chain.state, x.id, AT, { op: 'revoke', target: y.id }), x.identity.sign.privateKey)
    const yRevokesX = await signStatement(nextStatement(chain.state, y.id, AT, { op: 'revoke', target: x.id }), y.identity.sign.privateKey)
    const afterX = await applyEntry(chain.state, xRevokesY)
    expect(await refusal(applyEntry(afterX, yRevokesX))).toBe(RegistryRefusal.OutOfOrder)
    // Rebased on the new head, Y's revocation is signed by a revoked device now.
    const rebased = await signStatement(nextStatement(afterX, y.id, AT, { op: 'revoke', target: x.id }), y.identity.sign.privateKey)
    expect(await refusal(applyEntry(afterX, rebased))).toBe(RegistryRefusal.NotAdministrator)
    // X cannot revoke itself: it is the last administrator.
    const self = await signStatement(nextStatement(afterX, x.id, AT, { op: 'revoke', target: x.id }), x.identity.sign.privateKey)
    expect(await refusal(applyEntry(afterX, self))).toBe(RegistryRefusal.LastAdministrator)
  })

  it('records a role and a locum’s end date, signed; a locum is active until that date and not from it', async () => {
    const until = AT + 7 * 86_400_000
    const [admin, secretary, locum] = await Promise.all([device(true), device(false, { role: DeviceRole.Secretariat }), device(false, { role: DeviceRole.Locum, until })])
    let chain = await genesis(admin)
    chain = await append(chain, admin, { op: 'add', device: secretary.fields })
    chain = await append(chain, admin, { op: 'add', device: locum.fields })
    const state = await verifyRegistry(SPACE, chain.entries)
    expect(state.devices.get(secretary.id)).toMatchObject({ role: DeviceRole.Secretariat, admin: false })
    expect(state.devices.get(locum.id)).toMatchObject({ role: DeviceRole.Locum, until })
    expect(activeDevices(state, until - 1).map((d) => d.id)).toContain(locum.id)
    expect(activeDevices(state, until).map((d) => d.id)).not.toContain(locum.id)
    expect(accessEnded(state.devices.get(locum.id)!, until)).toBe(true)
    expect(accessEnded(state.devices.get(secretary.id)!, Number.MAX_SAFE_INTEGER)).toBe(false)
    // The end date is signed: moved on the relay, the entry no longer verifies.
    const third = chain.entries[2]!
    const moved = { ...third, statement: third.statement.replace(`"until":${until}`, `"until":${until + 86_400_000}`) }
    expect(moved.statement).not.toBe(third.statement)
    expect(await refusal(verifyRegistry(SPACE, [chain.entries[0]!, chain.entries[1]!, moved]))).toBe(RegistryRefusal.BadSignature)
  })

  it.each([
    ['an administrator secretary', { role: DeviceRole.Secretariat }, true],
    ['an administrator locum', { role: DeviceRole.Locum, until: AT }, true],
    ['a locum without an end date', { role: DeviceRole.Locum }, false],
    ['a praticien with an end date', { role: DeviceRole.Practitioner, until: AT }, false],
    ['a secretary with an end date', { role: DeviceRole.Secretariat, until: AT }, false],
  ])('refuses %s (role-mismatch)', async (_label, role, admin) => {
    const [first, added] = await Promise.all([device(true), device(admin, role)])
    const chain = await genesis(first)
    expect(await refusal(append(chain, first, { op: 'add', device: added.fields }))).toBe(RegistryRefusal.RoleMismatch)
  })

  it('refuses a device added twice, or one that reuses another’s credential', async () => {
    const [admin, a] = await Promise.all([device(true), device(false)])
    let chain = await genesis(admin)
    chain = await append(chain, admin, { op: 'add', device: a.fields })
    expect(await refusal(append(chain, admin, { op: 'add', device: a.fields }))).toBe(RegistryRefusal.AlreadyPresent)
    const clone = await device(false)
    expect(await refusal(append(chain, admin, { op: 'add', device: { ...clone.fields, credential: a.fields.credential } }))).toBe(RegistryRefusal.AlreadyPresent)
  })

  describe('change: a new role or end date for a device, without revoking it', () => {
    it('extends a locum, makes a praticien secretary (dropping its administration), signed and verified end to end', async () => {
      const until = AT + 86_400_000
      const [admin, other, locum] = await Promise.all([device(true), device(true), device(false, { role: DeviceRole.Locum, until })])
      let chain = await genesis(admin)
      chain = await append(chain, admin, { op: 'add', device: other.fields })
      chain = await append(chain, admin, { op: 'add', device: locum.fields })
      expect(chain.state.keyLosses).toBe(0)
      chain = await append(chain, admin, { op: 'change', target: locum.id, role: DeviceRole.Locum, until: until + 30 * 86_400_000 })
      expect(chain.state.keyLosses).toBe(0)
      chain = await append(chain, admin, { op: 'change', target: other.id, role: DeviceRole.Secretariat })
      const state = await verifyRegistry(SPACE, chain.entries)
      expect(state.devices.get(locum.id)).toMatchObject({ role: DeviceRole.Locum, until: until + 30 * 86_400_000, admin: false, revokedAt: null, credential: locum.fields.credential })
      expect(activeDevices(state, until + 1).map((d) => d.id)).toContain(locum.id)
      expect(state.devices.get(other.id)).toMatchObject({ role: DeviceRole.Secretariat, admin: false, revokedAt: null, sign: other.fields.sign })
      expect(state.devices.get(other.id)!.until).toBeUndefined()
      // Losing the clinical tier calls for a key epoch, as a revocation does.
      expect(state.keyLosses).toBe(1)
      // A locum made praticien loses its end date.
      chain = await append(chain, admin, { op: 'change', target: locum.id, role: DeviceRole.Practitioner })
      expect(chain.state.devices.get(locum.id)!.until).toBeUndefined()
      expect(chain.state.keyLosses).toBe(1)
    })

    it('refuses a forged change, one signed by a device that is not an administrator, and one moved on the relay', async () => {
      const [admin, member, stranger] = await Promise.all([device(true), device(false), device(true)])
      let chain = await genesis(admin)
      chain = await append(chain, admin, { op: 'add', device: member.fields })
      expect(await refusal(append(chain, member, { op: 'change', target: member.id, role: DeviceRole.Locum, until: AT }))).toBe(RegistryRefusal.NotAdministrator)
      expect(await refusal(append(chain, stranger, { op: 'change', target: member.id, role: DeviceRole.Secretariat }))).toBe(RegistryRefusal.UnknownDevice)
      const forged = await signStatement(nextStatement(chain.state, admin.id, AT, { op: 'change', target: member.id, role: DeviceRole.Secretariat }), stranger.identity.sign.privateKey)
      expect(await refusal(applyEntry(chain.state, forged))).toBe(RegistryRefusal.BadSignature)
      const signed = await signStatement(nextStatement(chain.state, admin.id, AT, { op: 'change', target: member.id, role: DeviceRole.Locum, until: AT }), admin.identity.sign.privateKey)
      expect(await refusal(applyEntry(chain.state, signed))).toBe('accepted')
      const moved = { ...signed, statement: signed.statement.replace(`"until":${AT}`, `"until":${AT + 86_400_000}`) }
      expect(await refusal(applyEntry(chain.state, moved))).toBe(RegistryRefusal.BadSignature)
    })

    it('refuses a change to a revoked or unknown device', async () => {
      const [admin, gone] = await Promise.all([device(true), device(false)])
      let chain = await genesis(admin)
      chain = await append(chain, admin, { op: 'add', device: gone.fields })
      chain = await append(chain, admin, { op: 'revoke', target: gone.id })
      expect(await refusal(append(chain, admin, { op: 'change', target: gone.id, role: DeviceRole.Secretariat }))).toBe(RegistryRefusal.AlreadyRevoked)
      expect(await refusal(append(chain, admin, { op: 'change', target: randomId(9), role: DeviceRole.Secretariat }))).toBe(RegistryRefusal.UnknownDevice)
    })

    it('refuses to change the last administrator out of administering; another administrator left, it is allowed', async () => {
      const [admin, second] = await Promise.all([device(true), device(true)])
      const chain = await genesis(admin)
      expect(await refusal(append(chain, admin, { op: 'change', target: admin.id, role: DeviceRole.Secretariat }))).toBe(RegistryRefusal.LastAdministrator)
      // An administrator is a praticien: a locum cannot administer either.
      expect(await refusal(append(chain, admin, { op: 'change', target: admin.id, role: DeviceRole.Locum, until: AT }))).toBe(RegistryRefusal.LastAdministrator)
      const two = await append(chain, admin, { op: 'add', device: second.fields })
      const after = await append(two, admin, { op: 'change', target: admin.id, role: DeviceRole.Secretariat })
      expect(after.state.devices.get(admin.id)).toMatchObject({ role: DeviceRole.Secretariat, admin: false })
      // Its administration gone, the changed device may no longer sign.
      expect(await refusal(append(after, admin, { op: 'revoke', target: second.id }))).toBe(RegistryRefusal.NotAdministrator)
    })

    it('refuses a role without its end date, an end date on another role, and a secretary widened to the clinical tier', async () => {
      const [admin, member, secretary] = await Promise.all([device(true), device(false), device(false, { role: DeviceRole.Secretariat })])
      let chain = await genesis(admin)
      chain = await append(chain, admin, { op: 'add', device: member.fields })
      chain = await append(chain, admin, { op: 'add', device: secretary.fields })
      expect(await refusal(append(chain, admin, { op: 'change', target: member.id, role: DeviceRole.Locum }))).toBe(RegistryRefusal.RoleMismatch)
      expect(await refusal(append(chain, admin, { op: 'change', target: member.id, role: DeviceRole.Practitioner, until: AT }))).toBe(RegistryRefusal.RoleMismatch)
      expect(await refusal(append(chain, admin, { op: 'change', target: secretary.id, role: DeviceRole.Practitioner }))).toBe(RegistryRefusal.Widening)
      expect(await refusal(append(chain, admin, { op: 'change', target: secretary.id, role: DeviceRole.Locum, until: AT }))).toBe(RegistryRefusal.Widening)
      // Naming a key grant (key-grant.ts), the change is the chain's; the relay stores it only with that grant.
      expect(await refusal(append(chain, admin, { op: 'change', target: secretary.id, role: DeviceRole.Practitioner, grant: 'A'.repeat(43) }))).toBe('accepted')
    })
  })
})
