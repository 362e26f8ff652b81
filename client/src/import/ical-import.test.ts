import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { agendaDocId, listAppointments } from '../../../shared/src/model'
import { IcsImportError, type IcsRead } from './ical-read'
import { patientsNamed, planIcsImport, writeIcsImport } from './ical-import'

const PATIENTS = [
  { id: 'p-dupont', birthName: 'Dupont', firstNames: 'Jean Marie' },
  { id: 'p-lefevre', birthName: 'Martin', usualName: 'Lefèvre', firstNames: 'Élodie' },
  { id: 'p-roux-1', birthName: 'Roux', firstNames: 'Paul' },
  { id: 'p-roux-2', birthName: 'Roux', firstNames: 'Paul' },
]
const MAPPING = { practitionerId: 'prat-1', kindId: 'kind-seance', timeZone: 'Europe/Paris', patients: PATIENTS }

function read(...summaries: Array<[start: string, summary: string]>): IcsRead {
  return { occurrences: summaries.map(([start, summary], i) => ({ start, durationMin: 30, summary, line: 10 + i })), skipped: [] }
}

describe('patientsNamed', () => {
  it('finds a patient by family (birth or usual) name and first first name, in either order, accents and case aside', () => {
    expect(patientsNamed('Séance - DUPONT Jean', PATIENTS).map((p) => p.id)).toEqual(['p-dupont'])
    expect(patientsNamed('Jean Dupont (bilan)', PATIENTS).map((p) => p.id)).toEqual(['p-dupont'])
    expect(patientsNamed('elodie lefevre', PATIENTS).map((p) => p.id)).toEqual(['p-lefevre'])
    expect(patientsNamed('Dupontel Jean', PATIENTS)).toEqual([])
    expect(patientsNamed('Réunion Dupont', PATIENTS)).toEqual([])
  })
})

describe('planIcsImport and writeIcsImport', () => {
  it('gives matched events their patient and the chosen kind, keeps the rest as titled blocks, two namesakes as a block', () => {
    const plan = planIcsImport(read(['2026-12-31T23:30', 'Séance Dupont Jean'], ['2027-01-01T10:00', "Réunion d'équipe"], ['2027-01-04T09:00', 'Roux Paul']), MAPPING)
    expect(plan.map((p) => [p.fields.start, p.fields.patientId, p.fields.kindId, p.fields.title, p.patientName])).toEqual([
      ['2026-12-31T23:30', 'p-dupont', 'kind-seance', undefined, 'Dupont Jean Marie'],
      ['2027-01-01T10:00', undefined, undefined, "Réunion d'équipe", undefined],
      ['2027-01-04T09:00', undefined, undefined, 'Roux Paul', undefined],
    ])
    expect(plan.every((p) => p.fields.practitionerId === 'prat-1' && p.fields.timeZone === 'Europe/Paris')).toBe(true)
  })

  it('names the line of an event the model refuses, before anything is written', () => {
    const bad: IcsRead = { occurrences: [{ start: '2026-02-30T09:00', durationMin: 30, summary: 'x', line: 42 }], skipped: [] }
    expect(() => planIcsImport(bad, MAPPING)).toThrow(IcsImportError)
    expect(() => planIcsImport(bad, MAPPING)).toThrow(/^ligne 42, champ « start » : /)
  })

  it('writes each appointment into the agenda doc of its month (31 December and 1 January apart)', async () => {
    const docs = new Map<string, Y.Doc>()
    const open = async (id: string) => {
      if (!docs.has(id)) docs.set(id, new Y.Doc({ guid: id }))
      return docs.get(id)!
    }
    const plan = planIcsImport(read(['2026-12-31T23:30', 'Séance Dupont Jean'], ['2027-01-01T00:15', 'Garde']), MAPPING)
    const ids = await writeIcsImport(plan, open, { memberId: 'm', deviceId: 'd' }, () => Date.UTC(2026, 11, 1))
    expect([...docs.keys()].sort()).toEqual([agendaDocId('2026-12'), agendaDocId('2027-01')])
    expect(listAppointments(docs.get(agendaDocId('2026-12'))!).items.map((a) => [a.id, a.start, a.patientId])).toEqual([[ids[0], '2026-12-31T23:30', 'p-dupont']])
    expect(listAppointments(docs.get(agendaDocId('2027-01'))!).items.map((a) => [a.id, a.start, a.title])).toEqual([[ids[1], '2027-01-01T00:15', 'Garde']])
  })
})
