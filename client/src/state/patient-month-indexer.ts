/**
 * Keeps the directory's index of each patient's agenda months (shared/src/model/patient-months.ts)
 * up to date with what this device writes: every agenda month doc the practice's views open is
 * watched (bindPatientMonthIndex) from the moment it opens, whichever view or action writes to it.
 * One per open practice, built by PracticeProvider and stopped with it.
 */
import { bindPatientMonthIndex, DIRECTORY_DOC_ID, DocIdError, parseDocId } from '../../../shared/src/model'
import type { DocCache } from './doc-cache'

export class PatientMonthIndexer {
  private readonly bound = new Map<string, () => void>()
  private readonly stopFollowing: () => void

  constructor(private readonly docs: DocCache) {
    this.stopFollowing = docs.subscribe(() => this.follow())
    this.follow()
  }

  private follow(): void {
    const open = this.docs.openDocs()
    const directory = open.find(([docId]) => docId === DIRECTORY_DOC_ID)?.[1]
    if (!directory) return
    for (const [docId, doc] of open) {
      if (this.bound.has(docId) || !isAgenda(docId)) continue
      this.bound.set(docId, bindPatientMonthIndex(directory, doc))
    }
  }

  dispose(): void {
    this.stopFollowing()
    for (const unbind of this.bound.values()) unbind()
    this.bound.clear()
  }
}

function isAgenda(docId: string): boolean {
  try {
    return parseDocId(docId).kind === 'agenda'
  } catch (error) {
    if (error instanceof DocIdError) return false
    throw error
  }
}
