/**
 * The relay's HTTP app on a fresh SQLite folder, for the route tests; `cleanups` collects what the
 * test's afterEach closes and removes.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DefaultLimits } from '../../../../shared/src/protocol/constants'
import { silentLogger } from '../../log'
import { createRelayMetrics } from '../../metrics/relay-metrics'
import { SqliteStorage } from '../../storage/sqlite-storage'
import { createApp, type AppDeps } from '../create-app'

export function openTestApp(cleanups: (() => unknown)[], overrides: Partial<AppDeps> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tournee-app-'))
  const storage = new SqliteStorage({ dataDir })
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }), () => storage.close())
  const deps: AppDeps = {
    storage,
    metrics: createRelayMetrics(),
    logger: silentLogger,
    enrolmentSecret: null,
    allowedOrigins: [],
    staticDir: null,
    limits: { ...DefaultLimits },
    ...overrides,
  }
  return { app: createApp(deps), storage, metrics: deps.metrics }
}
