/**
 * (export) « Exporter le cabinet » on a 10-practitioner, one-year practice (issue 21): the time to
 * write the whole archive (FHIR NDJSON, calendars, CSV, manifest) and the memory it takes above
 * what the practice's docs already hold, in process and without a relay: the export reads the
 * device's docs, so the relay plays no part. The archive's bytes are counted and dropped, as a
 * Blob would take them off the JavaScript heap.
 *
 * Peak memory: VmHWM reset just before the export, minus the RSS then (the docs, already loaded).
 * No floor: there is no other exporter to compare with; the archive's size is set beside the
 * plaintext states of the docs it reads.
 */
import * as Y from 'yjs'
import { exportPractice } from '../../../client/src/export/export-practice'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { initPractice } from '../../../shared/src/model/practice'
import { localToday } from '../fixture'
import { defaultSpec, planPractice, steppingClock, writePractice } from '../generate'
import { peakRssBytes, resetPeakRss, sampleProcess } from '../process-stats'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'

export const exportScenario: Scenario = {
  id: 'export',
  async run({ options, log, detail }: BenchContext): Promise<Row[]> {
    const practitioners = 10
    const docs = new Map<string, Y.Doc>()
    const openDoc = async (id: string) => {
      if (!docs.has(id)) docs.set(id, new Y.Doc({ guid: id }))
      return docs.get(id)!
    }
    const actor = { deviceId: 'bench-export', memberId: 'setup' }
    const plan = planPractice(defaultSpec(localToday(), { seed: options.seed, practitioners, patients: options.patients, years: 1 }))
    const [y, m] = plan.spec.firstMonth.split('-').map(Number) as [number, number]
    const clock = steppingClock(Date.UTC(y, m - 1, 1), 1000)
    initPractice(await openDoc(DIRECTORY_DOC_ID), { name: 'Cabinet de la Croix-Rousse', firstPractitioner: { displayName: 'Olivier Besson', profession: 'kine' } }, actor, clock)
    const written = await writePractice({ openDoc }, plan, actor, clock)
    const plaintext = [...docs.values()].reduce((n, doc) => n + Y.encodeStateAsUpdate(doc).byteLength, 0)
    log(`  (export) ${written.appointments} appointments, ${written.patientIds.length} patients, ${written.notes} notes in ${docs.size} docs (${plaintext} B of plaintext states)`)

    const source = {
      directory: docs.get(DIRECTORY_DOC_ID)!,
      months: written.agendaDocIds.map((id) => id.slice('agenda/'.length)),
      readsClinical: true,
      withDoc: async <T>(docId: string, read: (doc: Y.Doc) => T | Promise<T>) => read(await openDoc(docId)),
      attachmentBytes: null,
    }
    const samples: number[] = []
    let archive = 0
    let rss = 0
    let peak = 0
    for (let run = 0; run < options.runs; run++) {
      ;(globalThis as { gc?: () => void }).gc?.()
      rss = sampleProcess(process.pid).rssBytes
      resetPeakRss()
      archive = 0
      const started = performance.now()
      await exportPractice(source, { now: clock(), appVersion: 'bench', sink: (chunk) => (archive += chunk.byteLength) })
      samples.push(performance.now() - started)
      peak = Math.max(peak, peakRssBytes() - rss)
    }
    samples.sort((a, b) => a - b)
    const median = samples[Math.floor(samples.length / 2)]!
    log(`  (export) ${Math.round(median)} ms (median of ${samples.length}), archive ${archive} B, peak RSS +${peak} B over ${rss} B`)
    detail('export', { practitioners, patients: written.patientIds.length, appointments: written.appointments, notes: written.notes, docs: docs.size, plaintext, archive, samples, rssBefore: rss, peakAbove: peak })
    const scenario = `export. « Exporter le cabinet », ${practitioners} practitioners × 1 year (${written.appointments} appointments, ${written.patientIds.length} patients)`
    return [
      { scenario, metric: 'time to write the archive', unit: 'ms', ours: median, floor: null, stat: `median of ${samples.length}`, samples: { ours: samples } },
      { scenario, metric: 'archive size (vs plaintext doc states)', unit: 'bytes', ours: archive, floor: plaintext, stat: 'single measurement' },
      { scenario, metric: 'peak RSS above the loaded docs', unit: 'bytes', ours: peak, floor: null, stat: `max of ${samples.length}` },
    ]
  },
}
