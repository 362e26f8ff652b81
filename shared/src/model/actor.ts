/**
 * Who wrote and when. Both are passed in by the caller (never read from globals) so that tests run
 * with a fixed clock and the sync layer decides which member and device are writing.
 */

/** A member of the practice writing from one of their devices. */
export type Actor = { readonly memberId: string; readonly deviceId: string }

/** Epoch milliseconds. In production `Date.now`; in tests a fixed or stepping function. */
export type Clock = () => number

/** A clock that always answers `epochMs`: for tests and for replaying imports at a known time. */
export function fixedClock(epochMs: number): Clock {
  return () => epochMs
}
