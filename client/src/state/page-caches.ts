/**
 * Caches kept for the page's lifetime rather than a practice's (TimeGrid's text widths: measured
 * once for every grid that mounts). What they hold may name patients, so the lock drops them with
 * the practice (app/device-session.ts): each registers how it is emptied.
 */
const drops = new Set<() => void>()

/** Registers how a page-wide cache is emptied; the function returned unregisters it. */
export function onDropPageCaches(drop: () => void): () => void {
  drops.add(drop)
  return () => drops.delete(drop)
}

/** Empties every page-wide cache (the practice was closed: the app locked). */
export function dropPageCaches(): void {
  for (const drop of drops) drop()
}
