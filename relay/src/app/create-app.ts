/**
 * The relay's HTTP surface (the WebSocket upgrade is handled in server.ts, before hono sees it):
 *
 *   GET  /healthz              {"status":"ok","storage":"sqlite"|"postgres"}; with multi-node fan-out
 *                              also "redis": "reachable" | "unreachable" (still 200: the node serves
 *                              its own sockets without it)
 *   GET  /metrics              Prometheus text, to this machine or with the metrics token (metrics-route.ts)
 *   PUT  /v1/spaces/:spaceId   enrol a space (see spaces.ts)
 *   GET  /v1/spaces/:spaceId   check a credential
 *   PUT  /v1/spaces/:spaceId/attachments/:hash   store an encrypted attachment (see attachments.ts)
 *   GET  /v1/spaces/:spaceId/attachments/:hash   fetch it
 *   PUT  /v1/spaces/:spaceId/digests/:name       publish an encrypted digest (see digests.ts)
 *   GET  /v1/spaces/:spaceId/digests/:name       fetch it (HEAD: only its weight)
 *   GET|POST /v1/spaces/:spaceId/devices         the practice's device registry (devices.ts)
 *   POST /v1/pairings, GET|DELETE /v1/pairings/:code            a joining device's pairing (pairings.ts)
 *   POST /v1/spaces/:spaceId/pairings/:code/claim, PUT …/sealed, DELETE   the admin device's side
 *   GET  /*                    the built client, when a static dir is configured
 *
 * Every answer carries nosniff, no-referrer and a Content-Security-Policy (security-headers.ts).
 * The space routes count failed credentials per client address, and answer 429 + Retry-After to
 * an address that failed too often, before anything else (credential-throttle.ts).
 */
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import {
  DIGEST_WEIGHT_HEADER,
  ENROLMENT_HEADER,
  ERROR_FIELD_HEADER,
  Paths,
  type Limits,
} from '../../../shared/src/protocol/constants'
import { errorFields, type Logger } from '../log'
import type { RelayMetrics } from '../metrics/relay-metrics'
import type { RelayStorage } from '../storage/relay-storage'
import type { BusState } from '../fanout/fanout-bus'
import { DefaultPerimeter, Perimeter } from '../perimeter/perimeter'
import { attachmentsRoutes } from './attachments'
import { credentialThrottle } from './credential-throttle'
import { digestsRoutes } from './digests'
import { mountMetricsRoute } from './metrics-route'
import { securityHeaders } from './security-headers'
import { spacesRoutes } from './spaces'
import { mountStaticClient } from './static-client'
import { adminPairingRoutes, joiningPairingRoutes } from './pairings'
import { devicesRoutes, type DevicesDeps } from './devices'
import { keyEpochsRoutes } from './key-epochs'
import { keyGrantsRoutes } from './key-grants'
import { PairingMailbox } from '../pairing/pairing-mailbox'

export interface AppDeps {
  storage: RelayStorage
  metrics: RelayMetrics
  logger: Logger
  enrolmentSecret: string | null
  /** With no enrolment secret, whether spaces may be created from beyond this machine; default false. */
  openEnrolment?: boolean
  /** When set, /metrics requires it as a bearer token; default null: /metrics for this machine only. */
  metricsToken?: string | null
  /** The owner of the per-address limits, shared with the sync upgrades (server.ts); default: its own, with DefaultPerimeter. */
  perimeter?: Perimeter
  allowedOrigins: readonly string[]
  staticDir: string | null
  limits: Limits
  /** The open pairings (default: in `storage`, where every node of a multi-node relay finds them). */
  pairings?: PairingMailbox
  /** A device was revoked: its open sockets are to close (server.ts). */
  onDeviceRevoked?: (spaceId: string, deviceId: string) => void
  /** A device's role or end of access changed: its open sockets follow (server.ts). */
  onDeviceChanged?: DevicesDeps['onDeviceChanged']
  /** The relay's clock (default Date.now): a locum's end of access is compared with it. */
  now?: () => number
  /** A space's device registry grew (rooms/entry-signatures.ts reads it again). */
  onRegistryChanged?: (spaceId: string) => void
  /** Multi-node fan-out's bus state, for /healthz; absent on a relay alone. */
  busState?: () => BusState
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono()
  const perimeter = deps.perimeter ?? new Perimeter({ config: DefaultPerimeter, logger: deps.logger, metrics: deps.metrics })
  // First, so that every answer carries them, the not-found and error handlers' included.
  app.use('*', securityHeaders(deps.allowedOrigins))

  const { busState } = deps
  app.get(Paths.health, (c) =>
    c.json({ status: 'ok', storage: deps.storage.kind, ...(busState ? { redis: busState() === 'up' ? 'reachable' : 'unreachable' } : {}) }),
  )
  mountMetricsRoute(app, { metrics: deps.metrics, perimeter, token: deps.metricsToken ?? null })

  // Same-origin requests need no CORS; other pages only when the operator allowed their origin.
  const corsForDevices = cors({
    origin: (origin) => (deps.allowedOrigins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: ['content-type'],
    exposeHeaders: ['retry-after'],
    maxAge: 600,
  })
  app.use(Paths.pairings, corsForDevices)
  app.use(`${Paths.pairings}/*`, corsForDevices)
  app.use(
    `${Paths.spaces}/*`,
    cors({
      origin: (origin) => (deps.allowedOrigins.includes(origin) ? origin : null),
      allowMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', ENROLMENT_HEADER, DIGEST_WEIGHT_HEADER],
      // A page reads a digest's version and weight, and why a HEAD was refused, from these
      // headers; and when to try again after a 429.
      exposeHeaders: ['etag', DIGEST_WEIGHT_HEADER, ERROR_FIELD_HEADER, 'retry-after'],
      maxAge: 600,
    }),
  )
  // After CORS, so that a preflight is answered as before; before every space route.
  app.use(`${Paths.spaces}/*`, credentialThrottle(perimeter))
  app.route(
    Paths.spaces,
    spacesRoutes({
      storage: deps.storage,
      logger: deps.logger,
      enrolment: { secret: deps.enrolmentSecret, open: deps.openEnrolment ?? false },
      perimeter,
      maxHttpBodyBytes: deps.limits.maxHttpBodyBytes,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  )

  app.route(
    Paths.spaces,
    attachmentsRoutes({
      storage: deps.storage,
      metrics: deps.metrics,
      logger: deps.logger,
      maxAttachmentBytes: deps.limits.maxAttachmentBytes,
      quota: { maxAttachments: deps.limits.maxSpaceAttachments, maxAttachmentBytes: deps.limits.maxSpaceAttachmentBytes },
      ...(deps.now ? { now: deps.now } : {}),
    }),
  )

  app.route(
    Paths.spaces,
    digestsRoutes({
      storage: deps.storage,
      metrics: deps.metrics,
      logger: deps.logger,
      maxDigestBytes: deps.limits.maxDigestBytes,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  )

  const pairings = {
    mailbox: deps.pairings ?? new PairingMailbox(deps.storage, deps.now),
    storage: deps.storage,
    perimeter,
    logger: deps.logger,
    maxBodyBytes: deps.limits.maxHttpBodyBytes,
    ...(deps.now ? { now: deps.now } : {}),
  }
  app.route(
    Paths.spaces,
    devicesRoutes({
      storage: deps.storage,
      logger: deps.logger,
      maxBodyBytes: deps.limits.maxHttpBodyBytes,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.onDeviceRevoked ? { onDeviceRevoked: deps.onDeviceRevoked } : {}),
      ...(deps.onDeviceChanged ? { onDeviceChanged: deps.onDeviceChanged } : {}),
      ...(deps.onRegistryChanged ? { onRegistryChanged: deps.onRegistryChanged } : {}),
    }),
  )
  app.route(Paths.spaces, keyEpochsRoutes({ storage: deps.storage, logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) }))
  app.route(
    Paths.spaces,
    keyGrantsRoutes({
      storage: deps.storage,
      logger: deps.logger,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.onDeviceChanged ? { onDeviceChanged: deps.onDeviceChanged } : {}),
      ...(deps.onRegistryChanged ? { onRegistryChanged: deps.onRegistryChanged } : {}),
    }),
  )
  app.route(Paths.pairings, joiningPairingRoutes(pairings))
  app.route(Paths.spaces, adminPairingRoutes(pairings))

  if (deps.staticDir !== null) mountStaticClient(app, deps.staticDir)

  app.notFound((c) => c.json({ error: 'Not found' }, 404))
  app.onError((error, c) => {
    deps.logger.error('http_error', { status: 500, ...errorFields(error) })
    return c.json({ error: 'Internal relay error' }, 500)
  })
  return app
}
