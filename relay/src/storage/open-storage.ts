/**
 * The storage a relay's configuration names (config.ts, StorageConfig): SQLite in the data
 * folder, or PostgreSQL, connected and migrated before the relay listens, so a node that cannot
 * reach its database, or finds a newer schema, refuses to start instead of refusing every device.
 */
import type { StorageConfig } from '../config'
import type { Logger } from '../log'
import { PostgresStorage } from './postgres-storage'
import type { RelayStorage } from './relay-storage'
import { SqliteStorage } from './sqlite-storage'

export async function openStorage(storage: StorageConfig, dataDir: string, logger: Logger): Promise<RelayStorage> {
  switch (storage.kind) {
    case 'sqlite':
      return new SqliteStorage({ dataDir })
    case 'postgres':
      return PostgresStorage.open({ url: storage.databaseUrl, poolSize: storage.poolSize, logger })
  }
}
