/**
 * `npm run bench`: the sync benchmarks of Tournée against a real relay process on loopback, each
 * beside a floor (and, where one exists, the stock y-websocket server) measured in the same run.
 * Prints a Markdown table on stdout (progress on stderr) and saves every sample to
 * bench-results/<timestamp>.json. See docs/performance.md.
 *
 *   npm run bench                      3 practitioners × 12 months, 2,000 patients, 5 runs, 50 edits
 *   npm run bench -- --quick           small sizes, 3 runs, 20 edits
 *   npm run bench -- --full            adds 10 practitioners, 200 devices, 500-device capacity
 *   npm run bench -- --only=edit-latency,relay-capacity
 *   npm run bench -- --only=week       the agenda's week render in Chromium
 *   npm run bench -- --only=pairing    pairing a device through the relay's mailbox
 *   npm run bench -- --only=signatures signing and checking entries, against the same work unsigned
 *   npm run bench -- --only=key-rotation   revoking a device: the new key epoch, and re-encryption
 *   npm run bench -- --only=big-practice   20,000 patients × 24 months on a tablet, against --baseline-ref
 *   npm run bench -- --runs=7 --edits=100 --seed=42 --patients=5000 --practitioners=5 --years=2
 *
 * Every option also reads from the environment (BENCH_RUNS, BENCH_ONLY, BENCH_FULL=1, …; see
 * options.ts). Figures are never asserted: machines are shared and noisy.
 */
import 'fake-indexeddb/auto'
import { fileURLToPath } from 'node:url'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { deleteDeviceDatabases } from './bench-device'
import { defaultSpec } from './generate'
import { buildAppForBench, type BuiltApp } from './app-build'
import { localToday, setUpPractice, type BenchPractice } from './fixture'
import { readOptions } from './options'
import { describeMachine, machineLine, markdownTable, round, saveResults, type Row } from './report'
import type { BenchContext, Scenario } from './scenario'
import { freshDevice } from './scenarios/fresh-device'
import { editLatency } from './scenarios/edit-latency'
import { coldStart } from './scenarios/cold-start'
import { storage } from './scenarios/storage'
import { storageYear } from './scenarios/storage-year'
import { longOffline } from './scenarios/long-offline'
import { relayCapacity } from './scenarios/relay-capacity'
import { idleConnections } from './scenarios/idle-connections'
import { fanout } from './scenarios/fanout'
import { weekRender } from './scenarios/week-render'
import { bigPractice } from './scenarios/big-practice'
import { pairing } from './scenarios/pairing'
import { signatures } from './scenarios/signatures'
import { keyRotation } from './scenarios/key-rotation'
import { exportScenario } from './scenarios/export'

/** In the order they run. A new scenario is one import and one line here. */
const SCENARIOS: Scenario[] = [
  freshDevice,
  editLatency,
  coldStart,
  storage,
  // After storage: its edits would change the sizes storage compares with the plaintext.
  longOffline,
  storageYear,
  relayCapacity,
  // Relays of their own (this checkout's and --baseline-ref's): needs no practice.
  idleConnections,
  // Its own PostgreSQL, Redis and relay nodes (issue 22); not in --quick.
  fanout,
  pairing,
  // In process, no relay: signing and checking entries against the same work unsigned.
  signatures,
  // In process, no relay: the export reads the device's docs (issue 21).
  exportScenario,
  // Real Chromium, its own data: needs neither the relay nor the shared practice.
  weekRender,
  // Real Chromium on a relay of its own (seeded, cached), the app built twice: ours and before.
  bigPractice,
  // Last of those on the shared practice: it leaves it at a later key epoch.
  keyRotation,
]

const log = (line: string) => console.error(line)

function describeVolume(practice: BenchPractice) {
  const { written, plaintext } = practice
  return {
    practitioners: written.practitionerIds.length,
    patients: written.patientIds.length,
    appointments: written.appointments,
    seriesAppointments: written.seriesAppointments,
    series: written.series,
    agendaMonths: written.agendaDocIds.length,
    patientFiles: written.patientDocIds.length,
    notes: written.notes,
    docs: written.docIds.length,
    plaintextBytes: [...plaintext.values()].reduce((n, u) => n + u.byteLength, 0),
    directoryBytes: plaintext.get(DIRECTORY_DOC_ID)!.byteLength,
    currentMonthBytes: plaintext.get(practice.currentMonthDocId)!.byteLength,
    envelopeEntries: practice.a.space.inspect.envelopeStats().entries,
    setupMs: round(practice.setupMs),
  }
}

async function main(): Promise<void> {
  // Every y-websocket provider (ours and the stock ones) adds a process 'exit' listener: 200
  // devices in one process are expected here, not a leak.
  process.setMaxListeners(0)
  const options = readOptions(
    process.argv.slice(2),
    process.env,
    SCENARIOS.map((s) => s.id),
  )
  const machine = describeMachine()
  const today = localToday()
  const spec = defaultSpec(today, { seed: options.seed, patients: options.patients, practitioners: options.practitioners, years: options.years })
  const chosen = options.only.length > 0 ? SCENARIOS.filter((s) => options.only.includes(s.id)) : SCENARIOS.filter((s) => !options.quick || s.inQuickRun !== false)
  log(`Tournée bench — ${machineLine(machine)}`)
  log(`Scenarios: ${chosen.map((s) => s.id).join(', ')}${options.full ? ' (full)' : ''}`)

  const started = performance.now()
  let shared: Promise<BenchPractice> | null = null
  let volume: ReturnType<typeof describeVolume> | null = null
  // Fresh device joins in Chromium too (browser-joiner.ts): the relays serve the app, built once.
  const wantsApp = options.browser && chosen.some((s) => s.id === 'fresh-device')
  let app: Promise<BuiltApp> | null = null
  const relayEnv = async (): Promise<Record<string, string>> => {
    if (!wantsApp) return {}
    app ??= (async () => {
      log('Building the app for Chromium (vite build; --no-browser skips it)')
      return buildAppForBench()
    })()
    return { TOURNEE_STATIC_DIR: (await app).dir }
  }
  const details: Record<string, unknown> = {}
  const context: BenchContext = {
    options,
    log,
    practice: () => {
      shared ??= (async () => {
        log(`Shared practice: ${spec.practitioners} practitioner(s) × ${spec.months} months from ${spec.firstMonth}, ${spec.patients} patients, seed ${spec.seed}`)
        const practice = await setUpPractice(spec, await relayEnv())
        volume = describeVolume(practice)
        log(`Set up in ${Math.round(practice.setupMs)} ms: ${JSON.stringify(volume)}`)
        return practice
      })()
      return shared
    },
    relayEnv,
    detail: (key, value) => {
      details[key] = value
    },
  }

  const rows: Row[] = []
  try {
    for (const scenario of chosen) {
      log(`— ${scenario.id}`)
      const scenarioStarted = performance.now()
      rows.push(...(await scenario.run(context)))
      details[`${scenario.id}-seconds`] = round((performance.now() - scenarioStarted) / 1000, 1)
    }
  } finally {
    if (shared) {
      const practice = await (shared as Promise<BenchPractice>).catch(() => null)
      if (practice) {
        await practice.a.space.destroy()
        await deleteDeviceDatabases(practice.envA)
        await practice.relay.dispose()
      }
    }
    if (app) (await (app as Promise<BuiltApp>).catch(() => null))?.dispose()
  }

  const totalMs = performance.now() - started
  const v = volume as ReturnType<typeof describeVolume> | null
  const header = [
    `Tournée bench, ${new Date().toISOString()}${options.full ? ', --full' : ''}${options.only.length > 0 ? `, --only=${options.only.join(',')}` : ''}`,
    `Machine: ${machineLine(machine)}`,
    ...(v
      ? [
          `Shared practice: ${v.practitioners} practitioner(s), ${v.appointments} appointments (${v.seriesAppointments} in ${v.series} series) in ${v.agendaMonths} month docs, ${v.patients} patients, ${v.patientFiles} patient files (${v.notes} notes); ${round(v.plaintextBytes / 2 ** 20, 2)} MiB of plaintext Yjs state; today ${today}`,
        ]
      : []),
    `Ratios = Tournée / floor and Tournée / stock y-websocket (same run). Total bench time ${round(totalMs / 1000, 1)} s.`,
  ]
  console.log(`${header.join('  \n')}\n\n${markdownTable(rows)}\n`)
  const file = saveResults(fileURLToPath(new URL('../../bench-results', import.meta.url)), {
    date: new Date().toISOString(),
    machine,
    options,
    spec,
    volume: v,
    totalMs: round(totalMs),
    rows,
    details,
  })
  log(`Saved ${file}`)
}

main().then(
  // Sockets and fake-indexeddb timers of destroyed devices may linger: the run is over.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
