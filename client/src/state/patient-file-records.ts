/**
 * The records of a patient's clinical file as its page shows them: those of the survivor's own
 * file and of the files of every record merged into it (usePatientMembers), one per id, each with
 * the doc it lives in so that an edit goes there (shared/src/model/merged-file.ts). Each file is a
 * `patient/<id>` doc in its own file room: the merged records' docs are opened and held here.
 */
import { useCallback, useMemo } from 'react'
import type * as Y from 'yjs'
import { inFile, patientDocId, unionFileRecords } from '../../../shared/src/model'
import type { FileRecord } from '../../../shared/src/model'
import { useDoc, useDocSnapshot } from './use-doc'
import { useDocsSnapshot } from './use-docs-snapshot'

export type FileRecordsView<T> = {
  /** The union, in `compare`'s order; null while the survivor's own file opens. */
  readonly items: readonly FileRecord<T>[] | null
  /** False while a merged record's file is still opening: its records are not in `items` yet. */
  readonly complete: boolean
}

/** `read` and `compare` must be stable (module functions). */
export function usePatientFileRecords<T extends { readonly id: string }>(
  members: readonly string[],
  read: (doc: Y.Doc) => readonly T[],
  compare: (a: T, b: T) => number,
): FileRecordsView<T> {
  const [survivor = '', ...others] = members
  const own = useDoc(patientDocId(survivor))
  const readOwn = useCallback((doc: Y.Doc) => inFile(doc, read(doc)), [read])
  const ownItems = useDocSnapshot(own, readOwn)
  const readOthers = useCallback((docs: readonly Y.Doc[]) => docs.flatMap((doc) => inFile(doc, read(doc))), [read])
  const { value: otherItems, complete } = useDocsSnapshot(others.map(patientDocId), readOthers)
  const items = useMemo(() => (ownItems === null ? null : unionFileRecords(ownItems, otherItems, compare)), [ownItems, otherItems, compare])
  return { items, complete: ownItems !== null && complete }
}
