/**
 * Tells when a new service worker takes control of a page that already had one (a new version
 * applied, from this tab or another). Workbox-window reports this ('controlling' with isUpdate)
 * only to pages that were controlled when they loaded: the page that installed the first worker,
 * left open until the next deploy, would never hear of it, and the tap on « Mettre à jour » would
 * do nothing. The first worker claiming the page is no new version.
 */

/** The part of navigator.serviceWorker this needs (a fake in tests). */
export interface ServiceWorkerContainerLike {
  readonly controller: unknown
  addEventListener(type: 'controllerchange', listener: () => void): void
}

export function watchTakeovers(container: ServiceWorkerContainerLike, onTakeover: () => void): void {
  let controlled = container.controller !== null
  container.addEventListener('controllerchange', () => {
    if (controlled) onTakeover()
    controlled = true
  })
}
