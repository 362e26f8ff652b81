/**
 * The relay's HTTP app on a fresh location of the storage under test (SQLite, or PostgreSQL in the
 * unit-postgres project: test-storages.ts), for the route tests; `cleanups` collects what the
 * test's afterEach closes and removes.
 */
import { DefaultLimits } from '../../../../shared/src/protocol/constants'
import { silentLogger } from '../../log'
import { createRelayMetrics } from '../../metrics/relay-metrics'
import { testStorage } from '../../test-support/test-storages'
import { createApp, type AppDeps } from '../create-app'

export async function openTestApp(cleanups: (() => unknown)[], overrides: Partial<AppDeps> = {}) {
  const storage = await (await testStorage().location(cleanups)).open()
  cleanups.push(() => storage.close())
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
