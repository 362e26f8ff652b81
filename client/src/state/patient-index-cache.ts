import type * as Y from 'yjs'
import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'
import { PatientSearchIndex } from '../../../shared/src/model'
import { yieldToMain } from '../sync/decode/main-thread'
import type { OverlaidDigest } from './digest-overlay'

/** How a directory's index stands: a counter that moves when the index is built (views re-read). */
export interface IndexVersion {
  get(): number
  subscribe(listener: () => void): () => void
}

interface Building {
  index: PatientSearchIndex | null
  version: number
  readonly listeners: Set<() => void>
}

/**
 * One patient search index per directory doc of an open practice, built on first use and kept
 * up to date by the directory's Y events for as long as the practice is open. The patient list,
 * the agenda's names and the patient picker all read it, so neither opening a screen nor typing a
 * letter reads the directory again (reading 20,000 patients takes most of a second on a tablet).
 * It is built in slices (`nextSlice` between them: the browser draws, input runs), so `peek`
 * answers null until it is built, and `versionOf` moves when it is.
 * While the directory syncs, the views search the practice's directory digest instead: one fixed
 * index per digest, built from its patients (no doc reads, no validation: the digest was checked
 * when it was decoded).
 * One per open practice (built by PracticeProvider), never module-level.
 */
export class PatientIndexCache {
  private readonly indexes = new WeakMap<Y.Doc, Building>()
  private readonly digestIndexes = new WeakMap<DirectoryDigest, PatientSearchIndex>()

  constructor(private readonly nextSlice: () => Promise<void> = yieldToMain) {}

  /** The doc's index once built, else null (and the build starts). */
  peek(directory: Y.Doc): PatientSearchIndex | null {
    return this.building(directory).index
  }

  /** Moves once the doc's index is built. */
  versionOf(directory: Y.Doc): IndexVersion {
    const building = this.building(directory)
    return {
      get: () => building.version,
      subscribe: (listener) => {
        building.listeners.add(listener)
        return () => building.listeners.delete(listener)
      },
    }
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

  private building(directory: Y.Doc): Building {
    let building = this.indexes.get(directory)
    if (!building) {
      const started: Building = { index: null, version: 0, listeners: new Set() }
      building = started
      this.indexes.set(directory, started)
      void PatientSearchIndex.build(directory, this.nextSlice).then((index) => {
        started.index = index
        started.version++
        for (const listener of [...started.listeners]) listener()
      })
    }
    return building
  }
}
