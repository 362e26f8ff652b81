import { describe, expect, it } from 'vitest'
import { fixedClock } from './actor'
import {
  DateFormatError,
  addDays,
  addMinutes,
  formatDayFr,
  formatTimeFr,
  fromInstant,
  isLocalDate,
  isLocalDateTime,
  isoWeekday,
  minutesBetween,
  monthOf,
  startOfWeek,
  toInstant,
  todayIn,
} from './dates'

const PARIS = 'Europe/Paris'
const utc = (iso: string) => Date.parse(iso)

describe('local dates', () => {
  it.each([
    ['2026-11-23', true],
    ['2024-02-29', true],
    ['2026-02-29', false],
    ['2026-13-01', false],
    ['2026-1-01', false],
    ['23/11/2026', false],
  ])('isLocalDate(%j) is %s', (text, ok) => {
    expect(isLocalDate(text)).toBe(ok)
  })

  it('checks date-times', () => {
    expect(isLocalDateTime('2026-11-23T14:30')).toBe(true)
    expect(isLocalDateTime('2026-11-23T24:00')).toBe(false)
    expect(isLocalDateTime('2026-11-23 14:30')).toBe(false)
    expect(isLocalDateTime('2026-11-23T14:30:00')).toBe(false)
  })

  it('adds minutes on the wall clock, across days, months and years', () => {
    expect(addMinutes('2026-11-23T14:30', 45)).toBe('2026-11-23T15:15')
    expect(addMinutes('2026-12-31T23:30', 45)).toBe('2027-01-01T00:15')
    expect(addMinutes('2026-03-01T00:10', -20)).toBe('2026-02-28T23:50')
    // Wall clock: the DST night has 24 hours of wall time like any other.
    expect(addMinutes('2026-03-29T01:00', 120)).toBe('2026-03-29T03:00')
    expect(minutesBetween('2026-03-28T12:00', '2026-03-29T12:00')).toBe(24 * 60)
  })

  it('starts weeks on Monday', () => {
    expect(isoWeekday('2026-11-23')).toBe(1)
    expect(isoWeekday('2026-11-29')).toBe(7)
    expect(startOfWeek('2026-11-23')).toBe('2026-11-23')
    expect(startOfWeek('2026-11-29')).toBe('2026-11-23')
    expect(startOfWeek('2027-01-01')).toBe('2026-12-28')
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01')
  })

  it('routes to the month of the local start date', () => {
    expect(monthOf('2026-11-30T23:30')).toBe('2026-11')
    expect(monthOf('2026-12-01T00:00')).toBe('2026-12')
    expect(monthOf('2026-12-01')).toBe('2026-12')
    expect(() => monthOf('2026-12')).toThrow(DateFormatError)
  })
})

describe('time zones', () => {
  it('converts ordinary times in winter and summer', () => {
    expect(toInstant('2026-01-15T09:00', PARIS)).toBe(utc('2026-01-15T08:00:00Z'))
    expect(toInstant('2026-07-15T09:00', PARIS)).toBe(utc('2026-07-15T07:00:00Z'))
    expect(toInstant('2026-07-15T09:00', 'America/Cayenne')).toBe(utc('2026-07-15T12:00:00Z'))
  })

  it('keeps wall-clock times across the spring change (2026-03-29, Paris)', () => {
    expect(toInstant('2026-03-29T01:59', PARIS)).toBe(utc('2026-03-29T00:59:00Z'))
    expect(toInstant('2026-03-29T03:00', PARIS)).toBe(utc('2026-03-29T01:00:00Z'))
    expect(toInstant('2026-03-29T09:00', PARIS)).toBe(utc('2026-03-29T07:00:00Z'))
    // 02:30 does not exist that night: it is read as 03:30 summer time, like a wall clock would.
    expect(toInstant('2026-03-29T02:30', PARIS)).toBe(utc('2026-03-29T01:30:00Z'))
    expect(fromInstant(toInstant('2026-03-29T02:30', PARIS), PARIS)).toBe('2026-03-29T03:30')
  })

  it('keeps wall-clock times across the autumn change (2026-10-25, Paris)', () => {
    expect(toInstant('2026-10-25T01:30', PARIS)).toBe(utc('2026-10-24T23:30:00Z'))
    // 02:30 happens twice: the earlier (summer time) one is meant.
    expect(toInstant('2026-10-25T02:30', PARIS)).toBe(utc('2026-10-25T00:30:00Z'))
    expect(toInstant('2026-10-25T03:00', PARIS)).toBe(utc('2026-10-25T02:00:00Z'))
    expect(toInstant('2026-10-25T09:00', PARIS)).toBe(utc('2026-10-25T08:00:00Z'))
    expect(fromInstant(utc('2026-10-25T00:30:00Z'), PARIS)).toBe('2026-10-25T02:30')
    expect(fromInstant(utc('2026-10-25T01:30:00Z'), PARIS)).toBe('2026-10-25T02:30')
  })

  it('round-trips every half hour of both DST days', () => {
    for (const day of ['2026-03-29', '2026-10-25']) {
      for (let m = 0; m < 24 * 60; m += 30) {
        const local = addMinutes(`${day}T00:00`, m)
        if (local.startsWith('2026-03-29T02:')) continue
        expect(fromInstant(toInstant(local, PARIS), PARIS)).toBe(local)
      }
    }
  })

  it("tells today's date in the practice's zone, by the injected clock", () => {
    // 23:30 UTC on 31 Dec is already 1 Jan in Paris.
    expect(todayIn(PARIS, fixedClock(utc('2026-12-31T23:30:00Z')))).toBe('2027-01-01')
    expect(todayIn('UTC', fixedClock(utc('2026-12-31T23:30:00Z')))).toBe('2026-12-31')
    expect(todayIn('Pacific/Tahiti', fixedClock(utc('2027-01-01T05:00:00Z')))).toBe('2026-12-31')
  })
})

describe('French formats', () => {
  it.each([
    ['2026-11-23', 'lundi 23 novembre'],
    ['2026-12-01', 'mardi 1er décembre'],
    ['2026-08-15', 'samedi 15 août'],
    ['2027-02-07', 'dimanche 7 février'],
  ])('formatDayFr(%j) is %j', (date, text) => {
    expect(formatDayFr(date)).toBe(text)
  })

  it('adds the year on request', () => {
    expect(formatDayFr('2026-11-23', { withYear: true })).toBe('lundi 23 novembre 2026')
  })

  it.each([
    ['14:30', '14 h 30'],
    ['09:05', '9 h 05'],
    ['00:45', '0 h 45'],
    ['14:00', '14 h'],
  ])('formatTimeFr(%j) is %j', (time, text) => {
    expect(formatTimeFr(time)).toBe(text)
  })

  it('refuses malformed times', () => {
    expect(() => formatTimeFr('14h30')).toThrow(DateFormatError)
    expect(() => formatDayFr('2026-02-30')).toThrow(DateFormatError)
  })
})
