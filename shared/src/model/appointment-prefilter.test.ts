import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { fixedClock } from './actor'
import { addAppointment, listAppointments, softDeleteAppointment } from './agenda'
import { appointmentPrefilter } from './appointment-prefilter'
import type { AppointmentFilter } from './appointment-prefilter'
import { AGENDA_MAPS } from './collections'
import { agendaDocId } from './doc-ids'
import { readAll } from './records'
import { appointmentRecord } from './record-schemas'
import { T0, alice } from './test-support'

const clock = fixedClock(T0)
const base = { durationMin: 30, practitionerId: 'prac1', patientId: 'pat1' }

function agenda(): Y.Doc {
  return new Y.Doc({ guid: agendaDocId('2026-11') })
}

/** A record as another (buggy or older) device could have written it: raw keys, no validation. */
function writeRaw(doc: Y.Doc, id: string, fields: Record<string, unknown>): void {
  const record = new Y.Map<unknown>()
  doc.getMap(AGENDA_MAPS.appointments).set(id, record)
  for (const [key, value] of Object.entries(fields)) record.set(key, value)
}

function raw(fields: Record<string, unknown>): Y.Map<unknown> {
  const doc = new Y.Doc()
  const record = new Y.Map<unknown>()
  doc.getMap('m').set('r', record)
  for (const [key, value] of Object.entries(fields)) record.set(key, value)
  return record
}

describe('appointmentPrefilter', () => {
  it('drops on well-formed raw fields that rule the record out', () => {
    const week = appointmentPrefilter({ from: '2026-11-23', to: '2026-11-29' })
    expect(week(raw({ start: '2026-11-23T00:00' }), 'a')).toBe(true)
    expect(week(raw({ start: '2026-11-29T23:59' }), 'a')).toBe(true)
    expect(week(raw({ start: '2026-11-22T23:59' }), 'a')).toBe(false)
    expect(week(raw({ start: '2026-11-30T00:00' }), 'a')).toBe(false)
    expect(week(raw({ start: '2026-11-24T09:00', deletedAt: 1 }), 'a')).toBe(false)
    expect(appointmentPrefilter({ includeDeleted: true })(raw({ start: '2026-11-24T09:00', deletedAt: 1 }), 'a')).toBe(true)
    expect(appointmentPrefilter({ day: '2026-11-24' })(raw({ start: '2026-11-25T09:00' }), 'a')).toBe(false)
    expect(appointmentPrefilter({ practitionerId: 'p1' })(raw({ practitionerId: 'p2' }), 'a')).toBe(false)
    expect(appointmentPrefilter({ practitionerId: 'p1' })(raw({ practitionerId: 'p1' }), 'a')).toBe(true)
    expect(appointmentPrefilter({ patientId: 'x' })(raw({ patientId: 'y' }), 'a')).toBe(false)
    expect(appointmentPrefilter({ patientId: 'x' })(raw({}), 'a')).toBe(false)
    expect(appointmentPrefilter({ patientId: 'x' })(raw({ patientId: 'x' }), 'a')).toBe(true)
  })

  it('keeps a record whose fields are of an unexpected type, so that validation reports it', () => {
    const filter = appointmentPrefilter({ day: '2026-11-24', practitionerId: 'p1', patientId: 'x' })
    expect(filter(raw({ start: 20261124, practitionerId: 'p1', patientId: 'x' }), 'a')).toBe(true)
    expect(filter(raw({ start: '24/11/2026 9h', practitionerId: 'p1', patientId: 'x' }), 'a')).toBe(true)
    expect(filter(raw({ start: null, practitionerId: 7, patientId: ['x'] }), 'a')).toBe(true)
    expect(filter(raw({ start: '2026-11-24T09:00', practitionerId: 'p1', patientId: 'x', deletedAt: 'yesterday' }), 'a')).toBe(true)
    expect(filter(raw({}), 'a')).toBe(false) // no patient: cannot be this patient's
    expect(appointmentPrefilter({ day: '2026-11-24' })(raw({}), 'a')).toBe(true)
  })
})

describe('listAppointments with the pre-filter', () => {
  it('returns what validating every record returned, for every kind of filter', () => {
    const doc = agenda()
    for (const [start, practitionerId, patientId] of [
      ['2026-11-02T08:00', 'prac1', 'pat1'],
      ['2026-11-23T09:00', 'prac1', 'pat2'],
      ['2026-11-23T10:00', 'prac2', undefined],
      ['2026-11-26T11:00', 'prac2', 'pat1'],
      ['2026-11-30T18:00', 'prac1', 'pat1'],
    ] as const) {
      addAppointment(doc, { ...base, start, practitionerId, patientId, title: patientId ? undefined : 'Réunion' }, alice, clock)
    }
    const gone = addAppointment(doc, { ...base, start: '2026-11-24T09:00' }, alice, clock)
    softDeleteAppointment(doc, gone, alice, clock)
    const filters: AppointmentFilter[] = [
      {},
      { day: '2026-11-23' },
      { from: '2026-11-23', to: '2026-11-29' },
      { from: '2026-11-23', to: '2026-11-29', includeDeleted: true },
      { practitionerId: 'prac2' },
      { patientId: 'pat1' },
      { day: '2026-11-23', practitionerId: 'prac1' },
    ]
    for (const filter of filters) {
      const listed = listAppointments(doc, filter)
      // The reference: every record validated, then filtered on the validated fields.
      const everyRecord = readAll(doc, AGENDA_MAPS.appointments, appointmentRecord, (a) => {
        const day = a.start.slice(0, 10)
        return (
          (filter.includeDeleted === true || a.deletedAt === undefined) &&
          (filter.day === undefined || day === filter.day) &&
          (filter.from === undefined || day >= filter.from) &&
          (filter.to === undefined || day <= filter.to) &&
          (filter.practitionerId === undefined || a.practitionerId === filter.practitionerId) &&
          (filter.patientId === undefined || a.patientId === filter.patientId)
        )
      })
      expect(listed.items.map((a) => a.id).sort()).toEqual(everyRecord.items.map((a) => a.id).sort())
      expect(listed.issues).toEqual([])
    }
    expect(listAppointments(doc, { from: '2026-11-23', to: '2026-11-29' }).items.map((a) => a.start)).toEqual([
      '2026-11-23T09:00',
      '2026-11-23T10:00',
      '2026-11-26T11:00',
    ])
  })

  it('reports malformed records that could have matched, never returns or throws on them', () => {
    const doc = agenda()
    const good = addAppointment(doc, { ...base, start: '2026-11-24T09:00' }, alice, clock)
    writeRaw(doc, 'start-number', { ...base, start: 20261124, timeZone: 'Europe/Paris', status: 'booked' })
    writeRaw(doc, 'start-french', { ...base, start: '24/11/2026 9h', timeZone: 'Europe/Paris', status: 'booked' })
    writeRaw(doc, 'start-bad-hour', { ...base, start: '2026-11-24T25:00', timeZone: 'Europe/Paris', status: 'booked' })
    writeRaw(doc, 'no-duration', { practitionerId: 'prac1', start: '2026-11-24T10:00', timeZone: 'Europe/Paris', status: 'booked' })
    writeRaw(doc, 'other-week-bad', { practitionerId: 'prac1', start: '2026-11-02T10:00' })
    doc.getMap(AGENDA_MAPS.appointments).set('not-a-map', 'garbage')
    const { items, issues } = listAppointments(doc, { from: '2026-11-23', to: '2026-11-29' })
    expect(items.map((a) => a.id)).toEqual([good])
    expect(issues.map((i) => i.id).sort()).toEqual(['no-duration', 'not-a-map', 'start-bad-hour', 'start-french', 'start-number'])
    expect(issues.every((i) => i.collection === 'appointments' && i.issues.length > 0)).toBe(true)
  })

  it('leaves a record whose start is a Y.Text to validation (Y.Text reads as its string)', () => {
    const doc = agenda()
    const start = new Y.Text()
    writeRaw(doc, 'text-start', { ...base, start, timeZone: 'Europe/Paris', status: 'booked', createdAt: 1, createdBy: alice, updatedAt: 1, updatedBy: alice })
    start.insert(0, '2026-11-24T09:00')
    expect(listAppointments(doc, { day: '2026-11-24' }).items.map((a) => a.id)).toEqual(['text-start'])
  })
})

describe('readAll with a pre-filter', () => {
  it('neither validates nor reports what the pre-filter drops, and reports non-maps anyway', () => {
    const doc = agenda()
    writeRaw(doc, 'dropped-bad', { start: 1 })
    writeRaw(doc, 'kept-bad', { start: 2 })
    doc.getMap(AGENDA_MAPS.appointments).set('not-a-map', 3)
    const seen: string[] = []
    const result = readAll(doc, AGENDA_MAPS.appointments, appointmentRecord, () => true, (_record, id) => {
      seen.push(id)
      return id !== 'dropped-bad'
    })
    expect(seen.sort()).toEqual(['dropped-bad', 'kept-bad'])
    expect(result.items).toEqual([])
    expect(result.issues.map((i) => i.id).sort()).toEqual(['kept-bad', 'not-a-map'])
  })
})
