/**
 * Keeps the directory's index of each patient's agenda months (shared/src/model/patient-months.ts)
 * up to date with what this device writes: every agenda month doc the practice's views open is
 * watched (bindPatientMonthIndex) from the moment it opens, whichever view or action writes to it,
 * until the doc cache lets it go. It holds the directory itself (the main room is open for the
 * whole session anyway). One per open practice, built by PracticeProvider and stopped with it.
 */
import { bindPatientMonthIndex, DIRECTORY_DOC_ID, DocIdError, parseDocId } from '../../../shared/src/model'
import type { DocCache } from './doc-cache'

export class PatientMonthIndexer {
  private readonly bound = new Map<string, () => void>()
  private readonly stopFollowing: () => void
  private readonly releaseDirectory: () => void

  constructor(private readonly docs: DocCache) {
    this.releaseDirectory = docs.retain(DIRECTORY_DOC_ID)
    this.stopFollowing = docs.subscribe(() => this.follow())
    this.follow()
  }

  private follow(): void {
    const open = new Map(this.docs.openDocs())
    const directory = open.get(DIRECTORY_DOC_ID)
    if (!directory) return
    for (const [docId, unbind] of this.bound) {
      if (open.has(docId)) continue
      unbind()
      this.bound.delete(docId)
    }
    for (const [docId, doc] of open) {
      if (this.bound.has(docId) || !isAgenda(docId)) continue
      this.bound.set(docId, bindPatientMonthIndex(directory, doc))
    }
  }

  dispose(): void {
    this.stopFollowing()
    this.releaseDirectory()
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
