/**
 * The access log of a patient's file (shared/src/model/access-log.ts) as the patient's page uses
 * it: the page records that this device's member opened the file, and reads the openings of the
 * survivor's file and of every file merged into it.
 */
import { useEffect, useMemo } from 'react'
import type * as Y from 'yjs'
import { fileOpenings, patientDocId, recordFileOpening } from '../../../shared/src/model'
import type { AccessEntry } from '../../../shared/src/model'
import { usePractice } from './practice-context'
import { useDocsSnapshot } from './use-docs-snapshot'

/**
 * Records one opening of the file `doc` when it is shown, and again only if it is shown anew
 * (another patient, another member chosen on the device). Re-renders and edits on the page write
 * nothing; a page left and opened again within 10 minutes is coalesced by the model. Offline too:
 * the entry is a local write like any other and syncs later.
 */
export function useRecordFileOpening(doc: Y.Doc | null): void {
  const { actor, clock } = usePractice()
  const memberId = actor?.memberId
  const deviceId = actor?.deviceId
  useEffect(() => {
    if (doc === null || memberId === undefined || deviceId === undefined) return
    recordFileOpening(doc, { memberId, deviceId }, clock)
  }, [doc, memberId, deviceId, clock])
}

export type FileOpeningsView = {
  /** Newest first, over the files read so far. */
  readonly entries: readonly AccessEntry[]
  /** False while one of the files is still opening: its openings are not in `entries` yet. */
  readonly complete: boolean
}

/** The openings of the files of `members` (the survivor first, then the records merged into it). */
export function useFileOpenings(members: readonly string[]): FileOpeningsView {
  const docIds = useMemo(() => members.map(patientDocId), [members])
  const { value, complete } = useDocsSnapshot(docIds, fileOpenings)
  return { entries: value, complete }
}
