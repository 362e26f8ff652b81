/**
 * Relay configuration, read once from the environment and validated with errors that name the
 * variable and say what it should hold.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DefaultLimits, KEEP_ALIVE_MS, type Limits } from '../../shared/src/protocol/constants'
import { LOG_LEVELS, type LogLevel } from './log'
import { RELAY_FRAME_BYTES } from './rooms/frames'
import { DefaultPerimeter, type PerimeterConfig } from './perimeter/perimeter'

/**
 * Where the relay stores (TOURNEE_STORAGE): SQLite in the data folder, the default that needs
 * nothing else; or one PostgreSQL database that several relay nodes share (docs/relay.md,
 * « PostgreSQL »). The database URL may hold a password: it is never logged nor echoed in an error.
 */
export type StorageConfig =
  | { readonly kind: 'sqlite' }
  | { readonly kind: 'postgres'; readonly databaseUrl: string; readonly poolSize: number }

export const STORAGE_KINDS = ['sqlite', 'postgres'] as const

export interface RelayConfig {
  port: number
  host: string
  /** Absolute path of the folder holding relay.db (SQLite storage). */
  dataDir: string
  storage: StorageConfig
  /** When set, creating a space requires the `x-tournee-enrolment` header to equal it. */
  enrolmentSecret: string | null
  /**
   * With no enrolment secret, whether a space may be created from beyond this machine
   * (TOURNEE_OPEN_ENROLMENT). Off by default: a relay reachable from a network is not free
   * storage for strangers; from this machine (`npm start`, the operator) creation stays open.
   */
  openEnrolment: boolean
  /** When set, /metrics requires `Authorization: Bearer <token>` from every address; else it is served to this machine only. */
  metricsToken: string | null
  /** Per-address limits, and the proxies whose X-Forwarded-For is believed (perimeter/perimeter.ts). */
  perimeter: PerimeterConfig
  /** Normalised origins (`scheme://host[:port]`) allowed besides the relay's own. */
  allowedOrigins: string[]
  /** Absolute path of the built client to serve, or null to serve none. */
  staticDir: string | null
  limits: Limits
  logLevel: LogLevel
  /**
   * The longest the relay stays silent on a socket, and its WebSocket ping interval (the
   * protocol's KEEP-ALIVE). Rarely changed: lower it behind a proxy that cuts idle connections
   * sooner than 10 s; it must stay well under the devices' 30 s watchdog.
   */
  keepAliveMs: number
  /**
   * Bytes of entries, about, per frame of the relay's answer to a device that holds nothing of a
   * room (TOURNEE_JOIN_FRAME_BYTES, rooms/frames.ts RELAY_FRAME_BYTES): smaller frames are shorter
   * tasks on the joining page, more of them. An entry is never cut.
   */
  joinFrameBytes: number
  /**
   * The Redis that carries fan-out between the relay nodes serving one storage
   * (TOURNEE_REDIS_URL, `redis://` or `rediss://`); null for a relay alone.
   */
  redisUrl: string | null
}

export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`)
  }
}

type Env = Record<string, string | undefined>

/** Env variable for each limit; unset means DefaultLimits. */
export const LIMIT_VARIABLES: Record<keyof Limits, string> = {
  maxFrameBytes: 'TOURNEE_MAX_FRAME_BYTES',
  maxUpdateBytes: 'TOURNEE_MAX_UPDATE_BYTES',
  messagesPerSecond: 'TOURNEE_MESSAGES_PER_SECOND',
  messageBurst: 'TOURNEE_MESSAGE_BURST',
  maxHttpBodyBytes: 'TOURNEE_MAX_HTTP_BODY_BYTES',
  maxAttachmentBytes: 'TOURNEE_MAX_ATTACHMENT_BYTES',
  maxDigestBytes: 'TOURNEE_MAX_DIGEST_BYTES',
  // Default 600: a room per agenda month for 40 years, the 16 file shards, and months
  // opened without being written to (see DefaultLimits.maxRoomsPerSpace).
  maxRoomsPerSpace: 'TOURNEE_MAX_ROOMS_PER_SPACE',
  // Quotas of a space (DefaultLimits says why these defaults fit a big practice).
  maxSpaceEnvelopeBytes: 'TOURNEE_MAX_SPACE_ENVELOPE_BYTES',
  maxSpaceAttachments: 'TOURNEE_MAX_SPACE_ATTACHMENTS',
  maxSpaceAttachmentBytes: 'TOURNEE_MAX_SPACE_ATTACHMENT_BYTES',
  maxInFlightBytes: 'TOURNEE_MAX_IN_FLIGHT_BYTES',
}

/** Limits that must not be below another, or what the other lets in could never pass. */
const LIMIT_FLOORS: ReadonlyArray<{ limit: keyof Limits; atLeast: keyof Limits; why: string }> = [
  { limit: 'maxInFlightBytes', atLeast: 'maxFrameBytes', why: 'one largest frame must fit' },
  { limit: 'maxSpaceAttachmentBytes', atLeast: 'maxAttachmentBytes', why: 'one largest attachment must fit' },
  { limit: 'maxSpaceEnvelopeBytes', atLeast: 'maxUpdateBytes', why: 'one largest update must fit' },
]

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): RelayConfig {
  const port = readInteger(env, 'TOURNEE_PORT', 8080, 0, 65535)
  const host = readString(env, 'TOURNEE_HOST') ?? '127.0.0.1'
  const dataDir = resolve(cwd, readString(env, 'TOURNEE_DATA_DIR') ?? './data')
  const storage = readStorage(env)
  const enrolmentSecret = readString(env, 'TOURNEE_ENROLMENT_SECRET') ?? null
  if (enrolmentSecret !== null && enrolmentSecret.length < 16) {
    throw new ConfigError('TOURNEE_ENROLMENT_SECRET', 'must be at least 16 characters, or unset')
  }
  const openEnrolment = readBoolean(env, 'TOURNEE_OPEN_ENROLMENT', false)
  if (openEnrolment && enrolmentSecret !== null) {
    throw new ConfigError(
      'TOURNEE_OPEN_ENROLMENT',
      'cannot be on with TOURNEE_ENROLMENT_SECRET set: a relay either asks for its secret or lets anyone create a practice; unset one of them',
    )
  }
  const metricsToken = readString(env, 'TOURNEE_METRICS_TOKEN') ?? null
  if (metricsToken !== null && !/^[\x21-\x7e]{16,}$/.test(metricsToken)) {
    throw new ConfigError('TOURNEE_METRICS_TOKEN', 'must be at least 16 characters, without spaces (it travels as "Authorization: Bearer <token>"), or unset')
  }
  const perimeter = readPerimeter(env)
  const allowedOrigins = readOrigins(env)
  const staticDir = readStaticDir(env, cwd)
  const limits = {} as Limits
  for (const key of Object.keys(DefaultLimits) as (keyof Limits)[]) {
    limits[key] = readInteger(env, LIMIT_VARIABLES[key], DefaultLimits[key], 1, Number.MAX_SAFE_INTEGER)
  }
  for (const { limit, atLeast, why } of LIMIT_FLOORS) {
    if (limits[limit] < limits[atLeast]) {
      throw new ConfigError(LIMIT_VARIABLES[limit], `must be at least ${LIMIT_VARIABLES[atLeast]} (${limits[atLeast]}): ${why}, got ${limits[limit]}`)
    }
  }
  const logLevel = (readString(env, 'TOURNEE_LOG_LEVEL') ?? 'info').toLowerCase()
  if (!isLogLevel(logLevel)) {
    throw new ConfigError('TOURNEE_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  }
  // Up to 20 s: a device's watchdog closes its socket after 30 s without a frame.
  const keepAliveMs = readInteger(env, 'TOURNEE_KEEPALIVE_MS', KEEP_ALIVE_MS, 50, 20_000)
  const redisUrl = readRedisUrl(env)
  const joinFrameBytes = readInteger(env, 'TOURNEE_JOIN_FRAME_BYTES', RELAY_FRAME_BYTES, 1024, limits.maxFrameBytes)
  return {
    port,
    host,
    dataDir,
    storage,
    enrolmentSecret,
    openEnrolment,
    metricsToken,
    perimeter,
    allowedOrigins,
    staticDir,
    limits,
    logLevel,
    keepAliveMs,
    joinFrameBytes,
    redisUrl,
  }
}

/** A Redis URL, checked here so a typo stops the relay at start rather than at its first publish. */
function readRedisUrl(env: Env): string | null {
  const raw = readString(env, 'TOURNEE_REDIS_URL')
  if (raw === undefined) return null
  // The value may hold a password: errors describe it, never repeat it.
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('TOURNEE_REDIS_URL', 'is not a URL: write redis://host:6379 (or rediss:// for TLS), or unset it for a relay alone')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('TOURNEE_REDIS_URL', `must use redis:// or rediss://, not ${url.protocol}//`)
  }
  if (url.hostname === '') throw new ConfigError('TOURNEE_REDIS_URL', 'names no host: write redis://host:6379')
  return raw
}

/** PostgreSQL connections a node keeps at most, unless TOURNEE_DATABASE_POOL_SIZE says otherwise. */
export const DEFAULT_DATABASE_POOL_SIZE = 10

function readStorage(env: Env): StorageConfig {
  const kind = (readString(env, 'TOURNEE_STORAGE') ?? 'sqlite').toLowerCase()
  const url = readString(env, 'TOURNEE_DATABASE_URL')
  if (kind === 'sqlite') {
    // A URL beside the SQLite default is a half-done change: say so rather than ignore it.
    if (url !== undefined) throw new ConfigError('TOURNEE_DATABASE_URL', 'is set, but TOURNEE_STORAGE is sqlite (the default): set TOURNEE_STORAGE=postgres to use it, or unset it')
    return { kind: 'sqlite' }
  }
  if (kind !== 'postgres') throw new ConfigError('TOURNEE_STORAGE', `must be one of ${STORAGE_KINDS.join(', ')}, got "${kind}"`)
  if (url === undefined) throw new ConfigError('TOURNEE_DATABASE_URL', 'must be set with TOURNEE_STORAGE=postgres, like postgres://tournee:password@db.example.fr:5432/tournee')
  // The URL is never echoed: it may hold the database password.
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigError('TOURNEE_DATABASE_URL', 'is not a URL like postgres://tournee:password@db.example.fr:5432/tournee')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError('TOURNEE_DATABASE_URL', `must start with postgres:// or postgresql://, got ${parsed.protocol}//…`)
  }
  // No host is allowed: postgres:///tournee?host=/var/run/postgresql reaches a local server's socket.
  if (parsed.pathname.length <= 1) {
    throw new ConfigError('TOURNEE_DATABASE_URL', 'must name a database, like postgres://tournee:password@db.example.fr:5432/tournee')
  }
  const poolSize = readInteger(env, 'TOURNEE_DATABASE_POOL_SIZE', DEFAULT_DATABASE_POOL_SIZE, 1, 1000)
  return { kind: 'postgres', databaseUrl: url, poolSize }
}

/** Env variable of each per-address setting; unset means DefaultPerimeter. */
export const PERIMETER_VARIABLES = {
  trustedProxies: 'TOURNEE_TRUST_PROXY',
  failedCredentialsBurst: 'TOURNEE_FAILED_AUTH_BURST',
  failedCredentialsPerMinute: 'TOURNEE_FAILED_AUTH_PER_MINUTE',
  spaceCreationsBurst: 'TOURNEE_SPACE_CREATION_BURST',
  spaceCreationsPerHour: 'TOURNEE_SPACE_CREATIONS_PER_HOUR',
  maxConnectionsPerAddress: 'TOURNEE_MAX_CONNECTIONS_PER_ADDRESS',
  maxTrackedAddresses: 'TOURNEE_MAX_TRACKED_ADDRESSES',
} as const

function readPerimeter(env: Env): PerimeterConfig {
  const v = PERIMETER_VARIABLES
  const d = DefaultPerimeter
  const many = 1_000_000
  return {
    // The number of proxies in front of the relay, each adding its X-Forwarded-For entry; 1 behind
    // one Caddy or nginx. Anything else is never a proxy chain.
    trustedProxies: readInteger(env, v.trustedProxies, d.trustedProxies, 0, 16),
    failedCredentials: {
      burst: readInteger(env, v.failedCredentialsBurst, d.failedCredentials.burst, 1, many),
      perMinute: readInteger(env, v.failedCredentialsPerMinute, d.failedCredentials.perMinute, 1, many),
    },
    spaceCreations: {
      burst: readInteger(env, v.spaceCreationsBurst, d.spaceCreations.burst, 1, many),
      perHour: readInteger(env, v.spaceCreationsPerHour, d.spaceCreations.perHour, 1, many),
    },
    maxConnectionsPerAddress: readInteger(env, v.maxConnectionsPerAddress, d.maxConnectionsPerAddress, 1, many),
    // Under 100 the table would forget throttled addresses as soon as a few others show up.
    maxTrackedAddresses: readInteger(env, v.maxTrackedAddresses, d.maxTrackedAddresses, 100, 10 * many),
  }
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value)
}

function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

const TRUE = ['1', 'true', 'yes', 'on']
const FALSE = ['0', 'false', 'no', 'off']

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = readString(env, name)?.toLowerCase()
  if (raw === undefined) return fallback
  if (TRUE.includes(raw)) return true
  if (FALSE.includes(raw)) return false
  throw new ConfigError(name, `must be 1 or 0 (true/false, yes/no, on/off), got "${raw}"`)
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readString(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

/** Normalise each origin through URL so `https://a.fr/` and `https://a.fr` compare equal. */
function readOrigins(env: Env): string[] {
  const raw = readString(env, 'TOURNEE_ALLOWED_ORIGINS')
  if (raw === undefined) return []
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      let url: URL
      try {
        url = new URL(item)
      } catch {
        throw new ConfigError('TOURNEE_ALLOWED_ORIGINS', `"${item}" is not an origin like https://cabinet.example.fr`)
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new ConfigError('TOURNEE_ALLOWED_ORIGINS', `"${item}" must use http or https`)
      }
      return url.origin
    })
}

/** Production serves the built client from dist/client unless told otherwise. */
function readStaticDir(env: Env, cwd: string): string | null {
  const explicit = readString(env, 'TOURNEE_STATIC_DIR')
  const production = env.NODE_ENV === 'production'
  if (explicit === undefined && !production) return null
  const dir = resolve(cwd, explicit ?? 'dist/client')
  if (!existsSync(join(dir, 'index.html'))) {
    throw new ConfigError(
      'TOURNEE_STATIC_DIR',
      `no index.html in ${dir}: build the client first (npm run build) or point this at the built client`,
    )
  }
  return dir
}
