/**
 * A new version of the app reaches a device that has the old one open: the relay serves a copy of
 * the build, the device installs its service worker, then the copy's sw.js changes (as after a
 * deploy). The device's next update check finds the new worker, which waits: the page shows
 * « Une mise à jour de Tournée est disponible » and keeps what the user is typing. Only the tap on
 * « Mettre à jour » hands over to the new worker and reloads.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/app-update.test.ts`.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { builtClientDir, launchChromium, openDevice } from './helpers/browser'
import type { Device } from './helpers/browser'
import { startRelayProcess } from '../helpers/relay-process'
import type { RelayProcess } from '../helpers/relay-process'
import { createPractice, editor, eventually, nav, tapGrid } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Peupliers', practitioner: 'Anatole Berruyer' }
const TYPING = 'Bilan postopératoire du genou'

/** Taps a free slot of the agenda and types a title into the appointment editor it opens. */
async function startTyping(page: Page) {
  await tapGrid(page, '10:30')
  const title = editor(page).getByLabel('Titre', { exact: true })
  await title.fill(TYPING)
  return title
}

/** The editor is modal (the page behind it is inert): the practitioner closes it to reach the banner. */
async function closeEditor(page: Page) {
  await page.keyboard.press('Escape')
  await editor(page).waitFor({ state: 'detached' })
}

/** The page's registration, as the page sees it: which workers are active and waiting. */
function workers(page: Page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration()
    return {
      active: registration?.active?.state ?? null,
      waiting: registration?.waiting?.state ?? null,
      controlled: navigator.serviceWorker.controller !== null,
    }
  })
}

describe.sequential('a new version of the app, in Chromium', () => {
  let staticDir: string
  let relay: RelayProcess
  let browser: Browser | null = null
  let device: Device

  beforeAll(async () => {
    // A copy of the build, so that the test can "deploy" a new service worker without touching
    // dist/client, which the other browser tests serve.
    staticDir = mkdtempSync(join(tmpdir(), 'tournee-client-'))
    cpSync(builtClientDir, staticDir, { recursive: true })
    relay = await startRelayProcess({ env: { TOURNEE_STATIC_DIR: staticDir } })
    browser = await launchChromium()
    device = await openDevice(browser, relay, 'A')
  })

  afterEach(() => device?.assertHealthy())

  afterAll(async () => {
    await browser?.close()
    await relay?.dispose()
    if (staticDir) rmSync(staticDir, { recursive: true, force: true })
  })

  it('announces the new version, keeps what is being typed, and applies it only on the tap', async () => {
    const { page } = device
    await createPractice(page, PRACTICE)
    await eventually(() => workers(page), 'the first worker is installed and controls the page').toEqual({
      active: 'activated',
      waiting: null,
      controlled: true,
    })
    const banner = page.getByRole('region', { name: "Mise à jour de l'application" })
    expect(await banner.count(), 'no banner while nothing new is there').toBe(0)

    // The practitioner is typing an appointment when the new version comes out.
    await nav(page, 'Agenda').click()
    const title = await startTyping(page)
    // Gone at the next page load: tells whether the page reloaded.
    await page.evaluate(() => Object.assign(window, { tourneeTestMarker: 'same page' }))

    appendFileSync(join(staticDir, 'sw.js'), '\n// a new deploy\n')
    // What a browser does at the next navigation or hourly check: ask for sw.js again.
    await page.evaluate(async () => {
      await (await navigator.serviceWorker.getRegistration())?.update()
    })

    await banner.waitFor()
    expect(await banner.textContent()).toContain('Une mise à jour de Tournée est disponible.')
    await eventually(() => workers(page), 'the new worker waits for the tap').toMatchObject({ waiting: 'installed' })
    expect(await title.inputValue(), 'what was typed is untouched').toBe(TYPING)
    expect(await page.evaluate(() => (window as { tourneeTestMarker?: string }).tourneeTestMarker), 'no reload without a tap').toBe('same page')
    expect(await title.evaluate((element) => element === document.activeElement), 'the banner does not take the focus').toBe(true)

    await closeEditor(page)
    const reloaded = page.waitForEvent('load')
    await banner.getByRole('button', { name: 'Mettre à jour' }).click()
    await reloaded
    await nav(page, 'Agenda').waitFor()
    expect(await page.evaluate(() => (window as { tourneeTestMarker?: string }).tourneeTestMarker), 'the page reloaded').toBeUndefined()
    await eventually(() => workers(page), 'the new worker took over').toEqual({ active: 'activated', waiting: null, controlled: true })
    expect(await banner.count(), 'nothing left to announce').toBe(0)
  })

  it('in a second tab, an update applied from the first one waits for that tab’s own tap', async () => {
    const { page: first, context } = device
    const second = await context.newPage()
    const errors: string[] = []
    second.on('pageerror', (error) => errors.push(error.message))
    try {
      await second.goto(`${relay.url}/`)
      await nav(second, 'Agenda').waitFor()
      const title = await startTyping(second)
      await second.evaluate(() => Object.assign(window, { tourneeTestMarker: 'same page' }))

      appendFileSync(join(staticDir, 'sw.js'), '\n// another deploy\n')
      await first.evaluate(async () => {
        await (await navigator.serviceWorker.getRegistration())?.update()
      })
      const bannerOf = (page: Page) => page.getByRole('region', { name: "Mise à jour de l'application" })
      await bannerOf(first).waitFor()
      await bannerOf(second).waitFor()

      const reloaded = first.waitForEvent('load')
      await bannerOf(first).getByRole('button', { name: 'Mettre à jour' }).click()
      await reloaded
      await eventually(() => workers(first), 'the new worker took over').toEqual({ active: 'activated', waiting: null, controlled: true })

      // The second tab runs the old version under the new worker: it says so, and waits.
      await bannerOf(second).getByRole('button', { name: 'Mettre à jour' }).waitFor()
      expect(await title.inputValue(), 'what was typed in the second tab is untouched').toBe(TYPING)
      expect(await second.evaluate(() => (window as { tourneeTestMarker?: string }).tourneeTestMarker), 'no reload without a tap').toBe('same page')

      await closeEditor(second)
      const secondReloaded = second.waitForEvent('load')
      await bannerOf(second).getByRole('button', { name: 'Mettre à jour' }).click()
      await secondReloaded
      await nav(second, 'Agenda').waitFor()
      expect(await second.evaluate(() => (window as { tourneeTestMarker?: string }).tourneeTestMarker)).toBeUndefined()
      expect(await bannerOf(second).count()).toBe(0)
      expect(errors, 'the second tab threw nothing').toEqual([])
    } finally {
      await second.close()
    }
  })
})
