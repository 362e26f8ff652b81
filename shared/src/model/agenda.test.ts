import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { fixedClock } from './actor'
import {
  AgendaMonthError,
  AgendaMonthUnknownError,
  addAppointment,
  agendaMonthOfDoc,
  appointmentEnd,
  findOverlaps,
  getAppointment,
  initAgendaDoc,
  listAppointments,
  monthOf,
  moveAppointment,
  overlappingIds,
  setAppointmentStatus,
  softDeleteAppointment,
  updateAppointment,
} from './agenda'
import { AGENDA_MAPS } from './collections'
import { agendaDocId } from './doc-ids'
import type { Appointment } from './record-schemas'
import { ValidationError } from './validation'
import { T0, alice, bob, exchange, fork, steppingClock } from './test-support'

const clock = fixedClock(T0)
const base = { durationMin: 30, practitionerId: 'prac1', patientId: 'pat1' }

function agenda(month: string): Y.Doc {
  return new Y.Doc({ guid: agendaDocId(month) })
}

describe('month routing', () => {
  it('routes an appointment to the month of its local start date', () => {
    expect(agendaDocId(monthOf('2026-11-30T23:45'))).toBe('agenda/2026-11')
    expect(agendaDocId(monthOf('2026-12-01T00:15'))).toBe('agenda/2026-12')
  })

  it('knows a doc month from its guid or from initAgendaDoc', () => {
    expect(agendaMonthOfDoc(agenda('2026-11'))).toBe('2026-11')
    const anonymous = new Y.Doc()
    expect(() => agendaMonthOfDoc(anonymous)).toThrow(AgendaMonthUnknownError)
    initAgendaDoc(anonymous, '2026-12')
    expect(agendaMonthOfDoc(anonymous)).toBe('2026-12')
  })

  it('refuses an appointment of another month, naming the right doc', () => {
    const nov = agenda('2026-11')
    expect(() => addAppointment(nov, { ...base, start: '2026-12-01T09:00' }, alice, clock)).toThrow(AgendaMonthError)
    expect(() => addAppointment(nov, { ...base, start: '2026-12-01T09:00' }, alice, clock)).toThrow(/agendaDocId\('2026-12'\)/)
    const id = addAppointment(nov, { ...base, start: '2026-11-30T23:30' }, alice, clock)
    expect(() => updateAppointment(nov, id, { start: '2026-12-01T08:00' }, alice, clock)).toThrow(AgendaMonthError)
    expect(getAppointment(nov, id)?.start).toBe('2026-11-30T23:30')
  })

  it('moves an appointment to another month: same id, original kept as deleted', () => {
    const nov = agenda('2026-11')
    const dec = agenda('2026-12')
    const id = addAppointment(nov, { ...base, start: '2026-11-30T09:00' }, alice, fixedClock(T0))
    moveAppointment(nov, dec, id, { start: '2026-12-02T10:00' }, bob, fixedClock(T0 + 1000))
    expect(getAppointment(dec, id)).toMatchObject({ start: '2026-12-02T10:00', createdAt: T0, createdBy: alice, updatedBy: bob })
    expect(listAppointments(nov).items).toEqual([])
    expect(getAppointment(nov, id)).toMatchObject({ movedTo: '2026-12', deletedAt: T0 + 1000 })
  })
})

describe('appointments', () => {
  it('stores defaults: Paris time, at the practice, booked', () => {
    const doc = agenda('2026-11')
    const id = addAppointment(doc, { ...base, start: '2026-11-23T14:30' }, alice, clock)
    expect(getAppointment(doc, id)).toEqual({
      id,
      ...base,
      start: '2026-11-23T14:30',
      timeZone: 'Europe/Paris',
      place: 'practice',
      status: 'booked',
      createdAt: T0,
      createdBy: alice,
      updatedAt: T0,
      updatedBy: alice,
    })
    expect(appointmentEnd(getAppointment(doc, id)!)).toBe('2026-11-23T15:00')
  })

  it('keeps both appointments booked offline on two devices', () => {
    const a = agenda('2026-11')
    const b = fork(a)
    const ida = addAppointment(a, { ...base, start: '2026-11-23T09:00' }, alice, clock)
    const idb = addAppointment(b, { ...base, start: '2026-11-23T09:15' }, bob, clock)
    exchange(a, b)
    expect(listAppointments(a).items.map((x) => x.id)).toEqual([ida, idb])
    expect(listAppointments(b).items.map((x) => x.id)).toEqual([ida, idb])
    // Both kept, and the clash is detected rather than lost.
    expect(findOverlaps(listAppointments(b).items)).toEqual([[ida, idb]])
  })

  it('merges a reschedule on one device with a status change on another', () => {
    const a = agenda('2026-11')
    const id = addAppointment(a, { ...base, start: '2026-11-23T09:00' }, alice, clock)
    const b = fork(a)
    updateAppointment(a, id, { start: '2026-11-23T10:00', durationMin: 45 }, alice, clock)
    setAppointmentStatus(b, id, 'arrived', bob, clock)
    exchange(a, b)
    expect(getAppointment(b, id)).toMatchObject({ start: '2026-11-23T10:00', durationMin: 45, status: 'arrived' })
    expect(getAppointment(a, id)).toEqual(getAppointment(b, id))
  })

  it('records a cancel reason only while cancelled', () => {
    const doc = agenda('2026-11')
    const id = addAppointment(doc, { ...base, start: '2026-11-23T09:00' }, alice, clock)
    setAppointmentStatus(doc, id, 'cancelled', alice, clock, 'Patient malade')
    expect(getAppointment(doc, id)).toMatchObject({ status: 'cancelled', cancelReason: 'Patient malade' })
    setAppointmentStatus(doc, id, 'booked', alice, clock)
    expect(getAppointment(doc, id)?.cancelReason).toBeUndefined()
  })

  it('validates updates as a whole record', () => {
    const doc = agenda('2026-11')
    const id = addAppointment(doc, { ...base, start: '2026-11-23T09:00' }, alice, clock)
    // Removing the patient turns it into a block, which needs a title.
    expect(() => updateAppointment(doc, id, { patientId: null }, alice, clock)).toThrow(ValidationError)
    expect(updateAppointment(doc, id, { patientId: null, title: 'Réunion' }, alice, clock)).toBe(true)
  })

  it('lists by day, range and practitioner, sorted by start; hides soft-deleted ones', () => {
    const doc = agenda('2026-11')
    const c = steppingClock()
    const late = addAppointment(doc, { ...base, start: '2026-11-23T16:00' }, alice, c)
    const early = addAppointment(doc, { ...base, start: '2026-11-23T08:30' }, alice, c)
    const other = addAppointment(doc, { ...base, practitionerId: 'prac2', start: '2026-11-23T12:00' }, alice, c)
    const nextDay = addAppointment(doc, { ...base, start: '2026-11-24T08:00' }, alice, c)
    const gone = addAppointment(doc, { ...base, start: '2026-11-23T10:00' }, alice, c)
    softDeleteAppointment(doc, gone, bob, c)
    const ids = (items: Appointment[]) => items.map((x) => x.id)
    expect(ids(listAppointments(doc, { day: '2026-11-23' }).items)).toEqual([early, other, late])
    expect(ids(listAppointments(doc, { day: '2026-11-23', practitionerId: 'prac1' }).items)).toEqual([early, late])
    expect(ids(listAppointments(doc, { from: '2026-11-24', to: '2026-11-30' }).items)).toEqual([nextDay])
    expect(ids(listAppointments(doc, { day: '2026-11-23', includeDeleted: true }).items)).toEqual([early, gone, other, late])
    expect(getAppointment(doc, gone)).toMatchObject({ patientId: 'pat1', deletedBy: bob })
  })

  it('skips and reports appointments another device wrote badly', () => {
    const doc = agenda('2026-11')
    const good = addAppointment(doc, { ...base, start: '2026-11-23T09:00' }, alice, clock)
    const bad = new Y.Map<unknown>()
    doc.getMap(AGENDA_MAPS.appointments).set('bad', bad)
    bad.set('start', '23/11/2026 9h')
    const { items, issues } = listAppointments(doc)
    expect(items.map((x) => x.id)).toEqual([good])
    expect(issues).toEqual([expect.objectContaining({ collection: 'appointments', id: 'bad' })])
  })
})

describe('findOverlaps', () => {
  const appt = (id: string, start: string, durationMin: number, extra: Partial<Appointment> = {}): Appointment => ({
    id,
    start,
    durationMin,
    timeZone: 'Europe/Paris',
    practitionerId: 'prac1',
    place: 'practice',
    status: 'booked',
    createdAt: T0,
    createdBy: alice,
    updatedAt: T0,
    updatedBy: alice,
    ...extra,
  })

  it('pairs intersecting appointments of one practitioner only', () => {
    const list = [
      appt('a', '2026-11-23T09:00', 30),
      appt('b', '2026-11-23T09:15', 30),
      appt('c', '2026-11-23T09:30', 30), // touches a's end: no overlap with a
      appt('d', '2026-11-23T09:00', 120, { practitionerId: 'prac2' }),
      appt('e', '2026-11-23T08:00', 240),
    ]
    expect(findOverlaps(list)).toEqual([
      ['e', 'a'],
      ['e', 'b'],
      ['e', 'c'],
      ['a', 'b'],
      ['b', 'c'],
    ])
    expect(overlappingIds(findOverlaps(list))).toEqual(new Set(['a', 'b', 'c', 'e']))
  })

  it('ignores cancelled and deleted appointments, not no-shows', () => {
    const list = [
      appt('a', '2026-11-23T09:00', 30),
      appt('b', '2026-11-23T09:00', 30, { status: 'cancelled' }),
      appt('c', '2026-11-23T09:00', 30, { deletedAt: T0, deletedBy: bob }),
      appt('d', '2026-11-23T09:10', 30, { status: 'noshow' }),
    ]
    expect(findOverlaps(list)).toEqual([['a', 'd']])
  })

  it('still places appointments whose zone this runtime does not know', () => {
    const list = [appt('a', '2026-11-23T09:00', 30, { timeZone: 'Mars/Olympus_Mons' }), appt('b', '2026-11-23T09:15', 30, { timeZone: 'Mars/Olympus_Mons' })]
    expect(findOverlaps(list)).toEqual([['a', 'b']])
    expect(appointmentEnd(list[0]!)).toBe('2026-11-23T09:30')
  })

  it('measures real time across the autumn DST change', () => {
    // 01:30 + 150 min of real time ends at 03:00 winter time that night (the clock goes back an
    // hour), so 03:00 does not clash…
    const list = [appt('a', '2026-10-25T01:30', 150), appt('b', '2026-10-25T03:00', 30)]
    expect(appointmentEnd(list[0]!)).toBe('2026-10-25T03:00')
    expect(findOverlaps(list)).toEqual([])
    // …while on an ordinary night it ends at 04:00 and does.
    expect(findOverlaps([appt('a', '2026-10-18T01:30', 150), appt('b', '2026-10-18T03:00', 30)])).toEqual([['a', 'b']])
  })
})
