/**
 * GET /metrics: Prometheus text, for this machine only, or for whoever holds the operator's token.
 *
 *   TOURNEE_METRICS_TOKEN unset   a local client (loopback, not forwarded by a proxy) → 200;
 *                                 anyone else → 403: behind a proxy on the same machine every
 *                                 request arrives from loopback, but carries X-Forwarded-For
 *   TOURNEE_METRICS_TOKEN set     `Authorization: Bearer <token>` from every address, this machine
 *                                 included (compared in constant time) → 200; none → 401 with
 *                                 WWW-Authenticate; a wrong one → 401, and it counts as a failed
 *                                 credential of the address (429 + Retry-After once too many)
 *
 * 403 rather than 404 for "not from here": the route is documented, and the answer tells the
 * operator which setting to change. The series hold counts and reasons, never ids or content.
 */
import type { Hono } from 'hono'
import { Paths } from '../../../shared/src/protocol/constants'
import { parseBearerToken } from '../auth/bearer'
import { timingSafeEqualStrings } from '../auth/constant-time'
import type { RelayMetrics } from '../metrics/relay-metrics'
import { PerimeterRefusal, type Perimeter } from '../perimeter/perimeter'
import { clientOf, tooManyRequests } from './request-client'

export type MetricsAccess = 'granted' | 'token_missing' | 'token_wrong' | 'not_local'

/** How /metrics reads in the `listening` log line. */
export function metricsAccessMode(token: string | null): 'token' | 'local' {
  return token === null ? 'local' : 'token'
}

export function decideMetricsAccess(request: { local: boolean; authorization: string | undefined }, token: string | null): MetricsAccess {
  if (token === null) return request.local ? 'granted' : 'not_local'
  const presented = parseBearerToken(request.authorization)
  if (presented === null) return 'token_missing'
  return timingSafeEqualStrings(presented, token) ? 'granted' : 'token_wrong'
}

export interface MetricsRouteDeps {
  readonly metrics: RelayMetrics
  readonly perimeter: Perimeter
  readonly token: string | null
}

export function mountMetricsRoute(app: Hono, deps: MetricsRouteDeps): void {
  app.get(Paths.metrics, async (c) => {
    const client = clientOf(c, deps.perimeter)
    if (deps.token !== null) {
      const check = await deps.perimeter.beforeCredential(client)
      if (!check.ok) return tooManyRequests(c, check)
      // The token is compared in this turn: the check ends here, its failure counted below.
      check.passed()
    }
    const access = decideMetricsAccess({ local: client.local, authorization: c.req.header('authorization') }, deps.token)
    switch (access) {
      case 'not_local':
        deps.perimeter.refused(client, PerimeterRefusal.MetricsNotLocal)
        return c.json({ error: '/metrics is served to this machine only: set TOURNEE_METRICS_TOKEN to read it from elsewhere' }, 403)
      case 'token_missing':
        return c.json({ error: 'Send Authorization: Bearer <TOURNEE_METRICS_TOKEN>', field: 'authorization' }, 401, {
          'www-authenticate': 'Bearer realm="tournee-metrics"',
        })
      case 'token_wrong':
        await deps.perimeter.credentialFailed(client, 'metrics')
        return c.json({ error: 'Wrong metrics token', field: 'authorization' }, 401, { 'www-authenticate': 'Bearer realm="tournee-metrics"' })
      case 'granted':
        deps.metrics.trackedAddresses.set(deps.perimeter.trackedAddresses())
        return c.text(deps.metrics.registry.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
    }
  })
}
