import { describe, expect, it } from 'vitest'
import type { Absence, Appointment } from '../../../../shared/src/model'
import { expandSeries } from '../../../../shared/src/model'
import { bookingWarnings, hasWarning, previewSeries } from './series-preview'

const stamps = { createdAt: 0, createdBy: { memberId: 'm', deviceId: 'd' }, updatedAt: 0, updatedBy: { memberId: 'm', deviceId: 'd' } }

function appointment(id: string, start: string, durationMin: number, more: Partial<Appointment> = {}): Appointment {
  return { id, start, durationMin, timeZone: 'Europe/Paris', practitionerId: 'claire', place: 'practice', status: 'booked', title: id, ...stamps, ...more }
}

const leave: Absence = { id: 'abs', practitionerId: 'claire', from: '2027-04-12', to: '2027-04-16', label: 'Congés', ...stamps }

describe('the series preview', () => {
  // Mondays and Thursdays at 9 h from Thursday 25 March 2027: Easter Monday (29 March) is the second.
  const starts = expandSeries({ freq: 'WEEKLY', byDay: ['MO', 'TH'], interval: 1, count: 8 }, '2027-03-25T09:00')
  const existing = [
    appointment('same-time', '2027-04-01T09:15', 30),
    appointment('touching', '2027-04-05T08:30', 30),
    appointment('colleague', '2027-04-08T09:00', 30, { practitionerId: 'marc' }),
    appointment('cancelled', '2027-04-08T09:00', 30, { status: 'cancelled' }),
    appointment('deleted', '2027-04-19T09:00', 30, { deletedAt: 1 }),
  ]

  it('lists every date with its clash, holiday and absence', () => {
    const preview = previewSeries(starts, 30, 'claire', existing, 'FR', [leave])
    expect(preview.map((p) => [p.start, p.clashes.map((c) => c.id), p.holiday ?? null, p.absence?.label ?? null])).toEqual([
      ['2027-03-25T09:00', [], null, null],
      ['2027-03-29T09:00', [], 'easterMonday', null],
      ['2027-04-01T09:00', ['same-time'], null, null],
      ['2027-04-05T09:00', [], null, null],
      ['2027-04-08T09:00', [], null, null],
      ['2027-04-12T09:00', [], null, 'Congés'],
      ['2027-04-15T09:00', [], null, 'Congés'],
      ['2027-04-19T09:00', [], null, null],
    ])
    expect(preview.filter(hasWarning)).toHaveLength(4)
  })

  it('warns about a single booking the same way, leaving out the appointment being edited', () => {
    expect(bookingWarnings('2027-04-01T09:00', 30, 'claire', existing, 'FR', []).clashes.map((c) => c.id)).toEqual(['same-time'])
    expect(bookingWarnings('2027-04-01T09:00', 30, 'claire', existing, 'FR', [], 'same-time').clashes).toEqual([])
    expect(bookingWarnings('2027-07-21T09:00', 30, 'claire', [], 'BE', []).holiday).toBe('belgianNationalDay')
    expect(bookingWarnings('2027-07-21T09:00', 30, 'claire', [], 'FR', []).holiday).toBeUndefined()
  })
})
