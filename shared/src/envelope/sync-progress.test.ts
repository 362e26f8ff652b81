import { describe, expect, it } from 'vitest'
import { countUnacknowledged, mergeAcknowledged } from './sync-progress'

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
})
