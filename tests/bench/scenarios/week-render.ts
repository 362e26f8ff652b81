/**
 * (f) Week render, in real Chromium: the app's TimeGrid showing a busy week (10 practitioners × 25
 * appointments a weekday, some double-booked) of a practice holding 10 years of agenda history,
 * then switching to the next week. Each sample opens only the month docs of the week shown (from
 * their encoded bytes, as IndexedDB hands them over), lists them, finds overlaps, commits the
 * React tree (flushSync) and forces layout. Floor: the same grid with no appointment (the cost of
 * the columns, hours, shading and tap targets alone).
 *
 * The page (tests/bench/week-render/) is built with Vite into a temporary folder and served on
 * loopback; the browser is the one the e2e tests use (/usr/bin/chromium).
 */
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { build } from 'vite'
import { launchChromium } from '../../e2e/helpers/browser'
import type { Row } from '../report'
import type { Scenario } from '../scenario'
import { median } from '../stats'

export type WeekRenderSpec = {
  practitioners: number
  perDay: number
  years: number
  historyPerDay: number
  /** A Monday; the busy weeks follow it (the first one across two months). */
  firstBusyWeek: string
  busyWeeks: number
}

type Timings = {
  empty: number[]
  busy: number[]
  switching: number[]
  opened: number[]
  shown: number[]
  setupMs: number
  monthDocs: number
  historyAppointments: number
  storedBytes: number
}

/** 30 November 2026: the week runs into December, so it opens two month docs. */
export const DEFAULT_WEEK_SPEC: WeekRenderSpec = {
  practitioners: 10,
  perDay: 25,
  years: 10,
  historyPerDay: 2,
  firstBusyWeek: '2026-11-30',
  busyWeeks: 3,
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }

async function serve(dir: string) {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://bench').pathname
    const file = resolve(dir, `.${path === '/' ? '/index.html' : path}`)
    if (!file.startsWith(dir + sep) || !existsSync(file)) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(response)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise<void>((done) => server.close(() => done())) }
}

export async function runWeekRender(spec: WeekRenderSpec, runs: number, log: (line: string) => void): Promise<{ rows: Row[]; details: Record<string, unknown> }> {
  const outDir = mkdtempSync(join(tmpdir(), 'tournee-week-bench-'))
  const root = fileURLToPath(new URL('../week-render/', import.meta.url))
  await build({ configFile: false, root, plugins: [react()], logLevel: 'warn', build: { outDir, emptyOutDir: true } })
  const server = await serve(outDir)
  const browser = await launchChromium()
  try {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } })
    await page.goto(server.url)
    await page.waitForFunction(() => document.title === 'ready')
    log(`  generating ${spec.years} years × ${spec.practitioners} practitioners in the page, then ${runs} runs`)
    const t = await page.evaluate(
      ([s, n]) => (window as unknown as { weekBench: { run(spec: unknown, runs: number): Promise<unknown> } }).weekBench.run(s, n),
      [spec, runs] as const,
    ) as Timings
    const empty = median(t.empty)
    const busy = median(t.busy)
    const switching = median(t.switching)
    const scenario = `(f) week render, ${spec.practitioners} practitioners × ${spec.perDay}/day`
    const stat = `median of ${runs}`
    const rows: Row[] = [
      { scenario, metric: 'busy week: open its month docs, list, render', unit: 'ms', ours: busy, floor: empty, stat, samples: { ours: t.busy, floor: t.empty }, note: 'floor: the same grid, empty' },
      { scenario, metric: 'switch to the next busy week', unit: 'ms', ours: switching, floor: empty, stat, samples: { ours: t.switching, floor: t.empty } },
      { scenario, metric: 'of which opening the month docs and listing', unit: 'ms', ours: median(t.opened), floor: null, stat, samples: { ours: t.opened } },
      { scenario, metric: 'appointments on screen', unit: 'count', ours: median(t.shown), floor: null, stat: 'per run' },
    ]
    const details = { spec, runs, ...t }
    log(`  history: ${t.monthDocs} month docs, ${t.historyAppointments} history appointments, ${t.storedBytes} bytes; set up in ${Math.round(t.setupMs)} ms`)
    return { rows, details }
  } finally {
    await browser.close()
    await server.close()
    rmSync(outDir, { recursive: true, force: true })
  }
}

/** (f) as a scenario of run.ts: `npm run bench -- --only=week` runs it alone (no relay, no practice). */
export const weekRender: Scenario = {
  id: 'week',
  run: async (context) => {
    const week = await runWeekRender(DEFAULT_WEEK_SPEC, Math.min(context.options.runs, 5), context.log)
    context.detail('week', week.details)
    return week.rows
  },
}
