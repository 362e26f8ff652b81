import type * as Y from 'yjs'
import { PatientSearchIndex } from '../../../shared/src/model'

/**
 * One patient search index per directory doc of an open practice, built on first use and kept
 * up to date by the directory's Y events for as long as the practice is open. The patient list and
 * the agenda's patient picker share it, so neither opening a screen nor typing a letter rebuilds
 * it (building it over 20,000 patients takes about a second on a tablet).
 * One per open practice (built by PracticeProvider), never module-level.
 */
export class PatientIndexCache {
  private readonly indexes = new WeakMap<Y.Doc, PatientSearchIndex>()

  get(directory: Y.Doc): PatientSearchIndex {
    let index = this.indexes.get(directory)
    if (!index) {
      index = new PatientSearchIndex(directory).attach()
      this.indexes.set(directory, index)
    }
    return index
  }
}
