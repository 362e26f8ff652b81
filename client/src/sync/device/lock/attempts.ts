/**
 * How many wrong PINs a device takes, and how long it makes the next one wait (pure: the clock is
 * passed in).
 *
 *   attempts 1–3   answered at once
 *   after the 3rd  the next attempt waits 30 s; after the 4th, 60 s (the wait doubles)
 *   the 5th wrong  the device forgets the practice (device-lock.ts, forget.ts): its keys and
 *                  local databases are deleted, and it must be paired again
 *
 * Five tries at a 4-digit PIN find it once in 2,000 for someone who does not know it; the waits
 * make a person's typo cost little and a guesser's run slow. Each attempt is counted *before* the
 * PIN is checked (device-lock.ts), so closing the tab during a check does not give a free try; the
 * count and the time of the last failure are kept in the lock database, so reloading the page
 * neither resets the count nor skips a wait.
 */

export const PIN_ATTEMPTS = {
  /** The attempt that fails this many times in a row forgets the practice. */
  max: 5,
  /** Failures answered without a wait. */
  free: 3,
  /** The wait after the first failure past `free`, doubled after each further one. */
  firstWaitMs: 30_000,
} as const

/** What the device remembers of the failures since the last unlock. */
export interface AttemptState {
  readonly failures: number
  /** When the last counted attempt was made (epoch ms), or null. */
  readonly lastAttemptAt: number | null
}

export const NO_ATTEMPTS: AttemptState = { failures: 0, lastAttemptAt: null }

/** How long the device waits after `failures` failures before it takes another attempt. */
export function waitAfter(failures: number): number {
  if (failures < PIN_ATTEMPTS.free) return 0
  return PIN_ATTEMPTS.firstWaitMs * 2 ** (failures - PIN_ATTEMPTS.free)
}

/** Attempts left before the device forgets the practice. */
export function attemptsLeft(failures: number): number {
  return Math.max(0, PIN_ATTEMPTS.max - failures)
}

/** When the next attempt may be made (epoch ms), or null if it may be made now. */
export function nextAttemptAt(state: AttemptState, now: number): number | null {
  if (state.lastAttemptAt === null) return null
  const at = state.lastAttemptAt + waitAfter(state.failures)
  // A clock set back (or a stored time in the future) must not lock the person out for good:
  // the wait never exceeds its own length from now.
  if (at <= now) return null
  return Math.min(at, now + waitAfter(state.failures))
}

/** Whether the failures are as many as the device takes: the practice is to be forgotten. */
export function exhausted(failures: number): boolean {
  return failures >= PIN_ATTEMPTS.max
}
