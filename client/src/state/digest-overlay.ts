/**
 * This device's own patient writes, shown over the directory digest. While the digest is shown the
 * views do not read the directory doc (that is the point of the digest), yet a patient added or
 * edited here (the patient form, the agenda picker's « Nouveau patient ») must show at once, not
 * when the directory has finished syncing. So the records that local transactions touched — a
 * handful, never the thousands a sync brings — are read from the doc and replace or join the
 * digest's. Remote changes still wait for the doc: the digest is a snapshot, the doc the truth.
 */
import * as Y from 'yjs'
import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'
import { comparePatients, DIRECTORY_MAPS, getPatient } from '../../../shared/src/model'
import type { Patient } from '../../../shared/src/model'
import type { DirectoryDigestSource } from '../sync/digests/digest-source'

/**
 * Ids of the patients that local transactions (this device's writes, not a sync or a load from
 * storage) touched in a directory doc, from the moment it is tracked.
 */
export class LocalPatientWrites {
  private readonly ids = new Set<string>()
  private count = 0
  private readonly listeners = new Set<() => void>()

  constructor(doc: Y.Doc) {
    const patients = doc.getMap<unknown>(DIRECTORY_MAPS.patients)
    // 'afterTransaction', not observeDeep: a deep observer makes Yjs build an event for each of the
    // thousands of records a sync brings, for nothing (only local transactions matter here).
    doc.on('afterTransaction', (transaction: Y.Transaction) => {
      if (!transaction.local) return
      let touched = false
      for (const [type, keys] of transaction.changed) {
        if ((type as unknown) === patients) {
          for (const key of keys) if (key !== null) this.ids.add(key)
          touched = true
        } else {
          const id = patientIdOf(type, patients)
          if (id !== null) {
            this.ids.add(id)
            touched = true
          }
        }
      }
      if (!touched) return
      this.count += 1
      for (const listener of [...this.listeners]) listener()
    })
  }

  /** Grows with every local write: equal version, same ids. */
  get version(): number {
    return this.count
  }

  get written(): ReadonlySet<string> {
    return this.ids
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

/** What this module reads of a Yjs type: where it sits. */
type TypeInDoc = { readonly parent: TypeInDoc | null; readonly _item: { readonly parentSub: string | null } | null }

/** The id of the patient record `type` is (or is inside of), or null outside the patients map. */
function patientIdOf(type: TypeInDoc, patients: Y.Map<unknown>): string | null {
  let current: TypeInDoc | null = type
  while (current !== null && (current.parent as unknown) !== patients) current = current.parent
  const key = current?._item?.parentSub
  return typeof key === 'string' ? key : null
}

/** The doc's copy of the patients `ids` names; one the doc cannot read is left out. */
export function readWrittenPatients(doc: Y.Doc, ids: ReadonlySet<string>): Patient[] {
  const written: Patient[] = []
  for (const id of ids) {
    const patient = getPatient(doc, id)
    if (patient) written.push(patient)
  }
  return written
}

/** The digest's patients with `written` replacing those of the same id, or added, in listPatients' order. */
export function overlayPatients(patients: readonly Patient[], written: readonly Patient[]): readonly Patient[] {
  if (written.length === 0) return patients
  const replaced = new Set(written.map((patient) => patient.id))
  const merged = patients.filter((patient) => !replaced.has(patient.id))
  for (const patient of written) merged.splice(insertionPoint(merged, patient), 0, patient)
  return merged
}

function insertionPoint(sorted: readonly Patient[], patient: Patient): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (comparePatients(sorted[mid] as Patient, patient) < 0) low = mid + 1
    else high = mid
  }
  return low
}

/** How an overlaid digest was made: the practice's digest, and this device's patients over it. */
export type OverlaidDigest = { readonly base: DirectoryDigest; readonly written: readonly Patient[] }

/**
 * The digest the views read for one directory doc: the practice's digest with this device's
 * patient writes over it. A new object only when the digest or the writes change, so readers
 * keyed on the digest are recomputed only then; `origins` says how each such object was made, so
 * the search index can derive from the base digest's (PatientIndexCache.ofDigest).
 */
export class DigestOverlay implements DirectoryDigestSource {
  private computed: { digest: DirectoryDigest; version: number; value: DirectoryDigest } | null = null

  constructor(
    private readonly digests: DirectoryDigestSource,
    private readonly doc: Y.Doc,
    private readonly writes: LocalPatientWrites,
    private readonly origins: WeakMap<DirectoryDigest, OverlaidDigest> = new WeakMap(),
  ) {}

  current = (): DirectoryDigest | null => {
    const digest = this.digests.current()
    if (digest === null) {
      this.computed = null
      return null
    }
    const version = this.writes.version
    if (this.computed?.digest !== digest || this.computed.version !== version) {
      const written = readWrittenPatients(this.doc, this.writes.written)
      const value = written.length === 0 ? digest : { ...digest, patients: overlayPatients(digest.patients, written) }
      if (value !== digest) this.origins.set(value, { base: digest, written })
      this.computed = { digest, version, value }
    }
    return this.computed.value
  }

  subscribe = (listener: () => void): (() => void) => {
    const offDigest = this.digests.subscribe(listener)
    const offWrites = this.writes.subscribe(listener)
    return () => {
      offDigest()
      offWrites()
    }
  }
}

/**
 * One DigestOverlay per directory doc of an open practice (built by PracticeProvider, never
 * module-level). Tracking starts when a view first reads the directory, which is the practice's
 * first render with the doc open (its time zone comes from it): before any write a person can make.
 */
export class DigestOverlayCache {
  private readonly overlays = new WeakMap<Y.Doc, DigestOverlay>()
  private readonly origins = new WeakMap<DirectoryDigest, OverlaidDigest>()

  constructor(private readonly digests: DirectoryDigestSource) {}

  get(directory: Y.Doc): DigestOverlay {
    let overlay = this.overlays.get(directory)
    if (!overlay) {
      overlay = new DigestOverlay(this.digests, directory, new LocalPatientWrites(directory), this.origins)
      this.overlays.set(directory, overlay)
    }
    return overlay
  }

  /** How a digest an overlay returned was made; undefined for the practice's digest itself. */
  originOf(digest: DirectoryDigest): OverlaidDigest | undefined {
    return this.origins.get(digest)
  }
}
