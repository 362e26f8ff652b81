import { describe, expect, it } from 'vitest'
import { backgroundOrder } from './background-order'
import { fileRooms, MAIN_ROOM, monthRoom, type RoomName } from './rooms'

function shuffled<T>(items: readonly T[]): T[] {
  // A fixed permutation (reverse, then odd/even interleave): the order must not come from the input.
  const reversed = [...items].reverse()
  return [...reversed.filter((_, i) => i % 2 === 1), ...reversed.filter((_, i) => i % 2 === 0)]
}

describe('background order', () => {
  it('recent and future months nearest first, then file shards, then older months newest first', () => {
    const months = ['2016-02', '2019-03', '2025-10', '2025-11', '2026-10', '2026-11', '2026-12', '2027-01', '2027-03', '2025-12'].map(monthRoom)
    const rooms: RoomName[] = [...months, ...fileRooms().slice(0, 3), MAIN_ROOM]
    expect(backgroundOrder(shuffled(rooms), '2026-11-22')).toEqual([
      'agenda/2026-11',
      'agenda/2026-12',
      'agenda/2026-10',
      'agenda/2027-01',
      'agenda/2027-03',
      'agenda/2025-12',
      'agenda/2025-11',
      'files/0',
      'files/1',
      'files/2',
      'agenda/2025-10',
      'agenda/2019-03',
      'agenda/2016-02',
    ])
  })

  it('lists each room once and leaves main out', () => {
    expect(backgroundOrder([MAIN_ROOM, 'files/a', 'files/a'], '2026-06-15')).toEqual(['files/a'])
  })
})
