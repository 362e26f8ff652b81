/**
 * (c) Cold start: a device holding the practice in (fake-)IndexedDB (joined and fully synced
 * first, not timed) opens it with no network:
 * loadPractice (connect: false) until the directory lists every patient and this week's agenda
 * is listed (listThisWeek). Floor: Y.applyUpdate of the same two plaintext states from memory, then the same lists.
 */
import * as Y from 'yjs'
import { loadPractice, type DeviceEnvironment } from '../../../client/src/sync/device/device'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { listPatients } from '../../../shared/src/model/patients'
import { benchEnvironment, deleteDeviceDatabases, hasState, type ByteCounter } from '../bench-device'
import type { BenchPractice } from '../fixture'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { median } from '../stats'
import { joinSynced, joinTargetOf, listThisWeek } from '../join-measures'

function floorOnce(p: BenchPractice): { total: number; open: number } {
  const started = performance.now()
  const directory = new Y.Doc({ guid: DIRECTORY_DOC_ID, gc: true })
  const month = new Y.Doc({ guid: p.currentMonthDocId, gc: true })
  Y.applyUpdate(directory, p.plaintext.get(DIRECTORY_DOC_ID)!)
  Y.applyUpdate(month, p.plaintext.get(p.currentMonthDocId)!)
  const open = performance.now() - started
  listPatients(directory)
  listThisWeek(month)
  return { total: performance.now() - started, open }
}

async function runColdStart(p: BenchPractice, env: DeviceEnvironment, runs: number, log: (line: string) => void): Promise<Row[]> {
  const offline: DeviceEnvironment = { ...env, connect: false }
  const total: number[] = []
  const load: number[] = []
  const opened: number[] = []
  const floor: number[] = []
  const floorOpen: number[] = []
  for (let run = 0; run < runs; run++) {
    const f = floorOnce(p)
    floor.push(f.total)
    floorOpen.push(f.open)
    const started = performance.now()
    const practice = await loadPractice(offline)
    if (!practice) throw new Error('The device has no practice stored')
    const loaded = performance.now()
    const directory = await practice.space.openDoc(DIRECTORY_DOC_ID)
    const month = await practice.space.openDoc(p.currentMonthDocId)
    opened.push(performance.now() - started)
    const listed = listPatients(directory).items.length
    listThisWeek(month)
    total.push(performance.now() - started)
    load.push(loaded - started)
    if (listed !== p.written.patientIds.length || !hasState(month, p.expected.get(p.currentMonthDocId)!)) {
      throw new Error(`Cold start showed ${listed} patients and an incomplete month: IndexedDB lost data`)
    }
    log(`  (c) run ${run + 1}/${runs}: ${Math.round(total.at(-1)!)} ms (IndexedDB → envelope ${Math.round(load.at(-1)!)} ms; floor ${floor.at(-1)!.toFixed(1)} ms)`)
    await practice.space.destroy()
  }
  const stat = `median of ${runs}`
  return [
    { scenario: 'c. cold start', metric: 'loadPractice → directory + this week listed', unit: 'ms', ours: median(total), floor: median(floor), stat, samples: { ours: total, floor } },
    { scenario: 'c. cold start', metric: 'of which until both docs open (before listing)', unit: 'ms', ours: median(opened), floor: median(floorOpen), stat, samples: { ours: opened, floor: floorOpen } },
    { scenario: 'c. cold start', metric: 'of which IndexedDB → envelope (loadPractice)', unit: 'ms', ours: median(load), floor: null, stat, samples: { ours: load } },
  ]
}

export const coldStart: Scenario = {
  id: 'cold-start',
  async run({ options, log, practice }: BenchContext): Promise<Row[]> {
    const p = await practice()
    const counter: ByteCounter = { sent: 0, received: 0 }
    const env = benchEnvironment('cold', counter)
    const joined = await joinSynced(joinTargetOf(p), env, counter)
    await joined.practice.space.destroy()
    try {
      return await runColdStart(p, env, options.runs, log)
    } finally {
      await deleteDeviceDatabases(env)
    }
  },
}
