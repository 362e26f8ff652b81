import { describe, expect, it } from 'vitest'
import type { Appointment, Patient } from '../../../../shared/src/model'
import { addressQuery, homeVisitRound, telHref, visitAddress } from './home-visits'
import { TEST_TODAY } from '../../../../tests/helpers/test-clock'
import { shiftDay } from '../../../../tests/helpers/calendar-oracle'

const stamps = { createdAt: 0, createdBy: { memberId: 'm', deviceId: 'd' }, updatedAt: 0, updatedBy: { memberId: 'm', deviceId: 'd' } }

function visit(id: string, start: string, durationMin: number, more: Partial<Appointment> = {}): Appointment {
  return {
    id,
    start,
    durationMin,
    timeZone: 'Europe/Paris',
    practitionerId: 'prac1',
    patientId: `pat-${id}`,
    place: 'home',
    status: 'booked',
    ...stamps,
    ...more,
  }
}

function patient(id: string, more: Partial<Patient> = {}): Patient {
  return { id, birthName: `Nom ${id}`, firstNames: 'Prénom', archived: false, ...stamps, ...more }
}

const lyon = { line1: '12 rue des Lilas', postalCode: '69003', city: 'Lyon', accessNotes: 'Code 4821B, 3e étage' }
const day = '2026-11-23'

describe('homeVisitRound', () => {
  it(`at the test's today (${TEST_TODAY}): today's visits only, early morning and late evening included`, () => {
    const appointments = [
      visit('late', `${TEST_TODAY}T21:30`, 30),
      visit('yesterday', `${shiftDay(TEST_TODAY, -1)}T23:30`, 60),
      visit('early', `${TEST_TODAY}T06:00`, 30),
      visit('tomorrow', `${shiftDay(TEST_TODAY, 1)}T00:00`, 30),
    ]
    const patients = new Map(appointments.map((a) => [a.patientId!, patient(a.patientId!)]))
    expect(homeVisitRound(appointments, patients, 'prac1', TEST_TODAY).map((v) => v.appointment.id)).toEqual(['early', 'late'])
  })

  it('keeps the home visits of one practitioner on one day, in time order, cancelled ones left out', () => {
    const appointments = [
      visit('c', '2026-11-23T11:00', 30),
      visit('a', '2026-11-23T08:30', 30),
      visit('atPractice', '2026-11-23T09:00', 30, { place: 'practice' }),
      visit('colleague', '2026-11-23T09:30', 30, { practitionerId: 'prac2' }),
      visit('tomorrow', '2026-11-24T09:30', 30),
      visit('cancelled', '2026-11-23T10:00', 30, { status: 'cancelled', cancelReason: 'Hospitalisé' }),
      visit('deleted', '2026-11-23T10:30', 30, { deletedAt: 1 }),
      visit('b', '2026-11-23T09:15', 45, { status: 'fulfilled' }),
    ]
    const round = homeVisitRound(appointments, new Map(), 'prac1', day)
    expect(round.map((v) => v.appointment.id)).toEqual(['a', 'b', 'c'])
  })

  it('takes the address written on the appointment, else the patient’s, and the first phone', () => {
    const patients = new Map([
      ['pat-a', patient('pat-a', { address: lyon, phones: ['0612345678', '0472000000'] })],
      ['pat-b', patient('pat-b', { address: lyon })],
    ])
    const elsewhere = { line1: '4 chemin du Moulin', postalCode: '69500', city: 'Bron' }
    const round = homeVisitRound(
      [visit('a', '2026-11-23T08:30', 30), visit('b', '2026-11-23T09:30', 30, { address: elsewhere }), visit('c', '2026-11-23T10:30', 30)],
      patients,
      'prac1',
      day,
    )
    expect(round.map((v) => [v.address?.city, v.addressSource, v.phone])).toEqual([
      ['Lyon', 'patient', '0612345678'],
      ['Bron', 'appointment', undefined],
      [undefined, 'none', undefined],
    ])
    expect(round[0]!.patient?.birthName).toBe('Nom pat-a')
    expect(round[2]!.patient).toBeUndefined()
    expect(visitAddress({}, undefined)).toEqual({ address: undefined, source: 'none' })
  })

  it('gives the free minutes to the next visit, and flags a negative gap or any overlap', () => {
    const round = homeVisitRound(
      [
        visit('a', '2026-11-23T08:30', 30),
        visit('b', '2026-11-23T09:15', 45),
        visit('c', '2026-11-23T10:00', 60),
        visit('d', '2026-11-23T10:30', 15),
        visit('e', '2026-11-23T10:45', 30),
        visit('f', '2026-11-23T11:15', 30),
      ],
      new Map(),
      'prac1',
      day,
    )
    expect(round.map((v) => [v.appointment.id, v.gapToNextMin, v.overlaps])).toEqual([
      ['a', 15, false],
      ['b', 0, false],
      // c runs to 11:00: it overlaps d and e (e is not its neighbour, but its time intersects).
      ['c', -30, true],
      ['d', 0, true],
      ['e', 0, true],
      ['f', null, false],
    ])
  })

  it('counts real minutes on the night clocks go back', () => {
    // 25 October 2026 in Paris: 03:00 CEST becomes 02:00 CET, so 01:30 → 03:00 is 2 h 30 of real time.
    const round = homeVisitRound(
      [visit('night', '2026-10-25T01:00', 30), visit('morning', '2026-10-25T03:00', 30)],
      new Map(),
      'prac1',
      '2026-10-25',
    )
    expect(round[0]!.gapToNextMin).toBe(150)
  })
})

describe('what leaves the app on a tap', () => {
  it('writes the address as one search line', () => {
    expect(addressQuery(lyon)).toBe('12 rue des Lilas, 69003 Lyon')
    expect(addressQuery({ ...lyon, line2: 'Bâtiment B' })).toBe('12 rue des Lilas, Bâtiment B, 69003 Lyon')
  })

  it('makes tel: links of stored and typed numbers', () => {
    expect(telHref('0612345678')).toBe('tel:0612345678')
    expect(telHref('+33612345678')).toBe('tel:+33612345678')
    expect(telHref('06 12 34 56 78')).toBe('tel:0612345678')
  })
})

describe('free time between visits', () => {
  it('counts every appointment of the practitioner that day, not only home visits', () => {
    // 13 h visit, then eight practice sessions, then the 17 h 30 visit: « 4 h libres » was wrong.
    const practice = Array.from({ length: 8 }, (_, i) =>
      visit(`cab${i}`, `2026-11-23T${String(13 + Math.floor((30 + i * 30) / 60)).padStart(2, '0')}:${(30 + i * 30) % 60 === 0 ? '00' : '30'}`, 30, {
        place: 'practice',
      }),
    )
    const round = homeVisitRound(
      [
        visit('noon', '2026-11-23T13:00', 30),
        ...practice,
        visit('evening', '2026-11-23T17:30', 30),
        visit('colleague', '2026-11-23T13:30', 30, { practitionerId: 'prac2', place: 'practice' }),
        visit('cancelled', '2026-11-23T13:30', 30, { place: 'practice', status: 'cancelled' }),
      ],
      new Map(),
      'prac1',
      day,
    )
    expect(round.map((v) => [v.appointment.id, v.gapToNextMin, v.next])).toEqual([
      ['noon', 0, { start: '2026-11-23T13:30', place: 'practice' }],
      ['evening', null, null],
    ])
  })

  it('says when the practice appointment that follows leaves free time', () => {
    const round = homeVisitRound(
      [visit('a', '2026-11-23T08:30', 30), visit('cab', '2026-11-23T10:00', 30, { place: 'practice' }), visit('b', '2026-11-23T14:00', 30)],
      new Map(),
      'prac1',
      day,
    )
    expect(round.map((v) => [v.gapToNextMin, v.next?.place ?? null])).toEqual([
      [60, 'practice'],
      [null, null],
    ])
  })
})
