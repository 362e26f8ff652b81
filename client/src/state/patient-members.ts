/**
 * Which patient records a patient's page reads: the survivor of the id it was opened with (a
 * merged-away duplicate leads to the patient it was merged into, through any chain of merges) and
 * every record merged into that survivor (shared/src/model/patient-redirects.ts). Their files,
 * months and appointments are read together, so what reaches a merged-away record later — from a
 * device that was offline at the merge — shows under the survivor without anything being moved.
 */
import { useMemo } from 'react'
import type * as Y from 'yjs'
import { PatientRedirects } from '../../../shared/src/model'
import { useDirectory } from './directory'
import { useDocSnapshot } from './use-doc'

export type PatientMembers = {
  /** The record the page shows as the patient. */
  readonly survivor: string
  /** The survivor first, then the records merged into it. */
  readonly members: readonly string[]
}

const readRedirects = (doc: Y.Doc): PatientRedirects => PatientRedirects.fromDirectory(doc)

/** The members of `patientId`'s survivor; just the id itself while the directory opens. */
export function usePatientMembers(patientId: string): PatientMembers {
  const redirects = useDocSnapshot(useDirectory(), readRedirects)
  // Record ids never contain ',': the joined list identifies the members, so the value keeps its
  // identity while the directory changes elsewhere.
  const key = (redirects ? redirects.membersOf(patientId) : [patientId]).join(',')
  return useMemo(() => {
    const members = key.split(',')
    return { survivor: members[0]!, members }
  }, [key])
}
