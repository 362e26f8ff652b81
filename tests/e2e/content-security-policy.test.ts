/**
 * The app under its Content-Security-Policy, in Chromium (relay/src/app/security-headers.ts): the
 * real build served by a real relay, two devices used as a practice uses them — create, join,
 * patients, the agenda, the round, settings, an image and a PDF attached and opened in new tabs,
 * a cold start offline from the service worker — and not one violation of the policy, in any page,
 * popup, worker or service worker of either device.
 *
 * Violations are collected twice: the `securitypolicyviolation` event of every document (reported
 * through a binding of the browser context, so popups report too), and every console message about
 * the policy (pages, dedicated workers, service workers). A first step proves the collector sees a
 * violation when there is one.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/content-security-policy.test.ts`.
 */
import { readFileSync } from 'node:fs'
import type { BrowserContext, ConsoleMessage, Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { API_CONTENT_SECURITY_POLICY, appContentSecurityPolicy } from '../../relay/src/app/security-headers'
import { filesUnder } from '../helpers/files-under'
import { encodePng } from '../helpers/png'
import type { RelayProcess } from '../helpers/relay-process'
import { shownImage } from './helpers/attachment-tab'
import { builtClientDir, launchChromium, openDevice, startAppRelay, type Device } from './helpers/browser'
import { addAppointment, addPatient, createPractice, eventually, nav, pairDevice, pendingChanges } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Glycines', practitioner: 'Apolline Ravenel' }
const PATIENT = { birthName: 'Quintanel', firstNames: 'Eudoxie', display: 'Quintanel Eudoxie' }
const IMAGE = { name: 'ordonnance-quintanel.png', width: 2, height: 2, rgba: [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 9, 9, 255] }
/** The smallest PDF a viewer opens: one blank page. */
const PDF = {
  name: 'bilan-quintanel.pdf',
  bytes: Buffer.from(
    '%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  ),
}
const REPORT_BINDING = '__tourneeReportPolicyViolation'

/** Collects every violation of the policy on one device (its pages, popups, workers). */
async function watchPolicy(device: string, page: Page, context: BrowserContext, violations: string[]): Promise<void> {
  await context.exposeBinding(REPORT_BINDING, (_source, text: string) => violations.push(`${device}: ${text}`))
  await context.addInitScript((binding) => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as Record<string, ((text: string) => void) | undefined>)[binding]
      report?.(`${event.effectiveDirective} refused ${event.blockedURI || '(inline)'} in ${event.documentURI} (${event.sourceFile}:${event.lineNumber})`)
    })
  }, REPORT_BINDING)
  const fromConsole = (message: ConsoleMessage) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(`${device} console: ${message.text()}`)
  }
  context.on('console', fromConsole)
  const watchWorkers = (p: Page) => p.on('worker', (worker) => worker.on('console', fromConsole))
  watchWorkers(page)
  context.on('page', watchWorkers)
  context.on('serviceworker', (worker) => worker.on('console', fromConsole))
}

function attachmentButton(page: Page, name: string): Locator {
  return page.getByRole('button', { name: `Ouvrir ${name}` })
}

function controlledByServiceWorker(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const notYet = new Promise<null>((resolve) => setTimeout(() => resolve(null), 1_000))
    const registration = await Promise.race([navigator.serviceWorker.ready, notYet])
    return registration?.active?.state === 'activated' && navigator.serviceWorker.controller !== null
  })
}

describe.sequential('the app under its Content-Security-Policy, in Chromium', () => {
  let relay: RelayProcess
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null
  let a: Device
  let b: Device
  const violations: string[] = []
  const shared = { practice: false, patient: false }

  beforeAll(async () => {
    relay = await startAppRelay()
    browser = await launchChromium()
    a = await openDevice(browser, relay, 'A', { beforeLoad: (page, context) => watchPolicy('A', page, context, violations) })
    b = await openDevice(browser, relay, 'B', { beforeLoad: (page, context) => watchPolicy('B', page, context, violations) })
  })

  afterEach(() => {
    a?.assertHealthy()
    b?.assertHealthy()
    expect(violations.splice(0), 'violations of the Content-Security-Policy').toEqual([])
  })

  afterAll(async () => {
    await browser?.close()
    await relay?.dispose()
  })

  it('serves the app, its service worker and its bundles with the policy, and no source map', async () => {
    const expected = appContentSecurityPolicy({ host: `127.0.0.1:${relay.port}`, allowedOrigins: [] })
    expect(expected).toContain("script-src 'self'")
    const index = readFileSync(`${builtClientDir}/index.html`, 'utf8')
    const bundle = /src="(\/assets\/index-[^"]+\.js)"/.exec(index)?.[1]
    expect(bundle, 'index.html loads a hashed bundle').toBeDefined()
    for (const path of ['/', '/index.html', '/sw.js', bundle!]) {
      const response = await fetch(relay.url + path)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-security-policy'), path).toBe(expected)
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer')
      await response.body?.cancel()
    }
    expect((await fetch(`${relay.url}/healthz`)).headers.get('content-security-policy')).toBe(API_CONTENT_SECURITY_POLICY)
    // Nothing inline for the policy to refuse: the shell loads its script and style from files.
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(index).not.toMatch(/<style|\sstyle=/)
    // The build has no maps and names none; the relay would not serve one anyway.
    const built = filesUnder(builtClientDir)
    expect(built.filter((file) => file.endsWith('.map'))).toEqual([])
    for (const file of built.filter((f) => f.endsWith('.js'))) expect(readFileSync(file, 'utf8'), file).not.toContain('sourceMappingURL')
    expect((await fetch(`${relay.url}/sw.js.map`)).status).toBe(404)
  })

  it('enforces it, and the test sees a violation when there is one', async () => {
    // (Not eval: DevTools' own evaluation, which the test drives, is exempt from the policy.)
    const ran = await a.page.evaluate(() => {
      const probe = window as unknown as { handlerRan?: boolean; scriptRan?: boolean }
      document.body.insertAdjacentHTML('beforeend', '<img id="csp-probe" src="/icon.svg" onload="window.handlerRan = true">')
      const script = document.createElement('script')
      script.textContent = 'window.scriptRan = true'
      document.body.append(script)
      return new Promise<{ handler: boolean; script: boolean }>((resolve) =>
        setTimeout(() => {
          document.getElementById('csp-probe')?.remove()
          script.remove()
          resolve({ handler: probe.handlerRan === true, script: probe.scriptRan === true })
        }, 500),
      )
    })
    expect(ran, 'an inline handler and an inline script are refused').toEqual({ handler: false, script: false })
    await eventually(() => violations.length, 'the collector saw the refusals').toBeGreaterThanOrEqual(2)
    expect(violations.join('\n')).toMatch(/script-src/)
    violations.splice(0)
    // The console errors of the refusals are this step's own.
    a.consoleErrors.splice(0)
  })

  it('creating a practice, a second device joining, a patient, an appointment, the round and settings: no violation', async () => {
    await createPractice(a.page, PRACTICE)
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await nav(a.page, 'Agenda').click()
    await addAppointment(a.page, { start: '15:00', patient: PATIENT.display, place: 'Domicile' })
    for (const device of [a, b]) {
      for (const section of ['Agenda', 'Tournée', 'Patients', 'Réglages'] as const) {
        await nav(device.page, section).click()
        await device.page.getByRole('heading', { level: 1 }).first().waitFor()
      }
    }
    await eventually(() => pendingChanges(a), 'A has sent everything').toBe(0)
    shared.practice = true
  })

  it('an image and a PDF attached on A open in new tabs on B, under the inherited policy', async () => {
    expect(shared.practice, 'needs the practice (previous step)').toBe(true)
    for (const device of [a, b]) {
      await nav(device.page, 'Patients').click()
      await device.page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(PATIENT.display) }).click({ timeout: 20_000 })
    }
    const picker = a.page.getByLabel('Ajouter une photo ou un fichier')
    await picker.setInputFiles({ name: IMAGE.name, mimeType: 'image/png', buffer: encodePng(IMAGE) })
    await picker.setInputFiles({ name: PDF.name, mimeType: 'application/pdf', buffer: PDF.bytes })
    await attachmentButton(b.page, IMAGE.name).waitFor({ timeout: 20_000 })
    await attachmentButton(b.page, PDF.name).waitFor({ timeout: 20_000 })

    const imageTab = b.context.waitForEvent('page')
    await attachmentButton(b.page, IMAGE.name).click()
    const shown = await shownImage(await imageTab)
    expect(shown).toMatchObject({ width: IMAGE.width, height: IMAGE.height, rgba: IMAGE.rgba })

    const pdfTab = b.context.waitForEvent('page')
    await attachmentButton(b.page, PDF.name).click()
    const pdf = await pdfTab
    await expect.poll(() => pdf.url(), { timeout: 20_000 }).toMatch(/^blob:/)
    await pdf.waitForLoadState('load')
    // The viewer is the browser's: what the test can see is that the tab holds the PDF's page.
    expect(await pdf.evaluate(() => document.contentType)).toBe('application/pdf')
    shared.patient = true
  })

  it('offline, the service worker serves the app under the same policy, and the app runs', async () => {
    expect(shared.practice, 'needs the practice').toBe(true)
    await eventually(() => controlledByServiceWorker(a.page), "A's service worker controls the page").toBe(true)
    await a.context.setOffline(true)
    try {
      const response = await a.page.reload()
      expect(response?.fromServiceWorker(), 'answered by the service worker').toBe(true)
      expect(response?.headers()['content-security-policy'], 'the precached shell keeps its policy').toContain("script-src 'self'")
      await nav(a.page, 'Agenda').waitFor()
      await nav(a.page, 'Patients').click()
      await a.page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(PATIENT.display) }).waitFor({ timeout: 20_000 })
    } finally {
      await a.context.setOffline(false)
    }
  })
})
