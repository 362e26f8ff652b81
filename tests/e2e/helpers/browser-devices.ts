/**
 * Browser devices a test opens on a file's shared relay and Chromium (app-relay-and-browser.ts):
 * after each test, every page's health is checked (browser.ts, assertHealthy) and its context —
 * its IndexedDB, its storage — closed, so the next test starts from a new device.
 */
import { afterEach } from 'vitest'
import { openDevice, type Device, type OpenDeviceOptions } from './browser'
import type { useAppRelayAndBrowser } from './app-relay-and-browser'

export function useBrowserDevices(shared: ReturnType<typeof useAppRelayAndBrowser>): (name: string, options?: OpenDeviceOptions) => Promise<Device> {
  const devices: Device[] = []
  afterEach(async () => {
    for (const device of devices.splice(0)) {
      try {
        device.assertHealthy()
      } finally {
        await device.context.close()
      }
    }
  })
  return async (name, options = {}) => {
    const device = await openDevice(shared.browser, shared.relay, name, options)
    devices.push(device)
    return device
  }
}
