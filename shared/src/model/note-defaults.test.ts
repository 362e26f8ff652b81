import { describe, expect, it } from 'vitest'
import { newNoteDefaults, RECENT_SESSION_DAYS } from './note-defaults'

const now = '2026-11-18T19:30'
const at = (id: string, start: string, status: 'booked' | 'fulfilled' | 'cancelled' | 'noshow' | 'arrived' = 'fulfilled') => ({ id, start, status })

describe('a new note defaults to the session it documents', () => {
  it("takes the latest session that has started: its date and link, not today's", () => {
    const appointments = [at('mon', '2026-11-16T09:00'), at('tue', '2026-11-17T18:00'), at('later', '2026-11-18T20:00', 'booked')]
    expect(newNoteDefaults(appointments, [], now)).toEqual({ date: '2026-11-17', appointmentId: 'tue' })
  })

  it('skips sessions already documented, cancelled or missed', () => {
    const appointments = [
      at('mon', '2026-11-16T09:00'),
      at('tue', '2026-11-17T18:00'),
      at('wed-cancelled', '2026-11-18T08:00', 'cancelled'),
      at('wed-missed', '2026-11-18T09:00', 'noshow'),
    ]
    expect(newNoteDefaults(appointments, [{ appointmentId: 'tue' }], now)).toEqual({ date: '2026-11-16', appointmentId: 'mon' })
  })

  it('takes a session of today that has started, even one still under way', () => {
    expect(newNoteDefaults([at('now', '2026-11-18T19:15', 'arrived')], [], now)).toEqual({ date: '2026-11-18', appointmentId: 'now' })
  })

  it(`is today and unlinked when no session of the last ${RECENT_SESSION_DAYS} days is left to document`, () => {
    expect(newNoteDefaults([], [], now)).toEqual({ date: '2026-11-18' })
    expect(newNoteDefaults([at('old', '2026-11-10T09:00')], [], now)).toEqual({ date: '2026-11-18' })
    expect(newNoteDefaults([at('week', '2026-11-11T09:00')], [], now)).toEqual({ date: '2026-11-11', appointmentId: 'week' })
  })

  it('counts days across a year end and a leap day', () => {
    expect(newNoteDefaults([at('dec', '2026-12-31T17:00')], [], '2027-01-02T08:00')).toEqual({ date: '2026-12-31', appointmentId: 'dec' })
    expect(newNoteDefaults([at('feb', '2028-02-29T10:00')], [], '2028-03-07T08:00')).toEqual({ date: '2028-02-29', appointmentId: 'feb' })
    expect(newNoteDefaults([at('feb', '2028-02-28T10:00')], [], '2028-03-07T08:00')).toEqual({ date: '2028-03-07' })
  })
})
