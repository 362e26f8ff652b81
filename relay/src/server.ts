/**
 * Starts the relay: the hono app on @hono/node-server, and a `ws` server (noServer) that takes
 * only upgrades authenticated by decideUpgrade. A refused upgrade gets a plain HTTP response on
 * the raw socket, which is then destroyed: no WebSocket, no room, no storage.
 *
 * A room beyond the space's rooms-per-space limit (limits.maxRoomsPerSpace, its main room
 * included) is refused after authentication, by completing the upgrade and closing at once with
 * TooManyRooms (4507): a browser sees a close code, never the HTTP status of a failed upgrade,
 * and only a device holding the credential learns that the limit is reached. Nothing is loaded or
 * stored for that room.
 *
 * Before any of that, the client's address (perimeter/): an address with too many failed
 * credentials, or already holding its allowance of sync sockets, is refused 429 with Retry-After
 * before its credential is looked at; a refused credential counts against it. The socket slot is
 * held until the TCP socket closes, whatever ends it.
 *
 * Every open socket is kept alive (rooms/keep-alive.ts): the relay is never silent on it for more
 * than config.keepAliveMs, and cuts a device that stopped answering WebSocket pings.
 *
 * With config.redisUrl, the node is one of several serving the same storage (fanout/): loaded rooms
 * hear the other nodes' commits through Redis, and a revocation or a change of role recorded here
 * applies to the device's sockets on every node.
 *
 * close() stops accepting, closes every socket with GoingAway (1001), waits for the frames already
 * received to be handled (their storage writes included), compacts and unloads the rooms, then
 * closes the database.
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { serve } from '@hono/node-server'
import { WebSocketServer, type WebSocket } from 'ws'
import { CloseCode, SUBPROTOCOL } from '../../shared/src/protocol/constants'
import { createApp } from './app/create-app'
import { StoppingGate } from './app/stopping-gate'
import { DeviceActivity } from './auth/device-activity'
import { mayOpenRoom, readsClinical } from './auth/role-access'
import type { DeviceRole } from '../../shared/src/devices/registry-chain'
import { EVERY_RESPONSE_HEADERS } from './app/security-headers'
import { admitSyncSocket, type Admission } from './rooms/admission'
import { RedisAllowances } from './perimeter/shared-allowances'
import type { RelayConfig } from './config'
import { createLogger, errorFields, type Logger } from './log'
import { createRelayMetrics, type RelayMetrics } from './metrics/relay-metrics'
import { describeRefusal, Perimeter } from './perimeter/perimeter'
import { SyncConnection } from './rooms/connection'
import { KeepAlive } from './rooms/keep-alive'
import { RoomRegistry } from './rooms/room-registry'
import { SpaceSigners } from './rooms/entry-signatures'
import { openStorage } from './storage/open-storage'
import type { RelayStorage } from './storage/relay-storage'
import type { FanoutBus } from './fanout/fanout-bus'
import { RedisBus } from './fanout/redis-bus'
import { RoomFanout } from './fanout/room-fanout'

export interface RelayOptions {
  logger?: Logger
  metrics?: RelayMetrics
  /** Defaults to the storage config.storage names (SQLite in config.dataDir, or PostgreSQL). */
  storage?: RelayStorage
  /** Injected clock for rate limiting. */
  now?: () => number
  /** Compaction thresholds, in stored rows per space. */
  compactRowsOnUnload?: number
  compactRowsWhileLoaded?: number
  compactBytesRatio?: number
  /** Coalescing window of the ACK every connection of a room gets after writes (default 1000 ms). */
  ackAllAfterMs?: number
  /** How long close() lets devices answer the close handshake before cutting them off. */
  closeGraceMs?: number
  /** Multi-node fan-out: how often loaded rooms read storage while Redis is down (default 2000 ms). */
  pollWhileBusDownMs?: number
  /** Multi-node fan-out: how often every loaded room reads storage while Redis is up (default 30 s). */
  fanoutCheckMs?: number
  /** Multi-node fan-out: how long a gap in a room's seqs waits for its notice (default 250 ms). */
  gapGraceMs?: number
}

export interface RunningRelay {
  /** The port actually listened on (useful with TOURNEE_PORT=0). */
  port: number
  host: string
  metrics: RelayMetrics
  close(): Promise<void>
}

export async function startRelay(config: RelayConfig, options: RelayOptions = {}): Promise<RunningRelay> {
  const logger = options.logger ?? createLogger({ level: config.logLevel })
  const metrics = options.metrics ?? createRelayMetrics()
  const storage = options.storage ?? (await openStorage(config.storage, config.dataDir, logger))
  const signers = new SpaceSigners(storage)
  let bus: FanoutBus | null = null
  let fanout: RoomFanout | null = null
  if (config.redisUrl !== null) {
    const redisBus = new RedisBus(config.redisUrl, { logger, metrics })
    redisBus.start()
    bus = redisBus
    fanout = new RoomFanout({
      bus,
      logger,
      metrics,
      ...(options.pollWhileBusDownMs === undefined ? {} : { pollWhileDownMs: options.pollWhileBusDownMs }),
      ...(options.fanoutCheckMs === undefined ? {} : { checkEveryMs: options.fanoutCheckMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
    })
  }
  const registry = new RoomRegistry({
    storage,
    signers,
    limits: config.limits,
    logger,
    metrics,
    joinFrameBytes: config.joinFrameBytes,
    compactRowsOnUnload: options.compactRowsOnUnload ?? 50,
    compactRowsWhileLoaded: options.compactRowsWhileLoaded ?? 1000,
    // Issue 3's storage target is 1.3× the plaintext after compaction; the envelope itself is ≈1.0×.
    compactBytesRatio: options.compactBytesRatio ?? 1.25,
    ...(options.ackAllAfterMs === undefined ? {} : { ackAllAfterMs: options.ackAllAfterMs }),
    ...(bus && fanout ? { bus, fanout } : {}),
    ...(options.gapGraceMs === undefined ? {} : { gapGraceMs: options.gapGraceMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  const activity = new DeviceActivity({ storage, logger, ...(options.now === undefined ? {} : { now: options.now }) })
  let closingRelay = false
  // With several nodes, an address's allowances are the same on every node (perimeter.ts).
  const sharedAllowances = config.redisUrl === null ? undefined : new RedisAllowances(config.redisUrl, logger)
  const perimeter = new Perimeter({
    config: config.perimeter,
    logger,
    metrics,
    ...(sharedAllowances === undefined ? {} : { shared: sharedAllowances }),
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  const app = createApp({
    storage,
    metrics,
    logger,
    perimeter,
    enrolmentSecret: config.enrolmentSecret,
    openEnrolment: config.openEnrolment,
    metricsToken: config.metricsToken,
    allowedOrigins: config.allowedOrigins,
    staticDir: config.staticDir,
    limits: config.limits,
    ...(options.now === undefined ? {} : { now: options.now }),
    onRegistryChanged: (spaceId) => {
      signers.changed(spaceId)
      bus?.publishSpaceEvent({ type: 'registry-changed', spaceId })
    },
    // A changed device's sockets follow its new role and end date now, on every node (the change
    // is a registry change too, published as such above for the signers).
    onDeviceChanged: (spaceId, deviceId, access) => {
      applyDeviceChange(spaceId, deviceId, access)
      bus?.publishSpaceEvent({ type: 'device-changed', spaceId, deviceId, role: access.role, until: access.until })
    },
    // A revoked device's sockets close now, not at its next reconnection, on every node.
    onDeviceRevoked: (spaceId, deviceId) => {
      closeRevoked(spaceId, deviceId)
      bus?.publishSpaceEvent({ type: 'device-revoked', spaceId, deviceId })
    },
    ...(bus ? { busState: () => bus.state } : {}),
  })
  /**
   * Made secretary, its clinical rooms close (as its upgrade to one is refused, 4403); a locum's
   * end date moved, the keep-alive tick compares with the new one. Made praticien or remplaçant
   * from secretary, its sockets close (4205, not a refusal): the device reconnects, reads the
   * registry coming back online and takes its key grant, instead of learning it at its next start.
   */
  function applyDeviceChange(spaceId: string, deviceId: string, access: { role: DeviceRole; until: number | null }): void {
    for (const [connection, owner] of connections) {
      if (owner.deviceId !== deviceId || connection.spaceId !== spaceId) continue
      const widened = !readsClinical(owner.role) && readsClinical(access.role)
      owner.until = access.until
      owner.role = access.role
      if (!mayOpenRoom(access.role, connection.roomId)) connection.close('RoleForbidden')
      else if (widened) connection.close('RoleWidened')
    }
  }
  function closeRevoked(spaceId: string, deviceId: string): void {
    for (const [connection, owner] of connections) {
      if (owner.deviceId === deviceId && connection.spaceId === spaceId) connection.close('DeviceRevoked')
    }
  }
  // Another node recorded it (the storage is shared): this node's sockets follow.
  bus?.onSpaceEvent((event) => {
    switch (event.type) {
      case 'device-revoked':
        closeRevoked(event.spaceId, event.deviceId)
        return
      case 'device-changed':
        applyDeviceChange(event.spaceId, event.deviceId, { role: event.role, until: event.until })
        return
      case 'registry-changed':
        signers.changed(event.spaceId)
        return
    }
  })

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.limits.maxFrameBytes,
    // No compression, whatever the device offers (browsers and the `ws` client offer
    // permessage-deflate): a socket that negotiates it keeps a zlib deflate and inflate context
    // once it has sent and received, measured at ≈240 KiB per idle socket against ≈12 KiB
    // without (docs/performance.md, « (16) Memory per idle connection »); and envelopes are
    // ciphertext, which does not compress.
    perMessageDeflate: false,
    // The device offers `tournee.1` and its credential; answer with the version only, never echo
    // the credential. decideUpgrade already refused anyone not offering `tournee.1`.
    handleProtocols: () => SUBPROTOCOL,
  })
  /**
   * Every open sync socket, with the registered device it belongs to (null: a space's shared
   * credential) and that device's end of access, which a « change » entry may move.
   */
  const connections = new Map<SyncConnection, { readonly deviceId: string | null; role: DeviceRole; until: number | null }>()
  const keepAlive = new KeepAlive(config.keepAliveMs)
  let accepting = true
  const gate = new StoppingGate()

  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({ fetch: (request, env) => gate.handle(request, () => app.fetch(request, env)), port: config.port, hostname: config.host }, () =>
      resolve(created as Server),
    ) as Server
    created.once('error', reject)
  })

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => logger.debug('upgrade_socket_error', errorFields(error)))
    handleUpgrade(request, socket, head).catch((error: unknown) => {
      logger.error('upgrade_failed', errorFields(error))
      metrics.upgradesRefused.inc({ reason: 'error' })
      refuse(socket, 500, 'Relay error')
    })
  })

  async function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!accepting) {
      metrics.upgradesRefused.inc({ reason: 'shutting_down' })
      refuse(socket, 503, 'Relay shutting down: retry shortly')
      return
    }
    const client = perimeter.client({ peer: request.socket.remoteAddress, header: (name) => headerValue(request.headers[name]) })
    const check = await perimeter.beforeCredential(client)
    if (!check.ok) {
      metrics.upgradesRefused.inc({ reason: 'throttled' })
      refuse(socket, 429, describeRefusal(check), { 'retry-after': String(check.retryAfterSeconds) })
      return
    }
    const slot = perimeter.openConnection(client)
    if (!slot.ok) {
      check.passed()
      metrics.upgradesRefused.inc({ reason: 'address_connections' })
      refuse(socket, 429, describeRefusal(slot), { 'retry-after': String(slot.retryAfterSeconds) })
      return
    }
    // The slot is the TCP socket's: freed however it ends (refused below, closed, cut, failed).
    if (socket.destroyed) slot.release()
    else socket.once('close', slot.release)
    let admission: Admission
    try {
      admission = await admitSyncSocket(
        { url: request.url, headers: request.headers },
        { storage, allowedOrigins: config.allowedOrigins, limits: config.limits, ...(options.now === undefined ? {} : { now: options.now }) },
      )
    } catch (error) {
      check.passed()
      throw error
    }
    if (admission.kind === 'refused' && admission.reason === 'credential') await check.failed('websocket')
    else check.passed()
    if (admission.kind === 'refused') {
      metrics.upgradesRefused.inc({ reason: admission.reason })
      logger.info('upgrade_refused', { spaceId: admission.spaceId, status: admission.status, reason: admission.reason })
      refuse(socket, admission.status, admission.message)
      return
    }
    // The device may have gone during the storage lookups, or the relay started closing.
    if (socket.destroyed) return
    if (!accepting) {
      refuse(socket, 503, 'Relay shutting down: retry shortly')
      return
    }
    if (admission.kind === 'room-limit' || admission.kind === 'role') {
      const [reason, close] = admission.kind === 'role' ? (['role', CloseCode.RoleForbidden] as const) : (['room_limit', CloseCode.TooManyRooms] as const)
      metrics.upgradesRefused.inc({ reason })
      logger.info('upgrade_refused', { spaceId: admission.spaceId, roomId: admission.roomId, reason })
      wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
        ws.on('error', () => undefined)
        ws.close(close.code, close.reason)
      })
      return
    }
    // What outlives the upgrade is built outside this function: a closure made here would keep
    // this call's context, the request with it — its headers, the credential among them — for as
    // long as the socket stays open (≈1 KiB a socket: docs/performance.md, « (16) … »).
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => accept(ws, admission))
  }

  /** An admitted sync socket: its connection, followed until it closes. */
  function accept(ws: WebSocket, admission: Extract<Admission, { kind: 'admitted' }>): void {
    metrics.upgradesAccepted.inc()
    const { spaceId, roomId, deviceId, role, until, framedAnswers } = admission
    const connection = new SyncConnection(
      ws,
      spaceId,
      roomId,
      {
        registry,
        limits: config.limits,
        logger,
        metrics,
        now: options.now,
      },
      framedAnswers,
    )
    const owner = { deviceId, role, until }
    connections.set(connection, owner)
    if (deviceId !== null) activity.seen(spaceId, deviceId)
    // A locum's socket open across its end date closes then (4411), at the keep-alive tick after
    // it by the relay's clock: its credential is refused from then on (auth/space-access.ts).
    const now = options.now ?? Date.now
    const forget = keepAlive.add({
      keepAlive: (intervalMs) => (owner.until !== null && now() >= owner.until ? connection.close('AccessEnded') : connection.keepAlive(intervalMs)),
    })
    ws.on('close', () => {
      connections.delete(connection)
      forget()
      if (deviceId !== null && !closingRelay) activity.seen(spaceId, deviceId, { force: true })
    })
    logger.debug('connection_opened', { spaceId, roomId })
  }

  const address = server.address() as AddressInfo
  let closing: Promise<void> | null = null

  async function close(): Promise<void> {
    accepting = false
    // The sockets closed below are the relay's doing: no « last seen » write into a closing storage.
    closingRelay = true
    keepAlive.stop()
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    const open = [...connections.keys()]
    for (const connection of open) connection.close('GoingAway')
    // HTTP requests being answered finish on an open storage; later ones get 503 (stopping-gate.ts).
    await Promise.all([gate.stop(), ...open.map((connection) => connection.settled())])
    await registry.closeAll()
    fanout?.close()
    await bus?.close()
    await sharedAllowances?.close()
    await storage.close()
    // Devices get a moment to answer the close handshake; then the sockets are cut.
    const grace = setTimeout(() => {
      for (const client of wss.clients) client.terminate()
      server.closeAllConnections()
    }, options.closeGraceMs ?? 2000)
    await serverClosed
    clearTimeout(grace)
    wss.close()
    logger.info('stopped')
  }

  return {
    port: address.port,
    host: config.host,
    metrics,
    close: () => (closing ??= close()),
  }
}

/** A refused upgrade: a plain HTTP answer on the raw socket, with the headers every answer carries. */
function refuse(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return
  const body = message + '\n'
  const lines = Object.entries({ ...EVERY_RESPONSE_HEADERS, ...headers }).map(([name, value]) => `${name}: ${value}\r\n`)
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      lines.join('') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body,
    () => socket.destroy(),
  )
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}
