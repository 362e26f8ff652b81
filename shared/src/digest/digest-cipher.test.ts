import { describe, expect, it } from 'vitest'
import { randomBytes } from '../crypto/base64url'
import { deriveAttachmentKey, encryptAttachment } from '../attachments/attachment-cipher'
import { DIGEST_IV_BYTES, DigestIntegrityError, decryptDigest, deriveDigestKey, encryptDigest } from './digest-cipher'

const SPACE = 'spaceAAAAAAAAAAAAAAAAA'
const OTHER_SPACE = 'spaceBBBBBBBBBBBBBBBBB'
const plain = new TextEncoder().encode(JSON.stringify({ patients: [{ birthName: 'Zéphyrinovska', firstNames: 'Odalrique' }] }))

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle))
}

describe('digest cipher', () => {
  it('round-trips on a device holding the same secret, and hides the plaintext', async () => {
    const secret = randomBytes(32)
    const blob = await encryptDigest(await deriveDigestKey(SPACE, secret), SPACE, 'directory', 1234, plain)
    expect(blob.length).toBe(plain.length + DIGEST_IV_BYTES + 16)
    expect(contains(plain, plain.subarray(10, 30))).toBe(true)
    expect(contains(blob, plain.subarray(10, 30))).toBe(false)
    expect(await decryptDigest(await deriveDigestKey(SPACE, secret), SPACE, 'directory', 1234, blob)).toEqual(plain)
  })

  it('seals the same digest twice into unrelated blobs (random IV)', async () => {
    const key = await deriveDigestKey(SPACE, randomBytes(32))
    const [a, b] = await Promise.all([encryptDigest(key, SPACE, 'directory', 1, plain), encryptDigest(key, SPACE, 'directory', 1, plain)])
    expect(a).not.toEqual(b)
  })

  it('refuses the blob under another weight, as a relay replaying an old digest as a newer one would', async () => {
    const key = await deriveDigestKey(SPACE, randomBytes(32))
    const blob = await encryptDigest(key, SPACE, 'directory', 41, plain)
    await expect(decryptDigest(key, SPACE, 'directory', 42, blob)).rejects.toBeInstanceOf(DigestIntegrityError)
    await expect(decryptDigest(key, SPACE, 'directory', 4, blob)).rejects.toBeInstanceOf(DigestIntegrityError)
  })

  it("refuses another space's digest, even with that space's key and id", async () => {
    const secret = randomBytes(32)
    const blob = await encryptDigest(await deriveDigestKey(SPACE, secret), SPACE, 'directory', 7, plain)
    // The relay serving space A's blob as space B's: B's key (same secret, other salt) and B's id.
    await expect(decryptDigest(await deriveDigestKey(OTHER_SPACE, secret), OTHER_SPACE, 'directory', 7, blob)).rejects.toBeInstanceOf(
      DigestIntegrityError,
    )
    // Space A's key but the associated data of space B.
    await expect(decryptDigest(await deriveDigestKey(SPACE, secret), OTHER_SPACE, 'directory', 7, blob)).rejects.toBeInstanceOf(
      DigestIntegrityError,
    )
  })

  it('refuses a blob sealed under another name', async () => {
    const key = await deriveDigestKey(SPACE, randomBytes(32))
    const blob = await encryptDigest(key, SPACE, 'directory', 7, plain)
    // Only one name exists today; a blob sealed for a future name must not open as "directory".
    const aad = new TextEncoder().encode(`tournee/v1/digest|${SPACE}|agenda|7`)
    const iv = blob.slice(0, DIGEST_IV_BYTES)
    const foreign = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plain))
    const foreignBlob = new Uint8Array([...iv, ...foreign])
    // Positive control: the same construction with the right name opens.
    const rightAad = new TextEncoder().encode(`tournee/v1/digest|${SPACE}|directory|7`)
    const right = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: rightAad }, key, plain))
    expect(await decryptDigest(key, SPACE, 'directory', 7, new Uint8Array([...iv, ...right]))).toEqual(plain)
    await expect(decryptDigest(key, SPACE, 'directory', 7, foreignBlob)).rejects.toBeInstanceOf(DigestIntegrityError)
  })

  it('refuses a blob with any one byte altered: IV, ciphertext or tag', async () => {
    const key = await deriveDigestKey(SPACE, randomBytes(32))
    const blob = await encryptDigest(key, SPACE, 'directory', 9, plain)
    for (const index of [0, DIGEST_IV_BYTES + 3, blob.length - 1]) {
      const tampered = blob.slice()
      tampered[index] = tampered[index]! ^ 1
      await expect(decryptDigest(key, SPACE, 'directory', 9, tampered)).rejects.toBeInstanceOf(DigestIntegrityError)
    }
  })

  it('refuses a blob too short to hold an IV and a tag', async () => {
    const key = await deriveDigestKey(SPACE, randomBytes(32))
    await expect(decryptDigest(key, SPACE, 'directory', 0, new Uint8Array(27))).rejects.toThrow(/too short/)
    await expect(decryptDigest(key, SPACE, 'directory', 0, new Uint8Array(0))).rejects.toBeInstanceOf(DigestIntegrityError)
  })

  it('does not open with the attachment key of the same space, nor open an attachment', async () => {
    const secret = randomBytes(32)
    const attachmentKey = await deriveAttachmentKey(SPACE, secret)
    const digestKey = await deriveDigestKey(SPACE, secret)
    const blob = await encryptDigest(digestKey, SPACE, 'directory', 3, plain)
    await expect(decryptDigest(attachmentKey, SPACE, 'directory', 3, blob)).rejects.toBeInstanceOf(DigestIntegrityError)
    const attachment = await encryptAttachment(attachmentKey, SPACE, plain)
    await expect(decryptDigest(digestKey, SPACE, 'directory', 3, attachment.blob)).rejects.toBeInstanceOf(DigestIntegrityError)
  })

  it('refuses to seal under a weight the relay could not store', async () => {
    const key = await deriveDigestKey(SPACE, randomBytes(32))
    for (const weight of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
      await expect(encryptDigest(key, SPACE, 'directory', weight, plain)).rejects.toBeInstanceOf(RangeError)
    }
  })
})
