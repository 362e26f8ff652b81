/**
 * Series gathered month by month (series-gathering.ts): written once the month of their last slot
 * is read, not at the end of the agenda; a late occurrence given back as an event of its own; a
 * rule this version cannot read kept until the end. Real model: createSeries on real Y.Docs.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { agendaDocId, createSeries, DIRECTORY_DOC_ID, initPractice, listAppointments, listPractitioners, listSeries, type Appointment, type Series } from '../../../shared/src/model'
import { alice, steppingClock } from '../../../shared/src/model/test-support'
import { SeriesGathering } from './series-gathering'

async function practiceWithSeries() {
  const clock = steppingClock(Date.UTC(2027, 0, 4))
  const directory = new Y.Doc({ guid: DIRECTORY_DOC_ID })
  initPractice(directory, { name: 'Cabinet des Lilas', firstPractitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } }, alice, clock)
  const months = new Map<string, Y.Doc>()
  const openMonth = async (month: string) => {
    if (!months.has(month)) months.set(month, new Y.Doc({ guid: agendaDocId(month) }))
    return months.get(month)!
  }
  const practitionerId = listPractitioners(directory).items[0]!.id
  // Mondays and Thursdays from 22 March 2027, six sessions: the last on Thursday 8 April.
  await createSeries(directory, openMonth, { start: '2027-03-22T18:30', durationMin: 30, practitionerId, title: 'Rééducation', place: 'practice' }, { freq: 'WEEKLY', byDay: ['MO', 'TH'], interval: 1, count: 6 }, alice, clock)
  const series = listSeries(directory).items[0]!
  const occurrences = (month: string) => listAppointments(months.get(month)!).items
  return { series, occurrences }
}

function gathering(series: readonly Series[]) {
  const written: Array<{ id: string; starts: string[] }> = []
  const gather = new SeriesGathering(new Map(series.map((s) => [s.id, s])), (s, occurrences: Appointment[]) => written.push({ id: s.id, starts: occurrences.map((a) => a.start) }))
  return { gather, written }
}

describe('SeriesGathering', () => {
  it('writes a series once the month of its last slot is read, with every occurrence, and gives back a later one', async () => {
    const { series, occurrences } = await practiceWithSeries()
    const { gather, written } = gathering([series])
    for (const a of occurrences('2027-03')) expect(gather.add(a)).toBe(true)
    gather.monthRead('2027-03')
    expect(written).toEqual([])
    for (const a of occurrences('2027-04')) expect(gather.add(a)).toBe(true)
    gather.monthRead('2027-04')
    expect(written).toEqual([{ id: series.id, starts: ['2027-03-22T18:30', '2027-03-25T18:30', '2027-03-29T18:30', '2027-04-01T18:30', '2027-04-05T18:30', '2027-04-08T18:30'] }])
    // An occurrence moved past the last slot, read in May: an event of its own.
    const moved = { ...occurrences('2027-04')[0]!, start: '2027-05-03T09:00' }
    expect(gather.add(moved)).toBe(false)
    gather.finish()
    expect(written).toHaveLength(1)
  })

  it('keeps a series whose rule it cannot read until the end, and gives back appointments of no known series', async () => {
    const { series, occurrences } = await practiceWithSeries()
    const unreadable = { ...series, rule: 'FREQ=SECONDLY' }
    const { gather, written } = gathering([unreadable])
    for (const a of occurrences('2027-03')) gather.add(a)
    gather.monthRead('2027-12')
    expect(written).toEqual([])
    gather.finish()
    expect(written.map((w) => w.starts.length)).toEqual([3])
    expect(gather.add({ ...occurrences('2027-04')[0]!, seriesId: 'inconnue' })).toBe(false)
  })
})
