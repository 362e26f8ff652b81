import { describe, expect, it } from 'vitest'
import { randomBytes } from '../crypto/base64url'
import { deriveSpaceKeys } from '../crypto/space-keys'
import { encryptUpdate } from '../envelope/entry-cipher'
import { GrowingEpochKeyring } from '../crypto/key-epochs'
import { epochNamedBy } from '../crypto/epoch-sealed'
import {
  AttachmentIntegrityError,
  decryptAttachment,
  deriveAttachmentEpochKey,
  deriveAttachmentKey,
  encryptAttachment,
  MissingAttachmentEpochError,
  openAttachment,
  sealAttachment,
  sha256Hex,
} from './attachment-cipher'

const SPACE = 'spaceAAAAAAAAAAAAAAAAA'
const file = new TextEncoder().encode('Ordonnance du Dr Martin: 10 séances de rééducation lombaire')

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle))
}

describe('attachment cipher', () => {
  it('round-trips, addresses the blob by the SHA-256 of the ciphertext, and hides the plaintext', async () => {
    const key = await deriveAttachmentKey(SPACE, randomBytes(32))
    const sealed = await encryptAttachment(key, SPACE, file)
    expect(sealed.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(sealed.hash).toBe(await sha256Hex(sealed.blob))
    expect(sealed.blob.length).toBe(file.length + 28)
    expect(contains(sealed.blob, file.subarray(0, 16))).toBe(false)
    expect(contains(file, file.subarray(0, 16))).toBe(true)
    expect(await decryptAttachment(key, SPACE, sealed.hash, sealed.blob)).toEqual(file)
  })

  it('gives two uploads of one file unrelated blobs', async () => {
    const key = await deriveAttachmentKey(SPACE, randomBytes(32))
    const [a, b] = await Promise.all([encryptAttachment(key, SPACE, file), encryptAttachment(key, SPACE, file)])
    expect(a.hash).not.toBe(b.hash)
  })

  it('derives the same key on two devices from the same secret, and another one per space', async () => {
    const secret = randomBytes(32)
    const sealed = await encryptAttachment(await deriveAttachmentKey(SPACE, secret), SPACE, file)
    expect(await decryptAttachment(await deriveAttachmentKey(SPACE, secret), SPACE, sealed.hash, sealed.blob)).toEqual(file)
    const other = 'spaceBBBBBBBBBBBBBBBBB'
    await expect(decryptAttachment(await deriveAttachmentKey(other, secret), other, sealed.hash, sealed.blob)).rejects.toBeInstanceOf(
      AttachmentIntegrityError,
    )
  })

  it('refuses a blob that is not the one its hash names, before decrypting', async () => {
    const key = await deriveAttachmentKey(SPACE, randomBytes(32))
    const sealed = await encryptAttachment(key, SPACE, file)
    const tampered = sealed.blob.slice()
    tampered[20] = tampered[20]! ^ 1
    await expect(decryptAttachment(key, SPACE, sealed.hash, tampered)).rejects.toThrow(/do not hash/)
    // Even with a matching hash, a blob sealed under the envelope key does not open.
    const secret = randomBytes(32)
    const envelopeBlob = await encryptUpdate(await deriveSpaceKeys(SPACE, secret), 'files/0', 'patient/x', file)
    await expect(
      decryptAttachment(await deriveAttachmentKey(SPACE, secret), SPACE, await sha256Hex(envelopeBlob), envelopeBlob),
    ).rejects.toThrow(/authentication/)
  })
})

describe('attachment cipher, key epochs', () => {
  const ringOf = async (secrets: ReadonlyMap<number, Uint8Array>) =>
    GrowingEpochKeyring.of(await Promise.all([...secrets].map(async ([epoch, secret]) => ({ epoch, key: await deriveAttachmentEpochKey(SPACE, epoch, secret) }))))

  it('seals under the newest clinical epoch held, addressed by the hash of the blob, header included', async () => {
    const base = await deriveAttachmentKey(SPACE, randomBytes(32))
    const secrets = new Map([[1, randomBytes(32)], [3, randomBytes(32)]])
    const keys = { base, epochs: await ringOf(secrets) }
    const sealed = await sealAttachment(keys, SPACE, file)
    expect(sealed.epoch).toBe(3)
    expect(epochNamedBy(sealed.blob)).toBe(3)
    expect(sealed.hash).toBe(await sha256Hex(sealed.blob))
    expect(contains(sealed.blob, file.subarray(0, 16))).toBe(false)
    expect(await openAttachment({ base, epochs: await ringOf(new Map([[3, secrets.get(3)!]])) }, SPACE, sealed.hash, sealed.blob)).toEqual(file)
    // An attachment from before epochs still opens on a device that holds epochs.
    const old = await encryptAttachment(base, SPACE, file)
    expect(await openAttachment(keys, SPACE, old.hash, old.blob)).toEqual(file)
  })

  it('does not open, with the keys of a device revoked before its epoch, an attachment sealed after: MissingAttachmentEpochError', async () => {
    const baseSecret = randomBytes(32)
    const secrets = new Map([[1, randomBytes(32)], [2, randomBytes(32)]])
    const sealed = await sealAttachment({ base: await deriveAttachmentKey(SPACE, baseSecret), epochs: await ringOf(secrets) }, SPACE, file)
    const revoked = { base: await deriveAttachmentKey(SPACE, baseSecret), epochs: await ringOf(new Map([[1, secrets.get(1)!]])) }
    const error = await openAttachment(revoked, SPACE, sealed.hash, sealed.blob).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MissingAttachmentEpochError)
    expect((error as MissingAttachmentEpochError).epoch).toBe(2)
    await expect(decryptAttachment(revoked.base, SPACE, sealed.hash, sealed.blob)).rejects.toBeInstanceOf(AttachmentIntegrityError)
    for (const key of [revoked.base, revoked.epochs.key(1)!]) {
      await expect(openAttachment({ base: revoked.base, epochs: GrowingEpochKeyring.of([{ epoch: 2, key }]) }, SPACE, sealed.hash, sealed.blob)).rejects.toThrow(/authentication/)
    }
  })

  it('refuses a relabelled epoch: another hash, and under its own hash no authentication', async () => {
    const secrets = new Map([[1, randomBytes(32)], [2, randomBytes(32)]])
    const keys = { base: await deriveAttachmentKey(SPACE, randomBytes(32)), epochs: await ringOf(secrets) }
    const sealed = await sealAttachment(keys, SPACE, file)
    const relabelled = sealed.blob.slice()
    relabelled[2] = 1
    await expect(openAttachment(keys, SPACE, sealed.hash, relabelled)).rejects.toThrow(/do not hash/)
    await expect(openAttachment(keys, SPACE, await sha256Hex(relabelled), relabelled)).rejects.toThrow(/authentication/)
  })
})
