import { describe, expect, it } from 'vitest'
import { checkBirthDate, earliestBirthDate } from './birth-date'

describe('plausible birth dates', () => {
  it.each([
    // [today, birth date, verdict]
    ['2026-11-18', '1958-03-12', 'ok'],
    ['2026-11-18', '2026-11-18', 'ok'], // born today
    ['2026-11-18', '2026-11-19', 'birth_date_in_future'], // tomorrow
    ['2026-11-18', '2090-05-05', 'birth_date_in_future'],
    ['2026-11-18', '1896-11-18', 'ok'], // exactly 130 years
    ['2026-11-18', '1896-11-17', 'birth_date_too_old'],
    ['2026-11-18', '1800-01-01', 'birth_date_too_old'],
    ['2026-11-18', '0001-01-01', 'birth_date_too_old'], // never read as 1901
    // The last day of a year: tomorrow is next year.
    ['2026-12-31', '2026-12-31', 'ok'],
    ['2026-12-31', '2027-01-01', 'birth_date_in_future'],
    ['2026-12-31', '1896-12-31', 'ok'],
    // A leap day whose 130 years before is not one (1898): 1 March is the earliest.
    ['2028-02-29', '1898-03-01', 'ok'],
    ['2028-02-29', '1898-02-28', 'birth_date_too_old'],
    ['2028-02-29', '2028-02-29', 'ok'],
    ['2028-02-29', '2028-03-01', 'birth_date_in_future'],
    // Born on a 29 February, seen on a 28 February.
    ['2034-02-28', '1904-02-29', 'ok'],
    ['2034-02-28', '1904-02-27', 'birth_date_too_old'],
  ])('on %s, born %s: %s', (today, birthDate, verdict) => {
    expect(checkBirthDate(birthDate, today)).toBe(verdict)
  })

  it('starts 130 years before today, on 1 March when that 29 February does not exist', () => {
    expect(earliestBirthDate('2026-11-18')).toBe('1896-11-18')
    expect(earliestBirthDate('2028-02-29')).toBe('1898-03-01')
    expect(earliestBirthDate('2030-02-28')).toBe('1900-02-28')
  })
})
