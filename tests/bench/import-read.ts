/**
 * « Réimporter une exportation », its reading measured (the export scenario, scenarios/export.ts,
 * and import-read-main.ts in a fresh process).
 */
import { readArchive } from '../../client/src/import/archive-read'
import { unzipArchive } from '../../client/src/import/archive-unzip'
import { peakRssBytes, resetPeakRss, sampleProcess } from './process-stats'

export interface ImportReadMeasure {
  /** The first pass (the archive checked into the plan), ms. */
  ms: number
  peakRssAbove: number
  /** The heap the plan holds once read, after a GC (with --expose-gc). */
  planHeap: number
  appointments: number
  /** The second pass: every record read again from the zip, without the writes. */
  againMs: number
  againPeakRssAbove: number
}

/**
 * « Réimporter une exportation », its reading parts (archive-read.ts): the first pass, the archive
 * checked line by line into the plan the writes take, then the second, every record read again
 * from the zip as the writes read it (without the writes). Peak RSS above the RSS before each (the
 * archive's bytes already in memory, as the app reads the File first), and the heap the plan holds
 * once read — what stays while the writes run.
 */
export function measureImportRead(archive: Uint8Array, today: string): ImportReadMeasure {
  ;(globalThis as { gc?: () => void }).gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const rssBefore = sampleProcess(process.pid).rssBytes
  resetPeakRss()
  const started = performance.now()
  const plan = readArchive(unzipArchive(archive), today)
  const ms = performance.now() - started
  const peakRssAbove = peakRssBytes() - rssBefore
  ;(globalThis as { gc?: () => void }).gc?.()
  const planHeap = process.memoryUsage().heapUsed - heapBefore
  const rssAgain = sampleProcess(process.pid).rssBytes
  resetPeakRss()
  const again = performance.now()
  let records = 0
  const { records: files } = plan
  for (const read of [files.patients, files.prescriptions, files.attachments, files.appointments, files.notes, files.accessLog]) for (const _ of read()) records++
  const againMs = performance.now() - again
  const againPeakRssAbove = peakRssBytes() - rssAgain
  const expected = Object.values(plan.counts).reduce((n, c) => n + c, 0)
  if (records !== expected) throw new Error(`import read: the second pass read ${records} records, the first counted ${expected}`)
  return { ms, peakRssAbove, planHeap, appointments: plan.counts.appointments, againMs, againPeakRssAbove }
}
