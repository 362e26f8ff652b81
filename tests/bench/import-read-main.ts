/**
 * « Réimporter une exportation », its reading, in a fresh process (docs/performance.md, section
 * 15): `tsx --expose-gc tests/bench/import-read-main.ts <export.zip> [today]` reads the archive as
 * the app does (its bytes in memory first, then `readArchive(unzipArchive(bytes))`) and prints one
 * JSON line: the time, the peak RSS above the RSS with the bytes loaded (VmHWM reset just before),
 * the heap the plan holds once read; and, where the plan reads its records again from the zip
 * (the second pass, `plan.records`), the time and peak RSS of reading every record again, without
 * writing. The archive is the one the export scenario keeps beside its fixture.
 */
import { readFileSync } from 'node:fs'
import { readArchive } from '../../client/src/import/archive-read'
import { unzipArchive } from '../../client/src/import/archive-unzip'
import { peakRssBytes, resetPeakRss, sampleProcess } from './process-stats'

const [path, today = '2026-12-07'] = process.argv.slice(2)
if (!path) throw new Error('usage: import-read-main.ts <export.zip> [YYYY-MM-DD]')
const gc = () => (globalThis as { gc?: () => void }).gc?.()

const bytes = new Uint8Array(readFileSync(path))
gc()
const heapBefore = process.memoryUsage().heapUsed
const rssBefore = sampleProcess(process.pid).rssBytes
resetPeakRss()
const started = performance.now()
const plan = readArchive(unzipArchive(bytes), today)
const ms = performance.now() - started
const peakRssAbove = peakRssBytes() - rssBefore
gc()
const planHeap = process.memoryUsage().heapUsed - heapBefore

// The second pass, where there is one: every record read again, as the writes read them.
const records = (plan as unknown as { records?: Record<string, () => Iterable<unknown>> }).records
let again: { againMs: number; againPeakRssAbove: number; records: number } | undefined
if (records) {
  const rss = sampleProcess(process.pid).rssBytes
  resetPeakRss()
  const from = performance.now()
  let n = 0
  for (const read of Object.values(records)) for (const _ of read()) n++
  again = { againMs: performance.now() - from, againPeakRssAbove: peakRssBytes() - rss, records: n }
}
console.log(JSON.stringify({ archive: bytes.length, rssBefore, ms, peakRssAbove, planHeap, ...again }))
