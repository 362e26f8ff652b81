/**
 * Several relay nodes in this process, for tests of multi-node fan-out: each a real startRelay on
 * its own loopback port with real WebSockets, all on one storage (a real SQLite in a temp folder,
 * shared as a PostgreSQL would be by nodes on several machines) and one real Redis.
 *
 * And devices pinned to a node: a device's environment rewrites the one relay address it knows
 * (`FRONT_URL`) to its node, as a load balancer would route it, and its pairing routes to a node
 * of their own (`pairingsTo`), so tests can open a pairing on one node and answer it on another.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import type { DeviceEnvironment } from '../../client/src/sync/device/device'
import { silentLogger } from '../../relay/src/log'
import { startRelay, type RelayOptions, type RunningRelay } from '../../relay/src/server'
import { delegatingStorage } from '../../relay/src/storage/delegating-storage'
import type { RelayStorage } from '../../relay/src/storage/relay-storage'
import { SqliteStorage } from '../../relay/src/storage/sqlite-storage'
import { testRelayConfig } from '../../relay/src/test-support/relay-config'
import { nodeDeviceEnvironment } from './node-device'

/** The address devices know; each device's environment routes it to its node. */
export const FRONT_URL = 'http://relay.tournee.test'

export interface RelayNode {
  readonly relay: RunningRelay
  readonly url: string
}

export interface RelayNodes {
  readonly nodes: RelayNode[]
  /** The storage every node writes to (tests read it, or write past the nodes). */
  readonly storage: RelayStorage
  /** Closes every node, then the storage. */
  dispose(): Promise<void>
}

export async function startRelayNodes(count: number, redisUrl: string, options: RelayOptions = {}): Promise<RelayNodes> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tournee-nodes-'))
  const storage = new SqliteStorage({ dataDir })
  const nodes: RelayNode[] = []
  for (let i = 0; i < count; i++) {
    // A node's close() closes its storage: the shared one outlives every node.
    const relay = await startRelay(testRelayConfig(dataDir, {}, { redisUrl }), {
      logger: silentLogger,
      storage: delegatingStorage(storage, { close: async () => undefined }),
      closeGraceMs: 100,
      ...options,
    })
    nodes.push({ relay, url: `http://127.0.0.1:${relay.port}` })
  }
  return {
    nodes,
    storage,
    dispose: async () => {
      await Promise.all(nodes.map((node) => node.relay.close()))
      await storage.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * A simulated device whose relay address (FRONT_URL) reaches `node`, and its pairings `pairingsTo`
 * (nodes in this process or relay processes alike: whatever has a URL).
 */
export function deviceOnNode(name: string, node: { readonly url: string }, pairingsTo: { readonly url: string }): DeviceEnvironment {
  const env = nodeDeviceEnvironment(name)
  const route = (url: string): string => {
    if (!url.startsWith(FRONT_URL.replace(/^http/, 'ws')) && !url.startsWith(FRONT_URL)) return url
    const path = url.slice(url.indexOf('/', url.indexOf('//') + 2))
    const target = /\/pairings(\/|$|\?)/.test(path) ? pairingsTo : node
    return (url.startsWith('ws') ? target.url.replace(/^http/, 'ws') : target.url) + path
  }
  const Base = env.WebSocketImpl as unknown as typeof WebSocket
  class RoutedWebSocket extends Base {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(route(String(url)), protocols)
    }
  }
  return {
    ...env,
    WebSocketImpl: RoutedWebSocket as unknown as typeof globalThis.WebSocket,
    fetchImpl: (input, init) => fetch(input instanceof Request ? new Request(route(input.url), input) : route(String(input)), init),
  }
}
