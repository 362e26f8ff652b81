/**
 * The per-file fixture of cross-part tests: one relay process for the file, and every practice
 * opened on a simulated device destroyed afterwards (sockets and timers closed before the relay).
 */
import { afterAll, beforeAll } from 'vitest'
import type { OpenPractice } from '../../client/src/sync/device/device'
import type { Actor } from '../../shared/src/model/actor'
import { startRelayProcess, type RelayProcess, type RelayProcessOptions } from './relay-process'

export interface RelayFixture {
  /** The relay of this file (started in beforeAll). */
  readonly relay: RelayProcess
  /** Remembers a practice opened on a device, so that it is closed after the file's tests. */
  track(opening: Promise<OpenPractice | null>): Promise<OpenPractice>
}

/** `options` configure the file's relay (its environment: limits, allowed origins). */
export function useRelayFixture(options: RelayProcessOptions = {}): RelayFixture {
  let relay: RelayProcess | null = null
  const opened: OpenPractice[] = []
  beforeAll(async () => {
    relay = await startRelayProcess(options)
  })
  afterAll(async () => {
    for (const p of opened) await p.space.destroy().catch(() => undefined)
    await relay?.dispose()
  })
  return {
    get relay() {
      if (!relay) throw new Error('The relay starts in beforeAll: use it inside a test')
      return relay
    },
    track: async (opening) => {
      const practice = await opening
      if (!practice) throw new Error('No practice on this device')
      opened.push(practice)
      return practice
    },
  }
}

/** The stamp a device writes with. */
export function actorOf(p: OpenPractice): Actor {
  return { deviceId: p.record.deviceId, memberId: p.record.memberId ?? 'unknown' }
}
