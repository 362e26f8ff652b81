import { describe, expect, it } from 'vitest'
import { easterSunday, holidayOn, holidaysBetween, publicHolidays } from './holidays'

describe('Easter and the holidays that follow it', () => {
  it.each([
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2038, '2038-04-25'],
    [2285, '2285-03-22'],
  ])('Easter %i is %s', (year, date) => {
    expect(easterSunday(year)).toBe(date)
  })

  it('puts Easter Monday 2027 on 29 March, Ascension on 6 May, Whit Monday on 17 May', () => {
    expect(holidayOn('2027-03-29', 'FR')?.name).toBe('easterMonday')
    expect(holidayOn('2027-05-06', 'FR')?.name).toBe('ascension')
    expect(holidayOn('2027-05-17', 'FR')?.name).toBe('whitMonday')
    expect(holidayOn('2027-03-28', 'FR')).toBeUndefined()
  })
})

describe('France and Belgium', () => {
  it('has the eleven French days of 2026', () => {
    expect(publicHolidays(2026, 'FR').map((h) => h.date)).toEqual([
      '2026-01-01',
      '2026-04-06',
      '2026-05-01',
      '2026-05-08',
      '2026-05-14',
      '2026-05-25',
      '2026-07-14',
      '2026-08-15',
      '2026-11-01',
      '2026-11-11',
      '2026-12-25',
    ])
  })

  it('keeps 14 juillet and 8 mai French, 21 juillet Belgian', () => {
    expect(holidayOn('2027-07-14', 'FR')?.name).toBe('bastilleDay')
    expect(holidayOn('2027-07-14', 'BE')).toBeUndefined()
    expect(holidayOn('2027-07-21', 'BE')?.name).toBe('belgianNationalDay')
    expect(holidayOn('2027-07-21', 'FR')).toBeUndefined()
    expect(holidayOn('2027-05-08', 'BE')).toBeUndefined()
    expect(holidayOn('2027-05-01', 'BE')?.name).toBe('labourDay')
    expect(holidayOn('2027-05-01', 'FR')?.name).toBe('labourDay')
  })

  it('lists the holidays of a range across a new year', () => {
    expect(holidaysBetween('2026-12-20', '2027-01-05', 'FR')).toEqual([
      { date: '2026-12-25', name: 'christmas' },
      { date: '2027-01-01', name: 'newYear' },
    ])
  })
})
