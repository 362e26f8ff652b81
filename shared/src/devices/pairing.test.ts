import { describe, expect, it } from 'vitest'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'
import { confirmationCode, groupedConfirmationCode } from './confirmation-code'
import { DeviceKeyError, importAgreementKey, makeDeviceIdentity, publicKeysOf, type DeviceIdentity, type DevicePublicKeys } from './device-identity'
import { openPairing, PairingSealError, sealPairing, type SealParties } from './pairing-seal'
import { groupedPairingCode, newPairingCode, normalizePairingCode, PAIRING_CODE_PATTERN } from './pairing-wire'

interface Party {
  identity: DeviceIdentity
  keys: DevicePublicKeys
}

async function party(): Promise<Party> {
  const identity = await makeDeviceIdentity()
  return { identity, keys: await publicKeysOf(identity) }
}

function sides(pairingId: string, admin: Party, joining: Party): { admin: SealParties; joining: SealParties } {
  return {
    admin: { pairingId, own: admin.identity, ownRole: 'admin', ownKeys: admin.keys, peerKeys: joining.keys },
    joining: { pairingId, own: joining.identity, ownRole: 'joining', ownKeys: joining.keys, peerKeys: admin.keys },
  }
}

const payload = new TextEncoder().encode('TOURNEE1.payload')

describe('device identity', () => {
  it('makes non-extractable private keys and 65-byte public points', async () => {
    const { identity, keys } = await party()
    expect(identity.agree.privateKey.extractable).toBe(false)
    expect(identity.sign.privateKey.extractable).toBe(false)
    expect(fromBase64Url(keys.agree)).toHaveLength(65)
    expect(fromBase64Url(keys.sign)).toHaveLength(65)
    await expect(crypto.subtle.exportKey('pkcs8', identity.agree.privateKey)).rejects.toThrow()
  })

  it('refuses a public key that is not a point of the curve', async () => {
    const bytes = fromBase64Url((await party()).keys.agree)
    bytes[40] = bytes[40]! ^ 0xff
    await expect(importAgreementKey(toBase64Url(bytes))).rejects.toBeInstanceOf(DeviceKeyError)
    await expect(importAgreementKey('short')).rejects.toBeInstanceOf(DeviceKeyError)
  })
})

describe('confirmation code', () => {
  it('is the same six digits on both sides, and changes when any key is substituted', async () => {
    const [admin, joining, intruder] = await Promise.all([party(), party(), party()])
    const code = await confirmationCode('7KQ2MX9D4R', admin.keys, joining.keys)
    expect(code).toMatch(/^\d{6}$/)
    expect(await confirmationCode('7KQ2MX9D4R', admin.keys, joining.keys)).toBe(code)
    expect(await confirmationCode('7KQ2MX9D4R', intruder.keys, joining.keys)).not.toBe(code)
    expect(await confirmationCode('7KQ2MX9D4R', admin.keys, intruder.keys)).not.toBe(code)
    expect(await confirmationCode('7KQ2MX9D4R', { ...admin.keys, sign: intruder.keys.sign }, joining.keys)).not.toBe(code)
    expect(await confirmationCode('7KQ2MX9D4S', admin.keys, joining.keys)).not.toBe(code)
    expect(groupedConfirmationCode('012345')).toBe('012 345')
  })
})

describe('sealed pairing', () => {
  it('opens on the joining device only, with the confirmed admin keys', async () => {
    const [admin, joining, intruder] = await Promise.all([party(), party(), party()])
    const pair = sides('7KQ2MX9D4R', admin, joining)
    const sealed = await sealPairing(pair.admin, payload)
    expect(await openPairing(pair.joining, sealed)).toEqual(payload)

    // Sealed by another device than the one whose keys were confirmed: refused.
    const forged = await sealPairing(sides('7KQ2MX9D4R', intruder, joining).admin, payload)
    await expect(openPairing(pair.joining, forged)).rejects.toBeInstanceOf(PairingSealError)
    // Opened by a device that is not the joining one: refused.
    await expect(openPairing(sides('7KQ2MX9D4R', admin, intruder).joining, sealed)).rejects.toBeInstanceOf(PairingSealError)
    // Replayed into another pairing between the same two devices: refused.
    await expect(openPairing(sides('7KQ2MX9D4S', admin, joining).joining, sealed)).rejects.toBeInstanceOf(PairingSealError)
  })

  it('refuses a blob with one bit flipped, truncated or not base64url', async () => {
    const [admin, joining] = await Promise.all([party(), party()])
    const pair = sides('7KQ2MX9D4R', admin, joining)
    const bytes = fromBase64Url(await sealPairing(pair.admin, payload))
    for (const at of [0, 12, bytes.length - 1]) {
      const flipped = bytes.slice()
      flipped[at] = flipped[at]! ^ 1
      await expect(openPairing(pair.joining, toBase64Url(flipped))).rejects.toBeInstanceOf(PairingSealError)
    }
    await expect(openPairing(pair.joining, toBase64Url(bytes.slice(0, 20)))).rejects.toBeInstanceOf(PairingSealError)
    await expect(openPairing(pair.joining, 'not base64url!')).rejects.toBeInstanceOf(PairingSealError)
  })
})

describe('pairing code', () => {
  it('is ten characters of Crockford base32, and reads back what a person types', () => {
    const code = newPairingCode()
    expect(code).toMatch(PAIRING_CODE_PATTERN)
    expect(normalizePairingCode(groupedPairingCode(code).toLowerCase())).toBe(code)
    expect(normalizePairingCode(' 7kq2m - x9d4r ')).toBe('7KQ2MX9D4R')
    expect(normalizePairingCode('OIL2MX9D4R')).toBe('0112MX9D4R')
    expect(normalizePairingCode('7KQ2MX9D4')).toBeNull()
    expect(normalizePairingCode('7KQ2MX9D4U')).toBeNull()
  })
})
