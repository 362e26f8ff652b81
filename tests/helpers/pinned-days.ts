/**
 * Days that have broken calendar code before. `npm test` runs the date-sensitive suites at each
 * (vite.config.ts: a project per day, TOURNEE_TEST_TODAY set to it; tests/e2e/pinned-days.test.ts
 * walks them in Chromium). No imports: vite.config.ts reads it.
 */
export const PINNED_TEST_DAYS = [
  '2026-12-31', // last day of a year: this week and next week are in another year
  '2027-01-01', // first day of a year (a Friday): this week began last year
  '2027-03-28', // last Sunday of March: 02:00 → 03:00 in Paris; the week ends on a 23-hour day
  '2026-10-25', // last Sunday of October: 03:00 → 02:00 in Paris; a 25-hour day
  '2026-11-30', // a Monday whose week runs into December
  '2028-02-29', // a leap day (a Tuesday)
] as const
