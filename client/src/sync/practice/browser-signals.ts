/**
 * What the browser tells a practice about its surroundings, listened to once per practice (not
 * once per room): the network went away or came back, and the tab is being hidden — which may be
 * the last moment it runs, so queued changes are pushed and records saved then. None in Node.
 */
export interface BrowserSignalHandlers {
  readonly offline: () => void
  readonly online: () => void
  readonly hidden: () => void
}

/** Whether the browser says it has no network at all (Node: never). */
export function browserIsOffline(): boolean {
  return typeof navigator !== 'undefined' && typeof document !== 'undefined' && navigator.onLine === false
}

/** Listens; the function returned stops listening. */
export function listenToBrowser(handlers: BrowserSignalHandlers): () => void {
  const target = globalThis as { addEventListener?: typeof addEventListener; removeEventListener?: typeof removeEventListener }
  if (typeof target.addEventListener !== 'function' || typeof document === 'undefined') return () => undefined
  const onHide = (event: Event) => {
    if (event.type === 'pagehide' || document.visibilityState === 'hidden') handlers.hidden()
  }
  target.addEventListener('offline', handlers.offline)
  target.addEventListener('online', handlers.online)
  target.addEventListener('pagehide', onHide)
  document.addEventListener('visibilitychange', onHide)
  return () => {
    target.removeEventListener?.('offline', handlers.offline)
    target.removeEventListener?.('online', handlers.online)
    target.removeEventListener?.('pagehide', onHide)
    document.removeEventListener('visibilitychange', onHide)
  }
}
