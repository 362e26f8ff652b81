import { describe, expect, it } from 'vitest'
import { ReconnectPolicy } from './reconnect-policy'

describe('ReconnectPolicy', () => {
  it('doubles up to the cap, with half of each delay random', () => {
    const low = new ReconnectPolicy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })
    const high = new ReconnectPolicy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 })
    expect(Array.from({ length: 6 }, () => low.nextDelay())).toEqual([50, 100, 200, 400, 500, 500])
    expect(Array.from({ length: 6 }, () => high.nextDelay())).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it('starts over after a successful connection', () => {
    const policy = new ReconnectPolicy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })
    policy.nextDelay()
    policy.nextDelay()
    policy.reset()
    expect(policy.nextDelay()).toBe(50)
  })

  it('spreads devices that failed at the same moment', () => {
    let seed = 42
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const delays = Array.from({ length: 50 }, () => {
      const p = new ReconnectPolicy({ baseDelayMs: 1000, maxDelayMs: 30_000, random })
      p.nextDelay()
      p.nextDelay()
      return p.nextDelay()
    })
    expect(new Set(delays).size).toBeGreaterThan(40)
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2000)
    expect(Math.max(...delays)).toBeLessThanOrEqual(4000)
  })

  it('keeps growing across connections the relay refused as malformed, though each synced first', () => {
    const policy = new ReconnectPolicy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      // Each connection syncs (reset), then the relay closes it with 4400 (rejected).
      policy.reset()
      policy.rejected()
      delays.push(policy.nextDelay())
    }
    expect(delays).toEqual([50, 100, 200, 400, 500])
    // A connection that ends otherwise: the schedule starts over at its next sync.
    policy.accepted()
    policy.reset()
    expect(policy.nextDelay()).toBe(50)
  })
})
