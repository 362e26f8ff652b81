/**
 * The date every test runs at. A test never derives what it expects from the wall clock: it asks
 * this module for "today", and gives the devices it starts the same clock (Node devices through
 * `DeviceEnvironment.now`, Chromium through `context.clock`), so the suite passes on any day of
 * any year.
 *
 *   TOURNEE_TEST_TODAY=2027-03-28 npx vitest run     the whole suite as if it were that day
 *
 * Without the variable, tests run at DEFAULT_TEST_TODAY. The pinned-date projects of
 * vite.config.ts (PINNED_TEST_DAYS) run the date-sensitive suites again at days that have broken
 * software before; `npm test` runs them all.
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

/**
 * Days that have broken calendar code before, each run by `npm test` over the date-sensitive
 * suites (vite.config.ts): the last and first day of a year, the two DST changes of Europe/Paris,
 * a Monday whose week spans two months, and a 29 February.
 */
export const PINNED_TEST_DAYS = [
  '2026-12-31', // last day of a year: this week and next week are in another year
  '2027-01-01', // first day of a year (a Friday): this week began last year
  '2027-03-28', // last Sunday of March: 02:00 → 03:00 in Paris; the week ends on a 23-hour day
  '2026-10-25', // last Sunday of October: 03:00 → 02:00 in Paris; a 25-hour day
  '2026-11-30', // a Monday whose week runs into December
  '2028-02-29', // a leap day (a Tuesday)
] as const

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

/** Epoch ms of TEST_TODAY at TEST_START_TIME in TEST_TIME_ZONE: when the test clock starts. */
export const TEST_START_MS = toInstant(`${TEST_TODAY}T${TEST_START_TIME}`, TEST_TIME_ZONE)

const origin = performance.now()

/** Epoch ms on the test calendar: TEST_START_MS plus the real time elapsed since this module loaded. */
export const testClock: Clock = () => TEST_START_MS + Math.round(performance.now() - origin)
