import { useSyncExternalStore } from 'react'
import { parseRoute } from './route'
import type { Route } from './route'

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener)
  return () => window.removeEventListener('hashchange', listener)
}

function getHash(): string {
  return window.location.hash
}

/** The current screen, from the location hash; follows links, back and forward. */
export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, getHash))
}

export function navigate(href: string): void {
  window.location.hash = href
}
