import { describe, expect, it } from 'vitest'
import { addPatient, agendaDocId, getAppointment, listAppointments, listPatients, updateAppointment } from '../../../shared/src/model'
import { alice, bob, PracticeReplica, steppingClock } from '../../../shared/src/model/test-support'
import { IcsImportError, readIcs, type IcsRead } from './ical-read'
import { knownEvents } from './ical-known'
import { patientsNamed, planIcsImport, writeIcsImport } from './ical-import'
import { getImportBatch } from './import-batch'
import { planUndo, undoImport } from './import-undo'

const PATIENTS = [
  { id: 'p-dupont', birthName: 'Dupont', firstNames: 'Jean Marie' },
  { id: 'p-lefevre', birthName: 'Martin', usualName: 'Lefèvre', firstNames: 'Élodie' },
  { id: 'p-roux-1', birthName: 'Roux', firstNames: 'Paul' },
  { id: 'p-roux-2', birthName: 'Roux', firstNames: 'Paul' },
]
const MAPPING = { practitionerId: 'prat-1', kindId: 'kind-seance', timeZone: 'Europe/Paris', patients: PATIENTS }

function read(...summaries: Array<[start: string, summary: string]>): IcsRead {
  return { occurrences: summaries.map(([start, summary], i) => ({ start, durationMin: 30, summary, line: 10 + i, key: `uid-${i}` })), skipped: [] }
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
    const bad: IcsRead = { occurrences: [{ start: '2026-02-30T09:00', durationMin: 30, summary: 'x', line: 42, key: 'x' }], skipped: [] }
    expect(() => planIcsImport(bad, MAPPING)).toThrow(IcsImportError)
    expect(() => planIcsImport(bad, MAPPING)).toThrow(/^ligne 42, champ « start » : /)
  })

  it('writes each appointment into the agenda doc of its month (31 December and 1 January apart), listed in the import record', async () => {
    const practice = new PracticeReplica()
    const plan = planIcsImport(read(['2026-12-31T23:30', 'Séance Dupont Jean'], ['2027-01-01T00:15', 'Garde']), MAPPING)
    const outcome = await writeIcsImport(plan, practice, 'agenda.ics', alice, () => Date.UTC(2026, 11, 1))
    expect(outcome).toMatchObject({ created: 2, updated: 0, unchanged: 0 })
    const refs = getImportBatch(practice.directory, outcome.batchId)?.appointments ?? []
    expect(refs.map((r) => r.month)).toEqual(['2026-12', '2027-01'])
    const december = listAppointments(await practice.openDoc(agendaDocId('2026-12'))).items
    const january = listAppointments(await practice.openDoc(agendaDocId('2027-01'))).items
    expect(december.map((a) => [a.id, a.start, a.patientId])).toEqual([[refs[0]?.id, '2026-12-31T23:30', 'p-dupont']])
    expect(january.map((a) => [a.id, a.start, a.title])).toEqual([[refs[1]?.id, '2027-01-01T00:15', 'Garde']])
  })
})

/** A calendar as Google writes it: a weekly series with one occurrence moved, and a single event. */
function calendar(single: { start: string; summary: string }): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Google Inc//Google Calendar 70.9054//EN',
    'BEGIN:VEVENT',
    'UID:serie-dupont@google.com',
    'DTSTART;TZID=Europe/Paris:20261214T090000',
    'DTEND;TZID=Europe/Paris:20261214T093000',
    'RRULE:FREQ=WEEKLY;COUNT=3',
    'SUMMARY:Séance Dupont Jean',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:serie-dupont@google.com',
    'RECURRENCE-ID;TZID=Europe/Paris:20261221T090000',
    'DTSTART;TZID=Europe/Paris:20261222T100000',
    'DTEND;TZID=Europe/Paris:20261222T103000',
    'SUMMARY:Séance Dupont Jean',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:reunion@google.com',
    `DTSTART;TZID=Europe/Paris:${single.start}`,
    'DURATION:PT1H',
    `SUMMARY:${single.summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n')
}

const OPTIONS = { timeZone: 'Europe/Paris', until: '2027-12-31' }

async function importOnce(practice: PracticeReplica, source: string, clock = steppingClock(Date.UTC(2026, 11, 1)), mapping = MAPPING) {
  const read = readIcs(source, OPTIONS)
  const known = await knownEvents(practice, read.occurrences.map((o) => o.key))
  const plan = planIcsImport(read, mapping, known)
  return { plan, outcome: await writeIcsImport(plan, practice, 'agenda.ics', alice, clock) }
}

const liveStarts = async (practice: PracticeReplica, ...months: string[]) => {
  const out: string[] = []
  for (const month of months) for (const a of listAppointments(await practice.openDoc(agendaDocId(month))).items) out.push(`${a.start} ${a.patientId ?? a.title}`)
  return out.sort()
}

describe('importing the same calendar again', () => {
  it('skips what already came in: the second import of the file creates nothing', async () => {
    const practice = new PracticeReplica()
    const file = calendar({ start: '20261215T140000', summary: "Réunion d'équipe" })
    const first = await importOnce(practice, file)
    expect(first.plan.map((p) => p.status)).toEqual(['new', 'new', 'new', 'new'])
    const second = await importOnce(practice, file)
    expect(second.plan.map((p) => p.status)).toEqual(['same', 'same', 'same', 'same'])
    expect(second.outcome).toMatchObject({ created: 0, updated: 0, unchanged: 4 })
    expect(await liveStarts(practice, '2026-12', '2027-01')).toEqual([
      '2026-12-14T09:00 p-dupont',
      "2026-12-15T14:00 Réunion d'équipe",
      '2026-12-22T10:00 p-dupont',
      '2026-12-28T09:00 p-dupont',
    ])
  })

  it('updates an event the calendar changed since (moved into January), and imports the new one, without doubling', async () => {
    const practice = new PracticeReplica()
    await importOnce(practice, calendar({ start: '20261215T140000', summary: "Réunion d'équipe" }))
    const changed = await importOnce(practice, calendar({ start: '20270105T140000', summary: "Réunion d'équipe (déplacée)" }), steppingClock(Date.UTC(2026, 11, 8)))
    expect(changed.plan.map((p) => p.status)).toEqual(['same', 'same', 'same', 'changed'])
    expect(changed.outcome).toMatchObject({ created: 0, updated: 1, unchanged: 3 })
    expect(await liveStarts(practice, '2026-12', '2027-01')).toEqual([
      '2026-12-14T09:00 p-dupont',
      '2026-12-22T10:00 p-dupont',
      '2026-12-28T09:00 p-dupont',
      "2027-01-05T14:00 Réunion d'équipe (déplacée)",
    ])
  })

  it('undoes an .ics import: removes what it created, keeps and names what was edited since; the file can then come in again', async () => {
    const practice = new PracticeReplica()
    const dupont = addPatient(practice.directory, { birthName: 'Dupont', firstNames: 'Jean Marie' }, bob, steppingClock())
    const mapping = { ...MAPPING, patients: listPatients(practice.directory).items }
    const file = calendar({ start: '20261215T140000', summary: "Réunion d'équipe" })
    const { outcome } = await importOnce(practice, file, undefined, mapping)
    const december = await practice.openDoc(agendaDocId('2026-12'))
    const [edited] = getImportBatch(practice.directory, outcome.batchId)?.appointments ?? []
    updateAppointment(december, edited!.id, { note: 'Apporter l’ordonnance' }, bob, steppingClock(Date.UTC(2026, 11, 9)))
    const other = practice.fork()
    const plan = await undoImport(other, outcome.batchId, bob, steppingClock(Date.UTC(2026, 11, 10)))
    expect(plan.removeCount).toBe(3)
    expect(plan.keep).toEqual([{ kind: 'appointment', id: edited!.id, start: getAppointment(december, edited!.id)?.start, name: 'Dupont Jean Marie', reason: 'edited' }])
    practice.exchange(other)
    expect(await liveStarts(practice, '2026-12')).toEqual([`${getAppointment(december, edited!.id)?.start} ${dupont}`])
    // The undone import's removed events may come in again; the one it kept is not doubled.
    const again = await importOnce(practice, file, undefined, mapping)
    expect(again.plan.filter((p) => p.status === 'new')).toHaveLength(3)
    expect(again.outcome.created).toBe(3)
    expect(await liveStarts(practice, '2026-12')).toHaveLength(4)
    expect(await planUndo(practice, again.outcome.batchId)).toMatchObject({ removeCount: 3 })
  })
})
