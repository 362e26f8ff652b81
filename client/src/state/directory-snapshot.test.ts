import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { buildDirectoryDigest } from '../../../shared/src/digest/directory-digest'
import { addPatient, initPractice, listPatients, softDeletePatient, updatePatient } from '../../../shared/src/model'
import type { Patient } from '../../../shared/src/model'
import { T0, alice, steppingClock } from '../../../shared/src/model/test-support'
import { DirectoryDigestHolder } from '../sync/digests/digest-source'
import { activePatientsOfDigest, patientIndexOfDigest } from './directory'
import { DirectorySnapshotStore } from './directory-snapshot'
import { DocSnapshotStore, DocVersion } from './doc-snapshot'
import { PatientIndexCache, whenBuilt } from './patient-index-cache'
import { afterQueuedTasks } from '../sync/decode/after-this-task'

/** A practice's directory as the device that publishes the digest has it. */
function producerDirectory(): Y.Doc {
  const doc = new Y.Doc()
  const clock = steppingClock()
  initPractice(doc, { name: 'Cabinet des Lilas', firstPractitioner: { displayName: 'Jeanne Roux', profession: 'kine' } }, alice, clock)
  addPatient(doc, { birthName: 'Lefèvre', firstNames: 'Zoé' }, alice, clock)
  addPatient(doc, { birthName: 'Martin', firstNames: 'Léa' }, alice, clock)
  addPatient(doc, { birthName: "D'Arc", firstNames: 'Jeanne', archived: true }, alice, clock)
  softDeletePatient(doc, addPatient(doc, { birthName: 'Andre', firstNames: 'Martine' }, alice, clock), alice, clock)
  return doc
}

const names = (patients: readonly Patient[] | null) => patients?.map((p) => p.birthName) ?? null

/** The store a view of the active patients builds, counting reads of the doc. */
function activePatientsStore(holder: DirectoryDigestHolder, doc: Y.Doc | null) {
  const reads = { doc: 0, digest: 0 }
  const live = doc
    ? new DocSnapshotStore(doc, new DocVersion(doc), (d) => {
        reads.doc += 1
        return listPatients(d).items
      })
    : null
  const store = new DirectorySnapshotStore(holder, live, (digest) => {
    reads.digest += 1
    return activePatientsOfDigest(digest)
  })
  return { store, reads }
}

describe('DirectorySnapshotStore: what the directory views read', () => {
  it('reads the digest while one is shown, without reading the doc as it syncs, then the doc once cleared', async () => {
    const producer = producerDirectory()
    const holder = new DirectoryDigestHolder()
    const fresh = new Y.Doc()
    const { store, reads } = activePatientsStore(holder, fresh)
    let notified = 0
    store.subscribe(() => (notified += 1))

    // Fresh device, nothing synced, no digest yet: the empty doc.
    expect(names(store.getSnapshot())).toEqual([])
    expect(reads.doc).toBe(1)

    holder.set(buildDirectoryDigest(producer, T0))
    await afterQueuedTasks()
    expect(notified).toBe(1)
    const fromDigest = store.getSnapshot()
    expect(names(fromDigest)).toEqual(['Lefèvre', 'Martin'])

    // The directory arrives in pieces: subscribers hear of it, the snapshot stays the digest's.
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(producer))
    addPatient(fresh, { birthName: 'Blanc', firstNames: 'Léo' }, alice, steppingClock())
    await afterQueuedTasks()
    expect(notified).toBe(3)
    expect(store.getSnapshot()).toBe(fromDigest)
    expect(reads).toEqual({ doc: 1, digest: 1 })

    holder.clear()
    await afterQueuedTasks()
    expect(notified).toBe(4)
    expect(names(store.getSnapshot())).toEqual(['Blanc', 'Lefèvre', 'Martin'])
    expect(reads.doc).toBe(2)

    // From now on, the live doc as before.
    const id = listPatients(fresh).items[0]!.id
    updatePatient(fresh, id, { birthName: 'Noir' }, alice, steppingClock())
    expect(names(store.getSnapshot())).toEqual(['Lefèvre', 'Martin', 'Noir'])
  })

  it('shows the digest before the doc has even opened, and nothing without either', () => {
    const holder = new DirectoryDigestHolder()
    const { store } = activePatientsStore(holder, null)
    expect(store.getSnapshot()).toBeNull()
    holder.set(buildDirectoryDigest(producerDirectory(), T0))
    expect(names(store.getSnapshot())).toEqual(['Lefèvre', 'Martin'])
    holder.clear()
    expect(store.getSnapshot()).toBeNull()
  })

  it('reads a newer digest when one replaces the shown one', () => {
    const producer = producerDirectory()
    const holder = new DirectoryDigestHolder()
    const { store } = activePatientsStore(holder, new Y.Doc())
    holder.set(buildDirectoryDigest(producer, T0))
    const first = store.getSnapshot()
    expect(store.getSnapshot()).toBe(first)
    addPatient(producer, { birthName: 'Blanc', firstNames: 'Léo' }, alice, steppingClock())
    holder.set(buildDirectoryDigest(producer, T0 + 1))
    expect(names(store.getSnapshot())).toEqual(['Blanc', 'Lefèvre', 'Martin'])
  })

  it('stops following the digest and the doc when the view unsubscribes', () => {
    const holder = new DirectoryDigestHolder()
    const doc = new Y.Doc()
    const { store } = activePatientsStore(holder, doc)
    let notified = 0
    const off = store.subscribe(() => (notified += 1))
    off()
    holder.set(buildDirectoryDigest(producerDirectory(), T0))
    addPatient(doc, { birthName: 'Blanc', firstNames: 'Léo' }, alice, steppingClock())
    expect(notified).toBe(0)
  })
})

describe('the digest readers give what the doc readers give', () => {
  it('active patients, and every patient by id', () => {
    const doc = producerDirectory()
    const digest = buildDirectoryDigest(doc, T0)
    expect(activePatientsOfDigest(digest)).toEqual(listPatients(doc).items)
    const all = listPatients(doc, { includeArchived: true, includeDeleted: true }).items
    expect(patientIndexOfDigest(digest)).toEqual(new Map(all.map((p) => [p.id, p])))
    expect(patientIndexOfDigest(digest).size).toBe(4)
    // Built once per digest: each view that mounts reads the same map.
    expect(patientIndexOfDigest(digest)).toBe(patientIndexOfDigest(digest))
    expect(patientIndexOfDigest(buildDirectoryDigest(doc, T0))).not.toBe(patientIndexOfDigest(digest))
  })

  it('one search index per digest, built in slices, searching its patients', async () => {
    const cache = new PatientIndexCache()
    const digest = buildDirectoryDigest(producerDirectory(), T0)
    expect(cache.peekDigest(digest)).toBeNull()
    const index = await whenBuilt(cache, () => cache.peekDigest(digest))
    expect(cache.peekDigest(digest)).toBe(index)
    expect(index.search('lefev').items.map((p) => p.firstNames)).toEqual(['Zoé'])
    expect(index.search('jeanne').items).toEqual([])
    expect(index.search('jeanne', { includeArchived: true }).items.map((p) => p.birthName)).toEqual(["D'Arc"])
    expect(cache.peekDigest(buildDirectoryDigest(producerDirectory(), T0))).toBeNull()
  })
})
