import { describe, expect, it } from 'vitest'
import { SeqGaps } from './seq-gaps'

/** A step: a seq seen (`note`) or read from storage up to (`caughtUp`), then what the tracker holds. */
type Step = readonly ['note' | 'caughtUp', number, { through: number; hasGap: boolean }]

describe('SeqGaps', () => {
  it.each<[string, number, Step[]]>([
    [
      'advances through contiguous seqs, in any order, and sees a gap until it is filled',
      3,
      [
        ['note', 4, { through: 4, hasGap: false }],
        ['note', 6, { through: 4, hasGap: true }],
        ['note', 5, { through: 6, hasGap: false }],
      ],
    ],
    [
      'ignores what it already holds',
      10,
      [
        ['note', 2, { through: 10, hasGap: false }],
        ['note', 10, { through: 10, hasGap: false }],
      ],
    ],
    [
      'closes gaps up to what storage returned, keeping seqs seen beyond it',
      0,
      [
        ['note', 3, { through: 0, hasGap: true }],
        ['note', 9, { through: 0, hasGap: true }],
        ['caughtUp', 5, { through: 5, hasGap: true }],
        ['caughtUp', 8, { through: 9, hasGap: false }],
        ['caughtUp', 2, { through: 9, hasGap: false }],
      ],
    ],
  ])('%s', (_name, start, steps) => {
    const gaps = new SeqGaps(start)
    for (const [op, seq, expected] of steps) {
      gaps[op](seq)
      expect({ through: gaps.through, hasGap: gaps.hasGap }).toEqual(expected)
    }
  })

  it('knows the highest seq seen, for a catch-up to close every gap seen before it read', () => {
    const gaps = new SeqGaps(2)
    expect(gaps.highestSeen).toBe(2)
    gaps.note(7)
    gaps.note(5)
    expect(gaps.highestSeen).toBe(7)
  })
})
