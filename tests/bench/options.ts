/**
 * The options of `npm run bench`, from `--name=value` arguments or BENCH_<NAME> variables.
 * Bad values are refused with the option's name, before anything starts.
 */
export interface BenchOptions {
  quick: boolean
  /** The heavy configurations too: 10 practitioners, 200 devices, 500-device capacity. */
  full: boolean
  runs: number
  edits: number
  seed: number
  patients: number
  /** Practitioners of the shared practice most scenarios use. */
  practitioners: number
  years: number
  /** Scenario ids to run (all when empty). */
  only: string[]
  /** Practitioner counts the fresh-device scenario sets up, each its own practice. */
  freshSizes: number[]
  /**
   * Fresh device: the relay storages each size is set up and joined on, in the same run (default
   * SQLite only; `--fresh-storages=sqlite,postgres` adds a relay node on its own PostgreSQL).
   */
  freshStorages: FreshStorage[]
  /**
   * Fresh device: measure only until usable (ours, floor and stock alike fetch the directory and
   * this month), for sizes whose three full copies do not fit the bench process (10 × 10 years).
   */
  usableOnly: boolean
  /**
   * Fresh device: each joiner child's and the stock server's --max-old-space-size (MiB). Unset,
   * they inherit NODE_OPTIONS as the bench itself does. Fully synced at 10 × 10 years each holds a
   * whole live copy of the practice (5–6 GB of RSS), past V8's default limit; the bench process
   * itself fits in the default.
   */
  joinerHeapMb?: number
  /**
   * Fresh device: a lock file (flock(1)) held only while measuring each practice, not while
   * setting it up (measure-lock.ts), e.g. /tmp/tournee-chromium.lock. Unset, no lock is taken.
   */
  measureLock?: string
  /**
   * Fresh device: also join in Chromium (browser-joiner.ts), the app built and served by the relay
   * (default true; `--no-browser` leaves it out, e.g. where no Chromium is installed).
   */
  browser: boolean
  /** Devices connected to one relay in the edit-latency scenario. */
  latencyDevices: number[]
  /** Devices and practices of the capacity scenario's load. */
  capacityDevices: number
  capacityPractices: number
  /** Idle sync sockets held open on one relay in the idle-connections scenario. */
  idleConnections: number
  /** Years of the 10-practitioner practices the export scenario writes (each its own fixture, on disk). */
  exportYears: number[]
  /** Minutes the export scenario may spend making a fixture in one run; it goes on at the next run (unset: no limit). */
  exportFixtureMinutes?: number
  /**
   * The git ref whose code is measured beside this checkout's: the app (big practice) or the relay
   * (idle connections); each scenario has its own default.
   */
  baselineRef?: string
}

export const FRESH_STORAGES = ['sqlite', 'postgres'] as const
export type FreshStorage = (typeof FRESH_STORAGES)[number]

export class BenchOptionError extends Error {
  override name = 'BenchOptionError'
}

const USAGE =
  'expected --quick, --full, --only=<scenario,…>, --runs=N, --edits=N, --seed=N, --patients=N, --practitioners=N, --years=N, ' +
  '--fresh-sizes=1,3,10, --fresh-storages=sqlite,postgres, --usable-only, --joiner-heap-mb=N, --measure-lock=<file>, --no-browser, --latency-devices=2,50,200, --capacity-devices=N, --capacity-practices=N, --idle-connections=N, --export-years=1,10, --export-fixture-minutes=N, --baseline-ref=<commit>'

const KNOWN = new Set(['quick', 'full', 'only', 'runs', 'edits', 'seed', 'patients', 'practitioners', 'years', 'fresh-sizes', 'fresh-storages', 'usable-only', 'joiner-heap-mb', 'measure-lock', 'no-browser', 'latency-devices', 'capacity-devices', 'capacity-practices', 'idle-connections', 'export-years', 'export-fixture-minutes', 'baseline-ref'])

export function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv, scenarioIds: readonly string[]): BenchOptions {
  const flags = new Map<string, string>()
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
    if (!match) throw new BenchOptionError(`Unknown argument ${arg}: ${USAGE}`)
    flags.set(match[1]!, match[2] ?? '1')
  }
  const value = (name: string): string | undefined => flags.get(name) ?? env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`]
  const bool = (name: string) => value(name) === '1' || value(name) === 'true'
  const positive = (name: string, raw: string): number => {
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1) throw new BenchOptionError(`--${name} must be a positive integer, got ${raw}`)
    return n
  }
  const int = (name: string, fallback: number): number => {
    const raw = value(name)
    return raw === undefined ? fallback : positive(name, raw)
  }
  const ints = (name: string, fallback: number[]): number[] => {
    const raw = value(name)
    return raw === undefined ? fallback : raw.split(',').map((part) => positive(name, part.trim()))
  }
  const storages = (name: string): FreshStorage[] => {
    const raw = value(name)
    if (raw === undefined) return ['sqlite']
    const list = raw.split(',').map((part) => part.trim())
    const bad = list.filter((part) => !(FRESH_STORAGES as readonly string[]).includes(part))
    if (bad.length > 0 || list.length === 0) throw new BenchOptionError(`--${name} must list ${FRESH_STORAGES.join(', ')}, got ${raw}`)
    return [...new Set(list as FreshStorage[])]
  }
  const quick = bool('quick')
  const full = bool('full')
  const only = (value('only') ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = only.filter((id) => !scenarioIds.includes(id))
  if (unknown.length > 0) throw new BenchOptionError(`--only: unknown scenario ${unknown.join(', ')}; known: ${scenarioIds.join(', ')}`)
  for (const name of flags.keys()) {
    if (!KNOWN.has(name)) throw new BenchOptionError(`Unknown option --${name}: ${USAGE}`)
  }
  return {
    quick,
    full,
    runs: int('runs', quick ? 3 : 5),
    edits: int('edits', quick ? 20 : 50),
    seed: int('seed', 20_261_123),
    patients: int('patients', quick ? 500 : 2000),
    practitioners: int('practitioners', quick ? 1 : 3),
    years: int('years', 1),
    only,
    freshSizes: ints('fresh-sizes', quick ? [1] : full ? [1, 3, 10] : [1, 3]),
    freshStorages: storages('fresh-storages'),
    usableOnly: bool('usable-only'),
    ...(value('joiner-heap-mb') === undefined ? {} : { joinerHeapMb: positive('joiner-heap-mb', value('joiner-heap-mb')!) }),
    ...(value('measure-lock') === undefined ? {} : { measureLock: value('measure-lock')! }),
    browser: !bool('no-browser'),
    latencyDevices: ints('latency-devices', quick ? [2, 10] : full ? [2, 50, 200] : [2, 50]),
    capacityDevices: int('capacity-devices', quick ? 20 : full ? 500 : 100),
    capacityPractices: int('capacity-practices', quick ? 2 : full ? 50 : 10),
    idleConnections: int('idle-connections', quick ? 2000 : 10_000),
    exportYears: ints('export-years', full ? [1, 10] : [1]),
    ...(value('export-fixture-minutes') === undefined ? {} : { exportFixtureMinutes: positive('export-fixture-minutes', value('export-fixture-minutes')!) }),
    ...(value('baseline-ref') === undefined ? {} : { baselineRef: value('baseline-ref')! }),
  }
}
