import { describe, expect, it } from 'vitest'
import { randomBytes, randomId } from './base64url'
import { asBuffer, derivePracticeKeys, deriveSpaceAesKey, deriveSpaceKeys, deriveTierSecrets, SpaceKeyError } from './space-keys'

const SPACE = randomId(16)

async function opens(key: CryptoKey, sealedBy: CryptoKey): Promise<boolean> {
  const iv = asBuffer(randomBytes(12))
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, sealedBy, new TextEncoder().encode('note'))
  return crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed).then(
    () => true,
    () => false,
  )
}

describe('key tiers', () => {
  it('derive two distinct tier secrets from the root, the same on every device, other in another space', async () => {
    const root = randomBytes(32)
    const tiers = await deriveTierSecrets(SPACE, root)
    expect(tiers.practice).toHaveLength(32)
    expect(tiers.clinical).toHaveLength(32)
    expect(tiers.practice).not.toEqual(tiers.clinical)
    expect(tiers.practice).not.toEqual(root)
    expect(await deriveTierSecrets(SPACE, root)).toEqual(tiers)
    expect((await deriveTierSecrets(randomId(16), root)).practice).not.toEqual(tiers.practice)
  })

  it('give a device of the practice tier alone the same practice key as a full one, and no clinical key', async () => {
    const root = randomBytes(32)
    const tiers = await deriveTierSecrets(SPACE, root)
    const full = await deriveSpaceKeys(SPACE, root)
    const practiceOnly = await derivePracticeKeys(SPACE, { practice: tiers.practice, clinical: null })
    expect(practiceOnly.clinical).toBeNull()
    expect(await opens(practiceOnly.aead, full.aead)).toBe(true)
    // The clinical key is another key: the practice key does not open what it seals.
    expect(await opens(practiceOnly.aead, full.clinical!)).toBe(false)
    expect(await opens(full.clinical!, full.aead)).toBe(false)
    // The same label under each tier gives unrelated keys (attachment under C, digest under P).
    expect(await opens(await deriveSpaceAesKey(SPACE, tiers.practice, 'tournee/v1/attachment'), await deriveSpaceAesKey(SPACE, tiers.clinical, 'tournee/v1/attachment'))).toBe(false)
    // One blind key for both tiers: the same HMAC whoever computes it.
    const mac = async (key: CryptoKey) => new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode('doc:directory')))
    expect(await mac(practiceOnly.blind)).toEqual(await mac(full.blind))
  })

  it('refuse secrets of the wrong length with a named error', async () => {
    await expect(deriveTierSecrets(SPACE, randomBytes(16))).rejects.toBeInstanceOf(SpaceKeyError)
    await expect(derivePracticeKeys(SPACE, { practice: randomBytes(31), clinical: null })).rejects.toBeInstanceOf(SpaceKeyError)
    await expect(derivePracticeKeys(SPACE, { practice: randomBytes(32), clinical: randomBytes(33) })).rejects.toThrow(/clinical tier/)
  })
})
