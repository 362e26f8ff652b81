import { describe, expect, it } from 'vitest'
import { issuesOf } from './test-support/issues-of'
import { toInstant } from './dates'
import {
  MAX_SERIES_OCCURRENCES,
  RRuleSyntaxError,
  expandSeries,
  formatRRule,
  parseRRule,
  validateSeriesRule,
  weekdayOf,
} from './series-rule'
import type { SeriesRule } from './series-rule'
import { TEST_TODAY } from '../../../tests/helpers/test-clock'
import { shiftDay, weekOf } from '../../../tests/helpers/calendar-oracle'

const weekly = (byDay: SeriesRule['byDay'], end: { count: number } | { until: string }, interval = 1): SeriesRule => ({
  freq: 'WEEKLY',
  byDay,
  interval,
  ...end,
})

describe('expandSeries', () => {
  it(`from the test's today (${TEST_TODAY}): twice a week at 9 h for 20 sessions, whatever the days crossed`, () => {
    // Monday and Thursday of each week from today's on, today itself when it is one of them.
    const expected: string[] = []
    for (let day = TEST_TODAY; expected.length < 20; day = shiftDay(day, 1)) {
      const position = weekOf(day).indexOf(day)
      if (position === 0 || position === 3) expected.push(`${day}T09:00`)
    }
    const first = expected[0]!
    expect(expandSeries(weekly(['MO', 'TH'], { count: 20 }), first)).toEqual(expected)
    // Every one of them is 9 h in Paris, winter or summer time.
    for (const start of expected) expect(new Date(toInstant(start, 'Europe/Paris')).toLocaleTimeString('fr-FR', { timeZone: 'Europe/Paris' })).toBe('09:00:00')
  })

  it('makes COUNT occurrences on the given weekdays, at the first start time', () => {
    // 2026-11-02 is a Monday.
    const starts = expandSeries(weekly(['MO', 'TH'], { count: 10 }), '2026-11-02T09:00')
    expect(starts).toEqual([
      '2026-11-02T09:00',
      '2026-11-05T09:00',
      '2026-11-09T09:00',
      '2026-11-12T09:00',
      '2026-11-16T09:00',
      '2026-11-19T09:00',
      '2026-11-23T09:00',
      '2026-11-26T09:00',
      '2026-11-30T09:00',
      '2026-12-03T09:00',
    ])
    expect(starts.map((s) => weekdayOf(s.slice(0, 10)))).toEqual(['MO', 'TH', 'MO', 'TH', 'MO', 'TH', 'MO', 'TH', 'MO', 'TH'])
  })

  it('stops at UNTIL, inclusive, in local dates', () => {
    expect(expandSeries(weekly(['MO', 'TH'], { until: '2026-11-12' }), '2026-11-02T18:30')).toEqual([
      '2026-11-02T18:30',
      '2026-11-05T18:30',
      '2026-11-09T18:30',
      '2026-11-12T18:30',
    ])
    // The evening of the until date is still in: until is a date, not midnight.
    expect(expandSeries(weekly(['TH'], { until: '2026-11-12' }), '2026-11-05T23:45')).toEqual([
      '2026-11-05T23:45',
      '2026-11-12T23:45',
    ])
  })

  it('skips weeks with INTERVAL=2, counting weeks from the first start', () => {
    expect(expandSeries(weekly(['TU', 'FR'], { count: 5 }, 2), '2026-11-03T14:00')).toEqual([
      '2026-11-03T14:00',
      '2026-11-06T14:00',
      '2026-11-17T14:00',
      '2026-11-20T14:00',
      '2026-12-01T14:00',
    ])
  })

  it('starts at the first listed weekday on or after a first date that is not one of them', () => {
    // Wednesday 4 November, "lundi et jeudi": first occurrence Thursday 5, then Monday 9.
    expect(expandSeries(weekly(['MO', 'TH'], { count: 3 }), '2026-11-04T09:00')).toEqual([
      '2026-11-05T09:00',
      '2026-11-09T09:00',
      '2026-11-12T09:00',
    ])
    // With an interval, the first start's week is week 0 even if it holds no occurrence.
    expect(expandSeries(weekly(['MO'], { count: 2 }, 2), '2026-11-04T09:00')).toEqual([
      '2026-11-16T09:00',
      '2026-11-30T09:00',
    ])
  })

  it('leaves out exceptions, which do not extend a COUNT (RFC 5545 EXDATE)', () => {
    const rule = weekly(['MO', 'TH'], { count: 4 })
    expect(expandSeries(rule, '2026-11-02T09:00', { exceptions: ['2026-11-05T09:00', '2026-11-05T10:00'] })).toEqual([
      '2026-11-02T09:00',
      '2026-11-09T09:00',
      '2026-11-12T09:00',
    ])
  })

  it('keeps 9:00 on the wall clock across the spring and autumn changes in Europe/Paris', () => {
    // Summer time starts on Sunday 29 March 2026 and ends on Sunday 25 October 2026.
    const spring = expandSeries(weekly(['MO'], { count: 3 }), '2026-03-23T09:00')
    expect(spring).toEqual(['2026-03-23T09:00', '2026-03-30T09:00', '2026-04-06T09:00'])
    expect(spring.map((s) => new Date(toInstant(s, 'Europe/Paris')).toISOString())).toEqual([
      '2026-03-23T08:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-04-06T07:00:00.000Z',
    ])
    const autumn = expandSeries(weekly(['MO', 'FR'], { until: '2026-10-26' }), '2026-10-19T09:00')
    expect(autumn).toEqual(['2026-10-19T09:00', '2026-10-23T09:00', '2026-10-26T09:00'])
    expect(autumn.map((s) => new Date(toInstant(s, 'Europe/Paris')).toISOString())).toEqual([
      '2026-10-19T07:00:00.000Z',
      '2026-10-23T07:00:00.000Z',
      '2026-10-26T08:00:00.000Z',
    ])
  })

  it('caps a series at MAX_SERIES_OCCURRENCES: a longer until is refused', () => {
    const daily = weekly(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'], { until: '2027-05-20' })
    expect(expandSeries(daily, '2026-11-02T09:00')).toHaveLength(MAX_SERIES_OCCURRENCES)
    expect(issuesOf(() => expandSeries({ ...daily, until: '2027-05-21' }, '2026-11-02T09:00'))).toEqual([
      { path: 'until', code: 'out_of_range' },
    ])
  })
})

describe('validateSeriesRule', () => {
  it.each([
    ['byDay empty', { byDay: [] }, [{ path: 'byDay', code: 'too_short' }]],
    ['unknown weekday', { byDay: ['LU'] }, [{ path: 'byDay.0', code: 'invalid_value' }]],
    ['count 0', { count: 0 }, [{ path: 'count', code: 'out_of_range' }]],
    ['count too big', { count: MAX_SERIES_OCCURRENCES + 1 }, [{ path: 'count', code: 'out_of_range' }]],
    ['count not whole', { count: 2.5 }, [{ path: 'count', code: 'not_integer' }]],
    ['interval 0', { interval: 0 }, [{ path: 'interval', code: 'out_of_range' }]],
    ['both count and until', { until: '2026-12-31' }, [{ path: 'until', code: 'invalid_value' }]],
    ['neither count nor until', { count: undefined }, [{ path: 'count', code: 'required' }]],
    ['until not a date', { count: undefined, until: '2026-02-30' }, [{ path: 'until', code: 'invalid_date' }]],
  ])('%s', (_name, change, issues) => {
    const rule = { freq: 'WEEKLY', byDay: ['MO'], interval: 1, count: 10, ...change }
    expect(issuesOf(() => validateSeriesRule(rule, '2026-11-02T09:00'))).toEqual(issues)
  })

  it('refuses an until before the first start, or leaving no occurrence', () => {
    expect(issuesOf(() => validateSeriesRule(weekly(['MO'], { until: '2026-11-01' }), '2026-11-02T09:00'))).toEqual([
      { path: 'until', code: 'out_of_range' },
    ])
    // Wednesday to Thursday with only Mondays: nothing to book.
    expect(issuesOf(() => validateSeriesRule(weekly(['MO'], { until: '2026-11-05' }), '2026-11-04T09:00'))).toEqual([
      { path: 'until', code: 'out_of_range' },
    ])
  })

  it('puts byDay in week order without duplicates, and treats a blank until as absent', () => {
    expect(validateSeriesRule({ freq: 'WEEKLY', byDay: ['TH', 'MO', 'TH'], interval: 1, count: 4, until: '' })).toEqual(
      weekly(['MO', 'TH'], { count: 4 }),
    )
  })
})

describe('RRULE text', () => {
  it('formats and parses the RFC 5545 form', () => {
    const rule = weekly(['TH', 'MO'], { count: 10 })
    expect(formatRRule(rule)).toBe('FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;COUNT=10')
    expect(parseRRule('FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;COUNT=10')).toEqual(weekly(['MO', 'TH'], { count: 10 }))
    const until = weekly(['WE'], { until: '2026-12-31' }, 2)
    expect(formatRRule(until)).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20261231T235959')
    expect(parseRRule(formatRRule(until))).toEqual(until)
  })

  it('reads what other calendars write: RRULE: prefix, no INTERVAL, a DATE until, WKST=MO, lower case', () => {
    expect(parseRRule('RRULE:freq=weekly;byday=fr;until=20270115;wkst=MO')).toEqual(weekly(['FR'], { until: '2027-01-15' }))
  })

  it.each([
    ['FREQ=DAILY;COUNT=3', /FREQ=WEEKLY/],
    ['FREQ=WEEKLY;BYDAY=1MO;COUNT=3', /BYDAY/],
    ['FREQ=WEEKLY;BYDAY=MO;BYMONTHDAY=3;COUNT=3', /BYMONTHDAY/],
    ['FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T235959Z', /UNTIL/],
    ['FREQ=WEEKLY;BYDAY=MO;COUNT=3;COUNT=4', /twice/],
    ['FREQ=WEEKLY;BYDAY=MO;WKST=SU;COUNT=3', /WKST/],
    ['BYDAY=MO;COUNT=3', /no FREQ/],
    ['FREQ=WEEKLY;BYDAY', /NAME=VALUE/],
  ])('refuses %s with RRuleSyntaxError', (text, message) => {
    expect(() => parseRRule(text)).toThrow(RRuleSyntaxError)
    expect(() => parseRRule(text)).toThrow(message)
  })

  it('validates what it parsed, with field paths', () => {
    expect(issuesOf(() => parseRRule('FREQ=WEEKLY;INTERVAL=0;BYDAY=MO;COUNT=3'))).toEqual([{ path: 'interval', code: 'out_of_range' }])
    expect(issuesOf(() => parseRRule('FREQ=WEEKLY;BYDAY=MO'))).toEqual([{ path: 'count', code: 'required' }])
  })
})
