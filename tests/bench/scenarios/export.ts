/**
 * (export) « Exporter le cabinet » on a 10-practitioner practice of one year and, with
 * `--export-years=1,10`, of ten (issue 21): the time to write the whole archive (FHIR NDJSON,
 * calendars, CSV, manifest) and the memory it takes above what the device holds before it starts,
 * in process and without a relay: the export reads the device's docs, so the relay plays no part.
 *
 * The docs are read as a device reads them: each doc's state from disk (export-fixture.ts, the
 * stand-in for IndexedDB), decoded into a Y.Doc for the time the export reads it, then let go;
 * the directory is loaded before the export starts, as the app holds it. The archive's bytes are
 * counted and dropped, as the app's sink folds them into a Blob off the JavaScript heap; each
 * file's compressed bytes wait in a Blob spool, as in the app (client/src/export/spool.ts). In
 * Node a Blob's bytes are in the process (RSS, not the JS heap); in Chromium they are in the
 * browser process's blob store, which pages them to disk past its quota.
 *
 * Memory, per size and run: VmHWM reset just before the export, minus the RSS then; the largest
 * JavaScript heap (`heapUsed`) and ArrayBuffer memory seen after each doc, above the figures
 * before; and the most compressed bytes the Blob spools held at once. The sizes run interleaved
 * within each run, so they share the machine's load. Then the first size's archive is read back
 * as « Réimporter une exportation » reads it (unzip, every line checked, the plan built; then
 * every record read again, as the writes read them).
 * No floor: there is no other exporter to compare with; the archive's size is set beside the
 * plaintext states of the docs it reads.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as Y from 'yjs'
import { exportPractice } from '../../../client/src/export/export-practice'
import type { ExportSource } from '../../../client/src/export/export-source'
import { blobSpool, type SpoolFactory } from '../../../client/src/export/spool'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { exportFixture, readFixtureDoc, type ExportFixture } from '../export-fixture'
import { localToday } from '../fixture'
import { measureImportRead } from '../import-read'
import { peakRssBytes, resetPeakRss, sampleProcess } from '../process-stats'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'

const PRACTITIONERS = 10

interface ExportSample {
  ms: number
  archive: number
  rssBefore: number
  peakRssAbove: number
  peakHeapAbove: number
  peakArrayBuffersAbove: number
  /** Most compressed bytes waiting in the Blob spools at once. */
  peakSpooled: number
}

function fixtureSource(fixture: ExportFixture, directory: Y.Doc): ExportSource {
  return {
    directory,
    months: fixture.agendaDocIds.map((id) => id.slice('agenda/'.length)),
    readsClinical: true,
    async withDoc<T>(docId: string, read: (doc: Y.Doc) => T | Promise<T>): Promise<T> {
      const doc = new Y.Doc({ guid: docId })
      const state = readFixtureDoc(fixture, docId)
      if (state) Y.applyUpdate(doc, state)
      try {
        return await read(doc)
      } finally {
        doc.destroy()
      }
    },
    attachmentBytes: null,
  }
}

/** The app's Blob spools, counting the bytes they hold at once (in Node a Blob's bytes are in the process). */
function countedBlobSpools(): { factory: SpoolFactory; peak: () => number } {
  let held = 0
  let peak = 0
  const factory: SpoolFactory = () => {
    const spool = blobSpool()
    return {
      append(chunk) {
        spool.append(chunk)
        held += chunk.length
        peak = Math.max(peak, held)
      },
      get size() {
        return spool.size
      },
      async *drain() {
        for await (const chunk of spool.drain()) {
          held -= chunk.length
          yield chunk
        }
      },
    }
  }
  return { factory, peak: () => peak }
}

async function measureOnce(fixture: ExportFixture, now: number, keep?: (chunk: Uint8Array) => void): Promise<ExportSample> {
  const directory = new Y.Doc({ guid: DIRECTORY_DOC_ID })
  Y.applyUpdate(directory, readFixtureDoc(fixture, DIRECTORY_DOC_ID)!)
  const source = fixtureSource(fixture, directory)
  ;(globalThis as { gc?: () => void }).gc?.()
  const before = process.memoryUsage()
  const rssBefore = sampleProcess(process.pid).rssBytes
  let heap = before.heapUsed
  let arrayBuffers = before.arrayBuffers
  resetPeakRss()
  let archive = 0
  const spools = countedBlobSpools()
  const started = performance.now()
  await exportPractice(source, {
    now,
    appVersion: 'bench',
    sink: (chunk) => {
      archive += chunk.byteLength
      keep?.(chunk)
    },
    spool: spools.factory,
    onProgress: () => {
      const usage = process.memoryUsage()
      heap = Math.max(heap, usage.heapUsed)
      arrayBuffers = Math.max(arrayBuffers, usage.arrayBuffers)
    },
  })
  const ms = performance.now() - started
  const sample = { ms, archive, rssBefore, peakRssAbove: peakRssBytes() - rssBefore, peakHeapAbove: heap - before.heapUsed, peakArrayBuffersAbove: arrayBuffers - before.arrayBuffers, peakSpooled: spools.peak() }
  directory.destroy()
  return sample
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`

export const exportScenario: Scenario = {
  id: 'export',
  async run({ options, log, detail }: BenchContext): Promise<Row[]> {
    const today = localToday()
    const fixtures: ExportFixture[] = []
    for (const years of options.exportYears) {
      const made = await exportFixture({ seed: options.seed, practitioners: PRACTITIONERS, years, patients: options.patients, today }, log, {
        ...(options.exportFixtureMinutes === undefined ? {} : { budgetMs: options.exportFixtureMinutes * 60_000 }),
      })
      if (!made.complete) {
        log(`  (export) ${PRACTITIONERS} × ${years}: fixture not complete (${made.monthsDone} of ${made.months} months, ${made.dir}): run the bench again to go on; not measured`)
        continue
      }
      const fixture = made.fixture
      log(
        `  (export) ${PRACTITIONERS} × ${years}: ${fixture.appointments} appointments, ${fixture.patients} patients, ${fixture.notes} notes in ` +
          `${1 + fixture.agendaDocIds.length + fixture.patientDocIds.length} docs (${fixture.plaintext} B of plaintext states), ` +
          (fixture.made ? `made in ${Math.round(fixture.makeMs / 1000)} s` : `read from ${fixture.dir}`),
      )
      fixtures.push(fixture)
    }
    const [y, m, d] = today.split('-').map(Number) as [number, number, number]
    const now = Date.UTC(y, m - 1, d, 9)
    const samples = new Map<ExportFixture, ExportSample[]>(fixtures.map((f) => [f, []]))
    // The smallest practice's archive, kept once, for the import's measure.
    const kept: Uint8Array[] = []
    for (let run = 0; run < options.runs; run++) {
      for (const fixture of fixtures) {
        const sample = await measureOnce(fixture, now, run === 0 && fixture === fixtures[0] ? (chunk) => kept.push(chunk.slice()) : undefined)
        samples.get(fixture)!.push(sample)
        log(
          `  (export) ${PRACTITIONERS} × ${fixture.years}, run ${run + 1}: ${Math.round(sample.ms)} ms, archive ${mib(sample.archive)}, ` +
            `peak RSS +${mib(sample.peakRssAbove)} over ${mib(sample.rssBefore)}, heap +${mib(sample.peakHeapAbove)}, ArrayBuffers +${mib(sample.peakArrayBuffersAbove)}, Blob spools at most ${mib(sample.peakSpooled)}`,
        )
      }
    }
    const rows: Row[] = []
    if (kept.length > 0) {
      const archive = new Uint8Array(Buffer.concat(kept))
      kept.length = 0
      // Beside its fixture, for reading it again by hand (e.g. the import at another commit).
      writeFileSync(join(fixtures[0]!.dir, 'export.zip'), archive)
      const reads = Array.from({ length: options.runs }, () => measureImportRead(archive, today))
      const fixture = fixtures[0]!
      log(
        `  (export) import read of the ${PRACTITIONERS} × ${fixture.years} archive (${mib(archive.length)}): ` +
          reads.map((r) => `${Math.round(r.ms)} ms, peak RSS +${mib(r.peakRssAbove)}, plan ${mib(r.planHeap)}; read again ${Math.round(r.againMs)} ms, peak RSS +${mib(r.againPeakRssAbove)}`).join('; '),
      )
      detail('import-read', { years: fixture.years, archive: archive.length, reads })
      const scenario = `export. « Réimporter une exportation » (reading and checking), the ${PRACTITIONERS} × ${fixture.years} archive (${reads[0]!.appointments} appointments)`
      const stat = `median of ${reads.length}`
      rows.push(
        { scenario, metric: 'time to read and check the archive', unit: 'ms', ours: median(reads.map((r) => r.ms)), floor: null, stat },
        { scenario, metric: 'peak RSS above the archive in memory', unit: 'bytes', ours: median(reads.map((r) => r.peakRssAbove)), floor: null, stat },
        { scenario, metric: 'JS heap the plan holds', unit: 'bytes', ours: median(reads.map((r) => r.planHeap)), floor: null, stat },
        { scenario, metric: 'time to read every record again (second pass, no writes)', unit: 'ms', ours: median(reads.map((r) => r.againMs)), floor: null, stat },
        { scenario, metric: 'peak RSS reading every record again', unit: 'bytes', ours: median(reads.map((r) => r.againPeakRssAbove)), floor: null, stat },
      )
    }
    for (const fixture of fixtures) {
      const list = samples.get(fixture)!
      const times = list.map((s) => s.ms).sort((a, b) => a - b)
      detail(`export-${PRACTITIONERS}x${fixture.years}`, { fixture: { ...fixture, agendaDocIds: fixture.agendaDocIds.length, patientDocIds: fixture.patientDocIds.length }, samples: list })
      const scenario = `export. « Exporter le cabinet », ${PRACTITIONERS} practitioners × ${fixture.years} year${fixture.years > 1 ? 's' : ''} (${fixture.appointments} appointments, ${fixture.patients} patients)`
      const stat = `median of ${list.length}`
      rows.push(
        { scenario, metric: 'time to write the archive', unit: 'ms', ours: median(times), floor: null, stat, samples: { ours: times } },
        { scenario, metric: 'archive size (vs plaintext doc states)', unit: 'bytes', ours: list[0]!.archive, floor: fixture.plaintext, stat: 'single measurement' },
        { scenario, metric: 'peak RSS above the directory loaded', unit: 'bytes', ours: median(list.map((s) => s.peakRssAbove)), floor: null, stat },
        { scenario, metric: 'peak JS heap above, after each doc', unit: 'bytes', ours: median(list.map((s) => s.peakHeapAbove)), floor: null, stat },
        { scenario, metric: 'most bytes in the Blob spools at once', unit: 'bytes', ours: median(list.map((s) => s.peakSpooled)), floor: null, stat },
      )
    }
    return rows
  },
}
