/**
 * The facts a browser checks before it offers to install an app (what Lighthouse's installability
 * audit looks at), checked on the real build served by the relay, in Chromium: the manifest's
 * fields and icons, a service worker that controls the page, and navigations that still return the
 * app with no network, while the relay's own routes always go to the network.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/installable.test.ts`.
 */
import type { Browser, Page } from 'playwright-core'
import { z } from 'zod'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, openDevice, startAppRelay } from './helpers/browser'
import type { Device } from './helpers/browser'
import type { RelayProcess } from '../helpers/relay-process'
import { createPractice, eventually, nav } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Saules', practitioner: 'Bérénice Castagnol' }

const ManifestIcon = z.object({ src: z.string(), sizes: z.string(), type: z.string(), purpose: z.string().optional() })
const Manifest = z.object({
  id: z.string(),
  name: z.string(),
  short_name: z.string(),
  lang: z.string(),
  start_url: z.string(),
  scope: z.string(),
  display: z.string(),
  theme_color: z.string(),
  background_color: z.string(),
  icons: z.array(ManifestIcon),
})

/** Width and height from a PNG's IHDR chunk, or null when the bytes are not a PNG. */
function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  if (bytes.length < 24 || signature.some((byte, i) => bytes[i] !== byte)) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { width: view.getUint32(16), height: view.getUint32(20) }
}

/** The service worker's state as the page sees it; false rather than a wait when there is none. */
function serviceWorkerFacts(page: Page) {
  return page.evaluate(async () => {
    const notYet = new Promise<null>((resolve) => setTimeout(() => resolve(null), 1_000))
    const registration = await Promise.race([navigator.serviceWorker.ready, notYet])
    return {
      active: registration?.active?.state ?? null,
      scope: registration?.scope ?? null,
      script: registration?.active?.scriptURL ?? null,
      controlled: navigator.serviceWorker.controller !== null,
    }
  })
}

describe.sequential('installable app, in Chromium', () => {
  let relay: RelayProcess
  let browser: Browser | null = null
  let device: Device

  beforeAll(async () => {
    relay = await startAppRelay()
    browser = await launchChromium()
    device = await openDevice(browser, relay, 'A')
  })

  afterEach(() => device?.assertHealthy())

  afterAll(async () => {
    await browser?.close()
    await relay?.dispose()
  })

  it('links a manifest with the fields and PNG icons an install needs', async () => {
    const { page } = device
    const href = await page.locator('link[rel="manifest"]').getAttribute('href')
    expect(href, 'index.html links the manifest').toBe('/manifest.webmanifest')
    const response = await fetch(new URL(href ?? '', relay.url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/manifest\+json/)
    expect(response.headers.get('cache-control'), 'a new manifest is found at the next load').toBe('no-cache')
    const manifest = Manifest.parse(await response.json())

    expect(manifest).toMatchObject({
      id: '/',
      name: 'Tournée',
      short_name: 'Tournée',
      lang: 'fr',
      start_url: '/',
      scope: '/',
      display: 'standalone',
    })
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i)
    expect(await page.locator('meta[name="theme-color"]').getAttribute('content'), 'the page and the manifest agree on the colour').toBe(
      manifest.theme_color,
    )

    // Every PNG icon is served, is a PNG, and has the size it declares.
    const pngs = manifest.icons.filter((icon) => icon.type === 'image/png')
    for (const icon of pngs) {
      const file = await fetch(new URL(icon.src, relay.url))
      expect(file.status, icon.src).toBe(200)
      expect(file.headers.get('content-type'), icon.src).toBe('image/png')
      const size = pngSize(new Uint8Array(await file.arrayBuffer()))
      expect(size, `${icon.src} is a PNG`).not.toBeNull()
      expect(`${size?.width}x${size?.height}`, `${icon.src} has the size it declares`).toBe(icon.sizes)
    }
    const sizes = (purpose: string) => pngs.filter((icon) => (icon.purpose ?? 'any') === purpose).map((icon) => icon.sizes)
    expect(sizes('any')).toEqual(expect.arrayContaining(['192x192', '512x512']))
    expect(sizes('maskable'), 'a maskable icon for Android launchers').toContain('512x512')
    const touchIcon = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href')
    const touch = await fetch(new URL(touchIcon ?? '', relay.url))
    expect(pngSize(new Uint8Array(await touch.arrayBuffer())), 'iPad home-screen icon (iOS ignores SVG ones)').toEqual({ width: 180, height: 180 })
  })

  it('registers a service worker that controls the page, revalidated on each load', async () => {
    const { page } = device
    await eventually(() => serviceWorkerFacts(page), 'a service worker is active and controls the page').toEqual({
      active: 'activated',
      scope: `${relay.url}/`,
      script: `${relay.url}/sw.js`,
      controlled: true,
    })
    const script = await fetch(`${relay.url}/sw.js`)
    expect(script.headers.get('cache-control'), 'the browser finds a new worker at once').toBe('no-cache')
    const index = await fetch(`${relay.url}/`)
    expect(index.headers.get('cache-control')).toBe('no-cache')
  })

  it('returns the app for navigations with no network, at the root and at a deep route', async () => {
    const { page, context } = device
    await createPractice(page, PRACTICE)
    await eventually(() => serviceWorkerFacts(page).then((facts) => facts.controlled), 'the page is controlled').toBe(true)

    // While online, the relay's routes are not the app: they go to the network. (In a tab of its
    // own: Chromium then asks for /favicon.ico, a 404 the app's pages are not to be blamed for.)
    const probe = await context.newPage()
    const health = await probe.goto(`${relay.url}/healthz`)
    expect(health?.fromServiceWorker(), '/healthz is not answered by the service worker').toBe(false)
    expect(await health?.json()).toEqual({ status: 'ok', storage: 'sqlite' })

    await context.setOffline(true)
    try {
      const root = await page.goto(`${relay.url}/`)
      expect(root?.fromServiceWorker(), '/ offline comes from the service worker').toBe(true)
      await nav(page, 'Agenda').waitFor()

      // A fresh document at a deep route (about:blank first, so that only the hash does not count
      // as a same-document navigation).
      await page.goto('about:blank')
      const patients = await page.goto(`${relay.url}/#/patients`)
      expect(patients?.fromServiceWorker()).toBe(true)
      await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor()

      // A path the server would answer with the shell too (a bookmark, an old link).
      const deep = await page.goto(`${relay.url}/agenda/2026-03`)
      expect(deep?.fromServiceWorker(), 'a deep path offline falls back to the shell').toBe(true)
      await nav(page, 'Agenda').waitFor()

      // The relay's routes never get the shell, even offline: the network's answer (here, none).
      await expect(probe.goto(`${relay.url}/healthz`)).rejects.toThrow(/ERR_INTERNET_DISCONNECTED/)
      await expect(probe.goto(`${relay.url}/v1/spaces/unknown`)).rejects.toThrow(/ERR_INTERNET_DISCONNECTED/)
    } finally {
      await context.setOffline(false)
      await probe.close()
    }
  })
})
