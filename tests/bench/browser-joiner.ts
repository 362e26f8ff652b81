/**
 * Ours in Chromium (scenario a): what a person sees on a new tablet. A fresh browser context (its
 * own IndexedDB, as a device that never opened the app) loads the app the relay serves, then
 * joins as a person does — « Rejoindre un cabinet », « Afficher un code d'appairage », the code
 * accepted on an administrator's device (the bench plays it: claimPairingAs, the practice's payload
 * sealed to the page's keys) — says who they are, and sees this week. Timed in the page
 * (performance.now() when the DOM holds it, before the browser paints it: within a frame) from the
 * administrator's acceptance (until 2026-12-07: from the tap on « Rejoindre le cabinet » of the
 * pairing-code form; the page now hears of the acceptance at its next poll, within 250 ms; the
 * app's code is loaded by then, as on a tablet showing its code):
 *
 *   chooser  « Qui êtes-vous ? » lists the practice's practitioners;
 *   week     this week's grid shows every appointment of the week (as listAppointments lists
 *            them from A's docs), none as « Patient inconnu »: the agenda is usable;
 *   search   then, on the patient screen, from typing a patient's name (as the list shows it) until
 *            that patient's row shows: patient search is usable.
 *
 * The bench taps a practitioner as soon as the list shows; a person takes longer, and the sync
 * goes on meanwhile, so `week` is the least a person could wait. What the person waits for after
 * their tap is `tapToWeek`: from the tap's event time (when the browser received it, so a busy
 * main thread that keeps it queued counts) until the week shows. `pauseMs` makes the bench wait on
 * « Qui êtes-vous ? » first, as a person reading the list does: the work the device does meanwhile
 * (the directory, the background pass) then lands where a person's tap would.
 *
 * The tap is a mouse click at the button's centre, read when the list shows: a Playwright
 * locator click waits for the page to answer its checks first, which would hide that queueing.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { claimPairing } from '../../client/src/sync/device/pairing'
import { joinByCode } from '../helpers/pairing-ticket'
import { benchEnvironment } from './bench-device'
import * as Y from 'yjs'
import { listAppointments } from '../../shared/src/model/agenda'
import { listPatients, patientDisplayName } from '../../shared/src/model/patients'
import { addDays, monthOf, startOfWeek } from '../../shared/src/model/dates'
import { DIRECTORY_DOC_ID, agendaDocId } from '../../shared/src/model/doc-ids'
import { TIME_ZONE, VIEWPORT } from '../e2e/helpers/browser'

export interface BrowserJoinTarget {
  /** The relay serving the built app (TOURNEE_STATIC_DIR). */
  appUrl: string
  code: string
  practitioners: number
  /** This week's appointments, every practitioner, as the week view lists them. */
  weekAppointments: number
  /** What a person types to find a patient the practice holds: the name as the list shows it. */
  searchName: string
  /** That patient (an id, not a name: it is in the list's links). */
  searchPatientId: string
  /** The practice's "today" ('YYYY-MM-DD'): whose week the view must show. */
  today: string
  /**
   * Tests: the epoch ms at which Chromium's clock starts (context.clock), so its "today" is the
   * test's. The benchmark leaves it unset: a faked clock would also fake the timings it reads.
   */
  clockAt?: number
}

export interface BrowserJoinSample {
  chooserMs: number
  weekMs: number
  /** From the tap on a practitioner (its event time) until the week shows. */
  tapToWeekMs: number
  searchMs: number
}

export class BrowserJoinError extends Error {
  override name = 'BrowserJoinError'
}

/** What the week view must show and whom to search, from A's plaintext docs (no device involved). */
export function browserJoinTarget(plaintext: ReadonlyMap<string, Uint8Array>, base: Omit<BrowserJoinTarget, 'weekAppointments' | 'searchName' | 'searchPatientId'>): BrowserJoinTarget {
  const monday = startOfWeek(base.today)
  const sunday = addDays(monday, 6)
  let weekAppointments = 0
  for (const month of new Set([monthOf(monday), monthOf(sunday)])) {
    const state = plaintext.get(agendaDocId(month))
    // The generator writes months ahead of today: this week's are always among A's docs.
    if (!state) throw new BrowserJoinError(`No plaintext of ${agendaDocId(month)}: cannot tell what this week shows`)
    const doc = new Y.Doc({ guid: agendaDocId(month), gc: true })
    Y.applyUpdate(doc, state)
    weekAppointments += listAppointments(doc, { from: monday, to: sunday }).items.length
    doc.destroy()
  }
  const directory = new Y.Doc({ guid: DIRECTORY_DOC_ID, gc: true })
  Y.applyUpdate(directory, plaintext.get(DIRECTORY_DOC_ID)!)
  const patients = listPatients(directory).items
  directory.destroy()
  // Mid-list: not the first the list shows before any search.
  const patient = patients[Math.floor(patients.length / 2)]
  if (!patient) throw new BrowserJoinError('The practice has no patient to search for')
  return { ...base, weekAppointments, searchName: patientDisplayName(patient), searchPatientId: patient.id }
}

/**
 * Page-side code is given to the page as source text, not as functions: tsx (esbuild) wraps this
 * file's named functions in a `__name` helper that exists only in Node.
 */
export function inPage<T>(page: Page, body: string, arg: unknown): Promise<T> {
  return page.evaluate(`(async (arg) => {${body}})(${JSON.stringify(arg)})`) as Promise<T>
}

/**
 * The page's performance.now() when `condition` (a function body of `arg`; `what` it waits for, in
 * words, and `seen`, what the page shows instead, for the error) first holds, checked
 * at once and on every DOM change (a MutationObserver in the page: Playwright's own polling is
 * per frame or per interval, up to 16 ms late).
 */
/**
 * Types `text` into the patient search at once, as typing does (React reads the value the input
 * event carries); resolves with the page's time of the input.
 */
export function typeInSearch(page: Page, text: string): Promise<number> {
  return inPage<number>(
    page,
    `
    const input = document.querySelector('input[type="search"]')
    if (!input) throw new Error('No search field')
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set
    const now = performance.now()
    setter.call(input, arg)
    input.dispatchEvent(new Event('input', { bubbles: true }))
    return now`,
    text,
  )
}

export function pageTimeWhen(page: Page, what: string, condition: string, arg: unknown, timeoutMs: number, seen = "return ''"): Promise<number> {
  return inPage<number>(
    page,
    `
    const holds = new Function('arg', arg.condition)
    const seen = new Function('arg', arg.seen)
    return new Promise((resolve, reject) => {
      const observer = new MutationObserver(() => check())
      const timer = setTimeout(() => {
        observer.disconnect()
        const state = seen(arg.value)
        reject(new Error('Not seen within ' + arg.timeoutMs + ' ms: ' + arg.what + (state ? ' (seen: ' + state + ')' : '')))
      }, arg.timeoutMs)
      function check() {
        if (!holds(arg.value)) return
        const now = performance.now()
        observer.disconnect()
        clearTimeout(timer)
        resolve(now)
      }
      observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true })
      check()
    })`,
    { what, condition, seen, value: arg, timeoutMs },
  )
}

export const CHOOSER_SHOWN = `
  const list = document.querySelector('ul.choose-member__list')
  return list !== null && list.querySelectorAll('button').length >= arg`

export const WEEK_SHOWN = `
  const blocks = document.querySelectorAll('ul.column__blocks > li')
  if (blocks.length !== arg.count) return false
  for (const block of blocks) if (block.textContent.includes(arg.unknown)) return false
  return true`

/** What the week shows instead, for the error (counts only: no patient's name). */
export const WEEK_SEEN = `
  const blocks = [...document.querySelectorAll('ul.column__blocks > li')]
  const unknown = blocks.filter((block) => block.textContent.includes(arg.unknown)).length
  const columns = document.querySelectorAll('ul.column__blocks').length
  const tap = window.__benchTap === null ? '; the tap on « Qui êtes-vous ? » never reached the list' : ''
  return blocks.length + ' appointments in ' + columns + ' columns, ' + unknown + ' « ' + arg.unknown + ' »' + tap`

/**
 * The patient's row is among those the (windowed) list shows. Not « heads the list »: a search
 * also matches birth names, so a namesake by birth, shown under her usual name, may come first.
 */
const SEARCH_ANSWERED = `
  return document.querySelector('ul.patient-list a[href$="/patients/' + arg + '"]') !== null`

/** What the list shows instead, for the error (counts only). */
const SEARCH_SEEN = `
  return document.querySelectorAll('ul.patient-list a').length + ' patients listed, not that one'`

/**
 * `BENCH_BROWSER_CPU_PROF=<dir>`: the page's CPU profile from the tap until the week shows, written
 * into `<dir>` (DevTools' Profiler; `BENCH_CHILD_CPU_PROF` does the same for the Node children).
 */
async function startProfile(page: Page): Promise<{ stop(): Promise<void> } | null> {
  const dir = process.env.BENCH_BROWSER_CPU_PROF
  if (!dir) return null
  const session = await page.context().newCDPSession(page)
  await session.send('Profiler.enable')
  await session.send('Profiler.setSamplingInterval', { interval: 1000 })
  await session.send('Profiler.start')
  return {
    stop: async () => {
      const { profile } = await session.send('Profiler.stop')
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, `chromium-join-${Date.now()}.cpuprofile`), JSON.stringify(profile))
      await session.detach()
    },
  }
}

/** One join in a fresh context of `browser`; the context is closed after. */
export async function joinInChromium(browser: Browser, target: BrowserJoinTarget, timeoutMs: number, pauseMs = 0): Promise<BrowserJoinSample> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'fr-FR', timezoneId: TIME_ZONE })
  if (target.clockAt !== undefined) await context.clock.install({ time: target.clockAt })
  const pageErrors: string[] = []
  try {
    const page = await context.newPage()
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`))
    // This week, once the practice is open (the route is read when the practice opens).
    await page.goto(`${target.appUrl}/#/agenda/semaine`)
    // The page shows a pairing code; the bench accepts it as an administrator's device would
    // (an identity made here, the practice's payload sealed to the page's keys).
    await page.getByRole('button', { name: 'Rejoindre un cabinet' }).click()
    await page.getByRole('button', { name: "Afficher un code d'appairage" }).click()
    const shown = page.getByRole('status', { name: "Code d'appairage" })
    await shown.waitFor({ timeout: timeoutMs })
    // The administrator: a device of the practice's registry (the granted code), in this process,
    // which adds the page's device to the registry and seals it the payload, as a tablet would.
    const adminEnv = { ...benchEnvironment('browser-admin'), connect: false }
    const admin = await joinByCode(target.code, adminEnv)
    const claimed = await claimPairing(admin.record.spaceId, (await shown.textContent()) ?? '', adminEnv).finally(() => admin.space.destroy())
    await page.getByRole('status', { name: 'Code de confirmation' }).waitFor({ timeout: timeoutMs })
    const profile = await startProfile(page)
    // From the administrator's acceptance (the page hears of it at its next poll, within 250 ms).
    const started = await inPage<number>(page, 'return performance.now()', null)
    await claimed.accept()
    const chooser = await pageTimeWhen(page, `« Qui êtes-vous ? » with ${target.practitioners} practitioners`, CHOOSER_SHOWN, target.practitioners, timeoutMs)
    const box = await inPage<{ x: number; y: number }>(
      page,
      `
      const button = document.querySelector('ul.choose-member__list button')
      const box = button.getBoundingClientRect()
      window.__benchTap = null
      // The tap's own time: when the browser received it, before the page got to it.
      document.addEventListener('pointerdown', (event) => { if (event.target.closest('ul.choose-member__list')) window.__benchTap = event.timeStamp }, { capture: true })
      return { x: box.left + box.width / 2, y: box.top + box.height / 2 }`,
      null,
    )
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs))
    await page.mouse.click(box.x, box.y)
    const week = await pageTimeWhen(
      page,
      `this week with ${target.weekAppointments} appointments, none « Patient inconnu »`,
      WEEK_SHOWN,
      { count: target.weekAppointments, unknown: 'Patient inconnu' },
      timeoutMs,
      WEEK_SEEN,
    )
    await profile?.stop()
    // Set: the week shows only once a practitioner was tapped (a tap that misses is in WEEK_SEEN).
    const tap = await inPage<number>(page, 'return window.__benchTap', null)
    // As the e2e steps' nav() (practice-steps.ts imports vitest, which the bench does not run under).
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Patients', exact: true }).click()
    const search = page.getByLabel('Rechercher un patient')
    await search.waitFor()
    // Mid-list: not among the rows shown before the search, or the search would be timed at 0.
    if ((await page.locator(`ul.patient-list a[href$="/patients/${target.searchPatientId}"]`).count()) > 0) {
      throw new BrowserJoinError('The patient to search for is listed before any search: the practice is too small to time a search')
    }
    const typed = await typeInSearch(page, target.searchName)
    const found = await pageTimeWhen(page, 'the patient searched for among the rows shown', SEARCH_ANSWERED, target.searchPatientId, timeoutMs, SEARCH_SEEN)
    if (pageErrors.length > 0) throw new BrowserJoinError(`The app threw while joining: ${pageErrors.join('; ')}`)
    return { chooserMs: chooser - started, weekMs: week - started, tapToWeekMs: week - tap, searchMs: found - typed }
  } catch (error) {
    if (error instanceof BrowserJoinError) throw error
    const thrown = pageErrors.length > 0 ? ` (the app threw: ${pageErrors.join('; ')})` : ''
    throw new BrowserJoinError(`Joining in Chromium failed: ${error instanceof Error ? error.message : String(error)}${thrown}`, { cause: error })
  } finally {
    await context.close()
  }
}
