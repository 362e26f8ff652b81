import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DefaultLimits, KEEP_ALIVE_MS } from '../../shared/src/protocol/constants'
import { FILE_SHARDS } from '../../shared/src/space/rooms'
import { ConfigError, loadConfig } from './config'
import { DefaultPerimeter } from './perimeter/perimeter'
import { RELAY_FRAME_BYTES } from './rooms/frames'

const cwd = mkdtempSync(join(tmpdir(), 'tournee-config-'))
afterAll(() => rmSync(cwd, { recursive: true, force: true }))

/** The ConfigError loadConfig throws on `env` (the test fails if it throws anything else, or nothing). */
function refusalOf(env: Record<string, string>): ConfigError {
  let caught: unknown
  try {
    loadConfig(env, cwd)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(ConfigError)
  return caught as ConfigError
}

describe('loadConfig', () => {
  it('has working defaults', () => {
    expect(loadConfig({}, cwd)).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: join(cwd, 'data'),
      storage: { kind: 'sqlite' },
      enrolmentSecret: null,
      openEnrolment: false,
      metricsToken: null,
      perimeter: DefaultPerimeter,
      allowedOrigins: [],
      staticDir: null,
      limits: { ...DefaultLimits },
      logLevel: 'info',
      keepAliveMs: KEEP_ALIVE_MS,
      joinFrameBytes: RELAY_FRAME_BYTES,
      redisUrl: null,
    })
  })

  it('reads the Redis of multi-node fan-out, and never repeats its password in an error', () => {
    expect(loadConfig({ TOURNEE_REDIS_URL: 'redis://10.0.0.5:6379' }, cwd).redisUrl).toBe('redis://10.0.0.5:6379')
    expect(loadConfig({ TOURNEE_REDIS_URL: ' rediss://:pw@redis.internal:6380/0 ' }, cwd).redisUrl).toBe('rediss://:pw@redis.internal:6380/0')
    expect(() => loadConfig({ TOURNEE_REDIS_URL: 'http://:s3cret@redis:6379' }, cwd)).toThrow(/redis:\/\/ or rediss:\/\//)
    expect(() => loadConfig({ TOURNEE_REDIS_URL: 'http://:s3cret@redis:6379' }, cwd)).not.toThrow(/s3cret/)
    expect(() => loadConfig({ TOURNEE_REDIS_URL: 's3cret redis' }, cwd)).not.toThrow(/s3cret/)
  })

  it('stores in SQLite by default, in PostgreSQL when told, with a database URL it never echoes', () => {
    expect(loadConfig({ TOURNEE_STORAGE: 'SQLite' }, cwd).storage).toEqual({ kind: 'sqlite' })
    const url = 'postgres://tournee:s3cret-pass@db.example.fr:5432/tournee'
    expect(loadConfig({ TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: url }, cwd).storage).toEqual({ kind: 'postgres', databaseUrl: url, poolSize: 10 })
    expect(loadConfig({ TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: 'postgresql:///tournee?host=/var/run/postgresql', TOURNEE_DATABASE_POOL_SIZE: '40' }, cwd).storage).toMatchObject({ poolSize: 40 })
  })

  it.each([
    [{ TOURNEE_STORAGE: 'mysql' }, /TOURNEE_STORAGE: must be one of sqlite, postgres, got "mysql"/],
    [{ TOURNEE_STORAGE: 'postgres' }, /TOURNEE_DATABASE_URL: must be set with TOURNEE_STORAGE=postgres/],
    [{ TOURNEE_DATABASE_URL: 'postgres://tournee:s3cret-pass@db/tournee' }, /TOURNEE_DATABASE_URL: is set, but TOURNEE_STORAGE is sqlite/],
    [{ TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: 'tournee:s3cret-pass@db/tournee' }, /TOURNEE_DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//],
    [{ TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: 's3cret-pass' }, /TOURNEE_DATABASE_URL: is not a URL/],
    [{ TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: 'postgres://tournee:s3cret-pass@db' }, /TOURNEE_DATABASE_URL: must name a database/],
    [{ TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: 'postgres://db/tournee', TOURNEE_DATABASE_POOL_SIZE: '0' }, /TOURNEE_DATABASE_POOL_SIZE: must be between 1 and 1000/],
  ])('refuses a storage setting that cannot work: %o', (env, message) => {
    const refused = refusalOf(env)
    expect(refused.message).toMatch(message)
    // The password a URL holds never shows in the error.
    expect(refused.message).not.toContain('s3cret-pass')
  })

  it('admits, by default, the rooms of a practice with a room per month for forty years', () => {
    expect(loadConfig({}, cwd).limits.maxRoomsPerSpace).toBeGreaterThanOrEqual(40 * 12 + FILE_SHARDS)
    expect(loadConfig({ TOURNEE_MAX_ROOMS_PER_SPACE: '64' }, cwd).limits.maxRoomsPerSpace).toBe(64)
  })

  it('lets, by default, a big practice hold its envelope and attachments with room to spare', () => {
    const { limits } = loadConfig({}, cwd)
    // 10 practitioners × 25 appointments a day × 220 days × 10 years, ~720 bytes each, plus the
    // directory and the files of 20,000 patients (~200 MB), and the rows between compactions.
    const bigPractice = (10 * 25 * 220 * 10 * 720 + 200e6) * 1.25
    expect(limits.maxSpaceEnvelopeBytes).toBeGreaterThan(4 * bigPractice)
    // 4,000 scanned prescriptions a year for 10 years, at 1 MB.
    expect(limits.maxSpaceAttachments).toBeGreaterThan(40_000)
    expect(limits.maxSpaceAttachmentBytes).toBeGreaterThan(40_000 * 1e6)
    expect(limits.maxInFlightBytes).toBeGreaterThanOrEqual(limits.maxFrameBytes)
  })

  it('refuses a quota below what one frame, update or attachment it lets in needs', () => {
    expect(() => loadConfig({ TOURNEE_MAX_IN_FLIGHT_BYTES: String(1024 * 1024) }, cwd)).toThrow(/TOURNEE_MAX_IN_FLIGHT_BYTES: must be at least TOURNEE_MAX_FRAME_BYTES/)
    expect(loadConfig({ TOURNEE_MAX_IN_FLIGHT_BYTES: '2048', TOURNEE_MAX_FRAME_BYTES: '1024' }, cwd).limits.maxInFlightBytes).toBe(2048)
    expect(() => loadConfig({ TOURNEE_MAX_SPACE_ATTACHMENT_BYTES: '1000' }, cwd)).toThrow(ConfigError)
    expect(() => loadConfig({ TOURNEE_MAX_SPACE_ENVELOPE_BYTES: '1000' }, cwd)).toThrow(/TOURNEE_MAX_UPDATE_BYTES/)
  })

  it('reads every variable', () => {
    const staticDir = join(cwd, 'built')
    rmSync(staticDir, { recursive: true, force: true })
    mkdirSync(staticDir)
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>')
    const config = loadConfig(
      {
        TOURNEE_PORT: '0',
        TOURNEE_HOST: '0.0.0.0',
        TOURNEE_DATA_DIR: '/var/lib/tournee',
        TOURNEE_ENROLMENT_SECRET: 'sixteen-chars-ok',
        TOURNEE_ALLOWED_ORIGINS: 'https://a.example.fr/, http://localhost:5173',
        TOURNEE_STATIC_DIR: 'built',
        TOURNEE_MAX_FRAME_BYTES: '1024',
        TOURNEE_MAX_IN_FLIGHT_BYTES: '4096',
        TOURNEE_MAX_SPACE_ENVELOPE_BYTES: String(2 ** 33),
        TOURNEE_MAX_SPACE_ATTACHMENTS: '1000',
        TOURNEE_MAX_SPACE_ATTACHMENT_BYTES: String(2 ** 30),
        TOURNEE_MESSAGES_PER_SECOND: '5',
        TOURNEE_MAX_DIGEST_BYTES: '2048',
        TOURNEE_LOG_LEVEL: 'DEBUG',
        TOURNEE_KEEPALIVE_MS: '250',
        TOURNEE_JOIN_FRAME_BYTES: '1024',
      },
      cwd,
    )
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/var/lib/tournee',
      enrolmentSecret: 'sixteen-chars-ok',
      allowedOrigins: ['https://a.example.fr', 'http://localhost:5173'],
      staticDir,
      logLevel: 'debug',
      keepAliveMs: 250,
      joinFrameBytes: 1024,
    })
    expect(config.limits).toMatchObject({
      maxFrameBytes: 1024,
      maxInFlightBytes: 4096,
      maxSpaceEnvelopeBytes: 2 ** 33,
      maxSpaceAttachments: 1000,
      maxSpaceAttachmentBytes: 2 ** 30,
      messagesPerSecond: 5,
      maxDigestBytes: 2048,
      messageBurst: DefaultLimits.messageBurst,
    })
  })

  it('reads the per-address limits, the metrics token and open enrolment', () => {
    const config = loadConfig(
      {
        TOURNEE_TRUST_PROXY: '1',
        TOURNEE_FAILED_AUTH_BURST: '5',
        TOURNEE_FAILED_AUTH_PER_MINUTE: '2',
        TOURNEE_SPACE_CREATION_BURST: '1',
        TOURNEE_SPACE_CREATIONS_PER_HOUR: '3',
        TOURNEE_MAX_CONNECTIONS_PER_ADDRESS: '64',
        TOURNEE_MAX_TRACKED_ADDRESSES: '500',
        TOURNEE_METRICS_TOKEN: 'scrape-me-0123456789',
        TOURNEE_OPEN_ENROLMENT: 'yes',
      },
      cwd,
    )
    expect(config).toMatchObject({
      openEnrolment: true,
      metricsToken: 'scrape-me-0123456789',
      perimeter: {
        trustedProxies: 1,
        failedCredentials: { burst: 5, perMinute: 2 },
        spaceCreations: { burst: 1, perHour: 3 },
        maxConnectionsPerAddress: 64,
        maxTrackedAddresses: 500,
      },
    })
    expect(loadConfig({ TOURNEE_OPEN_ENROLMENT: '0' }, cwd).openEnrolment).toBe(false)
  })

  it.each([
    [{ TOURNEE_TRUST_PROXY: 'true' }, 'TOURNEE_TRUST_PROXY'],
    [{ TOURNEE_TRUST_PROXY: '17' }, 'TOURNEE_TRUST_PROXY'],
    [{ TOURNEE_OPEN_ENROLMENT: 'maybe' }, 'TOURNEE_OPEN_ENROLMENT'],
    [{ TOURNEE_OPEN_ENROLMENT: '1', TOURNEE_ENROLMENT_SECRET: 'sixteen-chars-ok' }, 'TOURNEE_OPEN_ENROLMENT'],
    [{ TOURNEE_METRICS_TOKEN: 'short' }, 'TOURNEE_METRICS_TOKEN'],
    [{ TOURNEE_METRICS_TOKEN: 'has a space in it, long' }, 'TOURNEE_METRICS_TOKEN'],
    [{ TOURNEE_FAILED_AUTH_BURST: '0' }, 'TOURNEE_FAILED_AUTH_BURST'],
    [{ TOURNEE_FAILED_AUTH_PER_MINUTE: '0.5' }, 'TOURNEE_FAILED_AUTH_PER_MINUTE'],
    [{ TOURNEE_SPACE_CREATION_BURST: '-1' }, 'TOURNEE_SPACE_CREATION_BURST'],
    [{ TOURNEE_SPACE_CREATIONS_PER_HOUR: 'ten' }, 'TOURNEE_SPACE_CREATIONS_PER_HOUR'],
    [{ TOURNEE_MAX_CONNECTIONS_PER_ADDRESS: '0' }, 'TOURNEE_MAX_CONNECTIONS_PER_ADDRESS'],
    [{ TOURNEE_MAX_TRACKED_ADDRESSES: '10' }, 'TOURNEE_MAX_TRACKED_ADDRESSES'],
    [{ TOURNEE_PORT: 'eighty' }, 'TOURNEE_PORT'],
    [{ TOURNEE_PORT: '70000' }, 'TOURNEE_PORT'],
    [{ TOURNEE_KEEPALIVE_MS: '30000' }, 'TOURNEE_KEEPALIVE_MS'],
    [{ TOURNEE_PORT: '-1' }, 'TOURNEE_PORT'],
    [{ TOURNEE_ENROLMENT_SECRET: 'short' }, 'TOURNEE_ENROLMENT_SECRET'],
    [{ TOURNEE_ALLOWED_ORIGINS: 'cabinet.example.fr' }, 'TOURNEE_ALLOWED_ORIGINS'],
    [{ TOURNEE_ALLOWED_ORIGINS: 'ftp://cabinet.example.fr' }, 'TOURNEE_ALLOWED_ORIGINS'],
    [{ TOURNEE_STATIC_DIR: 'missing' }, 'TOURNEE_STATIC_DIR'],
    [{ NODE_ENV: 'production' }, 'TOURNEE_STATIC_DIR'],
    [{ TOURNEE_MAX_FRAME_BYTES: '0' }, 'TOURNEE_MAX_FRAME_BYTES'],
    [{ TOURNEE_MESSAGE_BURST: '1.5' }, 'TOURNEE_MESSAGE_BURST'],
    [{ TOURNEE_MAX_DIGEST_BYTES: '32MiB' }, 'TOURNEE_MAX_DIGEST_BYTES'],
    [{ TOURNEE_LOG_LEVEL: 'verbose' }, 'TOURNEE_LOG_LEVEL'],
    [{ TOURNEE_REDIS_URL: 'localhost:6379' }, 'TOURNEE_REDIS_URL'],
    [{ TOURNEE_REDIS_URL: 'not a url' }, 'TOURNEE_REDIS_URL'],
  ])('refuses %j naming %s', (env, variable) => {
    const refused = refusalOf(env)
    expect(refused.variable).toBe(variable)
    expect(refused.message).toContain(variable)
  })
})
