/**
 * Serves the built client (dist/client) with a fallback to index.html for client-side routes, so
 * in production one process on one port is the whole app. Paths under /v1 and the operational
 * routes are never answered with the app shell: a typo there must stay a 404.
 */
import { serveStatic } from '@hono/node-server/serve-static'
import type { Hono } from 'hono'
import { Paths } from '../../../shared/src/protocol/constants'

export function mountStaticClient(app: Hono, staticDir: string): void {
  app.use('*', serveStatic({ root: staticDir }))
  app.get('*', async (c, next) => {
    const path = c.req.path
    if (path.startsWith('/v1/') || path === Paths.health || path === Paths.metrics) return next()
    // A missing asset (a stale hashed file after a deploy) is a 404, not the HTML shell.
    if (/\.[a-z0-9]+$/i.test(path) && !path.endsWith('.html')) return next()
    return serveStatic({ root: staticDir, path: 'index.html' })(c, next)
  })
}
