import { describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { makeDeviceIdentity, publicKeysOf, type DeviceIdentity } from '../../../shared/src/devices/device-identity'
import { applyEntry, credentialHash, DeviceRole, emptyRegistry, nextStatement, signStatement, type RegistryState, type SignedEntry } from '../../../shared/src/devices/registry-chain'
import { entrySignedBytes, entrySigner } from '../../../shared/src/envelope/entry-signature'
import { SpaceSigners } from './entry-signatures'
import { FrameError } from './frame-error'
import type { FreshEntry } from './update-check'

const SPACE = randomId(16)
const ROOM = randomId(16)
const AT = Date.UTC(2026, 11, 31, 23, 59)

interface Device {
  id: string
  identity: DeviceIdentity
}

async function device(): Promise<Device> {
  return { id: randomId(9), identity: await makeDeviceIdentity() }
}

/** A registry chain as the relay stores it (JSON texts), growing as devices are added or revoked. */
class Chain {
  state: RegistryState = emptyRegistry(SPACE)
  readonly texts: string[] = []
  reads = 0

  async add(signer: Device, added: Device, op: 'genesis' | 'add' = 'add'): Promise<void> {
    const fields = { id: added.id, ...(await publicKeysOf(added.identity)), role: DeviceRole.Practitioner, admin: true, credential: await credentialHash(toBase64Url(randomBytes(32))) }
    await this.append(signer, { op, device: fields })
  }

  async revoke(signer: Device, target: Device): Promise<void> {
    await this.append(signer, { op: 'revoke', target: target.id })
  }

  private async append(signer: Device, change: Parameters<typeof nextStatement>[3]): Promise<void> {
    const entry: SignedEntry = await signStatement(nextStatement(this.state, signer.id, AT + this.texts.length, change), signer.identity.sign.privateKey)
    this.state = await applyEntry(this.state, entry)
    this.texts.push(JSON.stringify(entry))
  }

  readonly storage = {
    listDeviceEntries: async (spaceId: string): Promise<string[]> => {
      this.reads++
      return spaceId === SPACE ? [...this.texts] : []
    },
  }
}

async function signed(by: Device, at: { client: number; clock: number }, d = 'A'.repeat(22)): Promise<FreshEntry> {
  const c = randomBytes(48)
  const s = await entrySigner(by.id, by.identity.sign.privateKey).sign(entrySignedBytes(SPACE, ROOM, at, d, c))
  return { ...at, entry: { d, c, w: by.id, s } }
}

async function refusal(check: Promise<void>): Promise<string> {
  try {
    await check
    return 'accepted'
  } catch (error) {
    if (error instanceof FrameError) return `${error.reason} ${error.close.code}`
    throw error
  }
}

describe('the relay’s check of entry signatures', () => {
  it('checks nothing in a space without a device registry', async () => {
    const chain = new Chain()
    const signers = new SpaceSigners(chain.storage)
    expect(await refusal(signers.check(SPACE, ROOM, [{ client: 1, clock: 0, entry: { d: 'A'.repeat(22), c: randomBytes(40) } }]))).toBe('accepted')
  })

  it('reads again when a signed entry reaches a space it last saw without a registry (created on another node)', async () => {
    const tablet = await device()
    const chain = new Chain()
    const signers = new SpaceSigners(chain.storage)
    expect(await refusal(signers.check(SPACE, ROOM, [{ client: 1, clock: 0, entry: { d: 'A'.repeat(22), c: randomBytes(40) } }]))).toBe('accepted')
    await chain.add(tablet, tablet, 'genesis')
    const good = await signed(tablet, { client: 2, clock: 0 })
    expect(await refusal(signers.check(SPACE, ROOM, [good]))).toBe('accepted')
    expect(await refusal(signers.check(SPACE, ROOM, [{ ...good, clock: 1 }]))).toBe('bad_signature 4400')
    expect(await refusal(signers.check(SPACE, ROOM, [{ client: 3, clock: 0, entry: { d: 'A'.repeat(22), c: randomBytes(40) } }]))).toBe('unsigned_entry 4400')
  })

  it('takes entries signed at their position by a registry device, revoked since or not, and refuses every other with its reason', async () => {
    const [tablet, phone] = [await device(), await device()]
    const chain = new Chain()
    await chain.add(tablet, tablet, 'genesis')
    await chain.add(tablet, phone)
    const signers = new SpaceSigners(chain.storage)
    const good = await signed(tablet, { client: 7, clock: 3 })
    expect(await refusal(signers.check(SPACE, ROOM, [good, await signed(phone, { client: 8, clock: 0 })]))).toBe('accepted')

    expect(await refusal(signers.check(SPACE, ROOM, [{ ...good, entry: { d: good.entry.d, c: good.entry.c } }]))).toBe('unsigned_entry 4400')
    // The same signed entry at another clock, another client, or in another room: a copy.
    expect(await refusal(signers.check(SPACE, ROOM, [{ ...good, clock: 4 }]))).toBe('bad_signature 4400')
    expect(await refusal(signers.check(SPACE, ROOM, [{ ...good, client: 9 }]))).toBe('bad_signature 4400')
    expect(await refusal(signers.check(SPACE, randomId(16), [good]))).toBe('bad_signature 4400')
    expect(await refusal(signers.check(SPACE, ROOM, [await signed(await device(), { client: 7, clock: 4 })]))).toBe('unknown_signer 4400')
    // One bad entry among good ones refuses the update.
    expect(await refusal(signers.check(SPACE, ROOM, [good, { ...good, clock: 5 }]))).toBe('bad_signature 4400')

    // A revoked device's entries: a device that holds what the relay lost puts them back.
    await chain.revoke(tablet, phone)
    signers.changed(SPACE)
    expect(await refusal(signers.check(SPACE, ROOM, [await signed(phone, { client: 8, clock: 1 })]))).toBe('accepted')
  })

  it('reads the chain again for a device added since, and at most once a second for unknown signers', async () => {
    const tablet = await device()
    const chain = new Chain()
    await chain.add(tablet, tablet, 'genesis')
    const signers = new SpaceSigners(chain.storage)
    expect(await refusal(signers.check(SPACE, ROOM, [await signed(tablet, { client: 1, clock: 0 })]))).toBe('accepted')
    expect(chain.reads).toBe(1)

    // Added on another node (no `changed` here): the first entry naming it makes the relay read again.
    const phone = await device()
    await chain.add(tablet, phone)
    expect(await refusal(signers.check(SPACE, ROOM, [await signed(phone, { client: 2, clock: 0 })]))).toBe('accepted')
    expect(chain.reads).toBe(2)

    // Junk naming random devices: refused, and the chain is not read once per frame.
    for (let i = 0; i < 20; i++) {
      expect(await refusal(signers.check(SPACE, ROOM, [await signed(await device(), { client: 3, clock: i })]))).toBe('unknown_signer 4400')
    }
    expect(chain.reads).toBeLessThanOrEqual(3)
  })
})
