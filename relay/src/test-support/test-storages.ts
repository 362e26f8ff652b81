/**
 * The storages the relay's tests run on: SQLite in a temp folder, and PostgreSQL in a fresh
 * database of the test run's server (tests/helpers/postgres-global-setup.ts). The relay's route
 * and sync tests that touch storage store on `testStorage()`: SQLite in the unit project, and
 * PostgreSQL when the unit-postgres project runs them again with TOURNEE_TEST_STORAGE=postgres
 * (vite.config.ts), as the pinned-day projects run the date tests again at other days.
 *
 * A location is where a relay stores: the config fields that point a relay at it, and `open` for
 * a test that reads or wraps the storage itself (a second storage on the same location, as a
 * second node or a restarted relay would open it).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import { freshDatabase } from '../../../tests/helpers/postgres-server'
import type { StorageConfig } from '../config'
import { openStorage } from '../storage/open-storage'
import type { RelayStorage, StorageKind } from '../storage/relay-storage'
import { silentLogger } from '../log'

export interface TestStorageLocation {
  readonly dataDir: string
  readonly storage: StorageConfig
  open(): Promise<RelayStorage>
}

export interface TestStorage {
  readonly name: StorageKind
  /** A fresh, empty location; what it leaves behind goes with `cleanups`. */
  location(cleanups: (() => unknown)[]): Promise<TestStorageLocation>
}

/** Small pools: many relays and storages of many test files share the test server. */
const TEST_POOL_SIZE = 4

function at(dataDir: string, storage: StorageConfig): TestStorageLocation {
  return { dataDir, storage, open: () => openStorage(storage, dataDir, silentLogger) }
}

function tempDir(cleanups: (() => unknown)[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tournee-storage-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export const TEST_STORAGES: readonly TestStorage[] = [
  { name: 'sqlite', location: async (cleanups) => at(tempDir(cleanups), { kind: 'sqlite' }) },
  {
    name: 'postgres',
    location: async (cleanups) =>
      at(tempDir(cleanups), { kind: 'postgres', databaseUrl: await freshDatabase(inject('postgresAdminUrl'), 'relay'), poolSize: TEST_POOL_SIZE }),
  },
]

/** Which storage a test project runs the relay's tests on (set per project in vite.config.ts). */
export const TEST_STORAGE_VARIABLE = 'TOURNEE_TEST_STORAGE'

/** The storage under test: TOURNEE_TEST_STORAGE, SQLite when unset. */
export function testStorage(env: NodeJS.ProcessEnv = process.env): TestStorage {
  const name = env[TEST_STORAGE_VARIABLE] ?? 'sqlite'
  const found = TEST_STORAGES.find((storage) => storage.name === name)
  if (found === undefined) throw new Error(`${TEST_STORAGE_VARIABLE} must be one of ${TEST_STORAGES.map((s) => s.name).join(', ')}, got "${name}"`)
  return found
}
