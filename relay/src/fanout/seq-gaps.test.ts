import { describe, expect, it } from 'vitest'
import { SeqGaps } from './seq-gaps'

describe('SeqGaps', () => {
  it('advances through contiguous seqs, in any order, and sees a gap until it is filled', () => {
    const gaps = new SeqGaps(3)
    gaps.note(4)
    expect(gaps.through).toBe(4)
    expect(gaps.hasGap).toBe(false)
    gaps.note(6)
    expect(gaps.through).toBe(4)
    expect(gaps.hasGap).toBe(true)
    gaps.note(5)
    expect(gaps.through).toBe(6)
    expect(gaps.hasGap).toBe(false)
  })

  it('ignores what it already holds', () => {
    const gaps = new SeqGaps(10)
    gaps.note(2)
    gaps.note(10)
    expect(gaps.through).toBe(10)
    expect(gaps.hasGap).toBe(false)
  })

  it('closes gaps up to what storage returned, keeping seqs seen beyond it', () => {
    const gaps = new SeqGaps(0)
    gaps.note(3)
    gaps.note(9)
    gaps.caughtUp(5)
    expect(gaps.through).toBe(5)
    expect(gaps.hasGap).toBe(true)
    gaps.caughtUp(8)
    expect(gaps.through).toBe(9)
    expect(gaps.hasGap).toBe(false)
    gaps.caughtUp(2)
    expect(gaps.through).toBe(9)
  })
})
