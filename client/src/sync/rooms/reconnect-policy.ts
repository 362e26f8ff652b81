/**
 * When to try the relay again: capped exponential backoff with jitter.
 *
 * Without jitter, a relay restart makes every device of every practice reconnect on the same
 * schedule (a reconnect storm). "Equal jitter": half the delay is fixed, half is random, so the
 * spread grows with the delay while no device retries immediately after a failure.
 *
 * A connection that synced starts the schedule over, unless the relay then refused what this
 * device sent (4400, `rejected`): the refusal repeats at every reconnection (the same step 2 is
 * sent again), and a socket reaches `synced` before the relay has checked that step 2, so a reset
 * there would retry at the base delay for ever (docs/sync-protocol.md). Refusals in a row keep
 * the schedule growing until a connection ends otherwise, or someone asks again (`retry`).
 */
export interface ReconnectPolicyOptions {
  baseDelayMs?: number
  maxDelayMs?: number
  /** Injected for tests; Math.random otherwise. */
  random?: () => number
}

export class ReconnectPolicy {
  private failures = 0
  /** Connections in a row that the relay closed as malformed (4400) after they had opened. */
  private rejections = 0
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
    const capped = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(this.failures, this.rejections - 1))
    this.failures = Math.min(this.failures + 1, 30)
    return Math.round(capped / 2 + this.random() * (capped / 2))
  }

  /** A connection that synced resets the schedule (not the refusals in a row: `rejected`). */
  reset(): void {
    this.failures = 0
  }

  /** The relay closed the connection as malformed (4400): the next delays keep growing. */
  rejected(): void {
    this.rejections = Math.min(this.rejections + 1, 31)
  }

  /** A connection ended otherwise than refused, or someone asked again: refusals start over. */
  accepted(): void {
    this.rejections = 0
  }
}
