/**
 * (a) A fresh device joins the practice: time until usable (directory with every patient listed,
 * and this week's agenda listed, from this month's doc) and until fully synced (every doc opened and matching A's state
 * vector), for each practice size of `--fresh-sizes` (practitioners; patients scale with them).
 *
 * Floor: the plaintext inner-doc states over a raw WebSocket, applied to fresh Y.Docs.
 * Baseline: the same plaintext docs on the stock y-websocket server, one room per doc, fetched by
 * stock providers (directory and this month first, then every other doc at once).
 * The three run interleaved, so a burst of noise on the shared machine hits all of them, each
 * sample in a child process of its own (fresh-joiner.ts): a full copy of ten years is several GiB,
 * freed with its process, and no sample inherits a heap an earlier one left to collect.
 */
import { loadavg } from 'node:os'
import * as Y from 'yjs'
import { hasState, until } from '../bench-device'
import { localToday } from '../fixture'
import { encodeDocFrame, startBytesServer } from '../floor-transport'
import { launchChromium } from '../../e2e/helpers/browser'
import { freshDatabase, startPostgresServer, type PostgresServer } from '../../helpers/postgres-server'
import { browserJoinTarget, joinInChromium, type BrowserJoinSample, type BrowserJoinTarget } from '../browser-joiner'
import { runJoiner, type JoinerJob, type JoinerResult } from '../fresh-joiner'
import { defaultSpec } from '../generate'
import { docOrder, SYNC_TIMEOUT_MS, type JoinSample } from '../join-measures'
import type { BenchOptions } from '../options'
import { peakRssBytes, resetPeakRss, sampleProcess } from '../process-stats'
import { round, type Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { median } from '../stats'
import { encodeStateVectors } from '../state-vectors'
import { startStockServer, stockProvider, type StockServer } from '../stock-server'
import { setUpStreamedPractice, type SyncedPractice } from '../streamed-practice'
import { underMeasureLock } from '../measure-lock'

type MeasuredKey = 'usableMs' | 'syncedMs' | 'bytesReceived' | 'directoryMs'

/**
 * A child's whole sample: fully synced at 10 × 10 years is minutes on this machine, and each
 * `until` inside is bounded by SYNC_TIMEOUT_MS already; this only catches a child that hangs.
 */
const JOINER_TIMEOUT_MS = 2 * SYNC_TIMEOUT_MS

/** Each wait of a join in Chromium: this week and a search, not the whole practice, take seconds. */
const BROWSER_STEP_TIMEOUT_MS = 120_000
/** The second Chromium join of each run reads « Qui êtes-vous ? » this long before tapping, as a person does. */
const PERSON_PAUSE_MS = 2_000

/**
 * Docs loaded on the stock server at once, and their plaintext bytes at most (a batch holds at
 * least one doc): bounds the loaders' copies in the bench's heap. A month of ten practitioners is
 * ≈3.5 MiB of plaintext and ≈8× that as a live doc, so 64 of them at once, twice (loader and
 * read-back), took gigabytes.
 */
const STOCK_LOAD_BATCH = { docs: 64, bytes: 16 * 2 ** 20 }

/** Splits `ids` in order into batches of at most `limit.docs` docs and `limit.bytes` bytes. */
export function loadBatches(ids: readonly string[], bytesOf: (id: string) => number, limit: { docs: number; bytes: number }): string[][] {
  const batches: string[][] = []
  let batch: string[] = []
  let bytes = 0
  for (const id of ids) {
    const size = bytesOf(id)
    if (batch.length > 0 && (batch.length >= limit.docs || bytes + size > limit.bytes)) {
      batches.push(batch)
      batch = []
      bytes = 0
    }
    batch.push(id)
    bytes += size
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

/**
 * Puts A's plaintext docs on the stock server, a batch at a time: one provider per doc, released
 * once a separate client reads that doc back in full (a provider's `sync` only says it received
 * the server's state, not that the server has ours). In the bench process, which holds the
 * plaintext anyway: a child would need it all sent over, and the batches bound what this adds.
 */
async function loadStockServer(server: StockServer, p: SyncedPractice, docIds: readonly string[]): Promise<void> {
  for (const batch of loadBatches(docIds, (id) => p.plaintext.get(id)!.byteLength, STOCK_LOAD_BATCH)) {
    const providers: Array<{ destroy(): void }> = []
    try {
      await Promise.all(
        batch.map(async (id) => {
          const doc = new Y.Doc({ guid: id, gc: true })
          Y.applyUpdate(doc, p.plaintext.get(id)!)
          providers.push(stockProvider(server, id, doc))
          const check = new Y.Doc({ guid: id, gc: true })
          providers.push(stockProvider(server, id, check))
          await until(check, (d) => hasState(d, p.expected.get(id)!), SYNC_TIMEOUT_MS)
        }),
      )
    } finally {
      for (const provider of providers) provider.destroy()
    }
  }
}

/** The joiners' jobs for `docIds` (usable only: the directory and this month). */
function joinerJobs(p: SyncedPractice, docIds: string[], urls: { floor: string; stock: string }, usableOnly: boolean) {
  const usable = { currentMonthDocId: p.currentMonthDocId, patients: p.written.patientIds.length }
  const sync = { ...usable, docOrder: docIds, expected: encodeStateVectors(new Map(docIds.map((id) => [id, p.expected.get(id)!]))) }
  return {
    floor: { kind: 'floor', url: urls.floor, docCount: docIds.length, ...usable } satisfies JoinerJob,
    stock: { kind: 'stock', url: urls.stock, ...sync } satisfies JoinerJob,
    ours: (run: number) => ({ kind: 'ours', code: p.code, usableOnly, name: `fresh-${run}`, ...sync }) satisfies JoinerJob,
  }
}

interface MeasureOptions {
  runs: number
  usableOnly: boolean
  /** --joiner-heap-mb: each joiner's --max-old-space-size; unset, NODE_OPTIONS's. */
  joinerHeapMb?: number
  /** Also join in Chromium (browser-joiner.ts): the relay serves the built app. */
  browser: boolean
}

async function measure(p: SyncedPractice, options: MeasureOptions, log: (line: string) => void, storageLabel = ''): Promise<{ rows: Row[]; details: unknown }> {
  const { runs, usableOnly } = options
  // Usable only: the floor and stock are given the directory and this month, ours stops there.
  const docIds = usableOnly ? docOrder(p).slice(0, 2) : docOrder(p)
  const server = await startBytesServer(docIds.map((id) => encodeDocFrame(id, p.plaintext.get(id)!)))
  const stock = await startStockServer({ maxOldSpaceMb: options.joinerHeapMb })
  const floor: JoinSample[] = []
  const ours: JoinSample[] = []
  const plain: JoinSample[] = []
  const inBrowser: BrowserJoinSample[] = []
  const inBrowserPaused: BrowserJoinSample[] = []
  const cpuDuringOurs = { relay: [] as number[], bench: [] as number[] }
  const joinerPeakRss = { floor: [] as number[], stock: [] as number[], ours: [] as number[] }
  let envelopeBytes = 0
  const loadAtStart = loadavg()
  // The measuring phase's own peak, not the setup's (that one is in p.setup).
  resetPeakRss()
  let stockPeakRssBytes: number | undefined
  const label = `${p.written.practitionerIds.length} practitioner(s) × ${p.spec.months} months${storageLabel}`
  const jobs = joinerJobs(p, docIds, { floor: server.url, stock: stock.url }, usableOnly)
  const join = (job: JoinerJob, run: string): Promise<JoinerResult> =>
    runJoiner(job, { label: `${label}, ${run}`, timeoutMs: JOINER_TIMEOUT_MS, maxOldSpaceMb: options.joinerHeapMb })
  // The Chromium join's target and browser, or null with --no-browser.
  const chromium = options.browser
    ? {
        target: browserJoinTarget(p.plaintext, { appUrl: p.relay.url, code: p.code, practitioners: p.written.practitionerIds.length, today: p.spec.today }),
        browser: await launchChromium(),
      }
    : null
  try {
    await loadStockServer(stock, p, docIds)
    // The stock warm-up: one full read-back by a stock client, not measured.
    const warmUp = await join(jobs.stock, 'stock warm-up')
    log(`  (a) stock server loaded; ${heapLine()}; each sample in a child process (heap limit ${Math.round(warmUp.heapLimitBytes / 2 ** 20)} MiB)`)
    for (let run = 0; run < runs; run++) {
      // One child after the other, interleaved per run: a burst of noise hits all three.
      const f = await join(jobs.floor, `run ${run + 1}/${runs}`)
      const s = await join(jobs.stock, `run ${run + 1}/${runs}`)
      // The relay's and this process's CPU over our sample (the child's whole life): the two other
      // processes on the machine's 2 cores while our device joins.
      const relayBefore = sampleProcess(p.relay.pid).cpuMs
      const benchBefore = process.cpuUsage()
      const o = await join(jobs.ours(run), `run ${run + 1}/${runs}`)
      const benchUsage = process.cpuUsage(benchBefore)
      cpuDuringOurs.relay.push(sampleProcess(p.relay.pid).cpuMs - relayBefore)
      cpuDuringOurs.bench.push((benchUsage.user + benchUsage.system) / 1000)
      // Ours in Chromium last: the other children have exited, the relay serves it alone.
      const b = chromium ? await joinInChromium(chromium.browser, chromium.target, BROWSER_STEP_TIMEOUT_MS) : null
      const bp = chromium ? await joinInChromium(chromium.browser, chromium.target, BROWSER_STEP_TIMEOUT_MS, PERSON_PAUSE_MS) : null
      floor.push(f.sample)
      plain.push(s.sample)
      ours.push(o.sample)
      if (b) inBrowser.push(b)
      if (bp) inBrowserPaused.push(bp)
      joinerPeakRss.floor.push(f.peakRssBytes)
      joinerPeakRss.stock.push(s.peakRssBytes)
      joinerPeakRss.ours.push(o.peakRssBytes)
      if (run === runs - 1 && !usableOnly) envelopeBytes = o.envelopeBytes ?? 0
      const sample = o.sample
      log(
        `  (a) ${label}, run ${run + 1}/${runs}: usable ${Math.round(sample.usableMs)} ms, patients from the ${sample.patientsFrom}, week digest ${sample.weekDigest ?? 'none'}, directory synced ${Math.round(sample.directoryMs)} ms (stock ${Math.round(plain.at(-1)!.usableMs)}, floor ${Math.round(floor.at(-1)!.usableMs)}), ` +
          (usableOnly ? '' : `synced ${Math.round(sample.syncedMs)} ms (stock ${Math.round(plain.at(-1)!.syncedMs)}, floor ${Math.round(floor.at(-1)!.syncedMs)}); `) +
          `rooms open when usable ${sample.roomsAtUsable}, at the end ${sample.roomsAtEnd}; ` +
          `peak RSS ours ${mib(o.peakRssBytes)} MiB (stock ${mib(s.peakRssBytes)}, floor ${mib(f.peakRssBytes)}); ` +
          `CPU during ours: relay ${Math.round(cpuDuringOurs.relay.at(-1)!)} ms, bench ${Math.round(cpuDuringOurs.bench.at(-1)!)} ms` +
          (b ? `; in Chromium: « Qui êtes-vous ? » ${Math.round(b.chooserMs)} ms, this week shown ${Math.round(b.weekMs)} ms (${Math.round(b.tapToWeekMs)} ms after the tap), search ${Math.round(b.searchMs)} ms` : '') +
          (bp ? `; tapping after ${PERSON_PAUSE_MS / 1000} s on « Qui êtes-vous ? »: week ${Math.round(bp.tapToWeekMs)} ms after the tap` : ''),
      )
    }
    stockPeakRssBytes = peakRssBytes(stock.pid)
  } finally {
    await chromium?.browser.close()
    await server.close()
    await stock.close()
  }
  const measurePeakRssBytes = peakRssBytes()
  const relayPeakRssBytes = peakRssBytes(p.relay.pid)
  const loadAtEnd = loadavg()
  const pick = (list: JoinSample[], key: MeasuredKey) => list.map((s) => s[key])
  const plaintextBytes = [...p.plaintext.values()].reduce((n, u) => n + u.byteLength, 0)
  const stat = `median of ${runs}`
  const scenario = `a. fresh device, ${label} (${p.written.appointments} appts, ${p.written.patientIds.length} patients)`
  const row = (metric: string, key: MeasuredKey, unit: Row['unit']): Row => ({
    scenario,
    metric,
    unit,
    ours: median(pick(ours, key)),
    floor: median(pick(floor, key)),
    baseline: median(pick(plain, key)),
    stat,
    samples: { ours: pick(ours, key), floor: pick(floor, key), baseline: pick(plain, key) },
  })
  const fromDigest = ours.filter((s) => s.patientsFrom === 'digest').length
  const usableMetric = `usable (patients + this week listed; ours from the digest in ${fromDigest}/${runs})`
  const directoryMetric = 'directory doc synced (floor, stock: = usable)'
  const rows = usableOnly
    ? [row(usableMetric, 'usableMs', 'ms'), row(directoryMetric, 'directoryMs', 'ms'), row('bytes received until usable (socket frames and HTTP bodies)', 'bytesReceived', 'bytes')]
    : [
        row(usableMetric, 'usableMs', 'ms'),
        row(directoryMetric, 'directoryMs', 'ms'),
        row(`fully synced (${p.written.docIds.length} docs match)`, 'syncedMs', 'ms'),
        row('bytes received (socket frames and HTTP bodies)', 'bytesReceived', 'bytes'),
        { scenario, metric: 'envelope state vs plaintext states', unit: 'bytes', ours: envelopeBytes, floor: plaintextBytes, stat: 'single measurement' } satisfies Row,
      ]
  if (chromium) rows.push(...browserRows(scenario, stat, inBrowser, inBrowserPaused, chromium.target))
  return {
    rows,
    details: {
      label,
      usableOnly,
      appointments: p.written.appointments,
      patients: p.written.patientIds.length,
      docs: p.written.docIds.length,
      plaintextBytes,
      envelopeBytes,
      setupMs: round(p.setupMs),
      // Peak RSS (VmHWM): the bench process during the setup and during the measuring, the relay
      // over the whole run, the stock server once loaded and read by the runs, and each joiner
      // child over its life (one per kind and run, in run order).
      ...(p.setup ? { setup: p.setup } : {}),
      peakRssBytes: { measuring: measurePeakRssBytes, relay: relayPeakRssBytes, stockServer: stockPeakRssBytes, joiners: joinerPeakRss },
      cpuDuringOursMs: cpuDuringOurs,
      // Not the code nor the name searched: a credential, and a (generated) patient's name.
      ...(chromium
        ? { browser: { practitioners: chromium.target.practitioners, weekAppointments: chromium.target.weekAppointments, samples: inBrowser, pausedSamples: inBrowserPaused } }
        : {}),
      loadAverage: { start: loadAtStart.map((n) => round(n, 2)), end: loadAtEnd.map((n) => round(n, 2)) },
    },
  }
}

/**
 * Ours in Chromium: absolute figures (the floor and stock are Node processes, not pages), against
 * the target of under 1 s for the agenda; the Node rows above keep the ratios.
 */
function browserRows(scenario: string, stat: string, samples: BrowserJoinSample[], paused: BrowserJoinSample[], target: BrowserJoinTarget): Row[] {
  const row = (metric: string, key: keyof BrowserJoinSample, from = samples, note?: string): Row => ({
    scenario,
    metric,
    unit: 'ms',
    ours: median(from.map((s) => s[key])),
    floor: null,
    stat,
    samples: { ours: from.map((s) => s[key]) },
    ...(note ? { note } : {}),
  })
  return [
    row('Chromium: « Qui êtes-vous ? » lists the practitioners (from the tap on « Rejoindre le cabinet »)', 'chooserMs'),
    row(`Chromium: this week shown, ${target.weekAppointments} appointments with their patients (from the same tap)`, 'weekMs', samples, 'the bench taps a practitioner as soon as the list shows'),
    row('Chromium: of which from the tap on a practitioner to this week shown', 'tapToWeekMs'),
    row(`Chromium: from the tap on a practitioner to this week shown, tapping after ${PERSON_PAUSE_MS / 1000} s on « Qui êtes-vous ? »`, 'tapToWeekMs', paused, 'a second join per run'),
    row('Chromium: patient search, typing a patient’s name until that patient’s row shows', 'searchMs'),
  ]
}

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20)
}

/** Heap and RSS now, for the log: where the memory of a big practice goes. */
function heapLine(): string {
  const { heapUsed, rss } = process.memoryUsage()
  return `heap ${Math.round(heapUsed / 2 ** 20)} MiB, RSS ${Math.round(rss / 2 ** 20)} MiB`
}

/** A practice of `practitioners` with patients in proportion to the shared practice's. */
function sizedSpec(options: BenchOptions, practitioners: number) {
  const patients = Math.max(100, Math.round((options.patients * practitioners) / options.practitioners))
  return defaultSpec(localToday(), { seed: options.seed, practitioners, patients, years: options.years })
}

export const freshDevice: Scenario = {
  id: 'fresh-device',
  async run(context: BenchContext): Promise<Row[]> {
    const { options, log } = context
    const rows: Row[] = []
    // With --fresh-storages=…,postgres: one durable PostgreSQL server for the run, a database per size.
    let postgres: PostgresServer | null = null
    try {
      for (const size of options.freshSizes) {
        for (const storage of options.freshStorages) {
          const on = storage === 'postgres' ? ' on PostgreSQL' : ''
          const key = `fresh-device-${size}${storage === 'postgres' ? '-postgres' : ''}`
          if (size === options.practitioners && storage === 'sqlite') {
            const shared = await context.practice()
            const result = await underMeasureLock(options.measureLock, log, () => measure({ ...shared, spec: shared.plan.spec }, options, log))
            rows.push(...result.rows)
            context.detail(key, result.details)
            continue
          }
          let storageEnv: Record<string, string> = {}
          if (storage === 'postgres') {
            postgres ??= await startPostgresServer({ durable: true })
            storageEnv = { TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: await freshDatabase(postgres.adminUrl, `fresh_${size}`) }
          }
          // A practice of this scenario's own is written by short-lived devices (streamed-practice.ts):
          // none is left holding it, the relay has everything, the floors read p.plaintext.
          const p = await setUpStreamedPractice(sizedSpec(options, size), log, { ...(await context.relayEnv()), ...storageEnv })
          try {
            log(`  (a) set up ${size} practitioner(s)${on} in ${Math.round(p.setupMs)} ms, peak RSS ${Math.round((p.setup?.peakRssBytes ?? 0) / 2 ** 20)} MiB; ${heapLine()}`)
            const result = await underMeasureLock(options.measureLock, log, () => measure(p, options, log, on))
            rows.push(...result.rows)
            context.detail(key, result.details)
          } finally {
            await p.relay.dispose()
          }
        }
      }
    } finally {
      await postgres?.stop()
    }
    return rows
  },
}
