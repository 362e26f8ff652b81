/**
 * Entry point: `tsx relay/src/main.ts`. Reads the environment, starts the relay, and prints one
 * JSON line when listening, which tests and supervisors read to learn the actual port:
 *
 *   {"level":"info","event":"listening","port":8080,"host":"127.0.0.1","storage":"sqlite",…,"enrolment":"local",
 *    "trustedProxies":0,"metricsAccess":"local","time":"…"}
 *
 * SIGTERM / SIGINT close gracefully (sockets get 1001, pending writes finish, the database closes).
 */
import { metricsAccessMode } from './app/metrics-route'
import { enrolmentMode } from './auth/enrolment'
import { ConfigError, loadConfig } from './config'
import { createLogger, errorFields } from './log'
import { isLoopbackHost } from './perimeter/client-address'
import { startRelay } from './server'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Tournée relay: invalid configuration. ${error.message}`)
      process.exit(2)
    }
    throw error
  }
  const logger = createLogger({ level: config.logLevel })
  const relay = await startRelay(config, { logger })
  const enrolment = enrolmentMode({ secret: config.enrolmentSecret, open: config.openEnrolment })
  logger.info('listening', {
    port: relay.port,
    host: relay.host,
    // Which storage, never its URL (it may hold the database password).
    storage: config.storage.kind,
    dataDir: config.storage.kind === 'sqlite' ? config.dataDir : null,
    staticDir: config.staticDir,
    enrolment,
    trustedProxies: config.perimeter.trustedProxies,
    metricsAccess: metricsAccessMode(config.metricsToken),
  })
  // Listening beyond loopback with neither a secret nor open enrolment: devices of the network may
  // join practices, but creating one is refused to them (auth/enrolment.ts). Say so at start.
  if (enrolment === 'local' && !isLoopbackHost(config.host)) logger.warn('enrolment_local_only', { host: config.host })

  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    logger.info('stopping', { signal })
    relay.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stop_failed', errorFields(error))
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error: unknown) => {
  console.error('Tournée relay failed to start:', error instanceof Error ? error.message : error)
  process.exit(1)
})
