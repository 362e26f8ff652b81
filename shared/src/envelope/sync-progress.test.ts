import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { countUnacknowledged, decodeStateVector, mergeAcknowledged, mergeReceived } from './sync-progress'

describe('sync progress', () => {
  it('counts, per writer, the clocks no ack has covered', () => {
    const local = new Map([[1, 10], [2, 4], [3, 7]])
    const acked = new Map([[1, 10], [2, 1]])
    expect(countUnacknowledged(local, acked)).toBe(0 + 3 + 7)
  })

  it('keeps the highest clock when acks arrive out of order', () => {
    const acked = new Map<number, number>()
    mergeAcknowledged(acked, new Map([[1, 8], [2, 3]]))
    mergeAcknowledged(acked, new Map([[1, 5], [3, 2]]))
    expect(acked).toEqual(new Map([[1, 8], [2, 3], [3, 2]]))
    expect(countUnacknowledged(new Map([[1, 8], [2, 3], [3, 2]]), acked)).toBe(0)
  })

  it('counts an incremental update received from the relay as acknowledged, when it follows what is', () => {
    const writer = new Y.Doc()
    const entries = writer.getArray<number>('entries')
    entries.push([1])
    entries.push([2])
    const before = Y.encodeStateVector(writer)
    entries.push([3])
    entries.push([4])
    const incremental = Y.encodeStateAsUpdate(writer, before)
    const client = writer.clientID

    // A device that holds clocks 0–1 (acknowledged) receives 2–3: all four are on the relay.
    const acked = new Map([[client, 2]])
    mergeReceived(acked, incremental)
    expect(acked.get(client)).toBe(4)

    // One that never had an ACK for 0–1 (say, copied from another tab): 0–1 stay pending.
    const gap = new Map<number, number>()
    mergeReceived(gap, incremental)
    expect(gap.has(client)).toBe(false)
    expect(countUnacknowledged(decodeStateVector(Y.encodeStateVector(writer)), gap)).toBe(4)

    // A whole state (the relay's step 2) starts at 0: everything in it counts.
    const fresh = new Map<number, number>()
    mergeReceived(fresh, Y.encodeStateAsUpdate(writer))
    expect(fresh.get(client)).toBe(4)
  })

  it('never lowers what was acknowledged, and a deletion alone carries no clock', () => {
    const writer = new Y.Doc()
    const entries = writer.getArray<number>('entries')
    entries.push([1, 2, 3])
    const before = Y.encodeStateVector(writer)
    entries.delete(0, 1)
    const acked = new Map([[writer.clientID, 3]])
    mergeReceived(acked, Y.encodeStateAsUpdate(writer, before))
    mergeReceived(acked, Y.encodeStateAsUpdate(writer, new Uint8Array([0])))
    expect(acked).toEqual(new Map([[writer.clientID, 3]]))
  })
})
