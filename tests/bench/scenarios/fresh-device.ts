/**
 * (a) A fresh device joins the practice: time until usable (directory with every patient listed,
 * and this month's agenda listed) and until fully synced (every doc opened and matching A's state
 * vector), for each practice size of `--fresh-sizes` (practitioners; patients scale with them).
 *
 * Floor: the plaintext inner-doc states over a raw WebSocket, applied to fresh Y.Docs.
 * Baseline: the same plaintext docs on the stock y-websocket server, one room per doc, fetched by
 * stock providers (directory and this month first, then every other doc at once).
 * The three run interleaved, so a burst of noise on the shared machine hits all of them.
 */
import { loadavg } from 'node:os'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { runBounded } from '../../../client/src/sync/bounded-queue'
import { joinPractice, type DeviceEnvironment, type OpenPractice } from '../../../client/src/sync/device'
import { BACKGROUND_CONCURRENCY, type PracticeSpace } from '../../../client/src/sync/practice-space'
import { backgroundOrder } from '../../../shared/src/space/background-order'
import type { RoomName } from '../../../shared/src/space/rooms'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { listPatients } from '../../../shared/src/model/patients'
import { listAppointments } from '../../../shared/src/model/agenda'
import { activePatientsOfDigest } from '../../../client/src/state/directory'
import { benchEnvironment, countingWebSocket, deleteDeviceDatabases, hasState, until, type ByteCounter, type StateVector } from '../bench-device'
import { localToday } from '../fixture'
import { decodeDocFrame, encodeDocFrame, startBytesServer } from '../floor-transport'
import { defaultSpec } from '../generate'
import type { BenchOptions } from '../options'
import { peakRssBytes, resetPeakRss } from '../process-stats'
import { round, type Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { median } from '../stats'
import { startStockServer, stockProvider, type StockServer } from '../stock-server'
import { setUpStreamedPractice, type SyncedPractice } from '../streamed-practice'

/** What a joining device and the checks need: the code, and A's docs and state vectors. */
type JoinTarget = Pick<SyncedPractice, 'code' | 'expected' | 'currentMonthDocId' | 'written'>

interface JoinSample {
  usableMs: number
  syncedMs: number
  bytesReceived: number
  /** Rooms (layout 2) open on the device when it became usable, and at the end. */
  roomsAtUsable?: number
  roomsAtEnd?: number
  /**
   * Until the directory doc itself is synced. The floor and stock list patients from it, so it
   * is their usable time; ours may list them from the digest first (patientsFrom).
   */
  directoryMs: number
  patientsFrom?: 'digest' | 'directory'
}
type MeasuredKey = 'usableMs' | 'syncedMs' | 'bytesReceived' | 'directoryMs'

function listUsable(directory: Y.Doc, month: Y.Doc, patients: number): void {
  const listed = listPatients(directory).items.length
  if (listed !== patients) throw new Error(`Listed ${listed} patients, expected ${patients}`)
  listAppointments(month)
}

/**
 * Ours: the patients as the views list them (from the digest while the device shows one, else
 * from the directory doc), and this month; says which source listed the patients.
 */
function listOursUsable(space: PracticeSpace, directory: Y.Doc, month: Y.Doc, patients: number): 'digest' | 'directory' {
  const digest = space.directoryDigest.current()
  if (digest === null) {
    listUsable(directory, month, patients)
    return 'directory'
  }
  const listed = activePatientsOfDigest(digest).length
  if (listed !== patients) throw new Error(`Listed ${listed} patients from the digest, expected ${patients}`)
  listAppointments(month)
  return 'digest'
}

/** The docs in the order a device needs them: directory, this month, then the rest. */
function docOrder(p: JoinTarget): string[] {
  return [DIRECTORY_DOC_ID, p.currentMonthDocId, ...p.written.docIds.filter((id) => id !== DIRECTORY_DOC_ID && id !== p.currentMonthDocId)]
}

/**
 * Joins with the pairing code and waits until usable, then until every doc matches A. The device
 * stays open (the caller destroys it); cold start reuses this to fill a device's IndexedDB.
 */
export async function joinSynced(
  p: JoinTarget,
  env: DeviceEnvironment,
  counter: ByteCounter,
  timeoutMs = 120_000,
  usableOnly = false,
): Promise<{ sample: JoinSample; practice: OpenPractice }> {
  const started = performance.now()
  const practice = await joinPractice(p.code, env)
  const { space } = practice
  const directory = await space.openDoc(DIRECTORY_DOC_ID)
  const month = await space.openDoc(p.currentMonthDocId)
  const directorySynced = until(directory, (d) => hasState(d, p.expected.get(DIRECTORY_DOC_ID)!), timeoutMs)
  // The views list patients from whichever comes first: the digest, or the synced directory.
  const patientsReady = Promise.race([
    space.whenDigestFetched().then((outcome) => (outcome === 'shown' ? undefined : directorySynced)),
    directorySynced,
  ])
  await Promise.all([patientsReady, until(month, (d) => hasState(d, p.expected.get(p.currentMonthDocId)!), timeoutMs)])
  const patientsFrom = listOursUsable(space, directory, month, p.written.patientIds.length)
  const usableMs = performance.now() - started
  const bytesAtUsable = counter.received
  const roomsAtUsable = space.openRoomNames().length
  await directorySynced
  const directoryMs = performance.now() - started
  if (usableOnly) {
    // Bytes until usable only: the background pass may already have started on other rooms.
    const sample = { usableMs, syncedMs: Number.NaN, bytesReceived: bytesAtUsable, roomsAtUsable, roomsAtEnd: roomsAtUsable, directoryMs, patientsFrom }
    return { sample, practice }
  }
  await openRest(space, docOrder(p).slice(2), (id) => p.expected.get(id)!, timeoutMs)
  const syncedMs = performance.now() - started
  return {
    sample: { usableMs, syncedMs, bytesReceived: counter.received, roomsAtUsable, roomsAtEnd: space.openRoomNames().length, directoryMs, patientsFrom },
    practice,
  }
}

/**
 * Opens the docs a device does not need to start, room by room, a few rooms at a time in the order
 * of the app's own background pass (PracticeSpace), rather than every room at once: 120 month
 * rooms opened together cost more in handshakes and relay loads than they gain.
 */
async function openRest(space: PracticeSpace, docIds: readonly string[], expected: (id: string) => StateVector, timeoutMs: number): Promise<void> {
  const byRoom = new Map<RoomName, string[]>()
  for (const id of docIds) {
    const room = await space.roomOfDoc(id)
    byRoom.set(room, [...(byRoom.get(room) ?? []), id])
  }
  const ordered = backgroundOrder([...byRoom.keys()], localToday())
  // backgroundOrder leaves out `main` (always open): its docs (all of them in layout 1) go first.
  const rooms = [...[...byRoom.keys()].filter((room) => !ordered.includes(room)), ...ordered]
  await runBounded(rooms, BACKGROUND_CONCURRENCY, async (room) => {
    await Promise.all(byRoom.get(room)!.map(async (id) => until(await space.openDoc(id), (d) => hasState(d, expected(id)), timeoutMs)))
    return 'next'
  })
}

async function floorOnce(url: string, p: SyncedPractice, docCount: number): Promise<JoinSample> {
  const started = performance.now()
  let bytesReceived = 0
  let usableMs = 0
  const docs = new Map<string, Y.Doc>()
  const socket = new WebSocket(url)
  socket.binaryType = 'arraybuffer'
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject)
    socket.on('message', (data: ArrayBuffer) => {
      bytesReceived += data.byteLength
      const { docId, update } = decodeDocFrame(new Uint8Array(data))
      const doc = new Y.Doc({ guid: docId, gc: true })
      Y.applyUpdate(doc, update)
      docs.set(docId, doc)
      if (usableMs === 0 && docs.has(DIRECTORY_DOC_ID) && docs.has(p.currentMonthDocId)) {
        listUsable(docs.get(DIRECTORY_DOC_ID)!, docs.get(p.currentMonthDocId)!, p.written.patientIds.length)
        usableMs = performance.now() - started
      }
      if (docs.size === docCount) resolve()
    })
  })
  const syncedMs = performance.now() - started
  socket.terminate()
  return { usableMs, syncedMs, bytesReceived, directoryMs: usableMs }
}

/** A fresh stock client: one provider per doc, each doc checked against A's state vector. */
async function stockOnce(server: StockServer, p: SyncedPractice, docIds: readonly string[]): Promise<JoinSample> {
  const counter: ByteCounter = { sent: 0, received: 0 }
  const WebSocketImpl = countingWebSocket(counter)
  const providers: Array<{ destroy(): void }> = []
  const started = performance.now()
  const open = async (id: string): Promise<Y.Doc> => {
    const doc = new Y.Doc({ guid: id, gc: true })
    providers.push(stockProvider(server, id, doc, WebSocketImpl))
    await until(doc, (d) => hasState(d, p.expected.get(id)!), SYNC_TIMEOUT_MS)
    return doc
  }
  try {
    const [directory, month] = await Promise.all([open(DIRECTORY_DOC_ID), open(p.currentMonthDocId)])
    listUsable(directory, month, p.written.patientIds.length)
    const usableMs = performance.now() - started
    await Promise.all(docIds.slice(2).map(open))
    return { usableMs, syncedMs: performance.now() - started, bytesReceived: counter.received, directoryMs: usableMs }
  } finally {
    for (const provider of providers) provider.destroy()
  }
}

/** Ten years of a practice on a loaded 2-core machine take minutes to sync, not seconds. */
const SYNC_TIMEOUT_MS = 900_000

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
 * the server's state, not that the server has ours). Then a full read-back, the stock warm-up.
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
  await stockOnce(server, p, docIds)
}

async function measure(p: SyncedPractice, runs: number, usableOnly: boolean, log: (line: string) => void): Promise<{ rows: Row[]; details: unknown }> {
  // Usable only: the floor and stock are given the directory and this month, ours stops there.
  const docIds = usableOnly ? docOrder(p).slice(0, 2) : docOrder(p)
  const server = await startBytesServer(docIds.map((id) => encodeDocFrame(id, p.plaintext.get(id)!)))
  const stock = await startStockServer()
  const floor: JoinSample[] = []
  const ours: JoinSample[] = []
  const plain: JoinSample[] = []
  let envelopeBytes = 0
  const loadAtStart = loadavg()
  // The measuring phase's own peak, not the setup's (that one is in p.setup).
  resetPeakRss()
  let stockPeakRssBytes: number | undefined
  const label = `${p.written.practitionerIds.length} practitioner(s) × ${p.spec.months} months`
  try {
    await loadStockServer(stock, p, docIds)
    log(`  (a) stock server loaded; ${heapLine()}`)
    for (let run = 0; run < runs; run++) {
      floor.push(await floorOnce(server.url, p, docIds.length))
      plain.push(await stockOnce(stock, p, docIds))
      const counter: ByteCounter = { sent: 0, received: 0 }
      const env = benchEnvironment(`fresh-${run}`, counter)
      const { sample, practice } = await joinSynced(p, env, counter, SYNC_TIMEOUT_MS, usableOnly)
      ours.push(sample)
      if (run === runs - 1 && !usableOnly) envelopeBytes = practice.space.envelopeStats().bytes
      await practice.space.destroy()
      await deleteDeviceDatabases(env)
      log(
        `  (a) ${label}, run ${run + 1}/${runs}: usable ${Math.round(sample.usableMs)} ms, patients from the ${sample.patientsFrom}, directory synced ${Math.round(sample.directoryMs)} ms (stock ${Math.round(plain.at(-1)!.usableMs)}, floor ${Math.round(floor.at(-1)!.usableMs)}), ` +
          (usableOnly ? '' : `synced ${Math.round(sample.syncedMs)} ms (stock ${Math.round(plain.at(-1)!.syncedMs)}, floor ${Math.round(floor.at(-1)!.syncedMs)}); `) +
          `rooms open when usable ${sample.roomsAtUsable}, at the end ${sample.roomsAtEnd}`,
      )
    }
    stockPeakRssBytes = peakRssBytes(stock.pid)
  } finally {
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
  const usableMetric = `usable (patients + this month listed; ours from the digest in ${fromDigest}/${runs})`
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
      // over the whole run, the stock server once loaded and read by the runs.
      ...(p.setup ? { setup: p.setup } : {}),
      peakRssBytes: { measuring: measurePeakRssBytes, relay: relayPeakRssBytes, stockServer: stockPeakRssBytes },
      loadAverage: { start: loadAtStart.map((n) => round(n, 2)), end: loadAtEnd.map((n) => round(n, 2)) },
    },
  }
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
    for (const size of options.freshSizes) {
      if (size === options.practitioners) {
        const shared = await context.practice()
        const result = await measure({ ...shared, spec: shared.plan.spec }, options.runs, options.usableOnly, log)
        rows.push(...result.rows)
        context.detail(`fresh-device-${size}`, result.details)
        continue
      }
      // A practice of this scenario's own is written by short-lived devices (streamed-practice.ts):
      // none is left holding it, the relay has everything, the floors read p.plaintext.
      const p = await setUpStreamedPractice(sizedSpec(options, size), options.layout, log)
      try {
        log(`  (a) set up ${size} practitioner(s) in ${Math.round(p.setupMs)} ms, peak RSS ${Math.round((p.setup?.peakRssBytes ?? 0) / 2 ** 20)} MiB; ${heapLine()}`)
        const result = await measure(p, options.runs, options.usableOnly, log)
        rows.push(...result.rows)
        context.detail(`fresh-device-${size}`, result.details)
      } finally {
        await p.relay.dispose()
      }
    }
    return rows
  },
}
