/**
 * The per-file fixture of cross-part tests that run in this process: one in-memory relay for the
 * file (in-memory-relay.ts), devices reaching it, and every practice opened on them destroyed
 * afterwards (sockets and timers closed before the relay).
 */
import { afterAll, beforeAll } from 'vitest'
import type { DeviceEnvironment, OpenPractice } from '../../client/src/sync/device/device'
import type { Limits } from '../../shared/src/protocol/constants'
import { startInMemoryRelay, type InMemoryRelay } from './in-memory-relay'
import { nodeDeviceEnvironment } from './node-device'

export interface InMemoryFixture {
  /** The relay of this file (started in beforeAll). */
  readonly relay: InMemoryRelay
  /** A simulated device (its own IndexedDB namespace) whose sockets and requests reach the relay. */
  device(name: string, extra?: Partial<DeviceEnvironment>): DeviceEnvironment
  /** Remembers a practice opened on a device, so that it is closed after the file's tests. */
  track(opening: Promise<OpenPractice | null>): Promise<OpenPractice>
}

export function useInMemoryRelay(options: { limits?: Partial<Limits>; allowedOrigins?: string[] } = {}): InMemoryFixture {
  let relay: InMemoryRelay | null = null
  const opened: OpenPractice[] = []
  beforeAll(() => {
    relay = startInMemoryRelay(options)
  })
  afterAll(async () => {
    for (const p of opened) await p.space.destroy().catch(() => undefined)
    await relay?.dispose()
  })
  const current = (): InMemoryRelay => {
    if (!relay) throw new Error('The relay starts in beforeAll: use it inside a test')
    return relay
  }
  return {
    get relay() {
      return current()
    },
    device: (name, extra = {}) => ({ ...nodeDeviceEnvironment(name), WebSocketImpl: current().WebSocketImpl, fetchImpl: current().fetchImpl, ...extra }),
    track: async (opening) => {
      const practice = await opening
      if (!practice) throw new Error('No practice on this device')
      opened.push(practice)
      return practice
    },
  }
}
