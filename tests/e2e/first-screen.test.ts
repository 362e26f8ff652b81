/**
 * A cold start shows today from the first-screen record (client/src/sync/startup/
 * first-screen-record.ts) before any room has loaded, in real Chromium against a real relay:
 *
 *   1. a device books an appointment today for a patient; it keeps the record at an idle moment;
 *   2. the rooms' IndexedDB databases are held by a version change from another tab, so the
 *      reloaded app cannot load a single room — as a slow tablet's 31 MB of rows would, for longer;
 *   3. the reloaded app still shows today's appointment with the patient's name and the banner
 *      that says the agenda is a snapshot; the patient list says it is loading, never a partial list;
 *   4. once the rooms are free the agenda reads the docs: the banner goes, the booking stays.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/first-screen.test.ts`.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatDayFr } from '../../shared/src/model'
import type { RelayProcess } from '../helpers/relay-process'
import { TEST_TODAY } from '../helpers/test-clock'
import { launchChromium, openDevice, startAppRelay, type Device } from './helpers/browser'
import { addAppointment, addPatient, agendaRows, createPractice, eventually, nav } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet du Vieux-Port', practitioner: 'Maëlle Giraud' }
const PATIENT = { birthName: 'Castellane', firstNames: 'Honorine', display: 'Castellane Honorine' }

/** The names of this origin's IndexedDB databases that hold rooms (`tournee-space-<space>-<room>`). */
function roomDatabases(page: Page): Promise<string[]> {
  return page.evaluate(async () =>
    (await indexedDB.databases())
      .map((db) => db.name ?? '')
      .filter((name) => name.startsWith('tournee-space-') && !name.endsWith('-first-screen')),
  )
}

/** The byte length of the record's week as kept on this device (encrypted), or 0 before any. */
function recordWeekBytes(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const name = (await indexedDB.databases()).map((db) => db.name ?? '').find((n) => n.endsWith('-first-screen'))
    if (!name) return 0
    return new Promise<number>((resolve) => {
      const open = indexedDB.open(name)
      open.onsuccess = () => {
        const db = open.result
        const get = db.transaction('record').objectStore('record').get('current')
        get.onsuccess = () => {
          resolve((get.result as { week?: Uint8Array } | undefined)?.week?.byteLength ?? 0)
          db.close()
        }
        get.onerror = () => resolve(0)
      }
      open.onerror = () => resolve(0)
    })
  })
}

/**
 * From another tab, opens each room database at a higher version and keeps the upgrade running
 * (a request after each request), so that no other connection can open them until `release`.
 */
async function holdDatabases(page: Page, names: readonly string[]): Promise<void> {
  await page.evaluate(async (dbNames) => {
    const holds: Array<() => void> = []
    await Promise.all(
      dbNames.map(
        (name) =>
          new Promise<void>((resolve, reject) => {
            const open = indexedDB.open(name, 1_000)
            open.onupgradeneeded = () => {
              const transaction = open.transaction!
              let held = true
              const store = transaction.objectStore(transaction.objectStoreNames[0]!)
              const spin = () => {
                if (!held) return
                store.count().onsuccess = spin
              }
              spin()
              holds.push(() => (held = false))
              resolve()
            }
            open.onerror = () => reject(open.error)
            open.onblocked = () => undefined
          }),
      ),
    )
    ;(window as unknown as { releaseHolds: () => void }).releaseHolds = () => holds.forEach((release) => release())
  }, names)
}

describe('a cold start shows today from the record kept on the device', () => {
  let browser: Browser
  let relay: RelayProcess
  let a: Device

  beforeAll(async () => {
    relay = await startAppRelay()
    browser = await launchChromium()
    a = await openDevice(browser, relay, 'A')
  })

  afterAll(async () => {
    await browser?.close()
    await relay?.dispose()
  })

  it('shows today’s booking with its patient while no room can load, then the docs', async () => {
    await createPractice(a.page, PRACTICE)
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await a.page.evaluate((hash) => (window.location.hash = hash), `#/agenda/jour/${TEST_TODAY}`)
    // The record of a week with no appointment, once the docs have synced.
    await eventually(() => recordWeekBytes(a.page), 'a first record is kept').toBeGreaterThan(0)
    const empty = await recordWeekBytes(a.page)
    await addAppointment(a.page, { start: '10:00', patient: PATIENT.display })
    const day = formatDayFr(TEST_TODAY)
    await eventually(() => agendaRows(a.page, day), 'the booking shows').toEqual([expect.stringContaining(PATIENT.display)])
    // Rewritten once the booking has been quiet for 2 s, a minute after the last write at the soonest.
    await a.page.clock.fastForward(60_000)
    await eventually(() => recordWeekBytes(a.page), 'the record holds the booking').toBeGreaterThan(empty)

    const rooms = await roomDatabases(a.page)
    expect(rooms.length).toBeGreaterThan(0)
    // Closed first: an open connection of the app would block the other tab's version change.
    await a.page.close({ runBeforeUnload: true })
    const holder = await a.context.newPage()
    await holder.goto(relay.url + '/healthz')
    await holdDatabases(holder, rooms)

    const page = await a.context.newPage()
    await page.goto(`${relay.url}/#/agenda/jour/${TEST_TODAY}`)
    await eventually(() => agendaRows(page, day), 'today from the record, no room loaded').toEqual([expect.stringContaining(PATIENT.display)])
    expect(await page.getByRole('status').filter({ hasText: /^Agenda du .* synchronisation en cours$/ }).count()).toBe(1)

    // The patient list cannot be told from a record of a few patients: it waits.
    await page.evaluate(() => (window.location.hash = '#/patients'))
    await page.getByText('Chargement…').first().waitFor()
    expect(await page.getByRole('list', { name: 'Liste des patients' }).count()).toBe(0)

    await holder.evaluate(() => (window as unknown as { releaseHolds: () => void }).releaseHolds())
    await page.evaluate((hash) => (window.location.hash = hash), `#/agenda/jour/${TEST_TODAY}`)
    await eventually(() => page.getByRole('status').filter({ hasText: /synchronisation en cours$/ }).count(), 'the docs take over').toBe(0)
    expect(await agendaRows(page, day)).toEqual([expect.stringContaining(PATIENT.display)])
    await nav(page, 'Patients').click()
    await eventually(() => page.getByRole('list', { name: 'Liste des patients' }).getByRole('link').allTextContents(), 'the whole list').toEqual([
      expect.stringContaining(PATIENT.display),
    ])
  })
})
