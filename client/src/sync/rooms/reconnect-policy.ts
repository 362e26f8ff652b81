/**
 * When to try the relay again: capped exponential backoff with jitter.
 *
 * Without jitter, a relay restart makes every device of every practice reconnect on the same
 * schedule (a reconnect storm). "Equal jitter": half the delay is fixed, half is random, so the
 * spread grows with the delay while no device retries immediately after a failure.
 */
export interface ReconnectPolicyOptions {
  baseDelayMs?: number
  maxDelayMs?: number
  /** Injected for tests; Math.random otherwise. */
  random?: () => number
}

export class ReconnectPolicy {
  private failures = 0
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly random: () => number

  constructor(options: ReconnectPolicyOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 500
    this.maxDelayMs = options.maxDelayMs ?? 30_000
    this.random = options.random ?? Math.random
  }

  /** The delay before the next attempt, after one more failure. */
  nextDelay(): number {
    const capped = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** this.failures)
    this.failures = Math.min(this.failures + 1, 30)
    return Math.round(capped / 2 + this.random() * (capped / 2))
  }

  /** A connection that synced resets the schedule. */
  reset(): void {
    this.failures = 0
  }
}
