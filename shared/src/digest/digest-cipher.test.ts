import { describe, expect, it } from 'vitest'
import { randomBytes } from '../crypto/base64url'
import { deriveAttachmentKey, encryptAttachment } from '../attachments/attachment-cipher'
import { GrowingEpochKeyring } from '../crypto/key-epochs'
import { epochNamedBy, sealAt } from '../crypto/epoch-sealed'
import {
  DIGEST_IV_BYTES,
  DIGEST_MIN_BYTES,
  DigestIntegrityError,
  decryptDigest,
  deriveDigestEpochKey,
  deriveDigestKey,
  encryptDigest,
  MissingDigestEpochError,
  openDigest,
  sealDigest,
} from './digest-cipher'

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

describe('digest cipher, key epochs', () => {
  async function keysOf(epochs: number[], base = randomBytes(32), secrets = new Map<number, Uint8Array>()) {
    const ring = new GrowingEpochKeyring()
    for (const epoch of epochs) {
      if (!secrets.has(epoch)) secrets.set(epoch, randomBytes(32))
      ring.add(epoch, await deriveDigestEpochKey(SPACE, epoch, secrets.get(epoch)!))
    }
    return { base: await deriveDigestKey(SPACE, base), epochs: ring, secrets, baseSecret: base }
  }

  it('seals under the newest epoch held, names it in the IV, and opens under it on a device holding it', async () => {
    const writer = await keysOf([1, 2])
    const { blob, epoch } = await sealDigest(writer, SPACE, 'directory', 12, plain)
    expect(epoch).toBe(2)
    expect(epochNamedBy(blob)).toBe(2)
    expect(blob.length).toBe(plain.length + DIGEST_MIN_BYTES)
    expect(contains(blob, plain.subarray(10, 30))).toBe(false)
    const reader = await keysOf([2], writer.baseSecret, writer.secrets)
    expect(await openDigest(reader, SPACE, 'directory', 12, blob)).toEqual({ plain, epoch: 2 })
  })

  it('holding no epoch ≥ 1, seals in the layout from before epochs; a device holding epochs still opens it', async () => {
    const writer = await keysOf([])
    const { blob, epoch } = await sealDigest(writer, SPACE, 'week', 3, plain)
    expect(epoch).toBe(0)
    expect(await decryptDigest(writer.base, SPACE, 'week', 3, blob)).toEqual(plain)
    const reader = await keysOf([1, 2], writer.baseSecret)
    expect(await openDigest(reader, SPACE, 'week', 3, blob)).toEqual({ plain, epoch: 0 })
  })

  it("does not open under epoch 0's key, or the root of the old epochs, a digest sealed under a later epoch: MissingDigestEpochError names it", async () => {
    const writer = await keysOf([1, 2])
    const { blob } = await sealDigest(writer, SPACE, 'directory', 12, plain)
    // A device revoked before epoch 2: epoch 0's key and epoch 1's.
    const revoked = await keysOf([1], writer.baseSecret, new Map([[1, writer.secrets.get(1)!]]))
    const error = await openDigest(revoked, SPACE, 'directory', 12, blob).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MissingDigestEpochError)
    expect((error as MissingDigestEpochError).epoch).toBe(2)
    // Its keys tried as epoch 2's do not open it either, nor does epoch 0's key alone.
    for (const key of [revoked.base, revoked.epochs.key(1)!]) {
      await expect(openDigest({ base: revoked.base, epochs: GrowingEpochKeyring.of([{ epoch: 2, key }]) }, SPACE, 'directory', 12, blob)).rejects.toBeInstanceOf(DigestIntegrityError)
    }
    await expect(decryptDigest(revoked.base, SPACE, 'directory', 12, blob)).rejects.toBeInstanceOf(DigestIntegrityError)
  })

  it('refuses a digest whose epoch the relay relabelled, to another epoch held or to epoch 0', async () => {
    const writer = await keysOf([1, 2])
    const { blob } = await sealDigest(writer, SPACE, 'directory', 12, plain)
    const relabelled = blob.slice()
    relabelled[2] = 1
    expect(epochNamedBy(relabelled)).toBe(1)
    await expect(openDigest(writer, SPACE, 'directory', 12, relabelled)).rejects.toBeInstanceOf(DigestIntegrityError)
    const unmarked = blob.slice()
    unmarked[0] = 0x07
    await expect(openDigest(writer, SPACE, 'directory', 12, unmarked)).rejects.toBeInstanceOf(DigestIntegrityError)
    // The epoch is in the associated data too: epoch 1's key and IV with epoch 2's associated data do not open as epoch 1.
    const iv = blob.slice(0, DIGEST_IV_BYTES)
    iv[2] = 1
    const aad2 = new TextEncoder().encode(`tournee/v3/digest|${SPACE}|directory|12|epoch:2`)
    const crossed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad2 }, writer.epochs.key(1)!, plain))
    await expect(openDigest(writer, SPACE, 'directory', 12, new Uint8Array([...iv, ...crossed]))).rejects.toBeInstanceOf(DigestIntegrityError)
    // And under another weight, as before epochs.
    await expect(openDigest(writer, SPACE, 'directory', 13, blob)).rejects.toBeInstanceOf(DigestIntegrityError)
  })

  it('reads an epoch-0 digest whose random IV happens to start like an epoch header', async () => {
    const keys = await keysOf([1])
    const aad = (epoch: number) => new TextEncoder().encode(epoch === 0 ? `tournee/v1/digest|${SPACE}|week|5` : 'unused')
    for (let i = 0; i < 16; i++) {
      const { blob } = await sealAt(0, keys.base, aad, plain)
      // What one IV in 256 looks like, naming epoch 1 (held: tried first) or another (not held).
      blob[0] = 0x03
      if (i % 2 === 0) [blob[1], blob[2]] = [0, 1]
      const resealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: blob.slice(0, DIGEST_IV_BYTES), additionalData: aad(0) }, keys.base, plain))
      const marked = new Uint8Array([...blob.slice(0, DIGEST_IV_BYTES), ...resealed])
      expect((await openDigest(keys, SPACE, 'week', 5, marked)).epoch).toBe(0)
    }
  })
})
