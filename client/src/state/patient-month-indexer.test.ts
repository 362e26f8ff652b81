import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { addAppointment, addPatient, fixedClock, initAgendaDoc, patientMonths } from '../../../shared/src/model'
import { DocCache } from './doc-cache'
import { PatientMonthIndexer } from './patient-month-indexer'

const actor = { memberId: 'm', deviceId: 'd' }
const clock = fixedClock(Date.UTC(2026, 10, 2, 8))

/** A doc cache over docs made on demand; `released` lists the docs whose lease ended. */
function docsOf(lingerMs?: number): { cache: DocCache; docs: Map<string, Y.Doc>; released: string[] } {
  const docs = new Map<string, Y.Doc>()
  const released: string[] = []
  const cache = new DocCache(async (docId) => {
    let doc = docs.get(docId)
    if (!doc) {
      doc = new Y.Doc({ guid: docId })
      if (docId.startsWith('agenda/')) initAgendaDoc(doc, docId.slice('agenda/'.length))
      docs.set(docId, doc)
    }
    return { doc, release: () => released.push(docId) }
  }, lingerMs)
  return { cache, docs, released }
}

describe('PatientMonthIndexer', () => {
  it('notes the appointments written to every agenda month a view opens, opened before or after the directory', async () => {
    const { cache } = docsOf()
    const indexer = new PatientMonthIndexer(cache)
    const early = await cache.open('agenda/2026-11')
    const directory = await cache.open('directory')
    const patientId = addPatient(directory, { birthName: 'Martin', firstNames: 'Léa' }, actor, clock)
    const late = await cache.open('agenda/2027-01')
    await cache.open('patient/abcdefghijklmnopqrstuv').catch(() => undefined)
    addAppointment(early, { start: '2026-11-23T09:00', durationMin: 30, practitionerId: 'p', patientId }, actor, clock)
    addAppointment(late, { start: '2027-01-04T09:00', durationMin: 30, practitionerId: 'p', patientId }, actor, clock)
    expect(patientMonths(directory, patientId)?.months).toEqual(['2026-11', '2027-01'])

    indexer.dispose()
    const after = await cache.open('agenda/2027-02')
    addAppointment(after, { start: '2027-02-01T09:00', durationMin: 30, practitionerId: 'p', patientId }, actor, clock)
    expect(patientMonths(directory, patientId)?.months, 'stopped with the practice').toEqual(['2026-11', '2027-01'])
  })

  it('holds the directory while it runs, and stops watching a month once the cache lets it go', async () => {
    const { cache, released } = docsOf(5)
    const indexer = new PatientMonthIndexer(cache)
    const directory = await cache.open('directory')
    const patientId = addPatient(directory, { birthName: 'Martin', firstNames: 'Léa' }, actor, clock)
    const month = await cache.open('agenda/2026-11')
    await vi.waitFor(() => expect(released).toContain('agenda/2026-11'))
    expect(released, 'the indexer keeps the directory').not.toContain('directory')
    addAppointment(month, { start: '2026-11-23T09:00', durationMin: 30, practitionerId: 'p', patientId }, actor, clock)
    expect(patientMonths(directory, patientId)?.months, 'no longer watched').toEqual([])
    indexer.dispose()
    await vi.waitFor(() => expect(released).toContain('directory'))
  })
})
