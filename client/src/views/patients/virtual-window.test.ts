import { describe, expect, it } from 'vitest'
import { OVERSCAN, ROW_HEIGHT, visibleRange } from './virtual-window'

describe('windowed list range', () => {
  it('renders the rows in view plus the overscan, whatever the list length', () => {
    expect(visibleRange(0, 640, 20_000)).toEqual({ first: 0, last: 640 / ROW_HEIGHT + OVERSCAN })
    const top = 5_000 * ROW_HEIGHT + 10
    const { first, last } = visibleRange(top, 640, 20_000)
    expect(first).toBe(5_000 - OVERSCAN)
    expect(last - first).toBeLessThan(40)
    expect(visibleRange(top, 640, 20_000).last).toBeLessThanOrEqual(20_000)
  })

  it('never goes past the end of a short list, nor below zero', () => {
    expect(visibleRange(0, 640, 3)).toEqual({ first: 0, last: 3 })
    expect(visibleRange(10_000, 640, 3)).toEqual({ first: 3, last: 3 })
    expect(visibleRange(0, 640, 0)).toEqual({ first: 0, last: 0 })
  })
})
