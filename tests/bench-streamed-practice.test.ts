/**
 * The fresh-device bench's streamed setup (tests/bench/streamed-practice.ts) against a real relay
 * process: short-lived writer devices write a practice spanning three agenda years, and a fresh
 * device that joins afterwards ends with exactly the states the setup kept as bytes, holding the
 * planned appointments, while no writer's IndexedDB is left behind.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { listPatients } from '../shared/src/model/patients'
import { listAppointments } from '../shared/src/model/agenda'
import { ROOMS_INDEX_MAP } from '../client/src/sync/practice/room-index'
import { benchEnvironment, deleteDeviceDatabases, type ByteCounter } from './bench/bench-device'
import { TEST_TODAY } from './helpers/test-clock'
import { defaultSpec, planPractice } from './bench/generate'
import { joinSynced, joinTargetOf } from './bench/join-measures'
import { loadBatches } from './bench/scenarios/fresh-device'
import { setUpStreamedPractice, writerGroups } from './bench/streamed-practice'

describe('streamed bench practice', () => {
  it('gives each agenda year a writer of its own, today’s year last', () => {
    const months = ['2025-11', '2025-12', '2026-01', '2026-02', '2027-01']
    expect(writerGroups(months, '2026-02-10')).toEqual([['2025-11', '2025-12'], ['2027-01'], ['2026-01', '2026-02']])
  })

  it('loads the stock server in batches bounded by docs and by plaintext bytes, in order, a big doc alone', () => {
    const sizes: Record<string, number> = { a: 10, b: 10, c: 25, d: 1, e: 1, f: 1 }
    const bytesOf = (id: string) => sizes[id]!
    expect(loadBatches(Object.keys(sizes), bytesOf, { docs: 2, bytes: 20 })).toEqual([['a', 'b'], ['c'], ['d', 'e'], ['f']])
    expect(loadBatches(Object.keys(sizes), bytesOf, { docs: 64, bytes: 20 })).toEqual([['a', 'b'], ['c'], ['d', 'e', 'f']])
    expect(loadBatches([], bytesOf, { docs: 64, bytes: 20 })).toEqual([])
  })

  it('writes with short-lived devices; a fresh device then matches every kept state and lists the plan', async () => {
    const spec = defaultSpec(TEST_TODAY, { practitioners: 2, patients: 150, months: 14 })
    const plan = planPractice(spec)
    const p = await setUpStreamedPractice(spec, () => undefined)
    const env = benchEnvironment('streamed-test')
    try {
      const years = new Set([...plan.agenda.keys()].map((month) => month.slice(0, 4)))
      expect(years.size).toBeGreaterThanOrEqual(2)
      expect(p.setup!.writers).toBe(1 + years.size)
      expect(p.setup!.peakRssBytes).toBeGreaterThan(0)
      expect(p.written.appointments).toBe([...plan.agenda.values()].flat(2).length)
      expect(p.written.agendaDocIds).toHaveLength(plan.agenda.size)
      expect(p.written.patientDocIds).toHaveLength(plan.notes.size)
      expect([...p.plaintext.keys()].sort()).toEqual([...p.written.docIds].sort())

      // Every writer is gone, and so is its local copy: the relay alone holds the practice.
      const left = (await indexedDB.databases()).map((d) => d.name ?? '').filter((name) => name.startsWith('bench-stream-'))
      expect(left).toEqual([])

      const counter: ByteCounter = { sent: 0, received: 0 }
      const { practice } = await joinSynced(joinTargetOf(p), env, counter, 60_000)
      try {
        const directory = await practice.space.openDoc(DIRECTORY_DOC_ID)
        expect(listPatients(directory).items).toHaveLength(150)
        // Every writer listed its month rooms in the directory: that is in the kept state too.
        expect([...directory.getMap(ROOMS_INDEX_MAP).keys()].filter((room) => room.startsWith('agenda/')).sort()).toEqual([...plan.agenda.keys()].map((month) => `agenda/${month}`).sort())
        for (const [month, days] of plan.agenda) {
          const doc = await practice.space.openDoc(`agenda/${month}`)
          expect(listAppointments(doc).items).toHaveLength(days.flat().length)
          const kept = new Y.Doc()
          Y.applyUpdate(kept, p.plaintext.get(`agenda/${month}`)!)
          expect(listAppointments(kept).items).toHaveLength(days.flat().length)
        }
      } finally {
        await practice.space.destroy()
      }
    } finally {
      await deleteDeviceDatabases(env)
      await p.relay.dispose()
    }
  })
})
