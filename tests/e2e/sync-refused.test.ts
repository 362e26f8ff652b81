/**
 * The relay refuses the device, and the sync indicator says so instead of retrying for ever: the
 * relay is reinstalled on the same address without its data (no backup restored), so the practice
 * is unknown to it. The device keeps working locally, shows « Refusé par le relais : cabinet
 * inconnu de ce relais », and « Synchroniser maintenant » tries again once, on request.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/sync-refused.test.ts`.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, openDevice, startAppRelay } from './helpers/browser'
import type { Device } from './helpers/browser'
import type { RelayProcess } from '../helpers/relay-process'
import { addAppointment, createPractice, eventually, pendingChanges, statusText } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Érables', practitioner: 'Gwenaëlle Tanguy' }
const REFUSED = 'Refusé par le relais : cabinet inconnu de ce relais'
/** The relay restarts and the device reconnects with backoff: allow for the longest wait. */
const RECONNECT_TIMEOUT = 45_000

describe.sequential('a device the relay refuses, in Chromium', () => {
  let relay: RelayProcess
  let browser: Browser | null = null
  let device: Device

  beforeAll(async () => {
    relay = await startAppRelay()
    browser = await launchChromium()
    device = await openDevice(browser, relay, 'A')
  })

  afterEach(() => {
    // The relay's answer to the access check (GET /v1/spaces/:id) is a 404 here, on purpose:
    // Chromium logs it. Any other console error still fails the test.
    const unexpected = device.consoleErrors.filter((line) => !/status of 404 \(Not Found\)$/.test(line))
    device.consoleErrors.splice(0, device.consoleErrors.length, ...unexpected)
    device.assertHealthy()
  })

  afterAll(async () => {
    await browser?.close()
    await relay?.dispose()
  })

  it('says the relay does not know the practice, keeps the local work, and retries only on request', async () => {
    const { page } = device
    await createPractice(page, PRACTICE)
    await eventually(() => pendingChanges(device), 'the practice reached the relay').toBe(0)

    // Reinstalled without its data: same address, empty data folder.
    await relay.stop()
    for (const file of ['relay.db', 'relay.db-wal', 'relay.db-shm']) rmSync(join(relay.dataDir, file), { force: true })
    await relay.restart()

    await eventually(() => statusText(device), 'the indicator says why the relay refuses', RECONNECT_TIMEOUT).toContain(REFUSED)
    expect(await device.status().getAttribute('data-status')).toBe('refused')

    // Work goes on locally, and is counted as not on the relay.
    await addAppointment(page, { start: '11:30', title: 'Séance de rééducation' })
    await eventually(() => pendingChanges(device), 'the new appointment waits for a relay').toBeGreaterThanOrEqual(1)
    expect(await statusText(device)).toContain(REFUSED)

    // « Synchroniser maintenant » tries again (a new WebSocket), and is refused again.
    const attempt = page.waitForEvent('websocket', { timeout: 20_000 })
    await page.getByRole('button', { name: 'Synchroniser maintenant' }).click()
    expect((await attempt).url()).toMatch(/\/v1\/sync\//)
    await eventually(() => statusText(device), 'refused again').toContain(REFUSED)
  })
})
