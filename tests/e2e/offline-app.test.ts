/**
 * The installed app starts with no network at all: device A opened Tournée once (its service
 * worker precached the app shell), then loses the network AND the relay process stops. A reload is
 * answered by the service worker, the agenda opens from IndexedDB and takes a new appointment,
 * counted as pending. The relay comes back on the same port and data folder (the worker is bound to
 * the origin, port included), A comes back online, and the appointment reaches device B.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/offline-app.test.ts`.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { Device } from './helpers/browser'
import { useTwoDevices } from './helpers/step-fixture'
import { addAppointment, createPractice, eventually, nav, pairDevice, pendingChanges, statusText } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Aubépines', practitioner: 'Solène Marchetti' }
/** A title nobody else types, so that a match can only be the appointment written offline. */
const OFFLINE_VISIT = 'Rééducation de l’épaule (hors ligne)'
/** The relay restarts and devices reconnect with backoff: allow for the longest wait. */
const RECONNECT_TIMEOUT = 45_000

/** 'En ligne', 'Hors ligne', …: the first words of the indicator, before the pending count. */
async function connection(device: Device): Promise<string> {
  return (await statusText(device)).replace(/ \d+ modifications? en attente.*$/, '')
}

/** Every block of the agenda on screen (each practitioner column of the day), as text. */
async function dayText(page: Page): Promise<string> {
  const texts = await page.getByRole('list', { name: /^Rendez-vous de / }).allTextContents()
  return texts.join('\n')
}

/**
 * Whether a service worker is active and controls the page (the shell is then precached). Answers
 * false rather than waiting for good when there is none, so that a poll can fail with its message.
 */
function controlledByServiceWorker(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const notYet = new Promise<null>((resolve) => setTimeout(() => resolve(null), 1_000))
    const registration = await Promise.race([navigator.serviceWorker.ready, notYet])
    return registration?.active?.state === 'activated' && navigator.serviceWorker.controller !== null
  })
}

describe.sequential('the app cold-starts offline, in Chromium', () => {
  const setup = useTwoDevices()

  it('reloads with no network and no relay into the agenda, takes an appointment, and sends it once back', async () => {
    const { a, b, relay } = setup()
    await createPractice(a.page, PRACTICE)
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    await nav(a.page, 'Agenda').click()
    const day = (await a.page.getByRole('heading', { level: 1 }).textContent()) ?? ''
    expect(day, 'the agenda opens on a day').toMatch(/^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d/)
    await eventually(() => pendingChanges(a), 'the new practice reached the relay').toBe(0)
    await eventually(() => controlledByServiceWorker(a.page), "A's service worker is active and controls the page").toBe(true)

    // No network, no relay: nothing but the service worker and IndexedDB can answer.
    await relay.stop()
    await a.context.setOffline(true)
    const response = await a.page.reload()
    expect(response?.status(), 'the reload is answered').toBe(200)
    expect(response?.fromServiceWorker(), 'the reload is answered by the service worker').toBe(true)

    await a.page.getByRole('heading', { level: 1, name: day }).waitFor()
    await eventually(() => connection(a), 'A says it is offline').toBe('Hors ligne')
    await addAppointment(a.page, { start: '16:30', title: OFFLINE_VISIT })
    await eventually(() => dayText(a.page), 'the appointment is listed on A').toContain(OFFLINE_VISIT)
    await eventually(() => pendingChanges(a), 'A counts the offline appointment as not yet on the relay').toBeGreaterThanOrEqual(1)
    expect(await connection(a)).toBe('Hors ligne')
    expect(await dayText(b.page), 'B cannot have it yet').not.toContain(OFFLINE_VISIT)

    // The relay comes back on the same port and data folder, then the network.
    await relay.restart()
    await a.context.setOffline(false)
    await eventually(() => pendingChanges(a), 'the relay acknowledges the offline appointment', RECONNECT_TIMEOUT).toBe(0)
    await eventually(() => connection(a), 'A is back online').toBe('En ligne')
    await eventually(() => dayText(b.page), 'the appointment made offline reaches B', RECONNECT_TIMEOUT).toContain(OFFLINE_VISIT)
  })
})
