import { describe, expect, it } from 'vitest'
import { randomBytes } from '../crypto/base64url'
import { deriveSpaceKeys } from '../crypto/space-keys'
import { encryptUpdate } from '../envelope/entry-cipher'
import { AttachmentIntegrityError, decryptAttachment, deriveAttachmentKey, encryptAttachment, sha256Hex } from './attachment-cipher'

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
