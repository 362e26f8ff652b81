import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../../shared/src/model'
import { MONTHS_AFTER_TODAY, MONTHS_BEFORE_CREATION, monthsToScan } from './patient-merge'

describe('months scanned when merging duplicates', () => {
  it('runs from a year before the older creation to two years after today, in the practice zone', () => {
    // Created on 31 Dec 2025 at 23:30 UTC: already January 2026 in Paris.
    const created = Date.UTC(2025, 11, 31, 23, 30)
    const today = fixedClock(Date.UTC(2026, 10, 22, 12))
    const months = monthsToScan([{ createdAt: Date.UTC(2026, 5, 1) }, { createdAt: created }], 'Europe/Paris', today)
    expect(months[0]).toBe('2025-01')
    expect(months.at(-1)).toBe('2028-11')
    expect(months).toHaveLength(MONTHS_BEFORE_CREATION + 10 + 1 + MONTHS_AFTER_TODAY)
    expect(new Set(months).size).toBe(months.length)
  })
})
