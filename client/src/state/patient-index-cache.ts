import type * as Y from 'yjs'
import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'
import { PatientSearchIndex } from '../../../shared/src/model'
import type { OverlaidDigest } from './digest-overlay'

/**
 * One patient search index per directory doc of an open practice, built on first use and kept
 * up to date by the directory's Y events for as long as the practice is open. The patient list and
 * the agenda's patient picker share it, so neither opening a screen nor typing a letter rebuilds
 * it (building it over 20,000 patients takes about a second on a tablet).
 * While the directory syncs, the views search the practice's directory digest instead: one fixed
 * index per digest, built from its patients (no doc reads, no validation: the digest was checked
 * when it was decoded).
 * One per open practice (built by PracticeProvider), never module-level.
 */
export class PatientIndexCache {
  private readonly indexes = new WeakMap<Y.Doc, PatientSearchIndex>()
  private readonly digestIndexes = new WeakMap<DirectoryDigest, PatientSearchIndex>()

  get(directory: Y.Doc): PatientSearchIndex {
    let index = this.indexes.get(directory)
    if (!index) {
      index = new PatientSearchIndex(directory).attach()
      this.indexes.set(directory, index)
    }
    return index
  }

  /**
   * The index of a digest's patients. A digest with this device's writes over it (`overlaid`, see
   * digest-overlay.ts) derives from its base digest's index in milliseconds instead of a new build.
   */
  ofDigest(digest: DirectoryDigest, overlaid?: OverlaidDigest): PatientSearchIndex {
    let index = this.digestIndexes.get(digest)
    if (!index) {
      index = overlaid ? this.ofDigest(overlaid.base).withPatients(overlaid.written) : new PatientSearchIndex(digest.patients)
      this.digestIndexes.set(digest, index)
    }
    return index
  }
}
