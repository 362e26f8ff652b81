import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deriveSpaceKeys, ROOT_SECRET_BYTES } from '../../../../shared/src/crypto/space-keys'
import { randomBytes } from '../../../../shared/src/crypto/base64url'
import { encryptEntry, encryptUpdate } from '../../../../shared/src/envelope/entry-cipher'
import { deriveEpochAesKey, GrowingEpochKeyring } from '../../../../shared/src/crypto/key-epochs'
import { decodeEntryHeader, type EntryHeader } from '../../../../shared/src/envelope/entry-header'
import { DECODE_PROTOCOL, handleDecodeCall, packBytes, packBytesInSteps, readDecodeReply, transferablesOf, unpackBytes, unpackHeaders, type DecodeReply } from './decode-protocol'

const ROOM = 'main' as const
const DOC = 'directory'

async function setUp(patients: number) {
  const keys = await deriveSpaceKeys('space-decode-test', randomBytes(ROOT_SECRET_BYTES))
  const source = new Y.Doc()
  const updates: Uint8Array[] = []
  source.on('update', (u: Uint8Array) => updates.push(u))
  for (let i = 0; i < patients; i += 10) {
    source.transact(() => {
      for (let j = i; j < i + 10; j++) {
        const record = new Y.Map<unknown>()
        source.getMap('patients').set(`p${j}`, record)
        record.set('birthName', `Nom${j}`)
        record.set('firstNames', `Prénom${j}`)
      }
    })
  }
  const ciphertexts = await Promise.all(updates.map((u) => encryptUpdate(keys, ROOM, DOC, u)))
  const call = { type: 'decode', protocol: DECODE_PROTOCOL, id: 7, spaceId: keys.spaceId, aead: keys.aead, epochs: [], room: ROOM, docId: DOC, ciphertexts: packBytes(ciphertexts), maxStructs: 50 }
  return { keys, source, ciphertexts, call }
}

/** Every reply the handler posts, in order. */
async function replies(message: unknown): Promise<DecodeReply[]> {
  const posted: DecodeReply[] = []
  await handleDecodeCall(message, (reply) => posted.push(reply))
  return posted
}

/** The doc the slices give, and the final reply. */
function applyAll(posted: readonly DecodeReply[]): { doc: Y.Doc; last: DecodeReply } {
  const doc = new Y.Doc()
  for (const reply of posted) if (reply.type === 'slices') for (const update of reply.updates) Y.applyUpdate(doc, update)
  expect(doc.store.pendingStructs).toBeNull()
  expect(posted.slice(0, -1).every((reply) => reply.type === 'slices')).toBe(true)
  return { doc, last: posted[posted.length - 1]! }
}

describe("the decode worker's message handler (run here as a plain function)", () => {
  it('decrypts entries of a later key epoch with the epoch keys it is handed, and no others', async () => {
    const { keys, source, call } = await setUp(20)
    const epochKey = await deriveEpochAesKey(keys.spaceId, 1, randomBytes(32))
    const header: EntryHeader = { kind: 'change', writer: 'k3J9xQaa', seq: 1, seen: new Map() }
    const v3 = await encryptEntry({ ...keys, epochs: GrowingEpochKeyring.of([{ epoch: 1, key: epochKey }]) }, ROOM, DOC, header, Y.encodeStateAsUpdate(source))
    const withEpoch = applyAll(await replies({ ...call, epochs: [{ epoch: 1, key: epochKey }], ciphertexts: packBytes([v3]) }))
    expect(withEpoch.last).toMatchObject({ type: 'decoded', undecryptable: [] })
    expect(withEpoch.doc.getMap('patients').size).toBe(20)
    const without = applyAll(await replies({ ...call, ciphertexts: packBytes([v3]) }))
    expect(without.last).toMatchObject({ type: 'decoded', undecryptable: [0] })
    expect(await replies({ ...call, epochs: [{ epoch: 1, key: 'not a key' }] })).toMatchObject([{ type: 'failed', message: expect.stringContaining('epochs') }])
  })

  it('decrypts, merges and slices a doc: the slices give the doc, each a bounded piece', async () => {
    const { source, call } = await setUp(200)
    const posted = await replies(call)
    const { doc, last } = applyAll(posted)
    expect(last).toMatchObject({ type: 'decoded', protocol: DECODE_PROTOCOL, id: 7, undecryptable: [], malformed: [] })
    if (last.type !== 'decoded') throw new Error('decoded')
    expect(unpackHeaders(last.headers)).toEqual([...call.ciphertexts.ends].map(() => null))
    // Handed on as they are made: several messages, several slices each.
    expect(posted.length).toBeGreaterThan(2)
    expect(doc.getMap('patients').toJSON()).toEqual(source.getMap('patients').toJSON())
    for (const reply of posted) {
      // What the worker posts back is transferred, not copied.
      if (reply.type === 'slices') expect(transferablesOf(reply).length).toBe(reply.updates.length)
      if (reply.type === 'decoded') expect(transferablesOf(reply)).toEqual([reply.headers.bytes.buffer, reply.headers.ends.buffer])
      // The page checks each reply as it checks any message it receives.
      expect(readDecodeReply(reply)).toEqual(reply)
    }
  })

  it('names the entries it could not authenticate, and those that are not Yjs updates, and applies the rest', async () => {
    const { keys, source, ciphertexts, call } = await setUp(40)
    const n = ciphertexts.length
    // The last entry tampered with (an earlier one would leave a gap: what follows it waits, pending).
    const tampered = ciphertexts[n - 1]!.slice()
    tampered[tampered.length - 1]! ^= 1
    const garbage = await encryptUpdate(keys, ROOM, DOC, new Uint8Array([9, 9, 9, 9]))
    // Sealed for another doc: its associated data does not match.
    const misplaced = await encryptUpdate(keys, ROOM, 'agenda/2026-12', new Uint8Array([0, 0]))
    const { doc, last } = applyAll(await replies({ ...call, ciphertexts: packBytes([...ciphertexts.slice(0, n - 1), garbage, tampered, misplaced]) }))
    expect(last).toMatchObject({ type: 'decoded', undecryptable: [n, n + 1], malformed: [n - 1] })
    // Everything but the tampered entry's ten patients.
    expect(Object.keys(doc.getMap('patients').toJSON())).toHaveLength(Object.keys(source.getMap('patients').toJSON()).length - 10)
  })

  it("hands back each v2 entry's continuity header, null for v1 entries and for those that did not decrypt", async () => {
    const { keys, source, ciphertexts, call } = await setUp(30)
    const updates = [Y.encodeStateAsUpdate(source)]
    const header: EntryHeader = { kind: 'change', writer: 'k3J9xQ7a', seq: 4, seen: new Map([['Zp0v1s2t', 2]]) }
    const v2 = await encryptEntry(keys, ROOM, DOC, header, updates[0]!)
    const tampered = v2.slice()
    tampered[tampered.length - 1]! ^= 1
    const posted = await replies({ ...call, ciphertexts: packBytes([ciphertexts[0]!, v2, tampered]) })
    const { doc, last } = applyAll(posted)
    expect(doc.getMap('patients').size).toBe(30)
    if (last.type !== 'decoded') throw new Error('decoded')
    expect(last.undecryptable).toEqual([2])
    const headers = unpackHeaders(last.headers)
    expect(headers[0]).toBeNull()
    expect(decodeEntryHeader(headers[1]!)).toEqual(header)
    expect(headers[2]).toBeNull()
    expect(readDecodeReply(last)).toEqual(last)
  })

  it('answers a call it cannot read with a failure naming the field, never a throw', async () => {
    const { call } = await setUp(10)
    expect(await replies({ ...call, aead: 'not a key' })).toEqual([{ type: 'failed', protocol: DECODE_PROTOCOL, id: 7, message: 'DecodeMessageError: aead: expected a CryptoKey' }])
    expect(await replies({ ...call, protocol: DECODE_PROTOCOL - 1 })).toMatchObject([{ type: 'failed', message: expect.stringContaining('reload') }])
    // Packed ciphertexts whose ends would read outside the bytes, or go back, or a plain list.
    const { bytes, ends } = call.ciphertexts
    const longer = Uint32Array.from(ends, (end, i) => (i === ends.length - 1 ? end + 1 : end))
    const backwards = Uint32Array.from(ends, (end, i) => (i === 0 ? ends[1]! + 1 : end))
    for (const ciphertexts of [{ bytes, ends: longer }, { bytes, ends: backwards }, [bytes], { bytes, ends: [...ends] }]) {
      expect(await replies({ ...call, ciphertexts })).toMatchObject([{ type: 'failed', message: expect.stringContaining('ciphertexts') }])
    }
    expect(await replies({ ...call, room: 'lobby' })).toMatchObject([{ type: 'failed', message: expect.stringContaining('room') }])
    expect(await replies(null)).toMatchObject([{ type: 'failed', id: 0 }])
  })

  it('packs ciphertexts into one buffer and gives them back as they were', () => {
    const ciphertexts = [new Uint8Array([1, 2, 3]), new Uint8Array(), new Uint8Array([4])]
    const packed = packBytes(ciphertexts)
    expect([...packed.bytes]).toEqual([1, 2, 3, 4])
    expect([...packed.ends]).toEqual([3, 3, 4])
    expect(unpackBytes(packed)).toEqual(ciphertexts)
    expect(unpackBytes(packBytes([]))).toEqual([])
  })

  it('packs in steps the same bytes, giving the thread back after each step', async () => {
    const ciphertexts = Array.from({ length: 10 }, (_, i) => new Uint8Array(300).fill(i))
    let pauses = 0
    const packed = await packBytesInSteps(ciphertexts, 1_000, async () => void pauses++)
    expect(packed).toEqual(packBytes(ciphertexts))
    // 3,000 bytes in steps of at least 1,000 (whole entries: 4 per step, the last step 2).
    expect(pauses).toBe(2)
    expect(await packBytesInSteps([], 1_000, async () => void pauses++)).toEqual(packBytes([]))
  })

  it('refuses, on the page, a reply that is not one', () => {
    expect(() => readDecodeReply({ type: 'slices', protocol: DECODE_PROTOCOL, id: 1, updates: ['x'] })).toThrow(/updates/)
    expect(() => readDecodeReply({ type: 'decoded', protocol: DECODE_PROTOCOL, id: 1, undecryptable: [-1], malformed: [] })).toThrow(/undecryptable/)
    expect(() => readDecodeReply({ type: 'decoded', protocol: DECODE_PROTOCOL, id: 1, undecryptable: [], malformed: [], headers: [null] })).toThrow(/headers/)
    expect(() => readDecodeReply({ type: 'other', protocol: DECODE_PROTOCOL, id: 1 })).toThrow(/type/)
    expect(readDecodeReply({ type: 'failed', protocol: DECODE_PROTOCOL, id: 3, message: 'm' })).toEqual({ type: 'failed', protocol: DECODE_PROTOCOL, id: 3, message: 'm' })
  })

  it("refuses a call it does not know (the directory digest is decoded on the page now)", async () => {
    expect(await replies({ type: 'digest', protocol: DECODE_PROTOCOL, id: 5, plain: new Uint8Array([1, 2, 3]) })).toMatchObject([{ type: 'failed', id: 5 }])
  })
})
