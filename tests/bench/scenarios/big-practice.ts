/**
 * (h) The big practice on a tablet (issue 17): 20,000 patients × 24 months × 3 practitioners on a
 * real relay, in Chromium at 1024×768 — cold start of a device holding everything, join until this
 * week shows, a first search right after the join, switching views, the longest main-thread task
 * of each, the JS heap's peak (big-practice-browser.ts). Each figure beside the same on the code
 * before the change: the app of `--baseline-ref` (default 75f7b8f; until 2026-12-07 c547400,
 * where issue 17's branch started, whose join form this bench no longer drives: the baseline must
 * join through the relay's mailbox, db38af7 or later) is built in a temporary git worktree, each
 * build gets its own relay on a copy of the same seeded data (big-practice-data.ts, cached across runs), and the two alternate device by
 * device (ours first in odd runs, the baseline first in even ones).
 *
 * Sizes: 20,000 × 24 × 3 unless `--quick`, which runs it (only when named in --only) at 2,000
 * patients × 3 months × 1 practitioner; a whole `--quick` bench leaves it out (two app builds
 * and a seeded relay are minutes of a quick run's budget).
 */
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { launchChromium } from '../../e2e/helpers/browser'
import { buildAppAtRef, buildAppForBench, type BuiltApp } from '../app-build'
import { BIG_PRACTICE, startSeededRelay, type BigPracticeSize, type SeededPractice } from '../big-practice-data'
import { measureDevice, type DeviceSample, type FlowFigure } from '../big-practice-browser'
import { plannedTarget } from '../big-practice-plan'
import { localToday } from '../fixture'
import type { Row, Unit } from '../report'
import type { Scenario } from '../scenario'
import { median } from '../stats'

export const DEFAULT_BASELINE_REF = '75f7b8f'

/**
 * Both sides run this checkout's relay (only the app is built at the baseline ref), so what the
 * relay does differently since the baseline is given back to the baseline's side here. Until
 * issue 17's tenth pass it gave it the framing before the seventh (frames of half a megabyte,
 * TOURNEE_JOIN_FRAME_BYTES=524288): right for a baseline before 87677fc, not for main since, whose
 * relay answers in frames of 64 KiB (relay/src/rooms/frames.ts RELAY_FRAME_BYTES) — the eighth
 * pass's "before" sides had the old framing. The tenth pass's framing of an answer to a device
 * that holds part of a room needs nothing here: the relay gives it only to an app that offers
 * `tournee-framed-answers` (FRAMED_ANSWERS_SUBPROTOCOL), which a baseline before it does not.
 */
const BASELINE_RELAY_ENV: Record<string, string> = {}

const QUICK_SIZE: BigPracticeSize = { practitioners: 1, patients: 2_000, months: 3, seed: BIG_PRACTICE.seed }

const TIMEOUT_MS = 60_000

type Side = 'ours' | 'before'

interface Build {
  readonly side: Side
  readonly app: BuiltApp
  readonly practice: SeededPractice
}

/** The figures of the table, each read from a device's sample. */
const METRICS: ReadonlyArray<{ metric: string; unit: Unit; read: (s: DeviceSample) => number | null }> = [
  { metric: 'cold start: the day view of a busy day shown (from navigation start)', unit: 'ms', read: (s) => s.cold.ms },
  { metric: 'cold start: longest main-thread task (until quiet)', unit: 'ms', read: (s) => s.cold.longestTaskMs },
  { metric: 'cold start: tasks over 100 ms', unit: 'count', read: (s) => s.cold.over100 },
  { metric: 'cold start: JS heap peak (page)', unit: 'bytes', read: (s) => s.coldHeapPeakBytes },
  { metric: 'cold start: JS heap once quiet (page)', unit: 'bytes', read: (s) => s.coldSettledHeapBytes },
  { metric: 'after the cold start: storage used (navigator.storage.estimate)', unit: 'bytes', read: (s) => s.storageBytes },
  { metric: 'after the cold start: device-held state rows', unit: 'bytes', read: (s) => s.heldBytes },
  { metric: 'join: « Qui êtes-vous ? » (from the acceptance of the code)', unit: 'ms', read: (s) => s.chooserMs },
  { metric: 'join: this week shown (from the acceptance of the code)', unit: 'ms', read: (s) => s.join.ms },
  { metric: 'join: longest task until the week shows', unit: 'ms', read: (s) => s.join.longestTaskMs },
  { metric: 'first search after the join: the row shown', unit: 'ms', read: (s) => s.search.ms },
  { metric: 'first search after the join: longest task', unit: 'ms', read: (s) => s.search.longestTaskMs },
  { metric: 'after the join: longest task until everything is held and quiet', unit: 'ms', read: (s) => s.afterJoin.longestTaskMs },
  { metric: 'after the join: tasks over 100 ms', unit: 'count', read: (s) => s.afterJoin.over100 },
  { metric: 'join: every room held (from the acceptance of the code)', unit: 'ms', read: (s) => s.syncedMs },
  { metric: 'join until everything held: JS heap peak (page)', unit: 'bytes', read: (s) => s.joinHeapPeakBytes },
  ...(
    [
      ['day → week', (s: DeviceSample) => s.switchWeek],
      ['week → month', (s: DeviceSample) => s.switchMonth],
      ['month → patients', (s: DeviceSample) => s.switchPatients],
    ] as const
  ).flatMap(([name, pick]: readonly [string, (s: DeviceSample) => FlowFigure]) => [
    { metric: `switch ${name}: shown`, unit: 'ms' as Unit, read: (s: DeviceSample) => pick(s).ms },
    { metric: `switch ${name}: longest task`, unit: 'ms' as Unit, read: (s: DeviceSample) => pick(s).longestTaskMs },
  ]),
]

function rowsOf(scenario: string, samples: Record<Side, DeviceSample[]>): Row[] {
  return METRICS.map(({ metric, unit, read }) => {
    const values = (side: Side) => samples[side].map(read).filter((v): v is number => v !== null)
    const ours = values('ours')
    const before = values('before')
    return { scenario, metric, unit, ours: median(ours), floor: null, before: median(before), stat: `median of ${ours.length}`, samples: { ours, before } }
  })
}

export const bigPractice: Scenario = {
  id: 'big-practice',
  inQuickRun: false,
  run: async (context) => {
    const { options, log } = context
    const size = options.quick ? QUICK_SIZE : BIG_PRACTICE
    const today = localToday()
    const ref = options.baselineRef ?? DEFAULT_BASELINE_REF
    log(`  ${size.patients} patients × ${size.months} months × ${size.practitioners} practitioner(s), seed ${size.seed}; before = ${ref}`)
    const planned = plannedTarget(size, today)
    log(`  week of today: ${planned.weekAppointments} appointments; busy day ${planned.busyDay}: ${planned.busyDayAppointments}`)
    const builds: Build[] = []
    const apps: BuiltApp[] = []
    let browser: Browser | null = null
    try {
      log('  building the app (this checkout), then the app at the baseline ref')
      const ours = await buildAppForBench()
      apps.push(ours)
      const before = await buildAppAtRef(ref)
      apps.push(before)
      for (const [side, app] of [['ours', ours], ['before', before]] as const) {
        const practice = await startSeededRelay(size, today, { TOURNEE_STATIC_DIR: app.dir, ...(side === 'before' ? BASELINE_RELAY_ENV : {}) }, log)
        builds.push({ side, app, practice })
        log(`  ${side}: relay ${practice.relay.url} (${practice.fromCache ? 'from the cache' : 'seeded'} in ${Math.round(practice.setupMs)} ms)`)
      }
      const rooms = builds[0]!.practice.rooms
      browser = await launchChromium()
      const samples: Record<Side, DeviceSample[]> = { ours: [], before: [] }
      for (let run = 1; run <= options.runs; run++) {
        const order = run % 2 === 1 ? builds : [...builds].reverse()
        for (const build of order) {
          const label = `${build.side}-run${run}`
          const sample = await measureDevice(browser, { ...planned, appUrl: build.practice.relay.url, adminCode: build.practice.adminCode, rooms }, label, TIMEOUT_MS)
          samples[build.side].push(sample)
          log(`  run ${run} ${build.side}: cold ${Math.round(sample.cold.ms ?? NaN)} ms (longest task ${sample.cold.longestTaskMs}), week ${Math.round(sample.join.ms ?? NaN)} ms, search ${Math.round(sample.search.ms ?? NaN)} ms, after join longest ${sample.afterJoin.longestTaskMs} ms`)
        }
      }
      context.detail('big-practice', { size, today, ref, commit: before.commit, planned, rooms, samples })
      return rowsOf(`(h) big practice, ${size.patients} patients × ${size.months} months × ${size.practitioners}, Chromium`, samples)
    } finally {
      await browser?.close()
      for (const build of builds) await build.practice.dispose()
      // With CPU profiles asked for, each build's source maps go beside them (names in the profile).
      const profiles = process.env.BENCH_BROWSER_CPU_PROF
      if (profiles) for (const build of builds) cpSync(build.app.dir, join(profiles, `app-${build.side}`), { recursive: true })
      for (const app of apps) app.dispose()
    }
  },
}
