import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { addPractitioner, getPractitioner, updatePractitioner } from './practitioners'
import { alice, steppingClock } from './test-support'
import { ValidationError } from './validation'
import { DEFAULT_WORKING_HOURS, offHours, workingIntervalsOn } from './working-hours'
import type { WorkingHours } from './working-hours'

const PART_TIME: WorkingHours = {
  ...DEFAULT_WORKING_HOURS,
  '3': [{ start: '09:00', end: '12:00' }],
  '6': [{ start: '08:00', end: '12:00' }],
}

describe('working hours', () => {
  it('defaults to weekdays 8:00–12:30 and 13:30–19:00, weekends off', () => {
    expect(workingIntervalsOn(undefined, '2026-11-23')).toEqual([
      { start: '08:00', end: '12:30' },
      { start: '13:30', end: '19:00' },
    ])
    expect(workingIntervalsOn(undefined, '2026-11-28')).toEqual([])
    expect(workingIntervalsOn(undefined, '2026-11-29')).toEqual([])
  })

  it('picks the day by ISO weekday, across a DST change (Sunday 25 October 2026)', () => {
    expect(workingIntervalsOn(PART_TIME, '2026-10-24')).toEqual([{ start: '08:00', end: '12:00' }])
    expect(workingIntervalsOn(PART_TIME, '2026-10-25')).toEqual([])
    expect(workingIntervalsOn(PART_TIME, '2026-10-28')).toEqual([{ start: '09:00', end: '12:00' }])
  })

  it('shades what lies outside the intervals: before, the break, after', () => {
    expect(offHours(DEFAULT_WORKING_HOURS['1'], '07:00', '21:00')).toEqual([
      { start: '07:00', end: '08:00' },
      { start: '12:30', end: '13:30' },
      { start: '19:00', end: '21:00' },
    ])
    expect(offHours([], '07:00', '21:00')).toEqual([{ start: '07:00', end: '21:00' }])
    expect(offHours([{ start: '06:00', end: '22:00' }], '07:00', '21:00')).toEqual([])
  })

  it('is stored on the practitioner, and a bad interval names its day and field', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const id = addPractitioner(doc, { displayName: 'Claire Martin', profession: 'kine' }, alice, clock)
    expect(getPractitioner(doc, id)?.workingHours).toBeUndefined()
    updatePractitioner(doc, id, { workingHours: PART_TIME }, alice, clock)
    expect(getPractitioner(doc, id)?.workingHours).toEqual(PART_TIME)

    const backwards = { ...PART_TIME, '2': [{ start: '12:00', end: '09:00' }] }
    const overlapping = { ...PART_TIME, '4': [{ start: '08:00', end: '12:00' }, { start: '11:00', end: '14:00' }] }
    const badTime = { ...PART_TIME, '5': [{ start: '8h', end: '12:00' }] }
    for (const [hours, path, code] of [
      [backwards, 'workingHours.2.0.end', 'invalid_value'],
      [overlapping, 'workingHours.4.1.start', 'invalid_value'],
      [badTime, 'workingHours.5.0.start', 'invalid_time'],
    ] as const) {
      let caught: unknown
      try {
        updatePractitioner(doc, id, { workingHours: hours }, alice, clock)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(ValidationError)
      expect((caught as ValidationError).issues).toEqual([expect.objectContaining({ path, code })])
    }
    expect(getPractitioner(doc, id)?.workingHours, 'refused edits leave the stored hours').toEqual(PART_TIME)
  })

  it('reads a malformed stored value as absent, keeping the practitioner listed', () => {
    const doc = new Y.Doc()
    const id = addPractitioner(doc, { displayName: 'Claire Martin', profession: 'kine' }, alice, steppingClock())
    const record = doc.getMap<Y.Map<unknown>>('practitioners').get(id)
    record?.set('workingHours', 'toujours')
    const read = getPractitioner(doc, id)
    expect(read?.displayName).toBe('Claire Martin')
    expect(read?.workingHours).toBeUndefined()
  })
})
