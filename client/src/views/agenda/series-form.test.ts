import { describe, expect, it } from 'vitest'
import { expandSeries } from '../../../../shared/src/model'
import { checkSeriesForm } from './series-form'

describe('series form boundary', () => {
  it('builds "10 séances, lundi et jeudi" from the checkboxes', () => {
    const checked = checkSeriesForm({ byDay: ['TH', 'MO'], interval: '1', count: '10', end: 'count' }, '2026-11-23T09:00')
    expect(checked).toEqual({ ok: true, rule: { freq: 'WEEKLY', byDay: ['MO', 'TH'], interval: 1, count: 10 } })
    if (!checked.ok) return
    const starts = expandSeries(checked.rule, '2026-11-23T09:00')
    expect(starts).toHaveLength(10)
    expect(starts.slice(0, 3)).toEqual(['2026-11-23T09:00', '2026-11-26T09:00', '2026-11-30T09:00'])
  })

  it('uses only the chosen end, and names the field that is wrong', () => {
    const until = checkSeriesForm({ byDay: ['WE'], interval: '2', count: '10', until: '2026-12-31', end: 'until' }, '2026-11-25T09:00')
    expect(until).toEqual({ ok: true, rule: { freq: 'WEEKLY', byDay: ['WE'], interval: 2, until: '2026-12-31' } })
    expect(checkSeriesForm({ byDay: [], count: '10', end: 'count' }, '2026-11-23T09:00')).toEqual({ ok: false, errors: { byDay: 'too_short' } })
    expect(checkSeriesForm({ byDay: ['MO'], count: '', end: 'count' }, '2026-11-23T09:00')).toEqual({ ok: false, errors: { count: 'required' } })
    expect(checkSeriesForm({ byDay: ['MO'], count: 'dix', end: 'count' }, '2026-11-23T09:00')).toEqual({ ok: false, errors: { count: 'not_integer' } })
    expect(checkSeriesForm({ byDay: ['MO'], until: '2026-11-01', end: 'until' }, '2026-11-23T09:00')).toEqual({ ok: false, errors: { until: 'out_of_range' } })
  })
})
