/**
 * A relay node on PostgreSQL, as a process, for the cross-process tests of multi-node fan-out
 * (tests/multi-node-processes.test.ts): relay/src/main.ts's configuration (TOURNEE_REDIS_URL
 * included) and its `listening` line, on the PostgresStorage of TOURNEE_TEST_DATABASE_URL.
 * Until main.ts chooses its storage from the environment (TOURNEE_STORAGE, issue 22), this is
 * how a test starts a node that shares its storage with others.
 */
import { loadConfig } from '../../relay/src/config'
import { createLogger, errorFields } from '../../relay/src/log'
import { startRelay } from '../../relay/src/server'
import { PostgresStorage } from '../../relay/src/storage/postgres-storage'

async function main(): Promise<void> {
  const config = loadConfig()
  const url = process.env.TOURNEE_TEST_DATABASE_URL
  if (!url) throw new Error('TOURNEE_TEST_DATABASE_URL: the PostgreSQL database of the test')
  const logger = createLogger({ level: config.logLevel })
  // Connections refused for a while (the test refuses them) must fail calls quickly, not hang them.
  const storage = await PostgresStorage.open({ url, poolSize: 4, connectTimeoutMs: 1000, logger })
  const relay = await startRelay(config, { logger, storage })
  // Whatever TOURNEE_LOG_LEVEL says: the harness reads the port from this line.
  createLogger({ level: 'info' }).info('listening', { port: relay.port, host: relay.host })
  process.on('SIGTERM', () => {
    relay.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stop_failed', errorFields(error))
        process.exit(1)
      },
    )
  })
}

main().catch((error: unknown) => {
  console.error('Relay node failed to start:', error instanceof Error ? error.message : error)
  process.exit(1)
})
