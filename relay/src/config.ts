/**
 * Relay configuration, read once from the environment and validated with errors that name the
 * variable and say what it should hold.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DefaultLimits, KEEP_ALIVE_MS, type Limits } from '../../shared/src/protocol/constants'
import { LOG_LEVELS, type LogLevel } from './log'

export interface RelayConfig {
  port: number
  host: string
  /** Absolute path of the folder holding relay.db. */
  dataDir: string
  /** When set, creating a space requires the `x-tournee-enrolment` header to equal it. */
  enrolmentSecret: string | null
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
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): RelayConfig {
  const port = readInteger(env, 'TOURNEE_PORT', 8080, 0, 65535)
  const host = readString(env, 'TOURNEE_HOST') ?? '127.0.0.1'
  const dataDir = resolve(cwd, readString(env, 'TOURNEE_DATA_DIR') ?? './data')
  const enrolmentSecret = readString(env, 'TOURNEE_ENROLMENT_SECRET') ?? null
  if (enrolmentSecret !== null && enrolmentSecret.length < 16) {
    throw new ConfigError('TOURNEE_ENROLMENT_SECRET', 'must be at least 16 characters, or unset')
  }
  const allowedOrigins = readOrigins(env)
  const staticDir = readStaticDir(env, cwd)
  const limits = {} as Limits
  for (const key of Object.keys(DefaultLimits) as (keyof Limits)[]) {
    limits[key] = readInteger(env, LIMIT_VARIABLES[key], DefaultLimits[key], 1, Number.MAX_SAFE_INTEGER)
  }
  const logLevel = (readString(env, 'TOURNEE_LOG_LEVEL') ?? 'info').toLowerCase()
  if (!isLogLevel(logLevel)) {
    throw new ConfigError('TOURNEE_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  }
  // Up to 20 s: a device's watchdog closes its socket after 30 s without a frame.
  const keepAliveMs = readInteger(env, 'TOURNEE_KEEPALIVE_MS', KEEP_ALIVE_MS, 50, 20_000)
  return { port, host, dataDir, enrolmentSecret, allowedOrigins, staticDir, limits, logLevel, keepAliveMs }
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value)
}

function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
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
