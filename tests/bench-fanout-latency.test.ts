import { describe, expect, it } from 'vitest'
import { afterCommitMs } from './bench/scenarios/fanout'

describe('afterCommitMs', () => {
  it('pairs each delivered update with its own durable ACK, by label, whatever order they came in', () => {
    const delivered = new Map([
      ['u-0-0', 12],
      ['u-1-0', 40],
      ['u-0-1', 9],
    ])
    const acked = new Map([
      ['u-0-1', 7],
      ['u-0-0', 10],
      ['u-1-0', 38.5],
    ])
    expect(afterCommitMs(delivered, acked)).toEqual([2, 1.5, 2])
  })

  it('leaves out an update not acknowledged (nothing to subtract), and keeps a delivery before the ACK negative', () => {
    expect(afterCommitMs(new Map([['a', 5], ['b', 3]]), new Map([['b', 4]]))).toEqual([-1])
  })
})
