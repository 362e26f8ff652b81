/**
 * The date every test runs at. A test never derives what it expects from the wall clock: it asks
 * this module for "today", and gives the devices it starts the same clock (Node devices through
 * `DeviceEnvironment.now`, Chromium through `context.clock`), so the suite passes on any day of
 * any year.
 *
 *   TOURNEE_TEST_TODAY=2027-03-28 npx vitest run     the whole suite as if it were that day
 *
 * Without the variable, tests run at DEFAULT_TEST_TODAY. The pinned-date projects of
 * vite.config.ts run the date-sensitive suites again at each of PINNED_TEST_DAYS (pinned-days.ts),
 * days that have broken software before; `npm test` runs them all.
 *
 * The clock starts at 10:00 on that day in the practice's zone and then moves with real time, so
 * timeouts, "last exchange" ages and batching behave as they do for a person; only the calendar
 * is pinned. (No module state beyond these constants: the clock is a pure function of them.)
 */
import { isLocalDate, toInstant } from '../../shared/src/model/dates'
import type { Clock } from '../../shared/src/model/actor'

/** The zone of every test practice (the default of a new practice). */
export const TEST_TIME_ZONE = 'Europe/Paris'

/** An ordinary Wednesday: its week lies inside one month, nowhere near a DST change or a year's end. */
export const DEFAULT_TEST_TODAY = '2026-11-18'

/** Local time of day at which the test clock starts. */
export const TEST_START_TIME = '10:00'

export { PINNED_TEST_DAYS } from './pinned-days'

/** A clock that starts at 10:00 on `day` in the practice's zone and flows with real time from now. */
export function clockOn(day: string): Clock {
  if (!isLocalDate(day)) throw new TestTodayError(`Not a date YYYY-MM-DD: "${day}"`)
  const start = toInstant(`${day}T${TEST_START_TIME}`, TEST_TIME_ZONE)
  const from = performance.now()
  return () => start + Math.round(performance.now() - from)
}

export class TestTodayError extends Error {
  override name = 'TestTodayError'
}

function readTestToday(): string {
  const value = process.env.TOURNEE_TEST_TODAY
  if (value === undefined || value === '') return DEFAULT_TEST_TODAY
  if (!isLocalDate(value)) throw new TestTodayError(`TOURNEE_TEST_TODAY must be a date YYYY-MM-DD; got "${value}"`)
  return value
}

/** The day the suite runs at ('YYYY-MM-DD', in TEST_TIME_ZONE). */
export const TEST_TODAY = readTestToday()

/** Epoch ms on the test calendar: TEST_TODAY at TEST_START_TIME, plus the real time elapsed since this module loaded. */
export const testClock: Clock = clockOn(TEST_TODAY)
