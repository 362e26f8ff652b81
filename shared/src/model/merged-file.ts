/**
 * The clinical file a patient shows when duplicates were merged into it: the union of the files
 * of its members (PatientRedirects.membersOf), each a `patient/<id>` doc of its own. Nothing is
 * copied between them: a note stays in the doc it was written in and is edited there, so a note a
 * device wrote offline on the merged-away record, and every keystroke typed in it later, shows in
 * the kept patient's file as soon as it arrives.
 *
 * The same record id in several files comes from the copies an earlier version made at merge time
 * (mergePatientFiles, gone since): the survivor's own file wins, as edits went there after such a
 * merge.
 */
import type * as Y from 'yjs'

/** A record of a patient's file and the doc (`patient/<member id>`) it lives in: edits go there. */
export type FileRecord<T> = { readonly record: T; readonly doc: Y.Doc }

/** The records of one file doc, each with that doc. */
export function inFile<T>(doc: Y.Doc, records: readonly T[]): FileRecord<T>[] {
  return records.map((record) => ({ record, doc }))
}

/**
 * One kind of record over a patient's files: `own` (the survivor's) and `others` (those merged
 * into it), one record per id (the own file's first), in `compare`'s order.
 */
export function unionFileRecords<T extends { readonly id: string }>(
  own: readonly FileRecord<T>[],
  others: readonly FileRecord<T>[],
  compare: (a: T, b: T) => number,
): FileRecord<T>[] {
  const byId = new Map<string, FileRecord<T>>()
  for (const item of own) byId.set(item.record.id, item)
  for (const item of others) if (!byId.has(item.record.id)) byId.set(item.record.id, item)
  return [...byId.values()].sort((a, b) => compare(a.record, b.record))
}
