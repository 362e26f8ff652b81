/**
 * Messages-per-second limit for one connection: a bucket of `burst` tokens refilled at `rate` per
 * second; each frame takes one. The burst is generous because a reconnecting device sends its
 * backlog at once; the rate stops a runaway or hostile client from monopolising the relay.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst
    this.last = now()
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now()
    this.tokens = refilled(this.tokens, now - this.last, this.rate, this.burst)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/** The tokens of a bucket `elapsedMs` after it held `tokens`, refilled at `ratePerSecond` up to `burst`. */
export function refilled(tokens: number, elapsedMs: number, ratePerSecond: number, burst: number): number {
  return Math.min(burst, tokens + (Math.max(0, elapsedMs) / 1000) * ratePerSecond)
}
