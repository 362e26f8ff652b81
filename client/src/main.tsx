/**
 * Entry point: opens this device's practice from local storage (no network needed), unless it is
 * locked, and mounts the app. Side effects that must happen once per page load start here, not
 * inside components.
 */
// First: zod must know it runs under the CSP before any schema is built (zod-jitless.ts).
import './app/zod-jitless'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import * as device from './sync/device/device'
import { claimPairing, JoiningPairing } from './sync/device/pairing'
import { changePracticeDevice, readPracticeDevices, revokePracticeDevice } from './sync/device/practice-devices'
import { sendKeyGrant } from './sync/device/key-grants-sync'
import { dismissRoleNotice } from './sync/device/role-downgrade'
import type { DeviceApi } from './app/device-api'
import * as lock from './sync/device/lock/device-lock'
import { App } from './app/App'
import { registerAppUpdates } from './app/service-worker'
import './styles/app.css'

function localPreferences(): Storage | null {
  try {
    return window.localStorage
  } catch (error) {
    // Storage disabled by the browser's settings: preferences last for this page only.
    console.warn('localStorage unavailable', error)
    return null
  }
}

const container = document.getElementById('root')
if (!container) throw new Error('index.html must contain <div id="root">')

// Where a start's time goes (tests/bench « (h) », BENCH_MARKS=1): the bundle has loaded and runs.
performance.mark('tournee:app-boot')
// A device with a lock opens nothing of its practice before it is unlocked (device-lock.ts).
const boot = lock.startDevice()
// The service worker caches the app shell, so that the next start needs no network.
const updates = registerAppUpdates()

const deviceApi: DeviceApi = {
  ...device,
  ...lock,
  openPairing: (relayUrl) => JoiningPairing.open(relayUrl),
  claimPairing: (spaceId, typedOrScanned) => claimPairing(spaceId, typedOrScanned),
  readPracticeDevices: (spaceId) => readPracticeDevices(spaceId, device.browserEnvironment),
  revokeDevice: (spaceId, deviceId) => revokePracticeDevice(spaceId, deviceId, device.browserEnvironment),
  changeDevice: (spaceId, deviceId, change) => changePracticeDevice(spaceId, deviceId, change, device.browserEnvironment),
  regrantDevice: (spaceId, deviceId) => sendKeyGrant(spaceId, deviceId, device.browserEnvironment),
  dismissRoleNotice: (spaceId) => dismissRoleNotice(spaceId, device.browserEnvironment),
}

createRoot(container).render(
  <StrictMode>
    <App boot={boot} device={deviceApi} preferences={localPreferences()} updates={updates} />
  </StrictMode>,
)
