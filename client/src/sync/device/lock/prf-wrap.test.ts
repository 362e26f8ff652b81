/**
 * The wrap under a passkey's PRF output, with real WebCrypto: what it seals opens with the same
 * output, salt and practice only; anything else is refused by name, and a payload of another
 * shape says which field.
 */
import { describe, expect, it } from 'vitest'
import { randomBytes } from '../../../../../shared/src/crypto/base64url'
import { openSecrets, sealSecrets, WrappedSecretsFormatError, WrongPasskeySecretError, WRAP_SALT_BYTES, wrappingKeyFrom, type AtRestSecrets } from './prf-wrap'

const SPACE = 'space-prf'

function secrets(): AtRestSecrets {
  return {
    tiers: { practice: randomBytes(32), clinical: randomBytes(32) },
    rootSecret: randomBytes(32),
    epochSecrets: [{ epoch: 1, practice: randomBytes(32), clinical: null }],
  }
}

describe('prf-wrap', () => {
  it('opens what it sealed with the same PRF output, salt and practice; the wrapping key is not extractable', async () => {
    const prf = randomBytes(32)
    const salt = randomBytes(WRAP_SALT_BYTES)
    const held = secrets()
    const key = await wrappingKeyFrom(prf, salt, SPACE)
    expect(key.extractable).toBe(false)
    const sealed = await sealSecrets(key, SPACE, held)
    // Nothing of a secret is readable in what is stored.
    const text = new TextDecoder('latin1').decode(sealed)
    for (const bytes of [held.tiers.practice, held.rootSecret!]) expect(text).not.toContain(new TextDecoder('latin1').decode(bytes))
    const opened = await openSecrets(await wrappingKeyFrom(prf, salt, SPACE), SPACE, sealed)
    expect(opened).toEqual(held)
  })

  it('refuses another PRF output, another salt and another practice with WrongPasskeySecretError', async () => {
    const prf = randomBytes(32)
    const salt = randomBytes(WRAP_SALT_BYTES)
    const sealed = await sealSecrets(await wrappingKeyFrom(prf, salt, SPACE), SPACE, secrets())
    const other = randomBytes(32)
    await expect(openSecrets(await wrappingKeyFrom(other, salt, SPACE), SPACE, sealed)).rejects.toBeInstanceOf(WrongPasskeySecretError)
    await expect(openSecrets(await wrappingKeyFrom(prf, randomBytes(WRAP_SALT_BYTES), SPACE), SPACE, sealed)).rejects.toBeInstanceOf(WrongPasskeySecretError)
    await expect(openSecrets(await wrappingKeyFrom(prf, salt, 'space-other'), 'space-other', sealed)).rejects.toBeInstanceOf(WrongPasskeySecretError)
    // The right key, sealed bytes of another practice (additional data): refused as well.
    await expect(openSecrets(await wrappingKeyFrom(prf, salt, SPACE), 'space-other', sealed)).rejects.toBeInstanceOf(WrongPasskeySecretError)
    const flipped = sealed.slice()
    flipped[flipped.length - 1]! ^= 1
    await expect(openSecrets(await wrappingKeyFrom(prf, salt, SPACE), SPACE, flipped)).rejects.toMatchObject({ name: 'WrongPasskeySecretError' })
  })

  it('refuses a short PRF output and a salt of another size before deriving anything', async () => {
    await expect(wrappingKeyFrom(randomBytes(16), randomBytes(WRAP_SALT_BYTES), SPACE)).rejects.toBeInstanceOf(WrongPasskeySecretError)
    await expect(wrappingKeyFrom(randomBytes(32), randomBytes(8), SPACE)).rejects.toBeInstanceOf(WrappedSecretsFormatError)
  })

  it.each([
    ['v', { v: 2 }, /^v: /],
    ['practice', { practice: 'AAAA' }, /^practice: 32 bytes/],
    ['clinical', { clinical: 7 }, /^clinical: a base64url/],
    ['root', { root: '!!' }, /^root: not base64url/],
    ['epochs', { epochs: {} }, /^epochs: an array/],
    ['epochs[0].epoch', { epochs: [{ epoch: 0, practice: '', clinical: null }] }, /^epochs\[0\]\.epoch: /],
  ])('a payload whose %s is not what this version writes is refused with its path', async (_field, change, message) => {
    const key = await wrappingKeyFrom(randomBytes(32), randomBytes(WRAP_SALT_BYTES), SPACE)
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const payload = { v: 1, practice: b64(randomBytes(32)), clinical: null, root: null, epochs: [], ...change }
    const iv = randomBytes(12) as Uint8Array<ArrayBuffer>
    const additionalData = new TextEncoder().encode(`tournee/lock/wrapped/v1/${SPACE}`)
    const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, new TextEncoder().encode(JSON.stringify(payload))))
    const sealed = new Uint8Array([...iv, ...body])
    await expect(openSecrets(key, SPACE, sealed)).rejects.toThrow(message)
    await expect(openSecrets(key, SPACE, sealed)).rejects.toBeInstanceOf(WrappedSecretsFormatError)
  })
})
