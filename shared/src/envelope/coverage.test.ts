import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { COVER_READER_VERSIONS, CoverReadError, CoverUnion, coverOf, coverOfInSteps, erasureUpdate, type ClockRange, type UpdateCover } from './coverage'
import yjsPackage from 'yjs/package.json' with { type: 'json' }
import lib0Package from 'lib0/package.json' with { type: 'json' }

/** The same cover, through Yjs's own decoder (the reference the lean reader must match). */
function coverByYjs(update: Uint8Array): UpdateCover {
  const { structs, ds } = Y.decodeUpdate(update)
  const held = new Map<number, ClockRange[]>()
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue
    held.set(struct.id.client, [...(held.get(struct.id.client) ?? []), { clock: struct.id.clock, len: struct.length }])
  }
  const deletes = new Map<number, ClockRange[]>()
  for (const [client, items] of ds.clients) deletes.set(client, items.map(({ clock, len }) => ({ clock, len })))
  // Through CoverUnion's merge: compare merged ranges.
  const merge = (m: Map<number, ClockRange[]>) => new Map([...m].map(([c, r]) => [c, coverOf(erasureUpdate([{ structs: new Map([[c, r]]), deletes: new Map() }])).deletes.get(c) ?? []]))
  return { structs: merge(held), deletes: merge(deletes) }
}

/** A doc written by one client, and the update of each of its transactions. */
function writer(): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc({ gc: true })
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  return { doc, updates }
}

describe('coverage', () => {
  it('reads every kind of content as Yjs does (fails if a yjs or lib0 upgrade changes the encoding)', () => {
    expect(COVER_READER_VERSIONS).toEqual({ yjs: yjsPackage.version, lib0: lib0Package.version })
    const { doc, updates } = writer()
    const other = new Y.Doc()
    doc.transact(() => {
      const map = doc.getMap('m')
      map.set('number', 42)
      map.set('negative', -123456789)
      map.set('float', 3.25)
      map.set('big', 2n ** 60n)
      map.set('flags', [true, false, null, undefined])
      map.set('nested', { a: { b: [1, 'deux', { c: new Uint8Array([1, 2, 3]) }] } })
      map.set('bytes', new Uint8Array([9, 8, 7]))
      map.set('sub', new Y.Map())
      map.set('doc', new Y.Doc())
      doc.getArray('a').insert(0, ['x', 'y', 'z'])
      const text = doc.getText('t')
      text.insert(0, 'é😀 bonjour 𝄞 ñ')
      text.format(1, 3, { bold: true })
      text.insertEmbed(2, { image: 'x.png' })
      const fragment = doc.getXmlFragment('x')
      fragment.insert(0, [new Y.XmlElement('p'), new Y.XmlText('xml'), new Y.XmlHook('hook') as never])
    })
    doc.getText('t').delete(0, 4)
    doc.getMap('m').delete('number')
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
    other.getArray('a').insert(1, ['from another client'])
    const all = [...updates, Y.encodeStateAsUpdate(doc), Y.encodeStateAsUpdate(other), Y.mergeUpdates([updates[0]!, updates[2]!])]
    for (const update of all) expect(coverOf(update)).toEqual(coverByYjs(update))
    // A JSON content (written by old Yjs versions) and a deleted one, as Yjs writes them.
    const encoder = new Y.UpdateEncoderV1()
    encoding.writeVarUint(encoder.restEncoder, 1)
    encoding.writeVarUint(encoder.restEncoder, 2)
    encoder.writeClient(7)
    encoding.writeVarUint(encoder.restEncoder, 0)
    const item = (clock: number, content: unknown) =>
      new Y.Item(Y.createID(7, clock), null, null, null, null, 'a' as never, null, content as never)
    item(0, new Y.ContentJSON([{ a: 1 }, 'b'])).write(encoder, 0)
    item(2, new Y.ContentDeleted(3)).write(encoder, 0)
    encoding.writeVarUint(encoder.restEncoder, 0)
    const legacy = encoder.toUint8Array()
    expect(coverOf(legacy)).toEqual(coverByYjs(legacy))
    expect(coverOf(legacy).structs.get(7)).toEqual([{ clock: 0, len: 5 }])
  })

  it('refuses bytes that are not an update, without reading past them', () => {
    const { doc, updates } = writer()
    doc.getText('t').insert(0, 'abc')
    expect(() => coverOf(updates[0]!.subarray(0, updates[0]!.length - 3))).toThrow(CoverReadError)
    expect(() => coverOf(new Uint8Array([1, 1, 5, 0, 31]))).toThrow(CoverReadError)
  })

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

  it('reads a big update in steps, giving the thread back between them, to the same cover', async () => {
    const { doc } = writer()
    const other = new Y.Doc()
    doc.transact(() => {
      for (let i = 0; i < 25_000; i++) doc.getMap('patients').set(`p${i}`, { name: `Patient ${i}` })
    })
    other.getText('t').insert(0, 'x')
    const update = Y.mergeUpdates([Y.encodeStateAsUpdate(doc), Y.encodeStateAsUpdate(other)])
    let slices = 0
    const cover = await coverOfInSteps(update, async () => {
      slices++
    })
    expect(slices).toBeGreaterThan(0)
    expect(cover).toEqual(coverOf(update))
    expect(cover.structs.get(doc.clientID)).toEqual([{ clock: 0, len: 25_000 }])
  })
})
