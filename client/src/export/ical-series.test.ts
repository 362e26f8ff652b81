import { describe, expect, it } from 'vitest'
import type { Appointment } from '../../../shared/src/model'
import type { Series } from '../../../shared/src/model/series'
import { planSeries } from './ical-series'

const actor = { memberId: 'm', deviceId: 'd' }
const meta = { createdAt: 1, createdBy: actor, updatedAt: 1, updatedBy: actor }

const series: Series = {
  id: 'S1',
  // First start on a Wednesday: the first occurrence is Thursday 5 November.
  rule: 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;COUNT=4',
  firstStart: '2026-11-04T09:00',
  timeZone: 'Europe/Paris',
  durationMin: 30,
  practitionerId: 'P',
  patientId: 'X',
  place: 'practice',
  total: 4,
  months: { '2026-11': true },
  ...meta,
}

function occurrence(n: number, start: string, extra: Partial<Appointment> = {}): Appointment {
  return { id: `A${n}`, start, timeZone: 'Europe/Paris', durationMin: 30, practitionerId: 'P', patientId: 'X', place: 'practice', status: 'booked', seriesId: 'S1', occurrence: n, ...meta, ...extra }
}

describe('a series in a calendar file', () => {
  it('is one RRULE from its first occurrence (not its first start) while untouched', () => {
    const plan = planSeries(series, [occurrence(1, '2026-11-05T09:00'), occurrence(2, '2026-11-09T09:00'), occurrence(3, '2026-11-12T09:00'), occurrence(4, '2026-11-16T09:00')])
    expect(plan).toEqual({ rule: { start: '2026-11-05T09:00', rrule: 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;WKST=MO;COUNT=4', exdates: [] }, singles: [] })
  })

  it('takes out a missing (cancelled or deleted) occurrence as EXDATE and writes a changed one on its own', () => {
    const moved = occurrence(3, '2026-11-13T10:00')
    const longer = occurrence(4, '2026-11-16T09:00', { durationMin: 45 })
    const plan = planSeries(series, [occurrence(1, '2026-11-05T09:00'), moved, longer])
    expect(plan.rule).toEqual({ start: '2026-11-05T09:00', rrule: 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;WKST=MO;COUNT=4', exdates: ['2026-11-09T09:00', '2026-11-12T09:00', '2026-11-16T09:00'] })
    expect(plan.singles).toEqual([moved, longer])
  })

  it('writes every occurrence on its own when none is left as made, or the rule is not one this version reads', () => {
    const other = occurrence(1, '2026-11-05T09:00', { practitionerId: 'Q' })
    expect(planSeries(series, [other])).toEqual({ rule: null, singles: [other] })
    const mine = occurrence(1, '2026-11-05T09:00')
    expect(planSeries({ ...series, rule: 'FREQ=DAILY;COUNT=3' }, [mine])).toEqual({ rule: null, singles: [mine] })
  })
})
