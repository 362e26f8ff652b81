import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CoverUnion, coverOf, erasureUpdate } from './coverage'

/** A doc written by one client, and the update of each of its transactions. */
function writer(): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc({ gc: true })
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  return { doc, updates }
}

describe('coverage', () => {
  it('reads struct and deletion ranges per writer', () => {
    const { doc, updates } = writer()
    doc.getText('t').insert(0, 'abcdef') // clocks 0..5
    doc.getText('t').delete(1, 2)
    const c = doc.clientID
    expect(coverOf(updates[0]!).structs.get(c)).toEqual([{ clock: 0, len: 6 }])
    expect(coverOf(updates[1]!).structs.size).toBe(0)
    expect(coverOf(updates[1]!).deletes.get(c)).toEqual([{ clock: 1, len: 2 }])
  })

  it('holds what a snapshot holds, and not what lies in the gap of a merged update', () => {
    const { doc, updates } = writer()
    for (const ch of 'abc') doc.getText('t').insert(0, ch)
    const snapshot = coverOf(Y.encodeStateAsUpdate(doc))
    for (const u of updates) expect(new CoverUnion([snapshot]).holds(coverOf(u))).toBe(true)
    // First and third only: Yjs merges them with a Skip over the second, which holds nothing.
    const gapped = coverOf(Y.mergeUpdates([updates[0]!, updates[2]!]))
    expect(new CoverUnion([gapped]).holds(coverOf(updates[1]!))).toBe(false)
    expect(new CoverUnion([gapped]).holds(coverOf(updates[2]!))).toBe(true)
  })

  it('holds a deletion only where a live entry deletes too, and a struct a live entry deletes', () => {
    const { doc, updates } = writer()
    doc.getText('t').insert(0, 'abc')
    doc.getText('t').delete(0, 1)
    const [insert, del] = updates.map(coverOf)
    expect(new CoverUnion([insert!]).holds(del!)).toBe(false)
    expect(new CoverUnion([insert!, del!]).holds(del!)).toBe(true)
    const erasure = coverOf(erasureUpdate([insert!]))
    expect(new CoverUnion([erasure]).holds(insert!)).toBe(true)
    expect(new CoverUnion([erasure]).holds(del!)).toBe(true)
  })

  it('writes an erasure Yjs reads as a delete set alone, which empties a doc that holds what it names', () => {
    const { doc, updates } = writer()
    doc.getMap('m').set('k', 'v')
    doc.getText('t').insert(0, 'note')
    const erasure = erasureUpdate(updates.map(coverOf))
    const decoded = Y.decodeUpdate(erasure)
    expect(decoded.structs).toEqual([])
    expect([...decoded.ds.clients.get(doc.clientID)!].map(({ clock, len }) => ({ clock, len }))).toEqual([{ clock: 0, len: 5 }])
    Y.applyUpdate(doc, erasure)
    expect(doc.getMap('m').toJSON()).toEqual({})
    expect(doc.getText('t').toString()).toBe('')
    // Erasing nothing is the empty update.
    expect(erasureUpdate([])).toEqual(Y.encodeStateAsUpdate(new Y.Doc()))
  })
})
