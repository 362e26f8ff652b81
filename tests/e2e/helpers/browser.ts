/**
 * Real-browser fixture: one relay process serving the built client, one Chromium, and one browser
 * context per device (each context has its own IndexedDB, localStorage and network switch, so two
 * contexts are two devices).
 *
 * Every page's uncaught errors and console errors are recorded; `assertHealthy()` fails the test
 * if a page threw or logged an error that is not an expected network failure.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { startRelayProcess } from '../../helpers/relay-process'
import type { RelayProcess } from '../../helpers/relay-process'
import { TEST_TIME_ZONE, testClock } from '../../helpers/test-clock'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
export const builtClientDir = join(repoRoot, 'dist/client')

/** The launch flags CI uses: no sandbox in containers, nothing that phones home or updates. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** What a device's screen looks like: a small laptop or a tablet in landscape. */
export const VIEWPORT = { width: 1024, height: 768 }

/** The practice's zone (the default of a new practice), so that "today" is the same for all. */
export const TIME_ZONE = TEST_TIME_ZONE

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
}

/**
 * Launches Chromium, or fails with what to install: these tests never skip. `extraArgs` adds
 * launch flags for one browser process (e.g. a video file as its camera, camera-video.ts).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const executablePath = chromiumPath()
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install it (Debian: apt-get install chromium) ` +
        'or set CHROMIUM_PATH to a Chromium executable. The e2e tests need a real browser.',
    )
  }
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] })
}

/** The relay, serving dist/client on its own origin (http://127.0.0.1 is a secure context). */
export async function startAppRelay(): Promise<RelayProcess> {
  if (!existsSync(join(builtClientDir, 'index.html'))) {
    throw new Error(`No built client at ${builtClientDir}/index.html: run \`npx vite build\` first (npm test does).`)
  }
  return startRelayProcess({ env: { TOURNEE_STATIC_DIR: builtClientDir } })
}

/**
 * Console errors a device logs when the network or the relay is down on purpose: failed loads and
 * refused WebSockets. Anything else (a crashed screen, a React warning logged as an error) fails.
 */
const EXPECTED_NETWORK_ERRORS = [
  /^Failed to load resource: net::ERR_(INTERNET_DISCONNECTED|CONNECTION_REFUSED|CONNECTION_RESET|FAILED)\b/,
  /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/v1\/sync\/[^']+' failed: /,
  // Two devices publishing a digest at once: the second's compare-and-swap loses (the relay's only
  // 412), and it reads the digest again (docs/sync-protocol.md, « Digests »).
  /^Failed to load resource: the server responded with a status of 412 \(Precondition Failed\)$/,
  // A relay stopped on purpose answers 503 to a request on a connection the browser kept alive
  // while it stops (relay/src/app/stopping-gate.ts); the device reads it as « relay unreachable ».
  /^Failed to load resource: the server responded with a status of 503 \(Service Unavailable\)$/,
]

export interface Device {
  readonly name: string
  readonly context: BrowserContext
  /** The device's current tab (replaced by `reopen`). */
  readonly page: Page
  /** Uncaught exceptions of every page this device opened. */
  readonly pageErrors: string[]
  /** console.error lines that are not expected network failures. */
  readonly consoleErrors: string[]
  /** Expected network failures, kept for diagnostics. */
  readonly networkErrors: string[]
  /** The sync indicator, the only role="status" of the app. */
  status(): Locator
  /** Closes the tab and opens the app again in a new one (same IndexedDB), at `path`. */
  reopen(path?: string): Promise<Page>
  /** Throws if a page of this device threw or logged an unexpected error since the last call. */
  assertHealthy(): void
}

export interface OpenDeviceOptions {
  /** The browser's language (BCP 47); French by default. The app's own language does not follow it. */
  locale?: string
  /** Runs on the device's first tab before it loads the app (e.g. a CDP storage override). */
  beforeLoad?: (page: Page, context: BrowserContext) => Promise<void>
  /** The device's clock (epoch ms); the test clock by default (tests/helpers/test-clock.ts). */
  clock?: () => number
  /** A touch tablet (`hasTouch`: a coarse pointer, touch events), for tests of finger gestures. */
  touch?: boolean
}

export async function openDevice(browser: Browser, relay: RelayProcess, name: string, options: OpenDeviceOptions = {}): Promise<Device> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: options.locale ?? 'fr-FR', timezoneId: TIME_ZONE, hasTouch: options.touch ?? false })
  // The app's "today" is the test's (tests/helpers/test-clock.ts): its clock starts at the test
  // clock's reading and then flows with real time, timers included.
  await context.clock.install({ time: (options.clock ?? testClock)() })
  const pageErrors: string[] = []
  const consoleErrors: string[] = []
  const networkErrors: string[] = []
  const watch = (page: Page) => {
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() !== 'error') return
      const text = message.text()
      if (EXPECTED_NETWORK_ERRORS.some((pattern) => pattern.test(text))) networkErrors.push(text)
      else consoleErrors.push(text)
    })
  }
  let page = await context.newPage()
  watch(page)
  await options.beforeLoad?.(page, context)
  await page.goto(relay.url)

  const device: Device = {
    name,
    context,
    get page() {
      return page
    },
    pageErrors,
    consoleErrors,
    networkErrors,
    status: () => page.getByRole('status', { name: 'État de la synchronisation' }),
    reopen: async (path = '/') => {
      // As a person closes a tab: the page's unload handlers run (the app saves state there).
      await page.close({ runBeforeUnload: true })
      await page.waitForEvent('close')
      page = await context.newPage()
      watch(page)
      await page.goto(relay.url + path)
      return page
    },
    assertHealthy: () => {
      const problems = [
        ...pageErrors.splice(0).map((e) => `page threw: ${e}`),
        ...consoleErrors.splice(0).map((e) => `console.error: ${e}`),
      ]
      if (problems.length > 0) throw new Error(`Device ${name}:\n  ${problems.join('\n  ')}`)
    },
  }
  return device
}

/** The relay's error lines, so that a device's « 500 » reads with its cause on the relay. */
function relayErrors(relay: RelayProcess): string[] {
  const errors = relay.logs.flatMap((chunk) => chunk.split('\n')).filter((line) => /"level":"error"/.test(line))
  return errors.length === 0 ? [] : ['Relay errors:', ...errors.slice(-10).map((line) => `  ${line}`)]
}

export interface TwoDevices {
  readonly relay: RelayProcess
  readonly browser: Browser
  readonly a: Device
  readonly b: Device
  readonly devices: Device[]
  /** A further device (a third context), tracked for health checks and clean-up. */
  openDevice(name: string): Promise<Device>
  assertHealthy(): void
  dispose(): Promise<void>
}

/** One relay, one Chromium, two devices on the first-run screen. Disposes what it started. */
export async function startTwoDevices(): Promise<TwoDevices> {
  const relay = await startAppRelay()
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const started = browser
    const devices: Device[] = []
    const open = async (name: string) => {
      const device = await openDevice(started, relay, name)
      devices.push(device)
      return device
    }
    const a = await open('A')
    const b = await open('B')
    return {
      relay,
      browser: started,
      a,
      b,
      devices,
      openDevice: open,
      assertHealthy: () => {
        const failures: string[] = []
        for (const device of devices) {
          try {
            device.assertHealthy()
          } catch (error) {
            failures.push(error instanceof Error ? error.message : String(error))
          }
        }
        if (failures.length > 0) throw new Error([...failures, ...relayErrors(relay)].join('\n'))
      },
      dispose: async () => {
        await started.close()
        await relay.dispose()
      },
    }
  } catch (error) {
    await browser?.close()
    await relay.dispose()
    throw error
  }
}
