/**
 * The big practice in Chromium (scenarios/big-practice.ts): what a person waits for, and how long
 * the page's main thread is held, on a tablet that joins a practice of 20,000 patients and then
 * holds all of it. One `measureDevice` is one device's life in a fresh browser context:
 *
 *   join     the administrator's acceptance of the code the page shows (since the pairing through
 *            the relay's mailbox, 2026-12-07; was the tap on « Rejoindre le cabinet ») →
 *            « Qui êtes-vous ? » → a tap on the first name →
 *            this week's grid shows every appointment of the week with its patient's name;
 *   search   at once, the patient screen, one input event with a patient's name (a first keystroke
 *            typed, or pasted, in the window where the device integrates the practice) → their row;
 *   synced   until every room of the practice is on the device (each room's database holds a last
 *            exchange with the relay), then quiet (no long task for QUIET_MS);
 *   cold     a reload of the day view of a busy day, from navigation start until the day shows
 *            every appointment with its patient's name, then until quiet again;
 *   switch   day → week → month → patients, each from the hash change until the view shows.
 *
 * Long tasks come from a `longtask` PerformanceObserver installed before the app's scripts run
 * (page.addInitScript); each flow reports its longest (and the flow's window is said beside each
 * figure). The JS heap (CDP Performance.getMetrics, JSHeapUsedSize of the page; a Worker's heap is
 * its own and not in it) is sampled every HEAP_SAMPLE_MS during join + sync and during the cold
 * start. Nothing is asserted: the scenario prints and saves.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { claimPairing } from '../../client/src/sync/device/pairing'
import { TIME_ZONE, VIEWPORT } from '../e2e/helpers/browser'
import { joinByCode } from '../helpers/pairing-ticket'
import { benchEnvironment } from './bench-device'
import { CHOOSER_SHOWN, inPage, pageTimeWhen, typeInSearch, WEEK_SEEN, WEEK_SHOWN } from './browser-joiner'

/** What the pages must show, computed from the seeded plan (big-practice-plan.ts). */
export interface BigPracticeTarget {
  readonly appUrl: string
  /** A registered administrator device (`joinByCode`'s form): it accepts the page's pairing code. */
  readonly adminCode: string
  readonly practitioners: number
  /** This week (today's) appointments, every practitioner. */
  readonly weekAppointments: number
  /** A busy day (today, or the next day with appointments) and its appointments. */
  readonly busyDay: string
  readonly busyDayAppointments: number
  /** Appointments of the busy day's week (Monday to Sunday). */
  readonly busyWeekAppointments: number
  /** Days of the busy day's month with appointments (the month view's counts). */
  readonly busyMonthDays: number
  /** A patient's name as the list shows it, mid-list (not shown before a search). */
  readonly searchName: string
  /** Rooms the relay holds for the practice: a device holds everything once it has them all. */
  readonly rooms: number
}

export interface FlowFigure {
  /** What a person waits for (ms), or null when the flow has none of its own. */
  readonly ms: number | null
  /** The longest main-thread task in the flow's window (ms; 0: none over 50 ms). */
  readonly longestTaskMs: number
  /** Long tasks (> 50 ms) in the window, and how many were over 100 ms. */
  readonly longTasks: number
  readonly over100: number
}

export interface DeviceSample {
  readonly chooserMs: number
  readonly join: FlowFigure
  /** From the week shown until the device holds every room and is quiet. */
  readonly afterJoin: FlowFigure
  readonly search: FlowFigure
  readonly syncedMs: number
  readonly joinHeapPeakBytes: number
  readonly cold: FlowFigure
  readonly coldHeapPeakBytes: number
  readonly coldSettledHeapBytes: number
  /** Once the cold start is quiet: the origin's storage (navigator.storage.estimate), and the device-held state's rows. */
  readonly storageBytes: number | null
  readonly heldBytes: number
  readonly switchWeek: FlowFigure
  readonly switchMonth: FlowFigure
  readonly switchPatients: FlowFigure
}

/**
 * What the device stores: the origin's usage as the browser estimates it, and the bytes of rows of
 * the device-held state (its database `…-held`, client/src/sync/device/held-state.ts; 0 where the
 * app has none, as before issue 18's device-held state).
 */
function storageFigures(page: Page): Promise<{ usage: number | null; held: number }> {
  return inPage<{ usage: number | null; held: number }>(
    page,
    `
    const estimate = await navigator.storage.estimate()
    const usage = typeof estimate.usage === 'number' ? estimate.usage : null
    const name = (await indexedDB.databases()).map((d) => d.name ?? '').find((n) => n.endsWith('-held'))
    if (!name) return { usage, held: 0 }
    const held = await new Promise((resolve, reject) => {
      const open = indexedDB.open(name)
      open.onerror = () => reject(open.error)
      open.onsuccess = () => {
        const db = open.result
        const all = db.transaction('docs').objectStore('docs').getAll()
        all.onerror = () => reject(all.error)
        all.onsuccess = () => {
          resolve(all.result.reduce((n, doc) => n + (typeof doc.bytes === 'number' ? doc.bytes : 0), 0))
          db.close()
        }
      }
    })
    return { usage, held }`,
    null,
  )
}

export class BigPracticeBrowserError extends Error {
  override name = 'BigPracticeBrowserError'
}

const QUIET_MS = 3_000
const HEAP_SAMPLE_MS = 100

/**
 * Before the app's scripts: long tasks into window.__bench.tasks, and a watcher that stamps when a
 * condition kept in sessionStorage (set before a reload) first holds, from the document's start.
 */
const INIT_SCRIPT = `
(() => {
  const bench = (window.__bench = { tasks: [], shownAt: null })
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) bench.tasks.push([entry.startTime, entry.duration])
  }).observe({ type: 'longtask', buffered: true })
  const watch = sessionStorage.getItem('bench.watch')
  if (!watch) return
  sessionStorage.removeItem('bench.watch')
  const { condition, arg } = JSON.parse(watch)
  const holds = new Function('arg', condition)
  const observer = new MutationObserver(() => {
    if (bench.shownAt !== null || !holds(arg)) return
    bench.shownAt = performance.now()
    observer.disconnect()
  })
  observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true })
})()
`

/** A reload's navigation timing (ms from navigation start) and each script's load, as `name ms` pairs. */
const NAVIGATION_MARKS = `
  const [n] = performance.getEntriesByType('navigation')
  const at = (name, value) => name + ' ' + Math.round(value)
  const steps = n ? [at('unload-end', n.unloadEventEnd), at('fetch', n.fetchStart), at('response-end', n.responseEnd), at('dom-interactive', n.domInteractive), at('dom-loaded', n.domContentLoadedEventEnd)] : []
  const scripts = performance.getEntriesByType('resource').filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js')).map((r) => at('script-loaded', r.responseEnd))
  return steps.concat(scripts).join(', ')`

/** The day's (or week's) grid shows `count` blocks, none without its patient. */
const BLOCKS_SHOWN = WEEK_SHOWN

const MONTH_SHOWN = `return document.querySelectorAll('table.month .month__count').length >= arg`

const SEARCH_ROW_SHOWN = `
  for (const name of document.querySelectorAll('ul.patient-list .patient-list__name')) if (name.textContent.startsWith(arg)) return true
  return false`

const PATIENTS_SHOWN = `return document.querySelectorAll('ul.patient-list a').length > 0`

/** Every room's database holds a last exchange with the relay (room-store.ts). */
const ROOMS_HELD = `
  const names = (await indexedDB.databases()).map((d) => d.name).filter((n) => n && n.startsWith('tournee-space-'))
  const held = window.__benchHeld ?? (window.__benchHeld = new Set())
  for (const name of names) {
    if (held.has(name)) continue
    const has = await new Promise((resolve) => {
      const request = indexedDB.open(name)
      request.onsuccess = () => {
        const db = request.result
        if (!db.objectStoreNames.contains('custom')) return db.close(), resolve(false)
        const get = db.transaction('custom').objectStore('custom').get('tournee:last-exchange')
        get.onsuccess = () => (db.close(), resolve(get.result !== undefined))
        get.onerror = () => (db.close(), resolve(false))
      }
      request.onerror = () => resolve(false)
    })
    if (has) held.add(name)
  }
  return held.size`

interface Heap {
  stop(): Promise<{ peak: number; last: number }>
}

/** Samples the page's JS heap until stopped (CDP; a sample missed while the page navigates is skipped). */
async function sampleHeap(session: CDPSession): Promise<Heap> {
  let peak = 0
  let last = 0
  let running = true
  let misses = 0
  const loop = (async () => {
    while (running) {
      try {
        const { metrics } = await session.send('Performance.getMetrics')
        last = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? last
        peak = Math.max(peak, last)
      } catch {
        // Between two documents of a reload the target has no heap to read: the next sample will.
        misses++
      }
      await new Promise((resolve) => setTimeout(resolve, HEAP_SAMPLE_MS))
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      if (misses > 50) throw new BigPracticeBrowserError(`The heap could not be read ${misses} times`)
      return { peak, last }
    },
  }
}

async function longTasks(page: Page): Promise<Array<[number, number]>> {
  return inPage<Array<[number, number]>>(page, 'return window.__bench.tasks', null)
}

function figure(tasks: ReadonlyArray<[number, number]>, from: number, to: number, ms: number | null): FlowFigure {
  const inWindow = tasks.filter(([start, duration]) => start + duration > from && start < to)
  return {
    ms,
    longestTaskMs: Math.round(Math.max(0, ...inWindow.map(([, d]) => d))),
    longTasks: inWindow.length,
    over100: inWindow.filter(([, d]) => d > 100).length,
  }
}

/** Page time once no long task ended for QUIET_MS (and at least QUIET_MS after `from`); capped. */
async function quietAfter(page: Page, from: number, capMs: number): Promise<number> {
  return inPage<number>(
    page,
    `
    const deadline = arg.from + arg.cap
    for (;;) {
      const now = performance.now()
      const lastEnd = Math.max(arg.from, ...window.__bench.tasks.map(([s, d]) => s + d))
      if (now - lastEnd >= arg.quiet || now >= deadline) return now
      await new Promise((resolve) => setTimeout(resolve, 250))
    }`,
    { from, cap: capMs, quiet: QUIET_MS },
  )
}

/** Resolves when the device holds every room (polling its databases once a second). */
async function untilEverythingHeld(page: Page, rooms: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const held = await inPage<number>(page, ROOMS_HELD, null)
    if (held >= rooms) return inPage<number>(page, 'return performance.now()', null)
    if (Date.now() > deadline) throw new BigPracticeBrowserError(`The device held ${held} of ${rooms} rooms after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

/**
 * With BENCH_BROWSER_CPU_PROF=<dir>: the page's CPU profile of a flow, and beside it
 * (`<name>.tasks.json`) the flow's long tasks on the profile's clock (microseconds, as its
 * samples), so a long task can be read as the stacks it ran (the page's clock is read just before
 * the profile stops: a few milliseconds off at most).
 */
async function startProfile(session: CDPSession, page: Page): Promise<((name: string) => Promise<void>) | null> {
  const dir = process.env.BENCH_BROWSER_CPU_PROF
  if (!dir) return null
  await session.send('Profiler.enable')
  await session.send('Profiler.setSamplingInterval', { interval: 500 })
  await session.send('Profiler.start')
  return async (name) => {
    const pageNow = await inPage<number>(page, 'return performance.now()', null)
    const { profile } = await session.send('Profiler.stop')
    const tasks = await longTasks(page)
    const offsetUs = profile.endTime - pageNow * 1000
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `${name}-${Date.now()}`)
    writeFileSync(`${file}.cpuprofile`, JSON.stringify(profile))
    writeFileSync(`${file}.tasks.json`, JSON.stringify(tasks.map(([start, duration]) => ({ startUs: Math.round(offsetUs + start * 1000), durationMs: duration }))))
  }
}

/** Switches the hash and times until `condition` holds; the window closes 500 ms after. */
async function switchTo(page: Page, hash: string, what: string, condition: string, arg: unknown, timeoutMs: number): Promise<FlowFigure> {
  const started = await inPage<number>(page, 'const now = performance.now(); location.hash = arg; return now', hash)
  const shown = await pageTimeWhen(page, what, condition, arg, timeoutMs)
  await new Promise((resolve) => setTimeout(resolve, 500))
  return figure(await longTasks(page), started, shown + 500, shown - started)
}

/** One device: joins, searches, syncs everything, reloads, switches views (header). */
export async function measureDevice(browser: Browser, target: BigPracticeTarget, label: string, timeoutMs: number): Promise<DeviceSample> {
  // The bench reads the page through strings it evaluates there (waitForFunction, inPage), which
  // the app's Content-Security-Policy refuses as eval: the measuring context bypasses it.
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'fr-FR', timezoneId: TIME_ZONE, bypassCSP: true })
  const pageErrors: string[] = []
  try {
    await context.addInitScript(INIT_SCRIPT)
    const page = await context.newPage()
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`))
    const session = await context.newCDPSession(page)
    await session.send('Performance.enable')
    await page.goto(`${target.appUrl}/#/agenda/semaine`)
    // The page shows a pairing code; the bench accepts it as an administrator's device would
    // (as browser-joiner.ts: a device of the registry in this process seals the page the payload).
    await page.getByRole('button', { name: 'Rejoindre un cabinet' }).click()
    await page.getByRole('button', { name: "Afficher un code d'appairage" }).click()
    const shownCode = page.getByRole('status', { name: "Code d'appairage" })
    await shownCode.waitFor({ timeout: timeoutMs })
    const adminEnv = { ...benchEnvironment(`${label}-admin`), connect: false }
    const admin = await joinByCode(target.adminCode, adminEnv)
    const claimed = await claimPairing(admin.record.spaceId, (await shownCode.textContent()) ?? '', adminEnv).finally(() => admin.space.destroy())
    await page.getByRole('status', { name: 'Code de confirmation' }).waitFor({ timeout: timeoutMs })

    // --- join (from the administrator's acceptance: the page hears of it within 250 ms), search, everything held ---
    const stopJoinProfile = await startProfile(session, page)
    const joinHeap = await sampleHeap(session)
    const started = await inPage<number>(page, 'return performance.now()', null)
    await claimed.accept()
    const chooser = await pageTimeWhen(page, '« Qui êtes-vous ? »', CHOOSER_SHOWN, target.practitioners, timeoutMs)
    const box = await inPage<{ x: number; y: number }>(
      page,
      `const b = document.querySelector('ul.choose-member__list button').getBoundingClientRect(); return { x: b.left + b.width / 2, y: b.top + b.height / 2 }`,
      null,
    )
    await page.mouse.click(box.x, box.y)
    const week = await pageTimeWhen(
      page,
      `this week with ${target.weekAppointments} appointments`,
      WEEK_SHOWN,
      { count: target.weekAppointments, unknown: 'Patient inconnu' },
      timeoutMs,
      WEEK_SEEN,
    )
    await inPage(page, "location.hash = '#/patients'", null)
    await page.getByLabel('Rechercher un patient').waitFor()
    const typed = await typeInSearch(page, target.searchName)
    const found = await pageTimeWhen(page, 'the patient searched for', SEARCH_ROW_SHOWN, target.searchName, timeoutMs)
    const held = await untilEverythingHeld(page, target.rooms, 10 * timeoutMs)
    const joinQuiet = await quietAfter(page, held, 60_000)
    const joinHeapPeak = (await joinHeap.stop()).peak
    await stopJoinProfile?.(`${label}-join`)
    const joinTasks = await longTasks(page)

    if (process.env.BENCH_MARKS) {
      const joinMarks = await inPage<string>(page, "return performance.getEntriesByType('mark').filter((m) => m.name.startsWith('tournee:')).map((m) => m.name.slice(8) + ' ' + Math.round(m.startTime)).join(', ')", null)
      console.error(`  ${label} join marks (tap at ${Math.round(started)}, chooser ${Math.round(chooser)}, week ${Math.round(week)}): ${joinMarks}`)
    }

    // --- cold start: a reload of a busy day ---
    const dayHash = `#/agenda/jour/${target.busyDay}`
    await inPage(page, 'location.hash = arg', dayHash)
    await inPage(
      page,
      `sessionStorage.setItem('bench.watch', JSON.stringify({ condition: arg.condition, arg: arg.value }))`,
      { condition: BLOCKS_SHOWN, value: { count: target.busyDayAppointments, unknown: 'Patient inconnu' } },
    )
    const stopColdProfile = await startProfile(session, page)
    const coldHeap = await sampleHeap(session)
    await page.reload()
    await page.waitForFunction('window.__bench.shownAt !== null', null, { timeout: timeoutMs, polling: 50 })
    const coldShown = await inPage<number>(page, 'return window.__bench.shownAt', null)
    // The app's own marks (performance.mark 'tournee:…'): where the cold start's time went.
    const marks = await inPage<string>(page, "return performance.getEntriesByType('mark').filter((m) => m.name.startsWith('tournee:')).map((m) => m.name.slice(8) + ' ' + Math.round(m.startTime)).join(', ')", null)
    if (process.env.BENCH_MARKS) {
      // The page's own start before the app's first mark: the old page's unload, the document, the scripts.
      const navigation = await inPage<string>(page, NAVIGATION_MARKS, null)
      console.error(`  ${label} cold marks: ${navigation}; ${marks}; shown ${Math.round(coldShown)}`)
    }
    const coldQuiet = await quietAfter(page, coldShown, 60_000)
    const coldHeapFigures = await coldHeap.stop()
    await stopColdProfile?.(`${label}-cold`)
    const coldTasks = await longTasks(page)
    const storage = await storageFigures(page)

    // --- switching views ---
    const stopSwitchProfile = await startProfile(session, page)
    const switchWeek = await switchTo(page, `#/agenda/semaine/${target.busyDay}`, 'the busy week', BLOCKS_SHOWN, { count: target.busyWeekAppointments, unknown: 'Patient inconnu' }, timeoutMs)
    const switchMonth = await switchTo(page, `#/agenda/mois/${target.busyDay.slice(0, 7)}`, 'the month', MONTH_SHOWN, target.busyMonthDays, timeoutMs)
    const switchPatients = await switchTo(page, '#/patients', 'the patient list', PATIENTS_SHOWN, null, timeoutMs)
    await stopSwitchProfile?.(`${label}-switch`)

    if (pageErrors.length > 0) throw new BigPracticeBrowserError(`The app threw: ${pageErrors.join('; ')}`)
    return {
      chooserMs: chooser - started,
      join: figure(joinTasks, started, week, week - started),
      afterJoin: figure(joinTasks, week, joinQuiet, null),
      search: figure(joinTasks, typed, found, found - typed),
      syncedMs: held - started,
      joinHeapPeakBytes: joinHeapPeak,
      cold: figure(coldTasks, 0, coldQuiet, coldShown),
      coldHeapPeakBytes: coldHeapFigures.peak,
      coldSettledHeapBytes: coldHeapFigures.last,
      storageBytes: storage.usage,
      heldBytes: storage.held,
      switchWeek,
      switchMonth,
      switchPatients,
    }
  } catch (error) {
    if (error instanceof BigPracticeBrowserError) throw error
    const thrown = pageErrors.length > 0 ? ` (the app threw: ${pageErrors.join('; ')})` : ''
    throw new BigPracticeBrowserError(`${label}: ${error instanceof Error ? error.message : String(error)}${thrown}`, { cause: error })
  } finally {
    await context.close()
  }
}
