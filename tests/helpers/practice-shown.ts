/**
 * A small test practice — patients of the given names, two appointments today, one clinical note —
 * written on a device, and what a device shows of it (every patient's name, this month's
 * appointment starts, the note's text), for the tests that take a relay's data away and check
 * what each device still shows (wipe-guard.test.ts, held-state.test.ts).
 */
import type { OpenPractice } from '../../client/src/sync/device/device'
import { addAppointment, listAppointments } from '../../shared/src/model/agenda'
import { monthOf } from '../../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID, patientDocId } from '../../shared/src/model/doc-ids'
import { addNote, getNoteText } from '../../shared/src/model/patient-file'
import { addPatient, listPatients } from '../../shared/src/model/patients'
import { listPractitioners } from '../../shared/src/model/practitioners'
import { actorOf } from './relay-fixture'
import { TEST_TODAY, testClock } from './test-clock'

const STARTS = ['08:30', '14:00'].map((time) => `${TEST_TODAY}T${time}`)
const NOTE = 'Lombalgie, mobilité réduite.'

export interface Shown {
  readonly patients: string[]
  readonly starts: string[]
  readonly note: string
}

/** What a device shows once it has the whole practice written by `writeTestPractice(…, names)`. */
export function wholePractice(names: readonly string[]): Shown {
  return { patients: [...names].sort(), starts: STARTS, note: NOTE }
}

/** Writes the practice on `a` (the note in the first patient's file) and waits for the relay's ACKs. */
export async function writeTestPractice(a: OpenPractice, names: readonly string[]): Promise<{ patientId: string; noteId: string }> {
  const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
  const ids = names.map((birthName) => addPatient(directory, { birthName, firstNames: 'Aude', birthDate: '1970-05-06' }, actorOf(a), testClock))
  const [practitioner] = listPractitioners(directory).items
  const month = await a.space.openDoc(agendaDocId(monthOf(TEST_TODAY)))
  for (const start of STARTS) addAppointment(month, { start, durationMin: 30, practitionerId: practitioner!.id, title: 'Bilan' }, actorOf(a), testClock)
  const patientId = ids[0]!
  const noteId = addNote(await a.space.openDoc(patientDocId(patientId)), { date: TEST_TODAY, kind: 'session', text: NOTE }, actorOf(a), testClock)
  await a.space.whenAcknowledged()
  return { patientId, noteId }
}

export async function shown(practice: OpenPractice, patientId: string, noteId: string): Promise<Shown> {
  const directory = await practice.space.openDoc(DIRECTORY_DOC_ID)
  const month = await practice.space.openDoc(agendaDocId(monthOf(TEST_TODAY)))
  const file = await practice.space.openDoc(patientDocId(patientId))
  return {
    patients: listPatients(directory).items.map((p) => p.birthName).sort(),
    starts: listAppointments(month, {}).items.map((a) => a.start).sort(),
    note: file.getMap('notes').has(noteId) ? getNoteText(file, noteId).toString() : '',
  }
}
