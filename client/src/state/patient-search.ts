/**
 * The patient search index of the open directory, for the views: built once per directory doc,
 * kept up to date by the directory's Y events, read again by a view only when the doc changed.
 */
import { useCallback, useEffect, useMemo } from 'react'
import type * as Y from 'yjs'
import { findDuplicates, PatientSearchIndex } from '../../../shared/src/model'
import type { DuplicatePair, Patient } from '../../../shared/src/model'
import { useDirectory } from './directory'
import { useDocSnapshot } from './use-doc'

function usePatientSearchIndex(directory: Y.Doc | null): PatientSearchIndex | null {
  // Attached as it is built, so no change between the build and an effect can be missed; the
  // effect only detaches when the view goes (and re-attaches under StrictMode's second run).
  const index = useMemo(() => (directory ? new PatientSearchIndex(directory).attach() : null), [directory])
  useEffect(() => {
    if (!index) return
    index.attach()
    return () => index.detach()
  }, [index])
  return index
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
