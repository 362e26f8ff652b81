/**
 * Serves the built client (dist/client) with a fallback to index.html for client-side routes, so
 * in production one process on one port is the whole app. Paths under /v1 and the operational
 * routes are never answered with the app shell: a typo there must stay a 404.
 *
 * Caching: Vite's hashed bundles under /assets/ never change, so browsers may keep them for good.
 * Everything else (index.html, the service worker sw.js, the manifest, icons) is revalidated on
 * every load: that is how a device finds a new version of the app and its service worker.
 *
 * Source maps are never served, even if a build left some in the folder (the production build
 * emits none: vite.config.ts): they would publish the source. A `*.map` path is a 404.
 * The Content-Security-Policy and the other headers of every answer: security-headers.ts.
 */
import { serveStatic } from '@hono/node-server/serve-static'
import type { Hono } from 'hono'
import { Paths } from '../../../shared/src/protocol/constants'

export const CacheControl = {
  immutable: 'public, max-age=31536000, immutable',
  revalidate: 'no-cache',
} as const

/** The cache policy of a file of the built client, from the request path that served it. */
export function cacheControlFor(requestPath: string): string {
  return requestPath.startsWith('/assets/') ? CacheControl.immutable : CacheControl.revalidate
}

/** Files of the built client the relay never serves. */
export function isWithheld(requestPath: string): boolean {
  return /\.map$/i.test(requestPath)
}

export function mountStaticClient(app: Hono, staticDir: string): void {
  // Mounted after the relay's routes, so only requests they did not answer get here.
  app.use('*', async (c, next) => (isWithheld(c.req.path) ? c.notFound() : next()))
  app.use('*', async (c, next) => {
    await next()
    if (c.res.status === 200 && !c.res.headers.has('cache-control')) {
      c.res.headers.set('cache-control', cacheControlFor(c.req.path))
    }
  })
  app.use('*', serveStatic({ root: staticDir }))
  app.get('*', async (c, next) => {
    const path = c.req.path
    if (path.startsWith('/v1/') || path === Paths.health || path === Paths.metrics) return next()
    // A missing asset (a stale hashed file after a deploy) is a 404, not the HTML shell.
    if (/\.[a-z0-9]+$/i.test(path) && !path.endsWith('.html')) return next()
    return serveStatic({ root: staticDir, path: 'index.html' })(c, next)
  })
}
