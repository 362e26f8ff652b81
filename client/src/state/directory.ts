/**
 * Hooks over the directory: the practice settings, its practitioners, appointment kinds and
 * patient index. Each returns null while the directory opens, then follows every change to it.
 * While the practice shows a directory digest (a fresh device whose directory doc has not synced,
 * see client/src/sync/digest-source.ts) they read the digest instead, then the live doc once it is
 * cleared. Writers take the doc itself (`useDirectory`), never a digest.
 * Readers are module functions, so a snapshot keeps its identity until the directory changes.
 */
import { useMemo, useSyncExternalStore } from 'react'
import type * as Y from 'yjs'
import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'
import {
  DIRECTORY_DOC_ID,
  getPractice,
  listAppointmentKinds,
  listPractitioners,
  patientsBySurvivor,
} from '../../../shared/src/model'
import type { AppointmentKind, Patient, PatientSearchIndex, Practice, Practitioner } from '../../../shared/src/model'
import { DirectorySnapshotStore } from './directory-snapshot'
import { combinedVersion, DocSnapshotStore } from './doc-snapshot'
import { usePractice } from './practice-context'
import { useDoc, useDocSnapshot } from './use-doc'

function readPractice(doc: Y.Doc): Practice | null {
  return getPractice(doc) ?? null
}

function readPractitioners(doc: Y.Doc): readonly Practitioner[] {
  return listPractitioners(doc).items
}

function readAppointmentKinds(doc: Y.Doc): readonly AppointmentKind[] {
  return listAppointmentKinds(doc).items
}

/** Active patients (not archived, not deleted), in the index's order of names. */
function readPatients(index: PatientSearchIndex): readonly Patient[] {
  return index.search('').items
}

/**
 * Every patient by id, archived and deleted included, so old appointments keep their names; a
 * merged-away id gives the patient it was merged into (patientsBySurvivor), so an appointment
 * booked for a duplicate, even after the merge, shows the patient it now belongs to.
 */
const survivorsOfIndex = (index: PatientSearchIndex): ReadonlyMap<string, Patient> => patientsBySurvivor([...index.byId().values()])

/**
 * Kept by the index until the directory changes: every view that mounts (the day, the week, the
 * month, a print) reads the same map instead of building it again from 20,000 records (≈ 12–25 ms
 * each, issue 17's bench).
 */
function readPatientIndex(index: PatientSearchIndex): ReadonlyMap<string, Patient> {
  return index.derived(survivorsOfIndex)
}

// The same values from a digest: it holds what the readers above return (its patients are
// listPatients' with archived and deleted ones, in the same order).
const practiceOfDigest = (digest: DirectoryDigest): Practice | null => digest.practice
const practitionersOfDigest = (digest: DirectoryDigest): readonly Practitioner[] => digest.practitioners
const appointmentKindsOfDigest = (digest: DirectoryDigest): readonly AppointmentKind[] => digest.appointmentKinds

/**
 * As `readPatients`: the digest's patients neither archived nor deleted, in its order; null
 * (still loading) for a partial digest, which lists only some (first-screen-record.ts).
 */
export function activePatientsOfDigest(digest: DirectoryDigest): readonly Patient[] | null {
  if (digest.partial) return null
  return digest.patients.filter((patient) => patient.deletedAt === undefined && !patient.archived)
}

/** As `readPatientIndex`, from the digest. */
export function patientIndexOfDigest(digest: DirectoryDigest): ReadonlyMap<string, Patient> {
  let map = survivorsOfDigest.get(digest)
  if (!map) survivorsOfDigest.set(digest, (map = patientsBySurvivor(digest.patients)))
  return map
}

/** A digest never changes (an overlay makes a new one): its map is built once, whoever reads it. */
const survivorsOfDigest = new WeakMap<DirectoryDigest, ReadonlyMap<string, Patient>>()

/** The directory doc, for writers (and for reads that must see the doc itself); null while it opens. */
export function useDirectory(): Y.Doc | null {
  return useDoc(DIRECTORY_DOC_ID)
}

/** The digest the directory's views show while the directory syncs; null when they show the doc. */
export function useDirectoryDigest(): DirectoryDigest | null {
  const { directoryDigest } = usePractice().space
  return useSyncExternalStore(directoryDigest.subscribe, directoryDigest.current)
}

/**
 * A value read from the directory digest while one is shown (with this device's own patient writes
 * over it, see digest-overlay.ts), else from the live doc (see DirectorySnapshotStore). Both
 * readers must be stable (module functions, or useCallback).
 */
export function useDirectorySnapshot<T>(fromDoc: (doc: Y.Doc) => T, fromDigest: (digest: DirectoryDigest) => T): T | null {
  const { space, docs, digestOverlays } = usePractice()
  const doc = useDirectory()
  const store = useMemo(
    () =>
      doc
        ? new DirectorySnapshotStore(digestOverlays.get(doc), new DocSnapshotStore(doc, docs.versionOf(doc), fromDoc), fromDigest)
        : new DirectorySnapshotStore(space.directoryDigest, null, fromDigest),
    [space, doc, docs, digestOverlays, fromDoc, fromDigest],
  )
  return useSyncExternalStore(store.subscribe, store.getSnapshot)
}

/**
 * As useDirectorySnapshot, for what is read from the patients: from the practice's patient index
 * of the doc (patient-index-cache.ts: built in slices, then kept up to date by the doc's events),
 * so that no directory change makes a view read 20,000 records again. While that index builds,
 * the digest the views showed until the doc synced (if any) is read instead, so names do not go
 * blank for the second it takes; null when there was none. `fromDigest` may answer null too (its
 * own index building): `patientIndexes.version` moves when it is built.
 */
export function usePatientIndexSnapshot<T>(fromIndex: (index: PatientSearchIndex) => T, fromDigest: (digest: DirectoryDigest) => T | null): T | null {
  const { space, docs, digestOverlays, patientIndexes } = usePractice()
  const doc = useDirectory()
  const store = useMemo(() => {
    if (!doc) return new DirectorySnapshotStore<T | null>(space.directoryDigest, null, fromDigest, patientIndexes.version)
    const read = (d: Y.Doc) => {
      const index = patientIndexes.peek(d)
      if (index) return fromIndex(index)
      const shown = space.directoryDigest.beforeClear()
      return shown ? fromDigest(shown) : null
    }
    const live = new DocSnapshotStore(doc, combinedVersion(docs.versionOf(doc), patientIndexes.version), read)
    return new DirectorySnapshotStore<T | null>(digestOverlays.get(doc), live, fromDigest, patientIndexes.version)
  }, [space, doc, docs, digestOverlays, patientIndexes, fromIndex, fromDigest])
  return useSyncExternalStore(store.subscribe, store.getSnapshot)
}

/** The practice settings; null while loading or before the directory has synced. */
export function usePracticeSettings(): Practice | null {
  return useDirectorySnapshot(readPractice, practiceOfDigest) ?? null
}

export function usePractitioners(): readonly Practitioner[] | null {
  return useDirectorySnapshot(readPractitioners, practitionersOfDigest)
}

/**
 * The practitioners of the directory doc only, never a digest's: for a form that edits them, whose
 * write needs the record in the doc (updatePractitioner refuses one that has not synced yet).
 */
export function useLivePractitioners(): readonly Practitioner[] | null {
  return useDocSnapshot(useDirectory(), readPractitioners)
}

export function useAppointmentKinds(): readonly AppointmentKind[] | null {
  return useDirectorySnapshot(readAppointmentKinds, appointmentKindsOfDigest)
}

export function usePatients(): readonly Patient[] | null {
  return usePatientIndexSnapshot(readPatients, activePatientsOfDigest)
}

export function usePatientIndex(): ReadonlyMap<string, Patient> | null {
  return usePatientIndexSnapshot(readPatientIndex, patientIndexOfDigest)
}
