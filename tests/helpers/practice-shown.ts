/**
 * What a device shows of a small test practice — every patient's name, this month's appointment
 * starts, one clinical note's text — for the tests that take a relay's data away and check what
 * each device still shows (wipe-guard.test.ts, held-state.test.ts).
 */
import type { OpenPractice } from '../../client/src/sync/device/device'
import { listAppointments } from '../../shared/src/model/agenda'
import { monthOf } from '../../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID, patientDocId } from '../../shared/src/model/doc-ids'
import { getNoteText } from '../../shared/src/model/patient-file'
import { listPatients } from '../../shared/src/model/patients'
import { TEST_TODAY } from './test-clock'

export interface Shown {
  readonly patients: string[]
  readonly starts: string[]
  readonly note: string
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
