import { describe, expect, it } from 'vitest'
import { monthsToShow } from './patient-appointments'

describe("the months a patient's page opens", () => {
  const index = { months: ['2019-03', '2024-11', '2025-12', '2026-09', '2026-10', '2026-11', '2027-01'], complete: true }

  it('opens this month and every later one, and only the most recent months before', () => {
    expect(monthsToShow(index, '2026-11', 2)).toEqual({ shown: ['2026-09', '2026-10', '2026-11', '2027-01'], older: 3 })
    expect(monthsToShow(index, '2026-11', 10)).toEqual({ shown: index.months, older: 0 })
    expect(monthsToShow(index, '2026-11', 0)).toEqual({ shown: ['2026-11', '2027-01'], older: 5 })
  })

  it('opens nothing for a patient without appointments', () => {
    expect(monthsToShow({ months: [], complete: true }, '2026-11', 3)).toEqual({ shown: [], older: 0 })
  })

  it('keeps the year change straight (January after December)', () => {
    expect(monthsToShow({ months: ['2026-12', '2027-01'], complete: true }, '2027-01', 1)).toEqual({ shown: ['2026-12', '2027-01'], older: 0 })
  })
})
