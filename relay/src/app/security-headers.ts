/**
 * The headers every answer of the relay carries, and the Content-Security-Policy of the served app.
 *
 * Every response (the app, the API, errors):
 *
 *   X-Content-Type-Options: nosniff     a blob or JSON answer is never sniffed into HTML or script
 *   Referrer-Policy: no-referrer        no page URL (a space id in a path) leaves in a Referer
 *
 * The app (everything that is not a relay route: index.html, the bundles, sw.js, the decode
 * worker, since a worker's policy is the one its own script was served with):
 *
 *   default-src 'none'                  nothing that is not listed below
 *   script-src 'self'                   the hashed bundles; no inline script, no eval
 *   style-src 'self'                    the stylesheet; no <style> or style="" in markup (React's
 *                                       `style` prop goes through the CSSOM, which CSP allows)
 *   img-src 'self' blob:                icons; an image attachment shown from its decrypted blob
 *   font-src, manifest-src 'self'
 *   worker-src 'self'                   the service worker and the decode workers
 *   connect-src 'self' ws://<host> wss://<host> <allowed origins, http(s) and ws(s)>
 *                                       the relay it was served by (its WebSocket origin spelled
 *                                       out: Safari before 16 does not count ws: as 'self'), and the
 *                                       origins of TOURNEE_ALLOWED_ORIGINS
 *   object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'
 *
 * A blob: page (an attachment opened in a new tab) inherits the policy of the page that made it:
 * a PDF still opens in the browser's viewer, and a script in an SVG or HTML attachment cannot run.
 *
 * The relay's own routes (/v1/…, /healthz, /metrics) answer data, never a page:
 *
 *   default-src 'none'; frame-ancestors 'none'
 */
import type { MiddlewareHandler } from 'hono'
import { Paths } from '../../../shared/src/protocol/constants'

export const SecurityHeader = {
  contentTypeOptions: 'x-content-type-options',
  referrerPolicy: 'referrer-policy',
  contentSecurityPolicy: 'content-security-policy',
} as const

/** The two headers every answer carries, HTTP routes and refused WebSocket upgrades alike. */
export const EVERY_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  [SecurityHeader.contentTypeOptions]: 'nosniff',
  [SecurityHeader.referrerPolicy]: 'no-referrer',
}

export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"

export interface AppPolicyInput {
  /** The Host header the page was asked on; ignored unless it is a plain `host[:port]`. */
  readonly host: string | undefined
  /** TOURNEE_ALLOWED_ORIGINS, normalised (`scheme://host[:port]`). */
  readonly allowedOrigins: readonly string[]
}

/** host, host:port, or [ipv6]:port: anything else (spaces, `;`, quotes) is not put in a header. */
const PLAIN_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i

/** The app's policy, directive by directive (the header joins them). */
export function appPolicyDirectives(input: AppPolicyInput): Record<string, string[]> {
  const connect = ["'self'"]
  if (input.host !== undefined && PLAIN_HOST.test(input.host)) connect.push(`ws://${input.host}`, `wss://${input.host}`)
  for (const origin of input.allowedOrigins) connect.push(origin, webSocketOrigin(origin))
  return {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'blob:'],
    'font-src': ["'self'"],
    'manifest-src': ["'self'"],
    'worker-src': ["'self'"],
    'connect-src': [...new Set(connect)],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  }
}

export function appContentSecurityPolicy(input: AppPolicyInput): string {
  return Object.entries(appPolicyDirectives(input))
    .map(([directive, sources]) => `${directive} ${sources.join(' ')}`)
    .join('; ')
}

/** `https://a.fr` → `wss://a.fr`, `http://…` → `ws://…`: the same origin's sockets. */
function webSocketOrigin(origin: string): string {
  return origin.replace(/^http/, 'ws')
}

/** The relay's own routes: data, never a page of the app. */
export function isRelayRoute(path: string): boolean {
  return path.startsWith('/v1/') || path === Paths.health || path === Paths.metrics
}

/**
 * Sets the headers on whatever answered: a route, the static client, the not-found handler or the
 * error handler. Mounted first, so that it wraps everything.
 */
export function securityHeaders(allowedOrigins: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    await next()
    for (const [name, value] of Object.entries(EVERY_RESPONSE_HEADERS)) c.res.headers.set(name, value)
    const policy = isRelayRoute(c.req.path)
      ? API_CONTENT_SECURITY_POLICY
      : appContentSecurityPolicy({ host: c.req.header('host'), allowedOrigins })
    c.res.headers.set(SecurityHeader.contentSecurityPolicy, policy)
  }
}
