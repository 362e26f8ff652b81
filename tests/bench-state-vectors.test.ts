/** The expected state vectors sent to fresh-device's joiners (tests/bench/state-vectors.ts). */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { stateVectorOf } from './bench/bench-device'
import { decodeStateVectors, encodeStateVectors, StateVectorsDecodeError } from './bench/state-vectors'

describe('encoded state vectors', () => {
  it('round-trips the state vectors of real docs, in order, with several clients and large clocks', () => {
    const a = new Y.Doc({ guid: 'directory' })
    a.getMap('m').set('k', 'v'.repeat(300))
    const b = new Y.Doc({ guid: 'agenda:2026-11' })
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    b.getArray('a').push(Array.from({ length: 70_000 }, (_, i) => i))
    const vectors = new Map([
      ['directory', stateVectorOf(a)],
      ['agenda:2026-11', stateVectorOf(b)],
      ['file:empty', new Map<number, number>()],
    ])
    const decoded = decodeStateVectors(encodeStateVectors(vectors))
    expect([...decoded.keys()]).toEqual(['directory', 'agenda:2026-11', 'file:empty'])
    expect(decoded).toEqual(vectors)
    expect(decoded.get('agenda:2026-11')!.size).toBe(2)
    expect(decoded.get('agenda:2026-11')!.get(b.clientID)).toBe(70_000)
  })

  it('refuses truncated or trailing bytes with a named error', () => {
    const bytes = encodeStateVectors(new Map([['directory', new Map([[1, 5]])]]))
    expect(() => decodeStateVectors(bytes.subarray(0, bytes.length - 1))).toThrow(StateVectorsDecodeError)
    expect(() => decodeStateVectors(new Uint8Array([...bytes, 0]))).toThrow(/1 bytes left after 1 docs/)
  })
})
