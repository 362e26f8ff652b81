/**
 * « Réimporter une exportation », its reading, in a fresh process (docs/performance.md, section
 * 15): `tsx --expose-gc tests/bench/import-read-main.ts <export.zip> [today]` reads the archive as
 * the app does (its bytes in memory first, then `readArchive(unzipArchive(bytes))`, import-read.ts)
 * and prints one JSON line: the time, the peak RSS above the RSS with the bytes loaded (VmHWM reset
 * just before), the heap the plan holds once read; then the time and peak RSS of the second pass,
 * every record read again from the zip without writing. The archive is the one the export scenario
 * keeps beside its fixture.
 */
import { readFileSync } from 'node:fs'
import { measureImportRead } from './import-read'
import { sampleProcess } from './process-stats'

const [path, today = '2026-12-07'] = process.argv.slice(2)
if (!path) throw new Error('usage: import-read-main.ts <export.zip> [YYYY-MM-DD]')

const bytes = new Uint8Array(readFileSync(path))
const rssBefore = sampleProcess(process.pid).rssBytes
console.log(JSON.stringify({ archive: bytes.length, rssBefore, ...measureImportRead(bytes, today) }))
