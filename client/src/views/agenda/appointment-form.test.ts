import { describe, expect, it } from 'vitest'
import { checkAppointmentForm } from './appointment-form'

const base = {
  start: '14:30',
  durationMin: '45',
  practitionerId: 'pr1',
  patientId: 'pa1',
  title: '',
  kindId: '',
  place: 'home',
  note: '',
}

describe('appointment form boundary', () => {
  it('builds an appointment on the shown day, in the practice time zone', () => {
    const checked = checkAppointmentForm(base, '2026-11-23', 'Europe/Paris')
    expect(checked).toEqual({
      ok: true,
      fields: expect.objectContaining({
        start: '2026-11-23T14:30',
        timeZone: 'Europe/Paris',
        durationMin: 45,
        practitionerId: 'pr1',
        patientId: 'pa1',
        place: 'home',
      }),
    })
  })

  it('asks for a title when there is no patient (a blocked slot)', () => {
    const checked = checkAppointmentForm({ ...base, patientId: '' }, '2026-11-23', 'Europe/Paris')
    expect(checked).toEqual({ ok: false, errors: { title: 'required' } })
    const block = checkAppointmentForm({ ...base, patientId: '', title: 'Réunion' }, '2026-11-23', 'Europe/Paris')
    expect(block.ok).toBe(true)
  })

  it('points at the start time and the duration when they are missing or wrong', () => {
    expect(checkAppointmentForm({ ...base, start: '', durationMin: '' }, '2026-11-23', 'Europe/Paris')).toEqual({
      ok: false,
      errors: { start: 'required', durationMin: 'required' },
    })
    expect(checkAppointmentForm({ ...base, durationMin: 'abc' }, '2026-11-23', 'Europe/Paris')).toEqual({
      ok: false,
      errors: { durationMin: 'not_integer' },
    })
    expect(checkAppointmentForm({ ...base, durationMin: '2' }, '2026-11-23', 'Europe/Paris')).toEqual({
      ok: false,
      errors: { durationMin: 'out_of_range' },
    })
  })
})
