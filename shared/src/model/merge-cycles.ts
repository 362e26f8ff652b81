/**
 * Settling cycles of merge redirects (patient-redirects.ts). Two devices offline merging the same
 * pair in opposite directions leave both records soft-deleted, each redirected to the other. The
 * redirects already resolve such a cycle to its oldest member; settling writes that answer down —
 * the survivor's own redirect cleared, the survivor restored — so that lists, which hide deleted
 * records, show it again. Every replica picks the same survivor, so devices settling the same
 * cycle at once write the same values, and settling changes no survivor.
 */
import * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { MERGED_INTO, PatientRedirects } from './patient-redirects'
import { requireRecord, unmarkDeleted, writeChangedFields } from './records'

const PATIENTS = DIRECTORY_MAPS.patients

/** Settles every cycle of the directory's redirects; returns how many there were. */
export function settleMergeCycles(directory: Y.Doc, actor: Actor, clock: Clock): number {
  const { cycles } = PatientRedirects.fromDirectory(directory)
  if (cycles.length === 0) return 0
  directory.transact(() => {
    for (const { survivor } of cycles) {
      const record = requireRecord(directory, PATIENTS, survivor)
      writeChangedFields(directory, record, {}, [MERGED_INTO], actor, clock)
      unmarkDeleted(directory, record, actor, clock)
    }
  })
  return cycles.length
}

/** Whether a transaction wrote some patient's redirect (the only writes that can make a cycle). */
function wroteRedirect(directory: Y.Doc, transaction: Y.Transaction): boolean {
  const patients = directory.getMap<unknown>(PATIENTS)
  for (const [type, keys] of transaction.changed) {
    if ((type as unknown) === patients) {
      // A whole record arriving at once (created, or replaced) may carry a redirect: only one that
      // does counts. Not every record that arrives: a join's directory comes as hundreds of
      // transactions, and reading every patient's redirect after each was seconds of the page's
      // thread (issue 17, docs/performance.md « (10) », eleventh pass).
      for (const key of keys) {
        if (key === null) continue
        const record = patients.get(key)
        if (record instanceof Y.Map && record.get(MERGED_INTO) !== undefined) return true
      }
    } else if (type instanceof Y.Map && type.parent === patients && keys.has(MERGED_INTO)) {
      return true
    }
  }
  return false
}

/**
 * Settles cycles as soon as a remote change brings one (a device that merged the other way while
 * offline). Local merges cannot make one: mergePatients refuses a record already merged away or a
 * deleted one to keep. Returns the function that stops watching.
 */
export function bindMergeCycleSettling(directory: Y.Doc, actor: Actor, clock: Clock): () => void {
  const onTransaction = (transaction: Y.Transaction) => {
    if (!transaction.local && wroteRedirect(directory, transaction)) settleMergeCycles(directory, actor, clock)
  }
  settleMergeCycles(directory, actor, clock)
  directory.on('afterTransaction', onTransaction)
  return () => directory.off('afterTransaction', onTransaction)
}
