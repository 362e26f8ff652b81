/**
 * Patient search for the views, over the practice's shared index (PatientIndexCache): a view
 * reads it again only when the directory changed. While the directory syncs and the practice shows
 * a directory digest, the search runs over the digest's patients instead.
 */
import { useCallback } from 'react'
import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'
import type { DuplicatePair, Patient, PatientSearchIndex } from '../../../shared/src/model'
import { usePatientIndexSnapshot } from './directory'
import { usePractice } from './practice-context'

/**
 * A value read through the practice's patient search index — the live directory's, or the
 * digest's while one is shown — read again when the directory (or the digest shown) changes. `read`
 * must be stable (useCallback); null while the directory opens.
 */
export function usePatientSearchRead<T>(read: (index: PatientSearchIndex) => T): T | null {
  const { patientIndexes, digestOverlays } = usePractice()
  const fromDigest = useCallback(
    (digest: DirectoryDigest) => {
      // A partial digest (a cold start's first-screen record) cannot answer a search: loading.
      if (digest.partial) return null
      const index = patientIndexes.peekDigest(digest, digestOverlays.originOf(digest))
      return index ? read(index) : null
    },
    [patientIndexes, digestOverlays, read],
  )
  return usePatientIndexSnapshot(read, fromDigest)
}

export type PatientSearchView = {
  /** Matching patients, best first; null while the directory opens. */
  readonly patients: readonly Patient[] | null
  /**
   * Duplicate pairs among every live patient (archived included), oldest kept. None while a
   * digest is shown: merging writes both records, which the doc may not hold yet.
   */
  readonly duplicates: readonly DuplicatePair[] | null
}

const NO_DUPLICATES: readonly DuplicatePair[] = []
const noDuplicates = (): readonly DuplicatePair[] => NO_DUPLICATES

// Kept by the index as the directory changes (duplicate-pairs.ts): a change during a sync finds
// again only the pairs of the birth dates it touched, and the list does not render again for it.
const readDuplicates = (index: PatientSearchIndex): readonly DuplicatePair[] => index.duplicatePairs()

export function usePatientSearch(query: string, includeArchived: boolean): PatientSearchView {
  const readMatches = useCallback((index: PatientSearchIndex) => index.search(query, { includeArchived }).items, [query, includeArchived])
  return { patients: usePatientSearchRead(readMatches), duplicates: usePatientIndexSnapshot(readDuplicates, noDuplicates) }
}
