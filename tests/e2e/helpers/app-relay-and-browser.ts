/**
 * The set-up of an e2e file whose tests share a relay process and a browser (its own module: the
 * benchmarks import browser.ts outside of vitest).
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import type { RelayProcess } from '../../helpers/relay-process'
import { launchChromium, startAppRelay } from './browser'

/**
 * For a file whose tests share one relay process serving the built app, one Chromium, and Node
 * devices of colleagues (joined in a test): started before the first test, all closed after the
 * last. Read `relay` and `browser` inside tests, not at collection.
 */
export function useAppRelayAndBrowser(): {
  readonly relay: RelayProcess
  readonly browser: Browser
  /** Destroys this Node device's practice after the file's tests. */
  closeAfter(device: { space: { destroy(): Promise<void> } }): void
} {
  let relay: RelayProcess | null = null
  let browser: Browser | null = null
  const devices: Array<{ space: { destroy(): Promise<void> } }> = []
  beforeAll(async () => {
    relay = await startAppRelay()
    browser = await launchChromium()
  })
  afterAll(async () => {
    for (const device of devices) await device.space.destroy().catch(() => undefined)
    await browser?.close()
    await relay?.dispose()
  })
  return {
    get relay() {
      if (relay === null) throw new Error('The relay starts before the first test')
      return relay
    },
    get browser() {
      if (browser === null) throw new Error('Chromium starts before the first test')
      return browser
    },
    closeAfter: (device) => devices.push(device),
  }
}
