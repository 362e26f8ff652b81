/** The options of `npm run bench` (tests/bench/options.ts): defaults, --full, --only, refusals. */
import { describe, expect, it } from 'vitest'
import { BenchOptionError, readOptions } from './bench/options'

const IDS = ['fresh-device', 'edit-latency', 'relay-capacity']

describe('bench options', () => {
  it('keeps the heavy configurations behind --full', () => {
    const normal = readOptions([], {}, IDS)
    expect(normal).toMatchObject({ full: false, freshSizes: [1, 3], latencyDevices: [2, 50], capacityDevices: 100, capacityPractices: 10, only: [] })
    const full = readOptions(['--full'], {}, IDS)
    expect(full).toMatchObject({ full: true, freshSizes: [1, 3, 10], latencyDevices: [2, 50, 200], capacityDevices: 500, capacityPractices: 50 })
  })

  it('reads lists, numbers and --only from arguments or BENCH_ variables, arguments first', () => {
    const options = readOptions(['--only=edit-latency,relay-capacity', '--latency-devices=2,20', '--runs=7'], { BENCH_RUNS: '3', BENCH_YEARS: '2' }, IDS)
    expect(options).toMatchObject({ only: ['edit-latency', 'relay-capacity'], latencyDevices: [2, 20], runs: 7, years: 2 })
    expect(readOptions([], { BENCH_ONLY: 'fresh-device', BENCH_FRESH_SIZES: '10' }, IDS)).toMatchObject({ only: ['fresh-device'], freshSizes: [10] })
  })

  it('leaves the joiners’ heap to NODE_OPTIONS unless --joiner-heap-mb sets it', () => {
    expect(readOptions([], {}, IDS).joinerHeapMb).toBeUndefined()
    expect(readOptions(['--joiner-heap-mb=6144'], {}, IDS).joinerHeapMb).toBe(6144)
    expect(readOptions([], { BENCH_JOINER_HEAP_MB: '4096' }, IDS).joinerHeapMb).toBe(4096)
  })

  it('takes no measure lock unless --measure-lock names its file', () => {
    expect(readOptions([], {}, IDS).measureLock).toBeUndefined()
    expect(readOptions(['--measure-lock=/tmp/x.lock'], {}, IDS).measureLock).toBe('/tmp/x.lock')
    expect(readOptions([], { BENCH_MEASURE_LOCK: '/tmp/y.lock' }, IDS).measureLock).toBe('/tmp/y.lock')
  })

  it('holds 10,000 idle sockets on one relay (2,000 with --quick) unless --idle-connections says otherwise', () => {
    expect(readOptions([], {}, IDS).idleConnections).toBe(10_000)
    expect(readOptions(['--quick'], {}, IDS).idleConnections).toBe(2000)
    expect(readOptions(['--idle-connections=500'], {}, IDS).idleConnections).toBe(500)
  })

  it('exports a 10 × 1 practice, and 10 × 10 too with --full, unless --export-years says otherwise', () => {
    expect(readOptions([], {}, IDS).exportYears).toEqual([1])
    expect(readOptions(['--full'], {}, IDS).exportYears).toEqual([1, 10])
    expect(readOptions(['--export-years=1,3'], {}, IDS).exportYears).toEqual([1, 3])
  })

  it('joins in Chromium too unless --no-browser (or BENCH_NO_BROWSER) says not to', () => {
    expect(readOptions([], {}, IDS).browser).toBe(true)
    expect(readOptions(['--no-browser'], {}, IDS).browser).toBe(false)
    expect(readOptions([], { BENCH_NO_BROWSER: '1' }, IDS).browser).toBe(false)
  })

  it('joins a fresh device through SQLite only unless --fresh-storages adds PostgreSQL', () => {
    expect(readOptions([], {}, IDS).freshStorages).toEqual(['sqlite'])
    expect(readOptions(['--fresh-storages=sqlite,postgres'], {}, IDS).freshStorages).toEqual(['sqlite', 'postgres'])
    expect(readOptions([], { BENCH_FRESH_STORAGES: 'postgres' }, IDS).freshStorages).toEqual(['postgres'])
  })

  it.each([
    [['--fresh-storages=sqlite,mysql'], /--fresh-storages must list sqlite, postgres, got sqlite,mysql/],
    [['--joiner-heap-mb=0'], /--joiner-heap-mb must be a positive integer, got 0/],
    [['--only=fresh-device,agenda'], /unknown scenario agenda; known: fresh-device, edit-latency, relay-capacity/],
    [['--runs=0'], /--runs must be a positive integer, got 0/],
    [['--latency-devices=2,x'], /--latency-devices must be a positive integer, got x/],
    [['--colour=blue'], /Unknown option --colour/],
    [['--run=3'], /Unknown option --run:/],
    [['fast'], /Unknown argument fast/],
  ])('refuses %j with a reason', (argv, message) => {
    expect(() => readOptions(argv, {}, IDS)).toThrow(BenchOptionError)
    expect(() => readOptions(argv, {}, IDS)).toThrow(message)
  })
})
