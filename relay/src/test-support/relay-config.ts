/**
 * A relay configuration for tests that start the relay in their own process (startRelay): on a
 * free loopback port, no enrolment secret, metrics for this machine, the default limits — each
 * test says what it changes.
 */
import type { RelayConfig } from '../config'
import { DefaultLimits, KEEP_ALIVE_MS, type Limits } from '../../../shared/src/protocol/constants'
import { DefaultPerimeter } from '../perimeter/perimeter'
import { RELAY_FRAME_BYTES } from '../rooms/frames'

export function testRelayConfig(dataDir: string, limits: Partial<Limits> = {}, extra: Partial<RelayConfig> = {}): RelayConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    storage: { kind: 'sqlite' },
    enrolmentSecret: null,
    openEnrolment: false,
    metricsToken: null,
    perimeter: DefaultPerimeter,
    allowedOrigins: [],
    staticDir: null,
    limits: { ...DefaultLimits, ...limits },
    logLevel: 'error',
    keepAliveMs: KEEP_ALIVE_MS,
    joinFrameBytes: RELAY_FRAME_BYTES,
    redisUrl: null,
    ...extra,
  }
}
