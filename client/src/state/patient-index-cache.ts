import type * as Y from 'yjs'
import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'
import { PatientSearchIndex } from '../../../shared/src/model'
import { yieldToMain } from '../sync/decode/main-thread'
import type { OverlaidDigest } from './digest-overlay'
import type { Version } from './doc-snapshot'

/** An index being built in slices: null until built, then kept. */
interface Building {
  index: PatientSearchIndex | null
}

/**
 * One patient search index per directory doc of an open practice, built on first use and kept
 * up to date by the directory's Y events for as long as the practice is open. The patient list,
 * the agenda's names and the patient picker all read it, so neither opening a screen nor typing a
 * letter reads the directory again (reading 20,000 patients takes most of a second on a tablet).
 * While the directory syncs, the views search the practice's directory digest instead: one fixed
 * index per digest, built from its patients (no doc reads, no validation: the digest was checked
 * when it was decoded).
 * Both are built in slices (`nextSlice` between them: the browser draws, input runs): `peek` and
 * `peekDigest` answer null until built, and `version` moves each time one is, so views read again.
 * `onBuilt` runs once the first index of a live doc is built (the practice may then drop the
 * digest it kept for the views meanwhile).
 * One per open practice (built by PracticeProvider), never module-level.
 */
export class PatientIndexCache {
  private readonly indexes = new WeakMap<Y.Doc, Building>()
  private readonly digestIndexes = new WeakMap<DirectoryDigest, Building>()
  private builtCount = 0
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly nextSlice: () => Promise<void> = yieldToMain,
    private readonly onBuilt: () => void = () => undefined,
  ) {}

  /** Moves whenever an index is built. */
  readonly version: Version = {
    get: () => this.builtCount,
    subscribe: (listener) => {
      this.listeners.add(listener)
      return () => this.listeners.delete(listener)
    },
  }

  /** The doc's index once built, else null (and the build starts). */
  peek(directory: Y.Doc): PatientSearchIndex | null {
    let building = this.indexes.get(directory)
    if (!building) {
      building = this.start(() => PatientSearchIndex.build(directory, this.nextSlice), this.onBuilt)
      this.indexes.set(directory, building)
    }
    return building.index
  }

  /**
   * The index of a digest's patients once built, else null (and the build starts). A digest with
   * this device's writes over it (`overlaid`, see digest-overlay.ts) derives from its base
   * digest's index in milliseconds instead of a new build.
   */
  peekDigest(digest: DirectoryDigest, overlaid?: OverlaidDigest): PatientSearchIndex | null {
    let building = this.digestIndexes.get(digest)
    if (!building) {
      if (overlaid) {
        const base = this.peekDigest(overlaid.base)
        if (base === null) return null
        building = { index: base.withPatients(overlaid.written) }
      } else {
        building = this.start(() => PatientSearchIndex.fromPatients(digest.patients, this.nextSlice))
      }
      this.digestIndexes.set(digest, building)
    }
    return building.index
  }

  private start(build: () => Promise<PatientSearchIndex>, then: () => void = () => undefined): Building {
    const building: Building = { index: null }
    void build().then((index) => {
      building.index = index
      this.builtCount++
      then()
      for (const listener of [...this.listeners]) listener()
    })
    return building
  }
}

/** Resolves with the index `peek` answers once it is built (tests, tools). */
export function whenBuilt(cache: PatientIndexCache, peek: () => PatientSearchIndex | null): Promise<PatientSearchIndex> {
  return new Promise((resolve) => {
    let off: () => void = () => undefined
    const check = () => {
      const index = peek()
      if (!index) return false
      off()
      resolve(index)
      return true
    }
    if (!check()) off = cache.version.subscribe(check)
  })
}
