import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { getAppointment, listAppointments } from './agenda'
import { agendaDocId } from './doc-ids'
import type { Appointment } from './record-schemas'
import {
  OccurrenceNotFoundError,
  SeriesNotFoundError,
  cancelSeriesOccurrences,
  createSeries,
  editSeriesOccurrences,
  getSeries,
  listSeries,
  listSeriesOccurrences,
  seriesPosition,
} from './series'
import type { OpenMonth, SeriesRule } from './series'
import { T0, alice, bob, exchange, fork, steppingClock } from './test-support'
import { ValidationError } from './validation'

const input = { durationMin: 30, practitionerId: 'prac1', patientId: 'pat1', place: 'home' as const }
const monAndThu10: SeriesRule = { freq: 'WEEKLY', byDay: ['MO', 'TH'], interval: 1, count: 10 }

/** One replica: a directory and the month docs it has opened, as the sync layer would hold them. */
function replica(): { directory: Y.Doc; months: Map<string, Y.Doc>; openMonth: OpenMonth } {
  const months = new Map<string, Y.Doc>()
  const openMonth: OpenMonth = (month) => {
    let doc = months.get(month)
    if (!doc) {
      doc = new Y.Doc({ guid: agendaDocId(month) })
      months.set(month, doc)
    }
    return Promise.resolve(doc)
  }
  return { directory: new Y.Doc(), months, openMonth }
}

/** Every live appointment of every open month, by start. */
function everything(months: Map<string, Y.Doc>): Appointment[] {
  return [...months.values()].flatMap((doc) => listAppointments(doc).items).sort((a, b) => a.start.localeCompare(b.start))
}

function byOccurrence(months: Map<string, Y.Doc>): Map<number, Appointment> {
  return new Map(everything(months).map((a) => [a.occurrence!, a]))
}

describe('createSeries', () => {
  it('writes one appointment per occurrence, numbered, and a series record', async () => {
    const { directory, months, openMonth } = replica()
    const clock = steppingClock()
    const { seriesId, appointmentIds } = await createSeries(directory, openMonth, { ...input, start: '2026-11-02T09:00' }, monAndThu10, alice, clock)
    expect(appointmentIds).toHaveLength(10)
    const series = getSeries(directory, seriesId)
    expect(series).toMatchObject({
      rule: 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;COUNT=10',
      firstStart: '2026-11-02T09:00',
      timeZone: 'Europe/Paris',
      practitionerId: 'prac1',
      patientId: 'pat1',
      place: 'home',
      total: 10,
      months: { '2026-11': true, '2026-12': true },
      createdBy: alice,
    })
    const all = everything(months)
    expect(all.map((a) => a.occurrence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(all.every((a) => a.seriesId === seriesId && a.status === 'booked' && a.place === 'home')).toBe(true)
    expect(all.map((a) => a.id)).toEqual(appointmentIds)
    expect(seriesPosition(all[3]!, series!)).toEqual({ index: 4, total: 10 })
    expect(listSeries(directory, { patientId: 'pat1' }).items.map((s) => s.id)).toEqual([seriesId])
    expect(listSeries(directory, { patientId: 'other' }).items).toEqual([])
  })

  it('routes each occurrence to the agenda doc of its month: 8 weeks across a month end', async () => {
    const { directory, months, openMonth } = replica()
    const rule: SeriesRule = { freq: 'WEEKLY', byDay: ['WE'], interval: 1, count: 8 }
    await createSeries(directory, openMonth, { ...input, start: '2026-11-18T11:00' }, rule, alice, steppingClock())
    expect([...months.keys()].sort()).toEqual(['2026-11', '2027-01', '2026-12'].sort())
    expect(listAppointments(months.get('2026-11')!).items.map((a) => a.start)).toEqual(['2026-11-18T11:00', '2026-11-25T11:00'])
    expect(listAppointments(months.get('2026-12')!).items.map((a) => a.start)).toEqual([
      '2026-12-02T11:00',
      '2026-12-09T11:00',
      '2026-12-16T11:00',
      '2026-12-23T11:00',
      '2026-12-30T11:00',
    ])
    expect(listAppointments(months.get('2027-01')!).items.map((a) => [a.start, a.occurrence])).toEqual([['2027-01-06T11:00', 8]])
  })

  it('refuses bad input before writing anything', async () => {
    const { directory, months, openMonth } = replica()
    await expect(
      createSeries(directory, openMonth, { ...input, start: '2026-11-02T09:00' }, { ...monAndThu10, byDay: [] }, alice, steppingClock()),
    ).rejects.toThrow(ValidationError)
    await expect(
      createSeries(directory, openMonth, { ...input, durationMin: 0, start: '2026-11-02T09:00' }, monAndThu10, alice, steppingClock()),
    ).rejects.toThrow(/durationMin/)
    expect(listSeries(directory).items).toEqual([])
    expect(everything(months)).toEqual([])
  })
})

async function tenSessions() {
  const r = replica()
  const created = await createSeries(r.directory, r.openMonth, { ...input, start: '2026-11-02T09:00' }, monAndThu10, alice, steppingClock())
  const nth = (n: number) => byOccurrence(r.months).get(n)!
  return { ...r, ...created, nth }
}

describe('editing occurrences', () => {
  it("'this' changes one occurrence, which stays in the series", async () => {
    const { directory, months, openMonth, nth } = await tenSessions()
    const changed = await editSeriesOccurrences(directory, openMonth, nth(4), 'this', { start: '2026-11-12T10:30', note: 'Ascenseur en panne' }, bob, steppingClock(T0 + 60_000))
    expect(changed).toEqual([nth(4).id])
    expect(nth(4)).toMatchObject({ start: '2026-11-12T10:30', note: 'Ascenseur en panne', occurrence: 4, updatedBy: bob })
    expect(nth(3).start).toBe('2026-11-09T09:00')
    expect(nth(5)).toMatchObject({ start: '2026-11-16T09:00' })
    expect(nth(5).note).toBeUndefined()
    expect(everything(months)).toHaveLength(10)
  })

  it("'following' shifts this and every later pending occurrence by the same wall-clock amount", async () => {
    const { directory, months, openMonth, nth } = await tenSessions()
    await cancelSeriesOccurrences(directory, openMonth, nth(7), 'this', 'Patient absent', alice, steppingClock())
    const changed = await editSeriesOccurrences(directory, openMonth, nth(5), 'following', { start: '2026-11-16T10:30', durationMin: 45 }, bob, steppingClock())
    expect(changed).toHaveLength(5)
    const starts = [...byOccurrence(months).values()].map((a) => [a.occurrence, a.start, a.durationMin, a.status])
    expect(starts).toEqual([
      [1, '2026-11-02T09:00', 30, 'booked'],
      [2, '2026-11-05T09:00', 30, 'booked'],
      [3, '2026-11-09T09:00', 30, 'booked'],
      [4, '2026-11-12T09:00', 30, 'booked'],
      [5, '2026-11-16T10:30', 45, 'booked'],
      [6, '2026-11-19T10:30', 45, 'booked'],
      // A cancelled occurrence is history: it keeps its time.
      [7, '2026-11-23T09:00', 30, 'cancelled'],
      [8, '2026-11-26T10:30', 45, 'booked'],
      [9, '2026-11-30T10:30', 45, 'booked'],
      [10, '2026-12-03T10:30', 45, 'booked'],
    ])
  })

  it("'following' moves occurrences whose new date is in another month to that month's doc", async () => {
    const { directory, seriesId, months, openMonth, nth } = await tenSessions()
    // Monday/Thursday become Tuesday/Friday from the 8th (Thursday 26 November) on.
    await editSeriesOccurrences(directory, openMonth, nth(8), 'following', { start: '2026-11-27T09:00' }, bob, steppingClock())
    const nov = months.get('2026-11')!
    const dec = months.get('2026-12')!
    expect(listAppointments(nov).items.map((a) => [a.occurrence, a.start])).toEqual([
      [1, '2026-11-02T09:00'],
      [2, '2026-11-05T09:00'],
      [3, '2026-11-09T09:00'],
      [4, '2026-11-12T09:00'],
      [5, '2026-11-16T09:00'],
      [6, '2026-11-19T09:00'],
      [7, '2026-11-23T09:00'],
      [8, '2026-11-27T09:00'],
    ])
    expect(listAppointments(dec).items.map((a) => [a.occurrence, a.start])).toEqual([
      [9, '2026-12-01T09:00'],
      [10, '2026-12-04T09:00'],
    ])
    // The 9th left November through moveAppointment: same id, original kept as deleted.
    const ninth = listAppointments(dec).items[0]!
    expect(getAppointment(nov, ninth.id)).toMatchObject({ movedTo: '2026-12', start: '2026-11-30T09:00' })
    const occurrences = await listSeriesOccurrences(directory, openMonth, seriesId)
    expect(occurrences.map((o) => o.appointment.occurrence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('records a month an occurrence moves into, so the series finds it again', async () => {
    const { directory, seriesId, openMonth, nth } = await tenSessions()
    await editSeriesOccurrences(directory, openMonth, nth(10), 'this', { start: '2027-01-07T09:00' }, bob, steppingClock())
    expect(getSeries(directory, seriesId)?.months).toEqual({ '2026-11': true, '2026-12': true, '2027-01': true })
    const located = await listSeriesOccurrences(directory, openMonth, seriesId)
    expect(located.at(-1)?.appointment).toMatchObject({ occurrence: 10, start: '2027-01-07T09:00' })
    expect(located.at(-1)?.doc.guid).toBe('agenda/2027-01')
  })

  it('a bad patch changes nothing, not even the first occurrences', async () => {
    const { directory, months, openMonth, nth } = await tenSessions()
    const before = everything(months)
    await expect(editSeriesOccurrences(directory, openMonth, nth(2), 'following', { durationMin: 2 }, bob, steppingClock())).rejects.toThrow(ValidationError)
    await expect(editSeriesOccurrences(directory, openMonth, nth(2), 'following', { start: '2026-11-05T25:00' }, bob, steppingClock())).rejects.toThrow()
    expect(everything(months)).toEqual(before)
  })

  it('names what is missing: not a series, a series not synced, an occurrence not found', async () => {
    const { directory, seriesId, openMonth, nth } = await tenSessions()
    await expect(editSeriesOccurrences(directory, openMonth, { id: nth(1).id }, 'this', { note: 'x' }, bob, steppingClock())).rejects.toThrow(SeriesNotFoundError)
    await expect(editSeriesOccurrences(new Y.Doc(), openMonth, nth(1), 'this', { note: 'x' }, bob, steppingClock())).rejects.toThrow(SeriesNotFoundError)
    await expect(cancelSeriesOccurrences(directory, openMonth, { id: 'nope', seriesId }, 'this', undefined, bob, steppingClock())).rejects.toThrow(OccurrenceNotFoundError)
  })
})

describe('cancelling occurrences', () => {
  it("'this' cancels one occurrence with its reason; the rest stays booked", async () => {
    const { directory, months, openMonth, nth } = await tenSessions()
    expect(await cancelSeriesOccurrences(directory, openMonth, nth(3), 'this', 'Grève des transports', bob, steppingClock())).toEqual([nth(3).id])
    const statuses = [...byOccurrence(months).values()].map((a) => a.status)
    expect(statuses).toEqual(['booked', 'booked', 'cancelled', ...Array<string>(7).fill('booked')])
    expect(nth(3).cancelReason).toBe('Grève des transports')
  })

  it("'following' cancels this and the later pending ones, leaving done ones alone", async () => {
    const { directory, months, openMonth, nth } = await tenSessions()
    await editSeriesOccurrences(directory, openMonth, nth(9), 'this', { status: 'fulfilled' }, alice, steppingClock())
    const cancelled = await cancelSeriesOccurrences(directory, openMonth, nth(6), 'following', 'Fin de prise en charge', bob, steppingClock())
    expect(cancelled).toHaveLength(4)
    const statuses = [...byOccurrence(months).values()].map((a) => a.status)
    expect(statuses).toEqual(['booked', 'booked', 'booked', 'booked', 'booked', 'cancelled', 'cancelled', 'cancelled', 'fulfilled', 'cancelled'])
    // Cancelled occurrences keep their number: "séance 6 / 10".
    expect(seriesPosition(nth(6), { total: 10 })).toEqual({ index: 6, total: 10 })
  })
})

describe('two replicas editing one series offline', () => {
  it('merge with nothing lost: one cancels the 3rd, the other shifts from the 5th across a month end', async () => {
    const a = await tenSessions()
    // Replica b starts from everything a has, then both go offline.
    const b = replica()
    Y.applyUpdate(b.directory, Y.encodeStateAsUpdate(a.directory))
    for (const [month, doc] of a.months) b.months.set(month, fork(doc))
    const third = a.nth(3)
    const fifth = a.nth(5)

    await cancelSeriesOccurrences(a.directory, a.openMonth, third, 'this', 'Patient hospitalisé', alice, steppingClock(T0 + 10_000))
    // Shifting by four days sends the 9th and 10th (30 Nov, 3 Dec) to 4 and 7 December.
    await editSeriesOccurrences(b.directory, b.openMonth, fifth, 'following', { start: '2026-11-20T09:00' }, bob, steppingClock(T0 + 20_000))

    exchange(a.directory, b.directory)
    for (const month of new Set([...a.months.keys(), ...b.months.keys()])) {
      const docA = await a.openMonth(month)
      const docB = await b.openMonth(month)
      exchange(docA, docB)
    }

    for (const side of [a, b]) {
      const merged = [...byOccurrence(side.months).values()].map((x) => [x.occurrence, x.start, x.status])
      expect(merged).toEqual([
        [1, '2026-11-02T09:00', 'booked'],
        [2, '2026-11-05T09:00', 'booked'],
        [3, '2026-11-09T09:00', 'cancelled'],
        [4, '2026-11-12T09:00', 'booked'],
        [5, '2026-11-20T09:00', 'booked'],
        [6, '2026-11-23T09:00', 'booked'],
        [7, '2026-11-27T09:00', 'booked'],
        [8, '2026-11-30T09:00', 'booked'],
        [9, '2026-12-04T09:00', 'booked'],
        [10, '2026-12-07T09:00', 'booked'],
      ])
      expect(byOccurrence(side.months).get(3)?.cancelReason).toBe('Patient hospitalisé')
    }
    const located = await listSeriesOccurrences(a.directory, a.openMonth, a.seriesId)
    expect(located.map((o) => o.appointment.occurrence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    for (const month of a.months.keys()) {
      expect(Y.encodeStateVector(a.months.get(month)!)).toEqual(Y.encodeStateVector(b.months.get(month)!))
    }
  })
})
