/**
 * `npm run bench`: the sync benchmarks of Tournée against a real relay process on loopback, each
 * beside a floor measured in the same run. Prints a Markdown table on stdout (progress on stderr)
 * and saves every sample to bench-results/<timestamp>.json. See docs/performance.md.
 *
 *   npm run bench                      3 practitioners × 12 months, 2,000 patients, 5 runs, 50 edits
 *   npm run bench -- --quick           1 practitioner, 500 patients, 3 runs, 20 edits
 *   npm run bench -- --runs=7 --edits=100 --seed=42 --patients=5000 --practitioners=5
 *   npm run bench -- --only=week       only (f), the agenda's week render in Chromium
 *
 * Every option also reads from the environment: BENCH_RUNS, BENCH_EDITS, BENCH_SEED, BENCH_QUICK=1,
 * BENCH_PATIENTS, BENCH_PRACTITIONERS. Figures are never asserted: machines are shared and noisy.
 */
import 'fake-indexeddb/auto'
import { fileURLToPath } from 'node:url'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { defaultSpec } from './generate'
import { localToday, setUpPractice } from './fixture'
import { describeMachine, machineLine, markdownTable, round, saveResults, type Row } from './report'
import { runFreshDevice } from './scenarios/fresh-device'
import { runEditLatency } from './scenarios/edit-latency'
import { runColdStart } from './scenarios/cold-start'
import { runStorage } from './scenarios/storage'
import { runLongOffline } from './scenarios/long-offline'
import { DEFAULT_WEEK_SPEC, runWeekRender } from './scenarios/week-render'

interface Options {
  quick: boolean
  runs: number
  edits: number
  seed: number
  patients: number
  practitioners: number
  /** 'week': only scenario (f), which needs no relay nor sync practice. */
  only: string | null
}

function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const flags = new Map<string, string>()
  for (const arg of argv) {
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg)
    if (!match) throw new Error(`Unknown argument ${arg}: expected --quick, --runs=N, --edits=N, --seed=N, --patients=N, --practitioners=N`)
    flags.set(match[1]!, match[2] ?? '1')
  }
  const value = (name: string): string | undefined => flags.get(name) ?? env[`BENCH_${name.toUpperCase()}`]
  const quick = value('quick') === '1' || value('quick') === 'true'
  const int = (name: string, fallback: number): number => {
    const raw = value(name)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`)
    return n
  }
  return {
    quick,
    runs: int('runs', quick ? 3 : 5),
    edits: int('edits', quick ? 20 : 50),
    seed: int('seed', 20_261_123),
    patients: int('patients', quick ? 500 : 2000),
    practitioners: int('practitioners', quick ? 1 : 3),
    only: value('only') ?? null,
  }
}

const log = (line: string) => console.error(line)

/** Scenario (f) alone: a Chromium page, no relay. */
async function weekOnly(options: Options): Promise<void> {
  const machine = describeMachine()
  log(`Tournée bench (f) — ${machineLine(machine)}`)
  const week = await runWeekRender(DEFAULT_WEEK_SPEC, options.runs, log)
  console.log(`Tournée bench (f), ${new Date().toISOString()}  \nMachine: ${machineLine(machine)}\n\n${markdownTable(week.rows)}\n`)
  const file = saveResults(fileURLToPath(new URL('../../bench-results', import.meta.url)), { date: new Date().toISOString(), machine, options, rows: week.rows, week: week.details })
  log(`Saved ${file}`)
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2), process.env)
  if (options.only !== null) {
    if (options.only !== 'week') throw new Error(`--only accepts 'week', got ${options.only}`)
    await weekOnly(options)
    return
  }
  const machine = describeMachine()
  const today = localToday()
  const spec = defaultSpec(today, { seed: options.seed, patients: options.patients, practitioners: options.practitioners })
  log(`Tournée bench — ${machineLine(machine)}`)
  log(`Practice: ${spec.practitioners} practitioner(s) × ${spec.months} months from ${spec.firstMonth}, ${spec.patients} patients, seed ${spec.seed}`)

  const started = performance.now()
  const practice = await setUpPractice(spec)
  const plaintextBytes = [...practice.plaintext.values()].reduce((n, u) => n + u.byteLength, 0)
  const volume = {
    practitioners: practice.written.practitionerIds.length,
    patients: practice.written.patientIds.length,
    appointments: practice.written.appointments,
    agendaMonths: practice.written.agendaDocIds.length,
    patientFiles: practice.written.patientDocIds.length,
    notes: practice.written.notes,
    docs: practice.written.docIds.length,
    plaintextBytes,
    directoryBytes: practice.plaintext.get(DIRECTORY_DOC_ID)!.byteLength,
    currentMonthBytes: practice.plaintext.get(practice.currentMonthDocId)!.byteLength,
    envelopeEntries: practice.a.space.envelope.entries.length,
    setupMs: round(practice.setupMs),
  }
  log(`Set up in ${Math.round(practice.setupMs)} ms: ${JSON.stringify(volume)}`)

  const rows: Row[] = []
  let storageDetails: Record<string, unknown>
  try {
    log('(a) fresh device')
    const fresh = await runFreshDevice(practice, options.runs, log)
    rows.push(...fresh.rows)
    log('(b) edit latency')
    rows.push(...(await runEditLatency(practice, fresh.device, options.edits, log)))
    await fresh.device.space.destroy()
    log('(c) cold start')
    rows.push(...(await runColdStart(practice, fresh.env, options.runs, log)))
    log('(d) storage')
    const storage = await runStorage(practice, log)
    rows.push(...storage.rows)
    storageDetails = storage.details
    // Last: its edits would change the sizes the storage scenario compares with the plaintext.
    log('(e) long offline')
    // The storage scenario stopped the relay to read its folder at rest: same folder, same port.
    await practice.relay.restart()
    rows.push(
      ...(await runLongOffline(practice, { runs: Math.min(options.runs, 3), local: options.quick ? 100 : 500, remote: options.quick ? 400 : 2000 }, log)),
    )
  } finally {
    await practice.relay.dispose()
  }
  log('(f) week render in Chromium')
  const week = await runWeekRender(DEFAULT_WEEK_SPEC, Math.min(options.runs, 5), log)
  rows.push(...week.rows)

  const totalMs = performance.now() - started
  const header = [
    `Tournée bench, ${new Date().toISOString()}`,
    `Machine: ${machineLine(machine)}`,
    `Practice: ${volume.practitioners} practitioner(s), ${volume.appointments} appointments in ${volume.agendaMonths} month docs, ${volume.patients} patients, ${volume.patientFiles} patient files (${volume.notes} notes); ${round(plaintextBytes / 2 ** 20, 2)} MiB of plaintext Yjs state; today ${today}`,
    `Ratio = Tournée / floor (same run). Total bench time ${round(totalMs / 1000, 1)} s.`,
  ]
  console.log(`${header.join('  \n')}\n\n${markdownTable(rows)}\n`)
  const file = saveResults(fileURLToPath(new URL('../../bench-results', import.meta.url)), {
    date: new Date().toISOString(),
    machine,
    options,
    spec,
    volume,
    totalMs: round(totalMs),
    rows,
    storage: storageDetails,
    week: week.details,
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
