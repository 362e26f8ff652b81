/**
 * Imports written in batches into a real directory Y.Doc, then undone — from the device that
 * imported and from another replica that only received the updates.
 */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { addPatient, getPatient, listPatients, mergePatients, notePatientMonths, updatePatient } from '../../../shared/src/model'
import type { PatientFields } from '../../../shared/src/model'
import { alice, bob, exchange, fork, steppingClock } from '../../../shared/src/model/test-support'
import { getImportBatch, importPatients, listImportBatches, planUndo, undoImport } from './import-batch'
import type { ImportProgress } from './import-batch'

const people = (n: number): PatientFields[] =>
  Array.from({ length: n }, (_, i) => ({ birthName: `Importé${i}`, firstNames: 'Léa', birthDate: '1980-01-01' }))

const names = (doc: Y.Doc) => listPatients(doc).items.map((p) => p.birthName).sort()

async function imported(doc: Y.Doc, n: number, extra: { signal?: AbortSignal; onPause?: () => void } = {}) {
  const progress: ImportProgress[] = []
  let pauses = 0
  const outcome = await importPatients(doc, people(n), {
    source: 'patients-csv',
    fileName: 'patients.csv',
    actor: alice,
    clock: steppingClock(),
    batchSize: 2,
    ...(extra.signal ? { signal: extra.signal } : {}),
    onProgress: (p) => progress.push(p),
    pause: async () => {
      pauses++
      extra.onPause?.()
    },
  })
  return { outcome, progress, pauses }
}

describe('importPatients', () => {
  it('creates the patients in batches, with progress, and lists every id in the synced record', async () => {
    const doc = new Y.Doc()
    addPatient(doc, { birthName: 'Déjà', firstNames: 'Là' }, bob, steppingClock())
    const { outcome, progress, pauses } = await imported(doc, 5)
    expect(outcome).toMatchObject({ created: 5, stopped: false })
    expect(progress).toEqual([0, 2, 4, 5].map((done) => ({ done, total: 5 })))
    expect(pauses).toBe(3)
    const batch = getImportBatch(doc, outcome.batchId)
    expect(batch).toMatchObject({ source: 'patients-csv', fileName: 'patients.csv', planned: 5, stopped: false, finishedAt: expect.any(Number) })
    expect(batch?.patients.map((id) => getPatient(doc, id)?.birthName)).toEqual(people(5).map((p) => p.birthName))
    expect(names(doc)).toHaveLength(6)
  })

  it('stops between two batches when asked, and what it created is listed', async () => {
    const doc = new Y.Doc()
    const controller = new AbortController()
    const { outcome } = await imported(doc, 7, { signal: controller.signal, onPause: () => controller.abort() })
    expect(outcome).toMatchObject({ created: 2, stopped: true })
    expect(getImportBatch(doc, outcome.batchId)).toMatchObject({ patients: expect.any(Array), stopped: true })
    expect(getImportBatch(doc, outcome.batchId)?.patients).toHaveLength(2)
    expect(getImportBatch(doc, outcome.batchId)?.finishedAt).toBeUndefined()
  })

  it('stops when another device undid the import meanwhile, and that undo can be finished', async () => {
    const doc = new Y.Doc()
    let undoneElsewhere = false
    const { outcome } = await imported(doc, 6, {
      onPause: () => {
        if (undoneElsewhere) return
        undoneElsewhere = true
        const other = fork(doc)
        undoImport(other, listImportBatches(other)[0]?.id as string, bob, steppingClock())
        exchange(doc, other)
      },
    })
    expect(outcome).toMatchObject({ created: 2, stopped: true })
    expect(names(doc)).toEqual([])
  })
})

describe('undoImport', () => {
  it('removes exactly what the import created, and nothing else', async () => {
    const doc = new Y.Doc()
    addPatient(doc, { birthName: 'Déjà', firstNames: 'Là' }, bob, steppingClock())
    const { outcome } = await imported(doc, 3)
    const plan = undoImport(doc, outcome.batchId, alice, steppingClock(Date.UTC(2026, 10, 3)))
    expect(plan).toMatchObject({ remove: expect.any(Array), keep: [], gone: 0 })
    expect(plan.remove).toHaveLength(3)
    expect(names(doc)).toEqual(['Déjà'])
    // Soft-deleted, as every deletion in the app: each can still be restored.
    expect(listPatients(doc, { includeDeleted: true }).items).toHaveLength(4)
    expect(getImportBatch(doc, outcome.batchId)).toMatchObject({ undoneAt: Date.UTC(2026, 10, 3), kept: [] })
  })

  it('keeps, and names, the patients the practice used since: edited, booked, merged into', async () => {
    const doc = new Y.Doc()
    const clock = steppingClock(Date.UTC(2026, 10, 5))
    const { outcome } = await imported(doc, 4)
    const [edited, booked, mergedInto, untouched] = getImportBatch(doc, outcome.batchId)?.patients ?? []
    updatePatient(doc, edited as string, { email: 'lea@example.fr' }, bob, clock)
    notePatientMonths(doc, [{ patientId: booked as string, month: '2026-12' }])
    const twin = addPatient(doc, { birthName: 'Importé2', firstNames: 'Léa', birthDate: '1980-01-01' }, bob, clock)
    mergePatients(doc, mergedInto as string, twin, bob, clock)
    const plan = planUndo(doc, outcome.batchId)
    expect(plan.remove).toEqual([untouched])
    expect(plan.keep).toEqual([
      { id: edited, name: 'Importé0 Léa', reason: 'edited' },
      { id: booked, name: 'Importé1 Léa', reason: 'appointments' },
      { id: mergedInto, name: 'Importé2 Léa', reason: 'merged' },
    ])
    undoImport(doc, outcome.batchId, alice, clock)
    expect(names(doc)).toEqual(['Importé0', 'Importé1', 'Importé2'])
    expect(getImportBatch(doc, outcome.batchId)?.kept).toEqual([edited, booked, mergedInto])
  })

  it('can be done from another device that only received the import', async () => {
    const doc = new Y.Doc()
    const { outcome } = await imported(doc, 3)
    const other = fork(doc)
    expect(listImportBatches(other).map((b) => b.id)).toEqual([outcome.batchId])
    undoImport(other, outcome.batchId, bob, steppingClock())
    exchange(doc, other)
    expect(names(doc)).toEqual([])
    expect(planUndo(doc, outcome.batchId)).toMatchObject({ remove: [], gone: 3 })
  })

  it('skips a record that is not an import', () => {
    const doc = new Y.Doc()
    const junk = new Y.Map<unknown>()
    doc.getMap('imports').set('junk', junk)
    junk.set('source', 'somewhere')
    expect(listImportBatches(doc)).toEqual([])
  })
})
