import { describe, expect, it } from 'vitest'
import { DEFAULT_WORKING_HOURS } from '../../../../shared/src/model'
import { checkWorkingHoursForm, workingHoursValues } from './working-hours-form'

describe('working hours form boundary', () => {
  it('round-trips the default hours', () => {
    expect(checkWorkingHoursForm(workingHoursValues(DEFAULT_WORKING_HOURS))).toEqual({ ok: true, hours: DEFAULT_WORKING_HOURS })
  })

  it('reads an afternoon-only day and a day off', () => {
    const values = { ...workingHoursValues(DEFAULT_WORKING_HOURS), '3.0.start': '', '3.0.end': '', '5.0.start': '', '5.0.end': '', '5.1.start': '', '5.1.end': '' }
    const checked = checkWorkingHoursForm(values)
    expect(checked.ok && checked.hours['3']).toEqual([{ start: '13:30', end: '19:00' }])
    expect(checked.ok && checked.hours['5']).toEqual([])
  })

  it('points at the input that is wrong, even when the morning is empty', () => {
    const base = workingHoursValues(DEFAULT_WORKING_HOURS)
    expect(checkWorkingHoursForm({ ...base, '2.0.start': '', '2.0.end': '', '2.1.end': '12:00' })).toEqual({
      ok: false,
      errors: { '2.1.end': 'invalid_value' },
    })
    expect(checkWorkingHoursForm({ ...base, '4.1.start': '11:00' })).toEqual({ ok: false, errors: { '4.1.start': 'invalid_value' } })
    expect(checkWorkingHoursForm({ ...base, '1.0.end': '' })).toEqual({ ok: false, errors: { '1.0.end': 'invalid_time' } })
  })
})
