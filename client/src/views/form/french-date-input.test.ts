import { describe, expect, it } from 'vitest'
import { formatDateText, parseDateText, parseTimeText } from './french-date-input'

describe('dates as a French person types them', () => {
  it.each([
    ['12/03/1958', '1958-03-12'],
    ['12.03.1958', '1958-03-12'],
    ['12-03-1958', '1958-03-12'],
    ['12 03 1958', '1958-03-12'],
    [' 12 / 3 / 1958 ', '1958-03-12'],
    ['12031958', '1958-03-12'],
    ['1/3/1958', '1958-03-01'],
    ['12 mars 1958', '1958-03-12'],
    ['1er mars 2026', '2026-03-01'],
    ['3 Févr. 2027', '2027-02-03'],
    ['12 mar 1958', '1958-03-12'],
    ['14 juil 1958', '1958-07-14'],
    ['3 fevrier 2027', '2027-02-03'],
    ['25 déc 2026', '2026-12-25'],
    ['1958-03-12', '1958-03-12'],
    // Day first: never the American month/day.
    ['07/12/2026', '2026-12-07'],
    // Leap days, and the last day of a year.
    ['29/02/2028', '2028-02-29'],
    ['31/12/2026', '2026-12-31'],
    // A real year one, kept as typed: the model decides whether it is plausible, never 1901.
    ['01/01/0001', '0001-01-01'],
  ])('%s → %s', (text, date) => {
    expect(parseDateText(text)).toEqual({ kind: 'date', date })
  })

  it.each([
    ['29/02/2027', 'calendar'],
    ['31/04/2026', 'calendar'],
    ['12/13/2026', 'calendar'],
    ['00/01/2026', 'calendar'],
    ['2027-02-29', 'calendar'],
    ['12 ju 1958', 'format'], // juin or juillet?
    ['12 jui 1958', 'format'],
    ['hier', 'format'],
    ['12/03/195', 'format'],
    ['12/03/19588', 'format'],
    ['12/03/58', 'two_digit_year'],
  ])('%s is refused (%s)', (text, problem) => {
    expect(parseDateText(text)).toEqual({ kind: 'invalid', problem })
  })

  it('is empty when nothing but spaces was typed', () => {
    expect(parseDateText('  ')).toEqual({ kind: 'empty' })
  })

  it('reads a two-digit year in the past for a birth date, near the reference for an appointment', () => {
    const past = { mode: 'past', reference: '2026-11-18' } as const
    expect(parseDateText('12/03/58', past)).toEqual({ kind: 'date', date: '1958-03-12' })
    expect(parseDateText('12/03/26', past)).toEqual({ kind: 'date', date: '2026-03-12' })
    expect(parseDateText('12/03/27', past)).toEqual({ kind: 'date', date: '1927-03-12' })
    expect(parseDateText('120358', past)).toEqual({ kind: 'date', date: '1958-03-12' })
    const near = { mode: 'near', reference: '2026-11-18' } as const
    expect(parseDateText('05/01/27', near)).toEqual({ kind: 'date', date: '2027-01-05' })
    expect(parseDateText('05/01/99', near)).toEqual({ kind: 'date', date: '1999-01-05' })
    expect(parseDateText('05/01/75', near)).toEqual({ kind: 'date', date: '2075-01-05' })
    expect(parseDateText('05/01/76', near)).toEqual({ kind: 'date', date: '1976-01-05' })
  })

  it('writes a date back day first, with a four-digit year', () => {
    expect(formatDateText('1958-03-12')).toBe('12/03/1958')
    expect(formatDateText('0001-01-01')).toBe('01/01/0001')
    expect(formatDateText('not a date')).toBe('not a date')
  })
})

describe('times as people type them', () => {
  it.each([
    ['14 h 30', '14:30'],
    ['14h30', '14:30'],
    ['14H30', '14:30'],
    ['14:30', '14:30'],
    ['14.30', '14:30'],
    ['1430', '14:30'],
    ['930', '09:30'],
    ['9', '09:00'],
    ['9 h', '09:00'],
    ['9h05', '09:05'],
    ['0 h 15', '00:15'],
    ['23:59', '23:59'],
    ['14 heures', '14:00'],
    ['2:30 pm', '14:30'],
    ['12 am', '00:00'],
    ['12:15 PM', '12:15'],
  ])('%s → %s', (text, time) => {
    expect(parseTimeText(text)).toEqual({ kind: 'time', time })
  })

  it.each(['24:00', '14 h 60', '25', '13 pm', 'midi', '14 h 3', '14:30:00'])('%s is refused', (text) => {
    expect(parseTimeText(text)).toEqual({ kind: 'invalid' })
  })

  it('is empty when nothing was typed', () => {
    expect(parseTimeText('')).toEqual({ kind: 'empty' })
  })
})
