/**
 * Continuity per writer (issue 18): the gap computation alone, then through two devices' envelopes
 * with a "relay" that withholds or deletes entries (updates crafted on a scratch copy, as in
 * envelope-deletions.test.ts).
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deriveSpaceKeys, type SpaceKeys } from '../crypto/space-keys'
import { randomBytes, randomId } from '../crypto/base64url'
import { DocContinuity, erasureHeader, gapsOf, heldBy, SeqSet } from './continuity'
import type { EntryHeader } from './entry-header'
import { Envelope, type EnvelopeEntry } from './envelope'
import { decryptEntry, encryptUpdate } from './entry-cipher'

const change = (writer: string, seq: number, seen: Record<string, number> = {}): EntryHeader => ({ kind: 'change', writer, seq, seen: new Map(Object.entries(seen)) })

describe('SeqSet', () => {
  it('merges ranges in any order and counts what it holds up to n', () => {
    const set = new SeqSet()
    for (const n of [5, 1, 2, 9, 3, 10, 4]) set.add(n)
    set.add(12, 14)
    expect(set.toRanges()).toEqual([[1, 5], [9, 10], [12, 14]])
    expect(set.countUpTo(10)).toBe(7)
    expect(set.countUpTo(13)).toBe(9)
    expect(set.highest()).toBe(14)
  })
})

describe('gaps of one doc', () => {
  it('none when every change known is held', () => {
    const c = new DocContinuity('me')
    const live = [change('A', 1), change('A', 2), change('B', 1, { A: 2 })]
    for (const h of live) c.learn(h)
    expect(c.gaps(live)).toEqual([])
  })

  it('a missing suffix: another writer saw A up to 5, only 1…3 are there', () => {
    const c = new DocContinuity('me')
    const live = [change('A', 1), change('A', 2), change('A', 3), change('B', 1, { A: 5 })]
    for (const h of live) c.learn(h)
    expect(c.gaps(live)).toEqual([{ writer: 'A', missing: 2 }])
  })

  it('knowledge outlives the entry that brought it (a deletion does not make a gap vanish)', () => {
    const c = new DocContinuity('me')
    const all = [change('A', 1), change('A', 2), change('B', 1, { A: 2 })]
    for (const h of all) c.learn(h)
    expect(c.gaps([all[0]!])).toEqual([
      { writer: 'A', missing: 1 },
      { writer: 'B', missing: 1 },
    ])
  })

  it('a snapshot holds the ranges it folded, and carries on what they knew', () => {
    const compactor = new DocContinuity('S')
    const folded = [change('A', 1), change('A', 2), change('A', 4), change('S', 1, { A: 4, B: 7 })]
    for (const h of folded) compactor.learn(h)
    const snapshot = compactor.snapshot(folded)
    expect(snapshot).toMatchObject({ kind: 'snapshot', writer: 'S' })
    if (snapshot.kind !== 'snapshot') throw new Error('a snapshot')
    expect(snapshot.covers.get('A')).toEqual([[1, 2], [4, 4]])
    expect(snapshot.seen).toEqual(new Map([['B', 7]]))

    // A reader of the compacted doc: the snapshot and A's change 3, which the compactor had not seen.
    const reader = new DocContinuity('me')
    const live = [snapshot, change('A', 3)]
    for (const h of live) reader.learn(h)
    expect(reader.gaps(live)).toEqual([{ writer: 'B', missing: 7 }])
    // Without A:3 (withheld), the gap is exactly it, not A's folded changes.
    expect(reader.gaps([snapshot])).toEqual([
      { writer: 'B', missing: 7 },
      { writer: 'A', missing: 1 },
    ])
  })

  it("a writer's next change follows its last one, and says only what it learned since", () => {
    const c = new DocContinuity('me')
    c.learn(change('me', 1, { A: 2 }))
    c.learn(change('A', 3))
    c.learn(change('B', 1, { me: 4 }))
    expect(c.nextChange()).toEqual(change('me', 5, { A: 3, B: 1 }))
  })

  it("an erasure's header covers what it erased", () => {
    const erased = [change('A', 1), change('A', 2), change('B', 1, { C: 3 })]
    const header = erasureHeader('E', erased)
    expect(heldBy([header]).get('A')?.toRanges()).toEqual([[1, 2]])
    expect(gapsOf(new Map([['A', 2], ['B', 1]]), heldBy([header]))).toEqual([])
  })
})

// --- through envelopes ---

const ROOM = 'agenda/2026-12' as const
const DOC = 'agenda/2026-12'

interface Device {
  doc: Y.Doc
  envelope: Envelope
}

async function newKeys(): Promise<SpaceKeys> {
  return deriveSpaceKeys(randomId(), randomBytes(32))
}

function device(keys: SpaceKeys, writer: string, from?: Y.Doc, options: { compactAfterEntries?: number } = {}): Device {
  const doc = new Y.Doc({ gc: true })
  if (from) Y.applyUpdate(doc, Y.encodeStateAsUpdate(from))
  const envelope = new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactAfterEntries: 1000, compactDelayMs: 1, writer, ...options })
  return { doc, envelope }
}

function deliver(from: Y.Doc, to: Device): void {
  Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to.doc)), 'relay')
}

async function write(d: Device, key: string): Promise<void> {
  ;(await d.envelope.openDoc(DOC)).getMap('rows').set(key, key)
  await d.envelope.flush()
}

/** A relay's copy of `source` with some entries deleted: what a device that joins it holds. */
function withheld(source: Y.Doc, drop: (entry: EnvelopeEntry, index: number) => boolean): Y.Doc {
  const copy = new Y.Doc({ gc: true })
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(source))
  const entries = copy.getArray<EnvelopeEntry>('entries')
  copy.transact(() => {
    for (let i = entries.length - 1; i >= 0; i--) if (drop(entries.get(i), i)) entries.delete(i, 1)
  })
  return copy
}

describe('continuity through envelopes', () => {
  it("a joining device is told of A's changes the relay lacks, and the alarm clears when they come back", async () => {
    const keys = await newKeys()
    const a = device(keys, 'writer-A')
    for (const k of ['a1', 'a2', 'a3', 'a4', 'a5']) await write(a, k)
    const b = device(keys, 'writer-B')
    deliver(a.doc, b)
    await write(b, 'b1') // B's entry says it saw A's five
    deliver(b.doc, a)

    // The relay withholds A's last two entries from a new device C.
    const relay = withheld(a.doc, (_, i) => i === 3 || i === 4)
    const c = device(keys, 'writer-C', relay)
    await c.envelope.openDoc(DOC)
    await c.envelope.settle()
    expect(c.envelope.gaps()).toEqual([{ writer: 'writer-A', missing: 2 }])
    expect(c.envelope.stats().missing).toBe(2)

    // A comes back: its entries reach C (copies, as its deletion judgment would write them back).
    const back = a.doc.getArray<EnvelopeEntry>('entries').toArray().slice(3, 5).map((e) => ({ d: e.d, c: e.c }))
    c.doc.transact(() => c.envelope.entries.push(back), 'relay')
    await c.envelope.settle()
    expect(c.envelope.gaps()).toEqual([])
  })

  it('no gap after compactions (each snapshot holds what it folded), on the compactor and on a reader', async () => {
    const keys = await newKeys()
    const a = device(keys, 'writer-A', undefined, { compactAfterEntries: 3 })
    const b = device(keys, 'writer-B')
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) await write(a, `a${round}-${i}`)
      deliver(a.doc, b)
      await write(b, `b${round}`)
      deliver(b.doc, a)
      await a.envelope.compact(DOC)
      deliver(a.doc, b)
      await Promise.all([a.envelope.settle(), b.envelope.settle()])
    }
    expect(a.envelope.stats().entries).toBeLessThan(5)
    expect(a.envelope.gaps()).toEqual([])
    expect(b.envelope.gaps()).toEqual([])
    const c = device(keys, 'writer-C', a.doc)
    await c.envelope.openDoc(DOC)
    await c.envelope.settle()
    expect(c.envelope.gaps()).toEqual([])
  })

  it("a device reloaded numbers its next change after its last one (never a number twice)", async () => {
    const keys = await newKeys()
    const a = device(keys, 'writer-A')
    for (const k of ['a1', 'a2', 'a3']) await write(a, k)
    await a.envelope.destroy()
    const reloaded = device(keys, 'writer-A', a.doc)
    await write(reloaded, 'a4')
    const entries = reloaded.envelope.entries.toArray()
    const seqs = await Promise.all(entries.map(async (e) => (await decryptEntry(keys, ROOM, DOC, e.c)).header))
    expect(seqs.map((h) => (h?.kind === 'change' ? h.seq : null))).toEqual([1, 2, 3, 4])
  })

  it('an erasure by another device leaves no gap on a device holding the doc open', async () => {
    const keys = await newKeys()
    const a = device(keys, 'writer-A')
    for (const k of ['a1', 'a2']) await write(a, k)
    const b = device(keys, 'writer-B')
    deliver(a.doc, b)
    await write(b, 'b1')
    deliver(b.doc, a)
    await a.envelope.settle()
    await b.envelope.erase(DOC)
    deliver(b.doc, a)
    await a.envelope.settle()
    expect(a.envelope.stats().restored).toBe(0)
    expect(a.envelope.gaps()).toEqual([])
  })

  it('entries written before continuity (format v1) apply, teach nothing and raise no gap', async () => {
    const keys = await newKeys()
    const old = new Y.Doc()
    const updates: Uint8Array[] = []
    old.on('update', (u: Uint8Array) => updates.push(u))
    old.getMap('rows').set('old1', 'old1')
    old.getMap('rows').set('old2', 'old2')
    const writer = device(keys, 'writer-A')
    await write(writer, 'new1')
    const doc = new Y.Doc({ gc: true })
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer.doc))
    const entries = doc.getArray<EnvelopeEntry>('entries')
    const blind = entries.get(0).d
    for (const u of updates) entries.insert(0, [{ d: blind, c: await encryptUpdate(keys, ROOM, DOC, u) }])
    const reader = device(keys, 'writer-R', doc)
    const rows = (await reader.envelope.openDoc(DOC)).getMap('rows')
    await reader.envelope.settle()
    expect([...rows.keys()].sort()).toEqual(['new1', 'old1', 'old2'])
    expect(reader.envelope.gaps()).toEqual([])
  })
})
