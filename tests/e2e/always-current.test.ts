/**
 * What a screen shows is current, or says it is not (issue 17), in real Chromium against a real
 * relay process, two devices and then a third:
 *
 *   1. both devices idle for three minutes: the indicator never leaves « En ligne » (the relay's
 *      keep-alive; without it y-websocket's watchdog cut every quiet socket after 30 s);
 *   2. a patient file and a past week, left long enough for their rooms to be closed, show a
 *      colleague's change made meanwhile as soon as they are shown again;
 *   3. a new device whose month has not arrived yet shows the week as « en cours de réception »,
 *      hatched and with no count, never « 0 rendez-vous », then the appointment once it arrives;
 *   4. offline, a file says « Pas à jour — hors ligne depuis … ».
 *
 * The devices' time is Playwright's clock (tests/helpers/test-clock.ts), run forward in steps of
 * a few seconds: the app's timers (the doc cache's linger, the rooms' grace, y-websocket's
 * watchdog) see minutes pass while the test takes seconds. The relay runs in real time with a
 * keep-alive of 200 ms, so that it speaks within each step, as its 10 s one does within 30 s.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/always-current.test.ts`.
 */
import type { Page, WebSocketRoute } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { deriveSpaceKeys } from '../../shared/src/crypto/space-keys'
import { addDays, agendaDocId, formatDayFr, monthOf } from '../../shared/src/model'
import { blindRoomName } from '../../shared/src/space/room-keys'
import { roomOf } from '../../shared/src/space/rooms'
import type { RelayProcess } from '../helpers/relay-process'
import { TEST_TODAY } from '../helpers/test-clock'
import { builtClientDir, launchChromium, openDevice, type Device } from './helpers/browser'
import { startRelayProcess } from '../helpers/relay-process'
import {
  addAppointment,
  addPatient,
  agendaRows,
  createPractice,
  eventually,
  nav,
  pairDevice,
  practiceSecretsOf,
  statusText,
} from './helpers/practice-steps'
import type { Browser } from 'playwright-core'

const PRACTICE = { name: 'Cabinet des Capucins', practitioner: 'Solène Marchetti' }
const PATIENT = { birthName: 'Vandenbroucke', firstNames: 'Anatole', display: 'Vandenbroucke Anatole' }
/** A week two months back (its own month room), and a third month for the new device. */
const PAST_DAY = addDays(TEST_TODAY, -63)
const OTHER_DAY = addDays(TEST_TODAY, -125)
const STEP_MS = 5_000

async function connection(device: Device): Promise<string> {
  return (await statusText(device)).replace(/ \d+ modifications? en attente.*$/, '')
}

/** Shows a route of the app without reloading it (hash routes). */
async function show(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (window.location.hash = h), hash)
}

/** Every text the sync indicator takes from now on, in the page (a blink lasts 0.3 s). */
async function recordIndicator(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = []
    const status = document.querySelector('[role="status"][aria-label="État de la synchronisation"]')!
    const record = () => seen.push((status.textContent ?? '').replace(/\s+/g, ' ').trim())
    record()
    new MutationObserver(record).observe(status, { subtree: true, childList: true, characterData: true })
    ;(window as unknown as { indicatorSeen: string[] }).indicatorSeen = seen
  })
  return () => page.evaluate(() => (window as unknown as { indicatorSeen: string[] }).indicatorSeen)
}

/**
 * Runs the devices' clocks forward by `ms`, a step at a time: real time passes for the relay and
 * the network, device time for the app's timers. Each step waits (a second at most) until every
 * device has heard the relay since the last step, as it would within five seconds of real time;
 * a relay that stays silent is not waited for, so that its silence shows as it would.
 */
async function idle(devices: readonly Device[], ms: number, heard: Map<Device, () => number>): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += STEP_MS) {
    const before = devices.map((device) => heard.get(device)!())
    await expect
      .poll(() => devices.every((device, i) => heard.get(device)!() > before[i]!), { timeout: 1_000 })
      .toBe(true)
      .catch(() => undefined)
    await Promise.all(devices.map((device) => device.page.clock.runFor(STEP_MS)))
  }
}

/** Counts the frames a device's sockets receive from the relay. */
function countFrames(device: Device): () => number {
  let frames = 0
  device.page.on('websocket', (socket) => socket.on('framereceived', () => frames++))
  return () => frames
}

describe.sequential('always current, never silently old', () => {
  let relay: RelayProcess
  let browser: Browser
  let a: Device
  let b: Device
  const devices: Device[] = []
  const heard = new Map<Device, () => number>()
  let patientHash = ''

  beforeAll(async () => {
    relay = await startRelayProcess({ env: { TOURNEE_STATIC_DIR: builtClientDir, TOURNEE_KEEPALIVE_MS: '200' } })
    browser = await launchChromium()
    a = await openDevice(browser, relay, 'A')
    b = await openDevice(browser, relay, 'B')
    for (const device of [a, b]) {
      devices.push(device)
      heard.set(device, countFrames(device))
    }
  })

  afterEach(() => {
    for (const device of devices) device.assertHealthy()
  })

  afterAll(async () => {
    await browser?.close()
    await relay?.dispose()
  })

  it('1. two devices idle for three minutes stay « En ligne » throughout', async () => {
    await createPractice(a.page, PRACTICE)
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    for (const device of [a, b]) {
      await nav(device.page, 'Agenda').click()
      await eventually(() => connection(device), `${device.name} online`).toBe('En ligne')
    }
    const seen = await Promise.all([a, b].map((device) => recordIndicator(device.page)))
    await idle([a, b], 3 * 60_000, heard)
    for (const [i, device] of [a, b].entries()) {
      const texts = await seen[i]!()
      // Without the relay's keep-alive: « Hors ligne », « Connexion… », « Synchronisation… » every 30 s.
      expect(
        texts.filter((text) => !text.startsWith('En ligne')).map((text) => text.replace(/ \d+ modifications? en attente.*$/, '')),
        `${device.name}'s indicator through three idle minutes`,
      ).toEqual([])
      expect(await connection(device)).toBe('En ligne')
    }
  })

  it('2a. a file left long enough for its room to close shows, when shown again, the note a colleague wrote meanwhile', async () => {
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await a.page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(PATIENT.display) }).click({ timeout: 20_000 })
    await a.page.getByRole('heading', { level: 2, name: 'Dossier clinique' }).waitFor()
    patientHash = await a.page.evaluate(() => window.location.hash)
    // A goes to the agenda and stays there: the file's doc lingers 2 min, its room 2 min more.
    await nav(a.page, 'Agenda').click()
    await idle([a, b], 5 * 60_000, heard)

    await show(b.page, patientHash)
    await b.page.getByRole('heading', { level: 2, name: 'Dossier clinique' }).waitFor({ timeout: 20_000 })
    await b.page.getByRole('button', { name: 'Nouvelle note de séance' }).click()
    const noteB = b.page.getByRole('textbox', { name: /^Texte : Séance du / }).first()
    await noteB.click()
    await b.page.keyboard.type('Note de B pendant l’absence de A.')
    await eventually(() => connection(b), 'B has sent its note').toBe('En ligne')

    await show(a.page, patientHash)
    await eventually(
      () => a.page.getByRole('textbox', { name: /^Texte : Séance du / }).evaluateAll((boxes) => boxes.map((box) => (box as HTMLTextAreaElement).value)),
      'A shows B’s note on coming back',
      10_000,
    ).toContain('Note de B pendant l’absence de A.')
  })

  it('2b. a past week left long enough for its month to close shows, when shown again, the slot a colleague booked meanwhile', async () => {
    const weekHash = `#/agenda/jour/${PAST_DAY}`
    await show(a.page, weekHash)
    await a.page.getByText('0 rendez-vous').waitFor({ timeout: 20_000 })
    await show(a.page, '#/agenda')
    await idle([a, b], 5 * 60_000, heard)

    await show(b.page, weekHash)
    await addAppointment(b.page, { start: '10:00', title: 'Créneau pris par B' })

    await show(a.page, weekHash)
    await eventually(() => agendaRows(a.page, formatDayFr(PAST_DAY)), 'A shows B’s booking on coming back', 10_000).toEqual([
      expect.stringContaining('Créneau pris par B'),
    ])
  })

  it('3. a new device shows a month still on its way as « en cours de réception », never as 0 appointments, then the appointment', async () => {
    await show(a.page, `#/agenda/jour/${OTHER_DAY}`)
    await addAppointment(a.page, { start: '09:00', title: 'Bilan ancien' })
    await eventually(() => connection(a), 'A has sent the booking').toBe('En ligne')

    // The relay's frames on C's socket of that month's room are held back until released: C's
    // background pass opens it soon after the join, and it must not arrive before C looks at it.
    const pairing = await practiceSecretsOf(a.page)
    const heldRoom = await blindRoomName(await deriveSpaceKeys(pairing.spaceId, pairing.rootSecret), await roomOf(agendaDocId(monthOf(OTHER_DAY))))
    const held = { on: true, flushes: [] as Array<() => void> }
    const c = await openDevice(browser, relay, 'C', {
      beforeLoad: async (_page, context) => {
        await context.routeWebSocket(new RegExp(`/v1/sync/${pairing.spaceId}/${heldRoom}$`), (route: WebSocketRoute) => {
          const server = route.connectToServer()
          const waiting: Array<string | Buffer> = []
          server.onMessage((message) => (held.on ? waiting.push(message) : route.send(message)))
          held.flushes.push(() => waiting.splice(0).forEach((message) => route.send(message)))
        })
      },
    })
    devices.push(c)
    await pairDevice(a.page, c.page, PRACTICE.practitioner)
    await show(c.page, `#/agenda/jour/${OTHER_DAY}`)
    const banner = c.page.getByText('Rendez-vous de cette période en cours de réception…')
    await banner.waitFor({ timeout: 20_000 })
    expect(await c.page.getByText(/\d+ rendez-vous$/).count(), 'no count while the month is on its way').toBe(0)
    expect(await c.page.locator('.agenda--unknown').count(), 'the grid is hatched, not free').toBe(1)

    held.on = false
    for (const flush of held.flushes) flush()
    await eventually(() => agendaRows(c.page, formatDayFr(OTHER_DAY)), 'the booking arrives').toEqual([expect.stringContaining('Bilan ancien')])
    await banner.waitFor({ state: 'detached' })
    await c.page.getByText('1 rendez-vous').waitFor()
  })

  it('4. offline, a file says since when it is not up to date', async () => {
    await show(a.page, patientHash)
    await a.page.getByRole('heading', { level: 2, name: 'Dossier clinique' }).waitFor()
    await a.context.setOffline(true)
    await eventually(() => connection(a), 'A offline').toBe('Hors ligne')
    await a.page.getByText(/^Pas à jour — hors ligne depuis \d+\u00a0h/).waitFor()
    await a.context.setOffline(false)
    await eventually(() => connection(a), 'A back online').toBe('En ligne')
    await a.page.getByText(/^Pas à jour/).waitFor({ state: 'detached' })
  })
})
