/**
 * Hooks over the directory doc: the practice settings, its practitioners, appointment kinds and
 * patient index. Each returns null while the directory opens, then follows every change to it.
 * Readers are module functions, so a snapshot keeps its identity until the directory changes.
 */
import type * as Y from 'yjs'
import {
  DIRECTORY_DOC_ID,
  getPractice,
  listAppointmentKinds,
  listPatients,
  listPractitioners,
} from '../../../shared/src/model'
import type { AppointmentKind, Patient, Practice, Practitioner } from '../../../shared/src/model'
import { useDoc, useDocSnapshot } from './use-doc'

function readPractice(doc: Y.Doc): Practice | null {
  return getPractice(doc) ?? null
}

function readPractitioners(doc: Y.Doc): Practitioner[] {
  return listPractitioners(doc).items
}

function readAppointmentKinds(doc: Y.Doc): AppointmentKind[] {
  return listAppointmentKinds(doc).items
}

/** Active patients (not archived, not deleted), in French order of names. */
function readPatients(doc: Y.Doc): Patient[] {
  return listPatients(doc).items
}

/** Every patient by id, archived and deleted included, so old appointments keep their names. */
function readPatientIndex(doc: Y.Doc): ReadonlyMap<string, Patient> {
  const { items } = listPatients(doc, { includeArchived: true, includeDeleted: true })
  return new Map(items.map((patient) => [patient.id, patient]))
}

export function useDirectory(): Y.Doc | null {
  return useDoc(DIRECTORY_DOC_ID)
}

/** The practice settings; null while loading or before the directory has synced. */
export function usePracticeSettings(): Practice | null {
  return useDocSnapshot(useDirectory(), readPractice) ?? null
}

export function usePractitioners(): Practitioner[] | null {
  return useDocSnapshot(useDirectory(), readPractitioners)
}

export function useAppointmentKinds(): AppointmentKind[] | null {
  return useDocSnapshot(useDirectory(), readAppointmentKinds)
}

export function usePatients(): Patient[] | null {
  return useDocSnapshot(useDirectory(), readPatients)
}

export function usePatientIndex(): ReadonlyMap<string, Patient> | null {
  return useDocSnapshot(useDirectory(), readPatientIndex)
}
