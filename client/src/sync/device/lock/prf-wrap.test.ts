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
    held: randomBytes(32),
    credential: 'credential-of-this-device',
    heldEpochs: [{ epoch: 1, practice: randomBytes(32), clinical: randomBytes(32) }],
    identity: null,
  }
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

/** Seals a payload of our choosing as sealSecrets would (a layout written by another version, or broken). */
async function sealedPayload(key: CryptoKey, payload: unknown): Promise<Uint8Array> {
  const iv = randomBytes(12) as Uint8Array<ArrayBuffer>
  const additionalData = new TextEncoder().encode(`tournee/lock/wrapped/v1/${SPACE}`)
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, new TextEncoder().encode(JSON.stringify(payload))))
  return new Uint8Array([...iv, ...body])
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
    for (const bytes of [held.tiers.practice, held.rootSecret!, held.held!, held.heldEpochs[0]!.practice]) expect(text).not.toContain(new TextDecoder('latin1').decode(bytes))
    const opened = await openSecrets(await wrappingKeyFrom(prf, salt, SPACE), SPACE, sealed)
    expect(opened).toEqual(held)
    expect(text).not.toContain(held.credential)
  })

  it('reads the first layout (v1) with nothing of the held state, credential or held epochs: the next unlock moves them in', async () => {
    const key = await wrappingKeyFrom(randomBytes(32), randomBytes(WRAP_SALT_BYTES), SPACE)
    const practice = randomBytes(32)
    const opened = await openSecrets(key, SPACE, await sealedPayload(key, { v: 1, practice: b64(practice), clinical: null, root: null, epochs: [] }))
    expect(opened).toEqual({ tiers: { practice, clinical: null }, rootSecret: null, epochSecrets: [], held: null, credential: null, heldEpochs: [], identity: null })
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
    ['v', { v: 3 }, /^v: /],
    ['practice', { practice: 'AAAA' }, /^practice: 32 bytes/],
    ['clinical', { clinical: 7 }, /^clinical: a base64url/],
    ['root', { root: '!!' }, /^root: not base64url/],
    ['epochs', { epochs: {} }, /^epochs: an array/],
    ['epochs[0].epoch', { epochs: [{ epoch: 0, practice: '', clinical: null }] }, /^epochs\[0\]\.epoch: /],
    ['held', { held: 'AAAA' }, /^held: 32 bytes/],
    ['credential', { credential: 12 }, /^credential: a string/],
    ['heldEpochs', { heldEpochs: null }, /^heldEpochs: an array/],
    ['identity.sign', { identity: { agree: { kty: 'EC', d: 'x' }, sign: { kty: 'oct' } } }, /^identity\.sign: a private EC JWK/],
    ['heldEpochs[0].practice', { heldEpochs: [{ epoch: 2, practice: 'AAAA', clinical: null }] }, /^heldEpochs\[0\]\.practice: 32 bytes/],
  ])('a payload whose %s is not what this version writes is refused with its path', async (_field, change, message) => {
    const key = await wrappingKeyFrom(randomBytes(32), randomBytes(WRAP_SALT_BYTES), SPACE)
    const payload = { v: 2, practice: b64(randomBytes(32)), clinical: null, root: null, epochs: [], held: null, credential: null, heldEpochs: [], ...change }
    const sealed = await sealedPayload(key, payload)
    await expect(openSecrets(key, SPACE, sealed)).rejects.toThrow(message)
    await expect(openSecrets(key, SPACE, sealed)).rejects.toBeInstanceOf(WrappedSecretsFormatError)
  })
})
