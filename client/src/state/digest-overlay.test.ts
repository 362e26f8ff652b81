import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { buildDirectoryDigest } from '../../../shared/src/digest/directory-digest'
import { addPatient, addPractitioner, listPatients, softDeletePatient, updatePatient } from '../../../shared/src/model'
import type { Patient } from '../../../shared/src/model'
import { T0, alice, bob, steppingClock } from '../../../shared/src/model/test-support'
import { DirectoryDigestHolder } from '../sync/digests/digest-source'
import { activePatientsOfDigest } from './directory'
import { DigestOverlay, DigestOverlayCache, LocalPatientWrites, overlayPatients, readWrittenPatients } from './digest-overlay'
import { PatientIndexCache, whenBuilt } from './patient-index-cache'
import { DirectorySnapshotStore } from './directory-snapshot'
import { DocSnapshotStore, DocVersion } from './doc-snapshot'
import { afterQueuedTasks } from '../sync/decode/after-this-task'

const clock = steppingClock()

/** The publishing device's directory, and a fresh device that has none of it yet. */
function practice() {
  const producer = new Y.Doc()
  const ids = {
    zoe: addPatient(producer, { birthName: 'Lefèvre', firstNames: 'Zoé' }, bob, clock),
    lea: addPatient(producer, { birthName: 'Martin', firstNames: 'Léa' }, bob, clock),
    paul: addPatient(producer, { birthName: 'Roux', firstNames: 'Paul' }, bob, clock),
  }
  return { producer, ids, fresh: new Y.Doc(), digest: buildDirectoryDigest(producer, T0) }
}

const names = (patients: readonly Patient[] | null | undefined) => patients?.map((p) => `${p.birthName} ${p.firstNames}`) ?? null

describe('LocalPatientWrites', () => {
  it('notes the patients this device wrote, not those a sync or a load brought', () => {
    const { producer, fresh } = practice()
    const writes = new LocalPatientWrites(fresh)
    let heard = 0
    writes.subscribe(() => (heard += 1))
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(producer))
    expect(writes.version).toBe(0)
    expect(writes.written.size).toBe(0)

    const added = addPatient(fresh, { birthName: 'Blanc', firstNames: 'Léo' }, alice, clock)
    const synced = listPatients(fresh).items.find((p) => p.birthName === 'Martin')!.id
    updatePatient(fresh, synced, { phones: ['0612345678'] }, alice, clock)
    expect([...writes.written].sort()).toEqual([added, synced].sort())
    expect(writes.version).toBe(2)
    expect(heard).toBe(2)

    // A local write elsewhere in the directory is not a patient write.
    addPractitioner(fresh, { displayName: 'Jeanne Roux', profession: 'kine' }, alice, clock)
    expect(writes.version).toBe(2)
    expect(heard).toBe(2)
  })
})

describe('overlayPatients', () => {
  it('puts the doc’s copy of written patients in the digest’s list, in its order', () => {
    const { producer, ids, digest } = practice()
    const added = addPatient(producer, { birthName: 'Blanc', firstNames: 'Léo' }, alice, clock)
    updatePatient(producer, ids.paul, { birthName: 'Abel' }, alice, clock)
    softDeletePatient(producer, ids.lea, alice, clock)
    const written = readWrittenPatients(producer, new Set([added, ids.paul, ids.lea, 'not-in-the-doc']))
    expect(written.map((p) => p.id).sort()).toEqual([added, ids.paul, ids.lea].sort())
    const merged = overlayPatients(digest.patients, written)
    expect(names(merged)).toEqual(['Abel Paul', 'Blanc Léo', 'Lefèvre Zoé', 'Martin Léa'])
    expect(merged.find((p) => p.id === ids.lea)?.deletedAt).toBeDefined()
    expect(merged).toEqual(listPatients(producer, { includeArchived: true, includeDeleted: true }).items)
  })

  it('returns the digest’s own list when nothing was written', () => {
    const { digest, fresh } = practice()
    expect(overlayPatients(digest.patients, [])).toBe(digest.patients)
    expect(readWrittenPatients(fresh, new Set(['unknown']))).toEqual([])
  })
})

describe('DigestOverlay', () => {
  it('shows the digest with this device’s patient writes over it, a new object only when they change', async () => {
    const { fresh, digest, producer } = practice()
    const holder = new DirectoryDigestHolder()
    const overlay = new DigestOverlayCache(holder).get(fresh)
    let heard = 0
    overlay.subscribe(() => (heard += 1))
    expect(overlay.current()).toBeNull()

    holder.set(digest)
    await afterQueuedTasks()
    expect(heard).toBe(1)
    expect(overlay.current()).toBe(digest)

    const added = addPatient(fresh, { birthName: 'Blanc', firstNames: 'Léo' }, alice, clock)
    expect(heard).toBe(2)
    const shown = overlay.current()!
    expect(shown).not.toBe(digest)
    expect(overlay.current()).toBe(shown)
    expect(shown.builtAt).toBe(digest.builtAt)
    expect(names(shown.patients)).toEqual(['Blanc Léo', 'Lefèvre Zoé', 'Martin Léa', 'Roux Paul'])
    expect(shown.patients.find((p) => p.id === added)).toBeDefined()

    // The sync brings the rest: nothing to re-read, nothing heard.
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(producer))
    await afterQueuedTasks()
    expect(heard).toBe(2)
    expect(overlay.current()).toBe(shown)

    holder.clear()
    expect(overlay.current()).toBeNull()
  })

  it('says how an overlaid digest was made, so its search index derives from the base digest’s', async () => {
    const { fresh, digest } = practice()
    const holder = new DirectoryDigestHolder()
    holder.set(digest)
    const overlays = new DigestOverlayCache(holder)
    const overlay = overlays.get(fresh)
    expect(overlays.originOf(overlay.current()!)).toBeUndefined()
    const added = addPatient(fresh, { birthName: 'Lefort', firstNames: 'Zoé' }, alice, clock)
    const shown = overlay.current()!
    expect(overlays.originOf(shown)).toEqual({ base: digest, written: [shown.patients.find((p) => p.id === added)] })

    const indexes = new PatientIndexCache()
    // Built in slices: null until the base is built, then the overlaid one derives at once.
    expect(indexes.peekDigest(shown, overlays.originOf(shown))).toBeNull()
    const base = await whenBuilt(indexes, () => indexes.peekDigest(digest))
    const derived = indexes.peekDigest(shown, overlays.originOf(shown))!
    expect(indexes.peekDigest(shown, overlays.originOf(shown))).toBe(derived)
    expect(indexes.peekDigest(digest)).toBe(base)
    const other = new PatientIndexCache()
    const direct = await whenBuilt(other, () => other.peekDigest(shown))
    for (const query of ['', 'zoe', 'lef', 'lefort']) {
      expect(derived.search(query).items, query).toEqual(direct.search(query).items)
    }
    expect(names(derived.search('zoe').items)).toEqual(['Lefèvre Zoé', 'Lefort Zoé'])
    expect(names(base.search('zoe').items)).toEqual(['Lefèvre Zoé'])
  })

  it('is one per directory doc of the practice', () => {
    const cache = new DigestOverlayCache(new DirectoryDigestHolder())
    const doc = new Y.Doc()
    expect(cache.get(doc)).toBe(cache.get(doc))
    expect(cache.get(new Y.Doc())).not.toBe(cache.get(doc))
  })

  it('lets the patient list show a patient added here while the digest is shown', () => {
    const { fresh, digest } = practice()
    const holder = new DirectoryDigestHolder()
    holder.set(digest)
    const overlay: DigestOverlay = new DigestOverlayCache(holder).get(fresh)
    const store = new DirectorySnapshotStore(
      overlay,
      new DocSnapshotStore(fresh, new DocVersion(fresh), (doc) => listPatients(doc).items),
      activePatientsOfDigest,
    )
    let heard = 0
    store.subscribe(() => (heard += 1))
    expect(names(store.getSnapshot())).toEqual(['Lefèvre Zoé', 'Martin Léa', 'Roux Paul'])
    addPatient(fresh, { birthName: 'Blanc', firstNames: 'Léo' }, alice, clock)
    expect(heard).toBeGreaterThan(0)
    expect(names(store.getSnapshot())).toEqual(['Blanc Léo', 'Lefèvre Zoé', 'Martin Léa', 'Roux Paul'])
  })
})
