/**
 * Entry point: opens this device's practice from local storage (no network needed) and mounts
 * the app. Side effects that must happen once per page load start here, not inside components.
 */
// First: zod must know it runs under the CSP before any schema is built (zod-jitless.ts).
import './app/zod-jitless'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import * as device from './sync/device/device'
import { claimPairing, JoiningPairing } from './sync/device/pairing'
import type { DeviceApi } from './app/device-api'
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
const boot = device.loadPractice()
// The service worker caches the app shell, so that the next start needs no network.
const updates = registerAppUpdates()

const deviceApi: DeviceApi = {
  ...device,
  openPairing: (relayUrl) => JoiningPairing.open(relayUrl),
  claimPairing: (spaceId, typedOrScanned) => claimPairing(spaceId, typedOrScanned),
}

createRoot(container).render(
  <StrictMode>
    <App boot={boot} device={deviceApi} preferences={localPreferences()} updates={updates} />
  </StrictMode>,
)
