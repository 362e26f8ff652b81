/**
 * What a device's envelope does with deletions of entries it did not make (issue 18, « Compaction
 * that proves itself »): a wipe and a forged compaction are written back and counted; a compaction
 * or an erasure by another device, a snapshot in several entries, and deletions of entries nobody
 * can read are accepted. The "relay" here is a Yjs update applied with another origin, crafted
 * like the attacker's (a scratch copy of the envelope, edited, diffed against the device's state).
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deriveSpaceKeys, type SpaceKeys } from '../crypto/space-keys'
import { randomBytes, randomId } from '../crypto/base64url'
import { Envelope, UncoveredDeletionError, type EnvelopeEntry } from './envelope'
import type { EntryDecoder } from './entry-decoder'
import { encryptUpdate } from './entry-cipher'

const ROOM = 'files/3' as const
const DOC = 'patient/p1'

interface Device {
  doc: Y.Doc
  envelope: Envelope
  errors: Error[]
}

async function newKeys(): Promise<SpaceKeys> {
  return deriveSpaceKeys(randomId(), randomBytes(32))
}

function device(keys: SpaceKeys, from?: Y.Doc): Device {
  const doc = new Y.Doc({ gc: true })
  if (from) Y.applyUpdate(doc, Y.encodeStateAsUpdate(from))
  const errors: Error[] = []
  // The room's doc ids are not derivable from a file shard's name: the practice lists them.
  const envelope = new Envelope(doc, keys, ROOM, {
    batchDelayMs: 1,
    compactAfterEntries: 1000,
    onError: (e) => errors.push(e),
    docIdsOf: async () => [DOC, 'patient/p2'],
  })
  return { doc, envelope, errors }
}

/** What the relay sends `to`: whatever `from` holds that `to` lacks, deletions included. */
function deliver(from: Y.Doc, to: Device): void {
  Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to.doc)), 'relay')
}

/** An update made on a copy of `victim`'s envelope by `edit` (the attacker's writer id, not the victim's). */
function craft(victim: Y.Doc, edit: (entries: Y.Array<EnvelopeEntry>) => void): Uint8Array {
  const scratch = new Y.Doc({ gc: true })
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(victim))
  const before = Y.encodeStateVector(scratch)
  scratch.transact(() => edit(scratch.getArray<EnvelopeEntry>('entries')))
  return Y.encodeStateAsUpdate(scratch, before)
}

/** The device reloaded: a new envelope over what its IndexedDB would hold (the envelope's state). */
async function afterReload(keys: SpaceKeys, d: Device): Promise<Y.Doc> {
  await d.envelope.settle()
  return device(keys, d.doc).envelope.openDoc(DOC)
}

/** A writes five notes to DOC, each its own entry; B has them all. */
async function fiveNotes(keys: SpaceKeys): Promise<{ a: Device; b: Device; docA: Y.Doc }> {
  const a = device(keys)
  const docA = await a.envelope.openDoc(DOC)
  for (let i = 0; i < 5; i++) {
    docA.getMap('notes').set(`n${i}`, `séance ${i}`)
    await a.envelope.flush()
  }
  const b = device(keys)
  deliver(a.doc, b)
  expect(b.envelope.stats().entries).toBe(5)
  return { a, b, docA }
}

const NOTES = { n0: 'séance 0', n1: 'séance 1', n2: 'séance 2', n3: 'séance 3', n4: 'séance 4' }

describe('deletions from elsewhere', () => {
  it('writes back the entries of a bare wipe, counts and reports them, and keeps them after a reload', async () => {
    const keys = await newKeys()
    const { b } = await fiveNotes(keys)
    Y.applyUpdate(b.doc, craft(b.doc, (entries) => entries.delete(0, entries.length)), 'relay')
    await b.envelope.settle()
    expect(b.envelope.stats()).toMatchObject({ entries: 5, restored: 5 })
    expect(b.errors.filter((e) => e instanceof UncoveredDeletionError).map((e) => (e as UncoveredDeletionError).restored)).toEqual([5])
    expect((await afterReload(keys, b)).getMap('notes').toJSON()).toEqual(NOTES)
  })

  it('writes back what a forged compaction deletes (a new entry of the doc that does not decrypt)', async () => {
    const keys = await newKeys()
    const { b } = await fiveNotes(keys)
    const d = b.envelope.entries.get(0).d
    const forged = craft(b.doc, (entries) => {
      const n = entries.length
      entries.push([{ d, c: randomBytes(200) }])
      entries.delete(0, n)
    })
    Y.applyUpdate(b.doc, forged, 'relay')
    await b.envelope.settle()
    expect(b.envelope.stats()).toMatchObject({ entries: 6, restored: 5 })
    expect((await afterReload(keys, b)).getMap('notes').toJSON()).toEqual(NOTES)
  })

  it('writes back what a copy of an older entry pretends to cover, deletions included', async () => {
    const keys = await newKeys()
    const a = device(keys)
    const text = (await a.envelope.openDoc(DOC)).getText('note')
    text.insert(0, 'abc')
    await a.envelope.flush()
    text.delete(1, 1) // an entry holding only a deletion
    await a.envelope.flush()
    const b = device(keys)
    deliver(a.doc, b)
    // The credential holder's « compaction »: a copy of the first entry, the second deleted. Its
    // structs are covered; its deletion is not, and without it « b » would come back.
    const first = b.envelope.entries.get(0)
    Y.applyUpdate(b.doc, craft(b.doc, (entries) => {
      entries.push([{ d: first.d, c: first.c }])
      entries.delete(1, 1)
    }), 'relay')
    await b.envelope.settle()
    expect(b.envelope.stats().restored).toBe(1)
    expect((await afterReload(keys, b)).getText('note').toString()).toBe('ac')
  })

  it('accepts a compaction by another device: nothing written back', async () => {
    const keys = await newKeys()
    const { a, b } = await fiveNotes(keys)
    await a.envelope.compact(DOC)
    deliver(a.doc, b)
    await b.envelope.settle()
    expect(b.envelope.stats()).toMatchObject({ entries: 1, restored: 0 })
    expect(b.errors).toEqual([])
    expect((await afterReload(keys, b)).getMap('notes').toJSON()).toEqual(NOTES)
  })

  it('accepts a compaction while the doc is open here, and the doc keeps its content', async () => {
    const keys = await newKeys()
    const { a, b } = await fiveNotes(keys)
    const onB = await b.envelope.openDoc(DOC)
    await a.envelope.compact(DOC)
    deliver(a.doc, b)
    await b.envelope.settle()
    expect(b.envelope.stats()).toMatchObject({ entries: 1, restored: 0 })
    expect(onB.getMap('notes').toJSON()).toEqual(NOTES)
  })

  it('accepts an erasure by another device, and writes back what a replayed copy of it would erase later', async () => {
    const keys = await newKeys()
    const { a, b } = await fiveNotes(keys)
    const onB = await b.envelope.openDoc(DOC)
    await a.envelope.erase(DOC)
    deliver(a.doc, b)
    await b.envelope.settle()
    expect(b.envelope.stats()).toMatchObject({ entries: 1, restored: 0 })
    // The erasure deletes what it names, in the open doc too, and on a reload.
    expect(onB.getMap('notes').toJSON()).toEqual({})
    expect((await afterReload(keys, b)).getMap('notes').toJSON()).toEqual({})

    // The doc is written again; then a credential holder pushes a copy of the erasure's entry and
    // deletes the rest: the copy decrypts, but names only what was erased before.
    const marker = b.envelope.entries.get(0)
    const again = await b.envelope.openDoc(DOC)
    again.getMap('notes').set('après', 'nouvelle séance')
    await b.envelope.flush()
    Y.applyUpdate(b.doc, craft(b.doc, (entries) => {
      entries.push([{ d: marker.d, c: marker.c }])
      entries.delete(0, entries.length - 1)
    }), 'relay')
    await b.envelope.settle()
    expect(b.envelope.stats().restored).toBe(1)
    expect((await afterReload(keys, b)).getMap('notes').toJSON()).toEqual({ après: 'nouvelle séance' })
  })

  it('accepts a snapshot written as several entries, its deletions in a later transaction', async () => {
    const keys = await newKeys()
    const { a, b, docA } = await fiveNotes(keys)
    // Two chunks: the doc as it was after its first three notes, then the rest (with its deletions).
    const early = device(keys)
    Y.applyUpdate(early.doc, Y.encodeStateAsUpdate(a.doc))
    early.doc.transact(() => early.envelope.entries.delete(3, 2))
    const earlyDoc = await early.envelope.openDoc(DOC)
    const chunk1 = Y.encodeStateAsUpdate(earlyDoc)
    const chunk2 = Y.encodeStateAsUpdate(docA, Y.encodeStateVector(earlyDoc))
    const d = a.envelope.entries.get(0).d
    const chunks = await Promise.all([chunk1, chunk2].map(async (u) => ({ d, c: await encryptUpdate(keys, ROOM, DOC, u) })))

    const inserted = craft(b.doc, (entries) => entries.push(chunks))
    Y.applyUpdate(b.doc, inserted, 'relay')
    // Judged alone, the first chunk does not hold the last two notes: shown by a device that got
    // only it before the deletions.
    const c = device(keys, b.doc)
    const withoutChunk2 = craft(b.doc, (entries) => entries.delete(0, 5))
    Y.applyUpdate(b.doc, withoutChunk2, 'relay')
    await b.envelope.settle()
    expect(b.envelope.stats()).toMatchObject({ entries: 2, restored: 0 })
    expect((await afterReload(keys, b)).getMap('notes').toJSON()).toEqual(NOTES)

    c.doc.transact(() => c.envelope.entries.delete(6, 1), 'relay') // chunk 2 lost on its way
    await c.envelope.settle()
    expect(c.envelope.stats().restored).toBe(0) // the five entries still hold it
    Y.applyUpdate(c.doc, withoutChunk2, 'relay')
    await c.envelope.settle()
    expect(c.envelope.stats().restored).toBe(2) // the entries of n3 and n4
    expect((await afterReload(keys, c)).getMap('notes').toJSON()).toEqual(NOTES)
  })

  it('lets a compaction delete entries nobody can read', async () => {
    const keys = await newKeys()
    const { a, b } = await fiveNotes(keys)
    const d = a.envelope.entries.get(0).d
    const junk = { d, c: randomBytes(120) }
    a.doc.transact(() => a.envelope.entries.push([junk]), 'relay')
    deliver(a.doc, b)
    // A compaction that also folds the junk away (a device's compaction keeps what it did not
    // apply; another client might not): the junk held nothing anyone could lose.
    const docA = await a.envelope.openDoc(DOC)
    const snapshot = { d, c: await encryptUpdate(keys, ROOM, DOC, Y.encodeStateAsUpdate(docA)) }
    Y.applyUpdate(b.doc, craft(b.doc, (entries) => {
      const n = entries.length
      entries.push([snapshot])
      entries.delete(0, n)
    }), 'relay')
    await b.envelope.settle()
    expect(b.envelope.stats()).toMatchObject({ entries: 1, restored: 0 })
  })

  it('writes back deletions of a doc it cannot name (no entry of it can decrypt here)', async () => {
    const keys = await newKeys()
    const a = device(keys)
    ;(await a.envelope.openDoc('patient/unlisted')).getMap('notes').set('n', 'x')
    await a.envelope.flush()
    const b = device(keys)
    deliver(a.doc, b)
    Y.applyUpdate(b.doc, craft(b.doc, (entries) => entries.delete(0, 1)), 'relay')
    await b.envelope.settle()
    expect(b.envelope.stats()).toMatchObject({ entries: 1, restored: 1 })
  })

  it('keeps the entries when the judgment itself fails (the doc ids could not be listed)', async () => {
    const keys = await newKeys()
    const { a } = await fiveNotes(keys)
    const doc = new Y.Doc({ gc: true })
    const errors: Error[] = []
    const envelope = new Envelope(doc, keys, ROOM, { onError: (e) => errors.push(e), docIdsOf: () => Promise.reject(new Error('directory unavailable')) })
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.doc), 'relay')
    Y.applyUpdate(doc, craft(doc, (entries) => entries.delete(0, entries.length)), 'relay')
    await envelope.settle()
    expect(envelope.stats()).toMatchObject({ entries: 5, restored: 5 })
    expect(errors.map((e) => e.message)).toContain('directory unavailable')
  })

  it('reads a big entry in steps when the platform gives the thread back (a decoder), and judges alike', async () => {
    const keys = await newKeys()
    const a = device(keys)
    const big = await a.envelope.openDoc(DOC)
    big.transact(() => {
      for (let i = 0; i < 12_000; i++) big.getMap('notes').set(`n${i}`, `séance ${i}`)
    })
    await a.envelope.flush()
    big.getMap('notes').set('last', 'dernière')
    await a.envelope.flush()
    let slices = 0
    const decoder: EntryDecoder = {
      worthIt: (bytes) => bytes > 64 * 1024,
      decode: () => {
        throw new Error('not opened here: nothing to decode')
      },
      nextSlice: async () => {
        slices++
      },
    }
    const doc = new Y.Doc({ gc: true })
    const envelope = new Envelope(doc, keys, ROOM, { decoder, docIdsOf: async () => [DOC] })
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.doc), 'relay')
    await a.envelope.compact(DOC)
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(doc)), 'relay')
    await envelope.settle()
    expect(envelope.stats()).toMatchObject({ entries: 1, restored: 0 })
    expect(slices).toBeGreaterThan(0)
    // A wipe of it, read the same way, is refused.
    Y.applyUpdate(doc, craft(doc, (entries) => entries.delete(0, entries.length)), 'relay')
    await envelope.settle()
    expect(envelope.stats()).toMatchObject({ entries: 1, restored: 1 })
  })
})
