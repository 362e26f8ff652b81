import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { deriveSpaceKeys } from '../crypto/space-keys'
import { decryptEntry, decryptUpdate, encryptEntry, encryptUpdate, V2_IV_MARK } from './entry-cipher'
import { decodeEntryHeader, decodeEntryPlaintext, encodeEntryPlaintext, EntryHeaderError, writerIdOf, type EntryHeader } from './entry-header'

const update = (() => {
  const doc = new Y.Doc()
  doc.getMap('m').set('k', 'v')
  return Y.encodeStateAsUpdate(doc)
})()

const change: EntryHeader = { kind: 'change', writer: 'k3J9xQaa', seq: 7, seen: new Map([['zzzzzzzz', 3]]) }
const snapshot: EntryHeader = {
  kind: 'snapshot',
  writer: 'k3J9xQaa',
  covers: new Map([
    ['k3J9xQaa', [[1, 7]]],
    ['zzzzzzzz', [[1, 2], [4, 9]]],
  ]),
  seen: new Map([['yyyyyyyy', 12]]),
}

describe('the continuity header (format v2)', () => {
  it('reads back what was written, the update after it untouched', () => {
    for (const header of [change, snapshot]) {
      const plain = encodeEntryPlaintext(header, update)
      const read = decodeEntryPlaintext(plain)
      expect(read.header).toEqual(header)
      expect(read.update).toEqual(update)
      expect(decodeEntryHeader(plain.subarray(0, read.headerBytes))).toEqual(header)
    }
  })

  it('costs a few bytes: 9 for a change that names no other writer, 7 more per writer it names', () => {
    expect(encodeEntryPlaintext({ ...change, seen: new Map() }, update).length - update.length).toBe(9)
    expect(encodeEntryPlaintext(change, update).length - update.length).toBe(16)
  })

  it('names a device by the first 6 bytes of its id, which its short id shows', () => {
    expect(writerIdOf('k3J9xQ7aBcDe')).toBe('k3J9xQ7a')
    expect(() => encodeEntryPlaintext({ ...change, writer: 'k3J9xQ7aBcDe' }, update)).toThrow(EntryHeaderError)
  })

  const W = new Uint8Array(6).fill(1)
  const V = new Uint8Array(6).fill(2)
  const bad: Array<[string, (e: encoding.Encoder) => void, RegExp]> = [
    ['an unknown kind', (e) => encoding.writeVarUint(e, 5), /kind/],
    ['a writer cut short', (e) => (encoding.writeVarUint(e, 0), encoding.writeUint8Array(e, new Uint8Array(3))), /writer/],
    ['a change numbered 0', (e) => (encoding.writeVarUint(e, 0), encoding.writeUint8Array(e, W), encoding.writeVarUint(e, 0)), /seq/],
    ['ranges out of order', (e) => {
      encoding.writeVarUint(e, 1)
      encoding.writeUint8Array(e, W)
      encoding.writeVarUint(e, 1)
      encoding.writeUint8Array(e, V)
      encoding.writeVarUint(e, 2)
      encoding.writeVarUint(e, 5)
      encoding.writeVarUint(e, 0)
      encoding.writeVarUint(e, 3)
      encoding.writeVarUint(e, 0)
    }, /covers\[0\]\.ranges\[1\]/],
    ['a huge count', (e) => (encoding.writeVarUint(e, 1), encoding.writeUint8Array(e, W), encoding.writeVarUint(e, 2 ** 30)), /covers/],
    ['a header cut short', (e) => (encoding.writeVarUint(e, 0), encoding.writeUint8Array(e, W)), /ends early/],
  ]
  it.each(bad)('refuses %s, with the path of what is wrong', (_, write, path) => {
    const encoder = encoding.createEncoder()
    write(encoder)
    expect(() => decodeEntryPlaintext(encoding.toUint8Array(encoder))).toThrow(EntryHeaderError)
    expect(() => decodeEntryPlaintext(encoding.toUint8Array(encoder))).toThrow(path)
  })
})

describe('entries of format v1 and v2 side by side', () => {
  it('a v2 entry carries its header; a v1 entry (written before) still decrypts, with none', async () => {
    const keys = await deriveSpaceKeys('space-1', new Uint8Array(32).fill(7))
    const v2 = await encryptEntry(keys, 'main', 'directory', change, update)
    expect(v2[0]).toBe(V2_IV_MARK)
    expect(await decryptEntry(keys, 'main', 'directory', v2)).toMatchObject({ header: change, update })
    expect(await decryptUpdate(keys, 'main', 'directory', v2)).toEqual(update)
    // Old entries: no header. One in 256 has an IV that starts with the mark by chance: v2 fails, v1 is tried.
    for (const v1 of [await encryptUpdate(keys, 'main', 'directory', update), await v1WithMarkedIv(keys)]) {
      expect(await decryptEntry(keys, 'main', 'directory', v1)).toMatchObject({ header: null, headerBytes: null, update })
    }
  })

  it('a v2 ciphertext does not pass for v1, nor for another doc', async () => {
    const keys = await deriveSpaceKeys('space-1', new Uint8Array(32).fill(7))
    const v2 = await encryptEntry(keys, 'main', 'directory', change, update)
    const unmarked = v2.slice()
    unmarked[0] = 0x01
    await expect(decryptEntry(keys, 'main', 'directory', unmarked)).rejects.toThrow(/authentication/)
    await expect(decryptEntry(keys, 'main', 'manifest', v2)).rejects.toThrow(/authentication/)
  })
})

/** A v1 entry whose IV starts with the v2 mark (what 1 in 256 old entries has). */
async function v1WithMarkedIv(keys: Awaited<ReturnType<typeof deriveSpaceKeys>>): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  iv[0] = V2_IV_MARK
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(`tournee/v1|${keys.spaceId}|room:main|directory`) },
    keys.aead,
    new Uint8Array(update),
  )
  const out = new Uint8Array(12 + sealed.byteLength)
  out.set(iv)
  out.set(new Uint8Array(sealed), 12)
  return out
}
