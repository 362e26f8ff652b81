/// <reference types="vite-plugin-pwa/vanillajs" />
/**
 * The browser side of app updates: registers the service worker vite-plugin-pwa generates
 * (Workbox, precaching the app shell) and feeds its events to createAppUpdates. Called once, from
 * main.tsx. In development (`npx vite`) virtual:pwa-register is a no-op: no worker, no cache.
 */
import { registerSW } from 'virtual:pwa-register'
import { createAppUpdates } from './app-update'
import type { AppUpdates } from './app-update'
import { watchTakeovers } from './worker-takeover'

/** How often a page that stays open all day asks whether a new version was deployed. */
const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000

export function registerAppUpdates(): AppUpdates {
  return createAppUpdates({
    register: ({ onNeedRefresh, onNeedReload }) => {
      if ('serviceWorker' in navigator) watchTakeovers(navigator.serviceWorker, onNeedReload)
      return registerSW({
        immediate: true,
        onNeedRefresh,
        // Workbox would reload the page itself here, in every tab: watchTakeovers reports instead.
        onNeedReload: () => undefined,
        onRegisteredSW: (_url, registration) => {
          if (!registration) return
          // Browsers look for a new worker on navigation only; a tablet keeps one page open.
          setInterval(() => {
            if (!navigator.onLine) return
            registration.update().catch((error: unknown) => console.warn('Update check failed', error))
          }, UPDATE_CHECK_INTERVAL_MS)
        },
        // The app still works without a worker (it then needs the server to start): say it in
        // the console for whoever looks, it is nothing the practitioner can act on.
        onRegisterError: (error: unknown) => console.warn('Service worker registration failed', error),
      })
    },
    reload: () => window.location.reload(),
    warn: (message, error) => console.warn(message, error),
  })
}
