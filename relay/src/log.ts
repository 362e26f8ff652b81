/**
 * Structured JSON logs, one object per line on stdout.
 *
 * Only the fields named in LOG_FIELDS are ever written: a credential, a subprotocol header, a URL
 * with its query string or a frame's bytes cannot slip into a log line by accident, because a
 * field that is not on the list is dropped (the type refuses it at compile time too). Space ids
 * are random and may be logged; the relay holds nothing decrypted to log. `address` is a client
 * address key (perimeter/client-address.ts), logged only with a refusal, for the operator to act on.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export const LOG_FIELDS = [
  'port',
  /** A device registry entry's position (app/devices.ts); never a device's keys or credential. */
  'seq',
  /** A key epoch's number (app/key-epochs.ts); never a seal. */
  'epoch',
  'host',
  'dataDir',
  /** Which storage the relay runs on (sqlite, postgres); never the database URL, which may hold a password. */
  'storage',
  'staticDir',
  'spaceId',
  'roomId',
  'status',
  'reason',
  'code',
  'rows',
  'bytes',
  'storedBytes',
  'limit',
  'digest',
  'weight',
  'storedWeight',
  'connections',
  'durationMs',
  'errorName',
  'errorMessage',
  'signal',
  'version',
  'address',
  'surface',
  'retryAfterSeconds',
  'enrolment',
  'trustedProxies',
  'metricsAccess',
  /** A relay node's random id on the fan-out bus (fanout/redis-bus.ts). */
  'node',
] as const
export type LogField = (typeof LOG_FIELDS)[number]
export type LogFields = Partial<Record<LogField, string | number | boolean | null>>

const ALLOWED = new Set<string>(LOG_FIELDS)
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(event: string, fields?: LogFields): void
  info(event: string, fields?: LogFields): void
  warn(event: string, fields?: LogFields): void
  error(event: string, fields?: LogFields): void
}

export interface LoggerOptions {
  level: LogLevel
  /** Where a finished line goes; tests collect lines, main writes stdout. */
  write?: (line: string) => void
  now?: () => Date
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'))
  const now = options.now ?? (() => new Date())
  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (RANK[level] < RANK[options.level]) return
    // level and event first, time last: the `listening` line reads {"level","event","port",…}.
    const record: Record<string, unknown> = { level, event }
    for (const [key, value] of Object.entries(fields)) {
      if (ALLOWED.has(key) && value !== undefined) record[key] = value
    }
    record.time = now().toISOString()
    write(JSON.stringify(record))
  }
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  }
}

/** The fields describing an error: its class name and message, never its stack or causes' data. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message }
  return { errorName: 'NonError', errorMessage: String(error) }
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
