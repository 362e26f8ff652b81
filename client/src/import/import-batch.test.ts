/**
 * Imports written in batches into a real directory Y.Doc, then undone — from the device that
 * imported and from another replica that only received the updates.
 */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { addPatient, getPatient, listPatients } from '../../../shared/src/model'
import type { PatientFields } from '../../../shared/src/model'
import { alice, bob, PracticeReplica, steppingClock } from '../../../shared/src/model/test-support'
import { getImportBatch, importPatients, listImportBatches } from './import-batch'
import { undoImport } from './import-undo'
import type { ImportProgress } from './import-batch'

const people = (n: number): PatientFields[] =>
  Array.from({ length: n }, (_, i) => ({ birthName: `Importé${i}`, firstNames: 'Léa', birthDate: '1980-01-01' }))

const names = (doc: Y.Doc) => listPatients(doc).items.map((p) => p.birthName).sort()

async function imported(doc: Y.Doc, n: number, extra: { signal?: AbortSignal; onPause?: () => void | Promise<void> } = {}) {
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
      await extra.onPause?.()
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
      onPause: async () => {
        if (undoneElsewhere) return
        undoneElsewhere = true
        const here = new PracticeReplica(doc)
        const other = here.fork()
        await undoImport(other, listImportBatches(other.directory)[0]?.id as string, bob, steppingClock())
        here.exchange(other)
      },
    })
    expect(outcome).toMatchObject({ created: 2, stopped: true })
    expect(names(doc)).toEqual([])
  })
})
