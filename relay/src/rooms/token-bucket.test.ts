import { describe, expect, it } from 'vitest'
import { TokenBucket } from './token-bucket'

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate, on an injected clock', () => {
    let now = 0
    const bucket = new TokenBucket(10, 5, () => now)
    const takes = (n: number) => Array.from({ length: n }, () => bucket.take())
    expect(takes(6)).toEqual([true, true, true, true, true, false])
    now += 100 // one token at 10/s
    expect(takes(2)).toEqual([true, false])
    now += 10_000 // refills to the burst, not beyond
    expect(takes(6).filter(Boolean)).toHaveLength(5)
  })
})
