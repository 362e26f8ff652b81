/**
 * Patient search for the views, over the practice's shared index (PatientIndexCache): a view
 * reads it again only when the directory changed.
 */
import { useCallback, useMemo } from 'react'
import type * as Y from 'yjs'
import { findDuplicates } from '../../../shared/src/model'
import type { DuplicatePair, Patient, PatientSearchIndex } from '../../../shared/src/model'
import { useDirectory } from './directory'
import { usePractice } from './practice-context'
import { useDocSnapshot } from './use-doc'

/** The practice's patient search index (shared, see PatientIndexCache); null while the directory opens. */
export function usePatientSearchIndex(directory: Y.Doc | null): PatientSearchIndex | null {
  const { patientIndexes } = usePractice()
  return useMemo(() => (directory ? patientIndexes.get(directory) : null), [directory, patientIndexes])
}

export type PatientSearchView = {
  /** Matching patients, best first; null while the directory opens. */
  readonly patients: readonly Patient[] | null
  /** Duplicate pairs among every live patient (archived included), oldest kept. */
  readonly duplicates: readonly DuplicatePair[] | null
}

export function usePatientSearch(query: string, includeArchived: boolean): PatientSearchView {
  const directory = useDirectory()
  const index = usePatientSearchIndex(directory)
  const readMatches = useCallback(() => (index ? index.search(query, { includeArchived }).items : []), [index, query, includeArchived])
  const readDuplicates = useCallback(
    () => (index ? findDuplicates(index.search('', { includeArchived: true }).items) : []),
    [index],
  )
  return { patients: useDocSnapshot(directory, readMatches), duplicates: useDocSnapshot(directory, readDuplicates) }
}
