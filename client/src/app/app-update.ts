/**
 * New versions of the app: announced, and applied only when the user taps « Mettre à jour ».
 *
 * The service worker precaches the app shell of one build. When a device loads a newer build's
 * worker, that worker waits (registerType 'prompt'); the page keeps running the version it started
 * with. Applying means telling the waiting worker to take over (skipWaiting) and reloading once it
 * controls the page. The reload never comes on its own: a practitioner in the middle of typing a
 * note would lose it. Even when another tab applied the update (the new worker then controls this
 * page too), this tab only says so and reloads on tap.
 *
 * The registration itself (virtual:pwa-register, Workbox) is injected, so that this logic runs in
 * Node tests with a fake worker.
 */

export const AppUpdateStatus = {
  /** Nothing waiting: the page runs the latest version this device knows of. */
  Current: 'current',
  /** A new version is installed and waiting for the user's tap. */
  Available: 'available',
  /** The user tapped: the new worker is taking over, the page reloads when it controls it. */
  Applying: 'applying',
  /** The new version took over from another tab: this page reloads on the user's tap. */
  ReloadNeeded: 'reload-needed',
} as const
export type AppUpdateStatus = (typeof AppUpdateStatus)[keyof typeof AppUpdateStatus]

export interface AppUpdateState {
  readonly status: AppUpdateStatus
}

/** What the registration reports; names follow vite-plugin-pwa's RegisterSWOptions. */
export interface ServiceWorkerEvents {
  /** A new worker is installed and waiting. */
  onNeedRefresh(): void
  /** A new worker now controls this page (after skipWaiting, from this tab or another). */
  onNeedReload(): void
}

/** Starts the registration; returns what tells the waiting worker to take over. */
export type RegisterServiceWorker = (events: ServiceWorkerEvents) => () => Promise<void>

export interface AppUpdates {
  getState(): AppUpdateState
  subscribe(listener: () => void): () => void
  /** The user's tap on « Mettre à jour ». Does nothing when no update is there. */
  apply(): void
}

export interface AppUpdateOptions {
  register: RegisterServiceWorker
  /** Reloads the page (window.location.reload in the browser). */
  reload: () => void
  /** Where a failed hand-over is reported (console.warn in the browser). */
  warn?: (message: string, error: unknown) => void
}

export function createAppUpdates(options: AppUpdateOptions): AppUpdates {
  const { register, reload, warn = () => undefined } = options
  const listeners = new Set<() => void>()
  let state: AppUpdateState = { status: AppUpdateStatus.Current }
  const setStatus = (status: AppUpdateStatus) => {
    if (state.status === status) return
    state = { status }
    for (const listener of listeners) listener()
  }

  const takeOver = register({
    onNeedRefresh: () => {
      if (state.status === AppUpdateStatus.Current) setStatus(AppUpdateStatus.Available)
    },
    onNeedReload: () => {
      // Only the tab whose user tapped reloads by itself; any other tab waits for its own tap.
      if (state.status === AppUpdateStatus.Applying) reload()
      else setStatus(AppUpdateStatus.ReloadNeeded)
    },
  })

  return {
    getState: () => state,
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    apply: () => {
      if (state.status === AppUpdateStatus.ReloadNeeded) {
        reload()
        return
      }
      if (state.status !== AppUpdateStatus.Available) return
      setStatus(AppUpdateStatus.Applying)
      takeOver().catch((error: unknown) => {
        // The waiting worker is gone (another tab applied it, or the browser dropped it): offer
        // the tap again rather than leaving a button that does nothing.
        warn('The new version of the app could not take over', error)
        setStatus(AppUpdateStatus.Available)
      })
    },
  }
}
