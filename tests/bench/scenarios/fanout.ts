/**
 * (m) Multi-node fan-out (issue 22): relay CPU per update and edit latency through one relay node,
 * and through two nodes on one PostgreSQL with Redis between them, in the same run.
 *
 * Load: PAIRS pairs of raw envelope clients (relay/src/test-support/sync-test-client.ts: real
 * WebSockets and y-protocols, no crypto, so the load generator stays light on a 2-core machine),
 * each pair in its own practice. Every writer pushes one entry of ENTRY_BYTES every PACE_MS,
 * UPDATES times. One node: writer and reader on the same node. Two nodes: writers on node 1,
 * readers on node 2, so every update crosses Redis.
 *
 *   relay CPU per update   (user + system of every node, from /proc) / updates made durable
 *   latency                writer's push → the reader's doc holding the entry (one process,
 *                          performance.now()), p50 and p99 over every update
 *
 * What limits it: the machine has 2 cores shared by PostgreSQL, Redis, the nodes and this process;
 * the bench process's own CPU is reported apart.
 */
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { SyncTestClient } from '../../../relay/src/test-support/sync-test-client'
import { labelOf, testEntry } from '../../../relay/src/test-support/test-entries'
import { freshDatabase, startPostgresServer } from '../../helpers/postgres-server'
import { startRedisServer } from '../../helpers/redis-server'
import { startRelayProcess, type RelayProcess } from '../../helpers/relay-process'
import { sampleProcess } from '../process-stats'
import { round, type Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { percentile } from '../stats'

const PAIRS = 4
const ENTRY_BYTES = 200
const PACE_MS = 50

type Entry = { d: string; c: Uint8Array }

interface Measured {
  updates: number
  persisted: number
  /** Per node, ms of CPU during the load. */
  nodeCpuMs: number[]
  latenciesMs: number[]
  benchCpuMs: number
}

async function persistedOn(node: RelayProcess): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('tournee_updates_persisted_total '))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`fan-out bench: ${what} not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function measure(nodes: RelayProcess[], updatesPerWriter: number): Promise<Measured> {
  const writerNode = nodes[0]!
  const readerNode = nodes.at(-1)!
  const clients: SyncTestClient[] = []
  const pushedAt = new Map<string, number>()
  const latenciesMs: number[] = []
  try {
    const pairs: { writer: SyncTestClient; reader: SyncTestClient }[] = []
    for (let p = 0; p < PAIRS; p++) {
      const spaceId = randomId()
      const credential = toBase64Url(randomBytes(32))
      const created = await fetch(`${writerNode.url}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })
      if (created.status !== 201) throw new Error(`fan-out bench: creating a space answered ${created.status}`)
      const writer = await SyncTestClient.connect(writerNode.url, spaceId, credential)
      const reader = await SyncTestClient.connect(readerNode.url, spaceId, credential)
      clients.push(writer, reader)
      reader.doc.getArray<Entry>('entries').observe((event) => {
        const now = performance.now()
        for (const item of event.changes.added) {
          for (const entry of item.content.getContent() as Entry[]) {
            const at = pushedAt.get(labelOf(entry.d))
            if (at !== undefined) latenciesMs.push(now - at)
          }
        }
      })
      pairs.push({ writer, reader })
    }
    await waitUntil(() => clients.every((c) => c.acks.length > 0), 10_000, 'every client joined')
    const persistedBefore = (await Promise.all(nodes.map(persistedOn))).reduce((a, b) => a + b, 0)
    const cpuBefore = nodes.map((node) => sampleProcess(node.pid).cpuMs)
    const bench = process.cpuUsage()
    let updates = 0
    for (let i = 0; i < updatesPerWriter; i++) {
      pairs.forEach(({ writer }, p) => {
        const label = `u-${p}-${i}`
        pushedAt.set(label, performance.now())
        writer.doc.getArray<Entry>('entries').push([testEntry(label, ENTRY_BYTES)])
        updates++
      })
      await new Promise((resolve) => setTimeout(resolve, PACE_MS))
    }
    await waitUntil(() => latenciesMs.length >= updates, 60_000, 'every update delivered')
    await waitUntil(() => pairs.every(({ writer }) => writer.ackCovers()), 60_000, 'every update acknowledged')
    const benchCpu = process.cpuUsage(bench)
    const nodeCpuMs = nodes.map((node, n) => sampleProcess(node.pid).cpuMs - cpuBefore[n]!)
    const persisted = (await Promise.all(nodes.map(persistedOn))).reduce((a, b) => a + b, 0) - persistedBefore
    return { updates, persisted, nodeCpuMs, latenciesMs, benchCpuMs: (benchCpu.user + benchCpu.system) / 1000 }
  } finally {
    for (const client of clients) client.destroy()
  }
}

export const fanout: Scenario = {
  id: 'fanout',
  // Starts its own PostgreSQL and Redis: run it by name (`--only=fanout`).
  inQuickRun: false,
  async run(context: BenchContext): Promise<Row[]> {
    const { options, log, detail } = context
    const updatesPerWriter = options.quick ? 100 : 400
    const postgres = await startPostgresServer()
    const redis = await startRedisServer()
    const started: RelayProcess[] = []
    const startNodes = async (count: number, withRedis: boolean): Promise<RelayProcess[]> => {
      const databaseUrl = await freshDatabase(postgres.adminUrl, `fanout_${count}`)
      const nodes = await Promise.all(
        Array.from({ length: count }, () =>
          startRelayProcess({
            env: { TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: databaseUrl, ...(withRedis ? { TOURNEE_REDIS_URL: redis.url } : {}) },
          }),
        ),
      )
      started.push(...nodes)
      return nodes
    }
    try {
      const one = await measure(await startNodes(1, false), updatesPerWriter)
      log(`  (m) 1 node: ${one.persisted} updates, relay CPU ${Math.round(one.nodeCpuMs[0]!)} ms, p50 ${round(percentile(one.latenciesMs, 50), 1)} ms`)
      const two = await measure(await startNodes(2, true), updatesPerWriter)
      log(`  (m) 2 nodes: ${two.persisted} updates, relay CPU ${two.nodeCpuMs.map(Math.round).join(' + ')} ms, p50 ${round(percentile(two.latenciesMs, 50), 1)} ms`)
      detail('fanout', { pairs: PAIRS, paceMs: PACE_MS, entryBytes: ENTRY_BYTES, one, two })

      const perUpdate = (cpuMs: number, m: Measured) => cpuMs / Math.max(1, m.persisted)
      const oneCpu = perUpdate(one.nodeCpuMs[0]!, one)
      const twoCpu = perUpdate(two.nodeCpuMs[0]! + two.nodeCpuMs[1]!, two)
      const scenario = `m. multi-node fan-out (${PAIRS} writer/reader pairs, 1 update / ${PACE_MS} ms each, PostgreSQL)`
      const row = (metric: string, unit: Row['unit'], ours: number, stat: string): Row => ({ scenario, metric, unit, ours, floor: null, stat })
      return [
        row('relay CPU per update, 1 node', 'ms', oneCpu, '(user + system) / persisted'),
        row('relay CPU per update, 2 nodes (both together)', 'ms', twoCpu, '(user + system) / persisted'),
        row("  node 1 (the writers'; commits and publishes)", 'ms', perUpdate(two.nodeCpuMs[0]!, two), '(user + system) / persisted'),
        row("  node 2 (the readers'; receives from Redis)", 'ms', perUpdate(two.nodeCpuMs[1]!, two), '(user + system) / persisted'),
        row('CPU cross-node fan-out adds per update (2 nodes vs 1)', 'count', round(((twoCpu - oneCpu) / oneCpu) * 100, 1), '% of 1 node'),
        row('edit latency p50, 1 node', 'ms', percentile(one.latenciesMs, 50), `p50 of ${one.latenciesMs.length}`),
        row('edit latency p99, 1 node', 'ms', percentile(one.latenciesMs, 99), `p99 of ${one.latenciesMs.length}`),
        row('edit latency p50, 2 nodes (writer and reader on different nodes)', 'ms', percentile(two.latenciesMs, 50), `p50 of ${two.latenciesMs.length}`),
        row('edit latency p99, 2 nodes', 'ms', percentile(two.latenciesMs, 99), `p99 of ${two.latenciesMs.length}`),
        row('bench process CPU per update, 2 nodes (the load generator, apart)', 'ms', two.benchCpuMs / Math.max(1, two.updates), 'process.cpuUsage / updates'),
      ]
    } finally {
      for (const node of started) await node.dispose()
      await redis.dispose()
      await postgres.stop()
    }
  },
}
