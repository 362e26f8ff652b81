import { describe, expect, it } from 'vitest'
import { toInstant } from '../../../../shared/src/model'
import { daysShown, monthsOf, monthWeeks, stepDate } from './agenda-range'
import { TEST_TODAY } from '../../../../tests/helpers/test-clock'
import { monthOfDay, shiftDay, weekOf } from '../../../../tests/helpers/calendar-oracle'

describe('agenda ranges', () => {
  it(`at the test's today (${TEST_TODAY}): its week, the months it spans, and the weeks either side`, () => {
    expect(daysShown('semaine', TEST_TODAY)).toEqual(weekOf(TEST_TODAY))
    expect(daysShown('jour', TEST_TODAY)).toEqual([TEST_TODAY])
    expect(monthsOf(daysShown('semaine', TEST_TODAY))).toEqual([...new Set(weekOf(TEST_TODAY).map(monthOfDay))])
    expect(stepDate('semaine', TEST_TODAY, 1)).toBe(shiftDay(TEST_TODAY, 7))
    expect(stepDate('semaine', TEST_TODAY, -1)).toBe(shiftDay(TEST_TODAY, -7))
    expect(stepDate('jour', TEST_TODAY, 1)).toBe(shiftDay(TEST_TODAY, 1))
    // The month around today holds today, in the week row of its Monday.
    const weeks = monthWeeks(TEST_TODAY)
    expect(weeks.find((row) => row.includes(TEST_TODAY))?.indexOf(TEST_TODAY)).toBe(weekOf(TEST_TODAY).indexOf(TEST_TODAY))
  })

  it('shows a Monday-to-Sunday week around any of its days', () => {
    expect(daysShown('semaine', '2026-11-26')).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
    ])
    expect(daysShown('semaine', '2026-11-23')[0]).toBe('2026-11-23')
    expect(daysShown('semaine', '2026-11-29')[0]).toBe('2026-11-23')
  })

  it('keeps seven whole days across the DST weeks of Europe/Paris', () => {
    // Spring forward on Sunday 29 March 2026, fall back on Sunday 25 October 2026.
    const spring = daysShown('semaine', '2026-03-27')
    expect(spring).toEqual(['2026-03-23', '2026-03-24', '2026-03-25', '2026-03-26', '2026-03-27', '2026-03-28', '2026-03-29'])
    const autumn = daysShown('semaine', '2026-10-25')
    expect(autumn[0]).toBe('2026-10-19')
    expect(autumn[6]).toBe('2026-10-25')
    // The week really is 167 and 169 hours long; the days shown do not care.
    const hours = (a: string, b: string) => (toInstant(b, 'Europe/Paris') - toInstant(a, 'Europe/Paris')) / 3_600_000
    expect(hours('2026-03-23T00:00', '2026-03-30T00:00')).toBe(167)
    expect(hours('2026-10-19T00:00', '2026-10-26T00:00')).toBe(169)
    expect(stepDate('semaine', '2026-10-19', 1)).toBe('2026-10-26')
    expect(stepDate('semaine', '2026-03-30', -1)).toBe('2026-03-23')
  })

  it('opens both month docs for a week across two months, one for a week inside one', () => {
    expect(monthsOf(daysShown('semaine', '2026-12-01'))).toEqual(['2026-11', '2026-12'])
    expect(monthsOf(daysShown('semaine', '2026-11-18'))).toEqual(['2026-11'])
    expect(monthsOf(daysShown('semaine', '2026-12-31'))).toEqual(['2026-12', '2027-01'])
    expect(monthsOf(daysShown('mois', '2026-02-14'))).toEqual(['2026-02'])
  })

  it('pages by day, week and month, keeping a day the next month lacks in range', () => {
    expect(stepDate('jour', '2026-12-31', 1)).toBe('2027-01-01')
    expect(stepDate('mois', '2026-01-31', 1)).toBe('2026-02-28')
    expect(stepDate('mois', '2026-01-15', -1)).toBe('2025-12-15')
  })

  it('lays a month out in Monday-first weeks', () => {
    const weeks = monthWeeks('2026-11-23')
    // 1 November 2026 is a Sunday.
    expect(weeks[0]).toEqual([null, null, null, null, null, null, '2026-11-01'])
    expect(weeks.at(-1)).toEqual(['2026-11-30', null, null, null, null, null, null])
    expect(weeks.flat().filter(Boolean)).toHaveLength(30)
  })
})
