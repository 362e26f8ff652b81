import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { fixedClock } from './actor'
import { addAppointment, getAppointment, listAppointments, updateAppointment } from './agenda'
import { agendaDocId } from './doc-ids'
import { ValidationError } from './validation'
import { T0, alice } from './test-support'
import { countPrescriptionSessions, prescriptionAgendaMonths } from './prescription-counts'
import type { AppointmentStatus } from './input-schemas'

// 2026-11-23T13:00Z is 14:00 in Paris.
const NOW = fixedClock(Date.UTC(2026, 10, 23, 13, 0))
const TZ = 'Europe/Paris'
const ordonnance = { id: 'presc1', date: '2026-10-01', sessionsPrescribed: 10 }

function appt(start: string, status: AppointmentStatus, extra: { prescriptionId?: string; deletedAt?: number } = {}) {
  return { start, timeZone: TZ, status, prescriptionId: 'presc1', ...extra }
}

describe('countPrescriptionSessions', () => {
  it('counts fulfilled as done, future booked/arrived as planned, and remaining from done', () => {
    const counts = countPrescriptionSessions(
      ordonnance,
      [
        appt('2026-10-05T09:00', 'fulfilled'),
        appt('2026-10-12T09:00', 'fulfilled'),
        appt('2026-11-23T14:30', 'booked'),
        appt('2026-11-30T09:00', 'arrived'),
        appt('2026-12-07T09:00', 'booked'),
      ],
      NOW,
      TZ,
    )
    expect(counts).toMatchObject({ prescribed: 10, done: 2, planned: 3, remaining: 8, overdue: 0, exhausted: false, expired: false })
  })

  it('counts neither cancelled nor missed sessions against the ordonnance, and reports them', () => {
    const counts = countPrescriptionSessions(
      ordonnance,
      [appt('2026-10-05T09:00', 'cancelled'), appt('2026-10-06T09:00', 'noshow'), appt('2026-10-07T09:00', 'fulfilled')],
      NOW,
      TZ,
    )
    expect(counts).toMatchObject({ done: 1, planned: 0, remaining: 9, cancelled: 1, noshow: 1 })
  })

  it('leaves past sessions nobody marked out of done and planned, as overdue', () => {
    // 13:30 in Paris has passed at 14:00 Paris time; 14:30 has not.
    const counts = countPrescriptionSessions(
      ordonnance,
      [appt('2026-11-23T13:30', 'booked'), appt('2026-11-23T14:30', 'booked')],
      NOW,
      TZ,
    )
    expect(counts).toMatchObject({ done: 0, planned: 1, overdue: 1 })
  })

  it('ignores other prescriptions, unlinked and deleted appointments', () => {
    const counts = countPrescriptionSessions(
      ordonnance,
      [
        appt('2026-10-05T09:00', 'fulfilled', { prescriptionId: 'other' }),
        { start: '2026-10-05T10:00', timeZone: TZ, status: 'fulfilled' as const },
        appt('2026-10-05T11:00', 'fulfilled', { deletedAt: 1 }),
        appt('2026-10-05T12:00', 'fulfilled'),
      ],
      NOW,
      TZ,
    )
    expect(counts.done).toBe(1)
  })

  it('says exhausted once done reaches the prescribed number, never a negative remainder', () => {
    const sessions = Array.from({ length: 11 }, (_, i) => appt(`2026-10-${String(i + 2).padStart(2, '0')}T09:00`, 'fulfilled'))
    expect(countPrescriptionSessions(ordonnance, sessions.slice(0, 9), NOW, TZ)).toMatchObject({ remaining: 1, exhausted: false })
    expect(countPrescriptionSessions(ordonnance, sessions.slice(0, 10), NOW, TZ)).toMatchObject({ remaining: 0, exhausted: true })
    expect(countPrescriptionSessions(ordonnance, sessions, NOW, TZ)).toMatchObject({ done: 11, remaining: 0, exhausted: true })
  })

  it('has no remainder and is never exhausted when the ordonnance states no number', () => {
    const counts = countPrescriptionSessions({ id: 'presc1', date: '2026-10-01' }, [appt('2026-10-05T09:00', 'fulfilled')], NOW, TZ)
    expect(counts).toMatchObject({ prescribed: undefined, remaining: undefined, exhausted: false, done: 1 })
  })

  it('says expired only when today is more than one year after the date, in the practice time zone', () => {
    const at = (iso: string) => fixedClock(Date.parse(iso))
    const p = { id: 'presc1', date: '2025-11-23' }
    expect(countPrescriptionSessions(p, [], at('2026-11-23T12:00:00Z'), TZ).expired).toBe(false)
    // 23:30Z on the 23rd is already the 24th in Paris.
    expect(countPrescriptionSessions(p, [], at('2026-11-23T23:30:00Z'), TZ).expired).toBe(true)
    expect(countPrescriptionSessions(p, [], at('2026-11-23T23:30:00Z'), 'UTC').expired).toBe(false)
    const leap = { id: 'presc1', date: '2024-02-29' }
    expect(countPrescriptionSessions(leap, [], at('2025-02-28T12:00:00Z'), TZ).expired).toBe(false)
    expect(countPrescriptionSessions(leap, [], at('2025-03-01T12:00:00Z'), TZ).expired).toBe(true)
  })
})

describe('prescriptionAgendaMonths', () => {
  it('opens from the ordonnance month to three months after today', () => {
    expect(prescriptionAgendaMonths('2026-10-15', NOW, TZ)).toEqual(['2026-10', '2026-11', '2026-12', '2027-01', '2027-02'])
  })

  it('never opens more than 15 months after the ordonnance', () => {
    const months = prescriptionAgendaMonths('2023-05-02', NOW, TZ)
    expect(months[0]).toBe('2023-05')
    expect(months.at(-1)).toBe('2024-08')
    expect(months).toHaveLength(16)
  })
})

describe('appointment.prescriptionId', () => {
  it('links and unlinks an appointment, validated, and the counter reads it back from the agenda doc', () => {
    const doc = new Y.Doc({ guid: agendaDocId('2026-11') })
    const base = { durationMin: 30, practitionerId: 'prac1', patientId: 'pat1' }
    const id = addAppointment(doc, { ...base, start: '2026-11-02T09:00', status: 'fulfilled' }, alice, fixedClock(T0))
    expect(() => updateAppointment(doc, id, { prescriptionId: 'not an id!' }, alice, fixedClock(T0))).toThrow(ValidationError)
    updateAppointment(doc, id, { prescriptionId: 'presc1' }, alice, fixedClock(T0))
    expect(getAppointment(doc, id)?.prescriptionId).toBe('presc1')
    expect(countPrescriptionSessions(ordonnance, listAppointments(doc).items, NOW, TZ).done).toBe(1)
    updateAppointment(doc, id, { prescriptionId: null }, alice, fixedClock(T0))
    expect(countPrescriptionSessions(ordonnance, listAppointments(doc).items, NOW, TZ).done).toBe(0)
  })
})
