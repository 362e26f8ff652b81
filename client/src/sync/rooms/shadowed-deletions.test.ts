import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deletedClocks, stepTwoWithout, type ClockId } from './shadowed-deletions'

/** A doc of one writer with six entries, three of them deleted: clocks 1, 2 and 4. */
function writer(): Y.Doc {
  const doc = new Y.Doc({ gc: true })
  doc.clientID = 1000
  const entries = doc.getArray<string>('entries')
  for (let i = 0; i < 6; i++) entries.push([`e${i}`])
  doc.transact(() => {
    entries.delete(4, 1)
    entries.delete(1, 2)
  })
  return doc
}

function deleteSetOf(update: Uint8Array): Array<[number, number, number]> {
  const { ds } = Y.decodeUpdate(update)
  return [...ds.clients].flatMap(([client, items]) => items.map(({ clock, len }) => [client, clock, len] as [number, number, number]))
}

describe('shadowed deletions', () => {
  it('lists the deleted clocks of a writer in a range', () => {
    const doc = writer()
    expect(deletedClocks(doc, 1000, 0, 6)).toEqual([
      [1000, 1],
      [1000, 2],
      [1000, 4],
    ])
    expect(deletedClocks(doc, 1000, 2, 4)).toEqual([[1000, 2]])
    expect(deletedClocks(doc, 7, 0, 6)).toEqual([])
  })

  it('answers a step 1 with the same structs and the delete set minus the shadowed clocks', () => {
    // The relay holds the writer's first three clocks as they were before the deletions.
    const relayDoc = new Y.Doc()
    const early = new Y.Doc()
    early.clientID = 1000
    for (let i = 0; i < 3; i++) early.getArray<string>('entries').push([`e${i}`])
    Y.applyUpdate(relayDoc, Y.encodeStateAsUpdate(early))
    const doc = writer()
    const other = new Y.Doc()
    other.clientID = 2000
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
    other.getArray<string>('entries').insert(0, ['o0'])
    other.getArray<string>('entries').delete(0, 1)
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
    const relay = Y.encodeStateVector(relayDoc)
    const shadowed: ClockId[] = [[1000, 2]]

    const answer = stepTwoWithout(doc, relay, shadowed)!
    const whole = Y.encodeStateAsUpdate(doc, relay)
    expect(deleteSetOf(whole)).toEqual([
      [2000, 0, 1],
      [1000, 1, 2],
      [1000, 4, 1],
    ])
    expect(deleteSetOf(answer)).toEqual([
      [2000, 0, 1],
      [1000, 1, 1],
      [1000, 4, 1],
    ])
    expect(Y.decodeUpdate(answer).structs.map((s) => [s.id.client, s.id.clock, s.length])).toEqual(
      Y.decodeUpdate(whole).structs.map((s) => [s.id.client, s.id.clock, s.length]),
    )
    // Applied where the relay is: every deletion but the shadowed clock's.
    Y.applyUpdate(relayDoc, answer)
    expect(relayDoc.getArray<string>('entries').toArray()).toEqual(['e0', 'e2', 'e3', 'e5'])
  })

  it("leaves the provider's step 2 alone when no shadowed clock is deleted here", () => {
    const doc = writer()
    const relay = Y.encodeStateVector(new Y.Doc())
    expect(stepTwoWithout(doc, relay, [])).toBeNull()
    expect(stepTwoWithout(doc, relay, [[1000, 3]])).toBeNull()
    expect(stepTwoWithout(doc, relay, [[9, 0]])).toBeNull()
  })

  it('takes a whole writer out of the delete set when all its deleted clocks are shadowed', () => {
    const doc = writer()
    const relay = Y.encodeStateVector(doc)
    const answer = stepTwoWithout(doc, relay, deletedClocks(doc, 1000, 0, 6))!
    expect(Y.decodeUpdate(answer).structs).toEqual([])
    expect(deleteSetOf(answer)).toEqual([])
  })
})
