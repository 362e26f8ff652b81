/**
 * (m) Multi-node fan-out (issue 22): relay CPU per update and edit latency through one relay node
 * on SQLite, one node on PostgreSQL, and two nodes on one PostgreSQL with Redis between them, in
 * the same run, interleaved round by round (a burst of noise on the shared machine hits all three).
 *
 * Load: PAIRS pairs of raw envelope clients (relay/src/test-support/sync-test-client.ts: real
 * WebSockets and y-protocols, no crypto, so the load generator stays light on a 2-core machine),
 * each pair in its own practice. Every writer pushes one entry of ENTRY_BYTES every PACE_MS,
 * UPDATES times. One node: writer and reader on the same node. Two nodes: writers on node 1,
 * readers on node 2, so every update crosses Redis.
 *
 *   relay CPU per update   (user + system of every node, from /proc) / updates made durable
 *   PostgreSQL CPU         the postmaster and its backends (/proc, process-stats.ts), per update
 *   delivery latency       writer's push → the reader's doc holding the entry (one process,
 *                          performance.now()), p50 and p99 over every update; on one node the
 *                          relay forwards before the commit, across nodes after it
 *   durable ACK latency    writer's push → the writer's ACK covering it (sent after the commit)
 *
 * The PostgreSQL server runs durable (fsync on, postgres-server.ts), as SQLite runs with
 * synchronous=FULL: a commit costs its WAL flush on this machine's disk on both.
 *
 * From the medians it projects the capacity of N nodes on N machines (one core each for the relay,
 * which is one thread) and where PostgreSQL's own CPU per update becomes the limit.
 *
 * « Before »: the two PostgreSQL setups again on the relay at --baseline-ref (default main), in a
 * temporary worktree (tree-at-ref.ts), interleaved with the others.
 *
 * BENCH_RELAY_CPU_PROFILE_DIR=<dir> makes every node write a V8 CPU profile there when it stops
 * (BENCH_RELAY_CPU_PROFILE_INTERVAL_US=<µs> samples more often than V8's 1 ms).
 *
 * What limits it: the machine has 2 cores shared by PostgreSQL, Redis, the nodes and this process;
 * the bench process's own CPU is reported apart, and the load average at start and end.
 */
import { loadavg } from 'node:os'
import * as Y from 'yjs'
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { SyncTestClient } from '../../../relay/src/test-support/sync-test-client'
import { labelOf, testEntry } from '../../../relay/src/test-support/test-entries'
import { freshDatabase, startPostgresServer, type PostgresServer } from '../../helpers/postgres-server'
import { startRedisServer, type RedisServer } from '../../helpers/redis-server'
import { startRelayProcess, type RelayProcess } from '../../helpers/relay-process'
import { processTreeCpuMs, sampleProcess } from '../process-stats'
import { checkoutTreeAtRef } from '../tree-at-ref'
import { round, type Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { median, percentile } from '../stats'
import { projectCapacity, type CapacityInputs } from '../fanout-capacity'

const PAIRS = 4
const ENTRY_BYTES = 200
const PACE_MS = 50

type Entry = { d: string; c: Uint8Array }

type SetupId = 'sqlite' | 'postgres' | 'postgres-2' | 'postgres-before' | 'postgres-2-before'

interface Setup {
  readonly id: SetupId
  readonly label: string
  readonly nodes: RelayProcess[]
}

/** Without --baseline-ref, the « before » is main: the relay before issue 22's fan-out work. */
const DEFAULT_REF = 'main'

interface Measured {
  updates: number
  persisted: number
  /** Per node, ms of CPU during the load. */
  nodeCpuMs: number[]
  /** PostgreSQL's processes, ms of CPU during the load (null on SQLite). */
  postgresCpuMs: number | null
  /** Redis's, ms of CPU during the load (null without Redis). */
  redisCpuMs: number | null
  deliveryMs: number[]
  ackMs: number[]
  /** afterCommitMs(): delivery − durable ACK, per update. */
  afterCommitMs: number[]
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

/** Times each of a writer's pushes until an ACK covers it (ACKs carry the relay's state vector), by label. */
function ackTimer(writer: SyncTestClient, into: Map<string, number>): (label: string, pushedAt: number) => void {
  const waiting: { clock: number; at: number; label: string }[] = []
  writer.onAck((ack) => {
    const now = performance.now()
    const covered = ack.get(writer.doc.clientID) ?? 0
    while (waiting.length > 0 && waiting[0]!.clock <= covered) {
      const { label, at } = waiting.shift()!
      into.set(label, now - at)
    }
  })
  return (label, at) => waiting.push({ clock: Y.getState(writer.doc.store, writer.doc.clientID), at, label })
}

/**
 * Per update, its delivery latency less its durable ACK latency: on two nodes, what the reader
 * waited after its writer heard of the commit — the Redis hop and the other node's forward (each
 * side's own socket hop included). A delivery tail that this does not have comes from the commit.
 */
export function afterCommitMs(delivered: ReadonlyMap<string, number>, acked: ReadonlyMap<string, number>): number[] {
  const out: number[] = []
  for (const [label, delivery] of delivered) {
    const ack = acked.get(label)
    if (ack !== undefined) out.push(delivery - ack)
  }
  return out
}

async function measure(setup: Setup, updatesPerWriter: number, servers: { postgres: PostgresServer; redis: RedisServer }): Promise<Measured> {
  const { nodes } = setup
  const writerNode = nodes[0]!
  const readerNode = nodes.at(-1)!
  const clients: SyncTestClient[] = []
  const pushedAt = new Map<string, number>()
  const delivered = new Map<string, number>()
  const acked = new Map<string, number>()
  try {
    const pairs: { writer: SyncTestClient; reader: SyncTestClient; pushed: (label: string, at: number) => void }[] = []
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
            if (at !== undefined) delivered.set(labelOf(entry.d), now - at)
          }
        }
      })
      pairs.push({ writer, reader, pushed: ackTimer(writer, acked) })
    }
    await waitUntil(() => clients.every((c) => c.acks.length > 0), 10_000, 'every client joined')
    const persistedBefore = (await Promise.all(nodes.map(persistedOn))).reduce((a, b) => a + b, 0)
    const usesPostgres = setup.id !== 'sqlite'
    const usesRedis = nodes.length > 1
    const cpuBefore = nodes.map((node) => sampleProcess(node.pid).cpuMs)
    const postgresBefore = usesPostgres ? processTreeCpuMs(servers.postgres.pid()) : 0
    const redisBefore = usesRedis ? sampleProcess(servers.redis.pid!).cpuMs : 0
    const bench = process.cpuUsage()
    let updates = 0
    for (let i = 0; i < updatesPerWriter; i++) {
      pairs.forEach(({ writer, pushed }, p) => {
        const label = `u-${p}-${i}`
        const at = performance.now()
        pushedAt.set(label, at)
        writer.doc.getArray<Entry>('entries').push([testEntry(label, ENTRY_BYTES)])
        pushed(label, at)
        updates++
      })
      await new Promise((resolve) => setTimeout(resolve, PACE_MS))
    }
    await waitUntil(() => delivered.size >= updates, 60_000, 'every update delivered')
    await waitUntil(() => acked.size >= updates, 60_000, 'every update acknowledged')
    const benchCpu = process.cpuUsage(bench)
    const nodeCpuMs = nodes.map((node, n) => sampleProcess(node.pid).cpuMs - cpuBefore[n]!)
    const postgresCpuMs = usesPostgres ? processTreeCpuMs(servers.postgres.pid()) - postgresBefore : null
    const redisCpuMs = usesRedis ? sampleProcess(servers.redis.pid!).cpuMs - redisBefore : null
    const persisted = (await Promise.all(nodes.map(persistedOn))).reduce((a, b) => a + b, 0) - persistedBefore
    const deliveryMs = [...delivered.values()]
    const ackMs = [...acked.values()]
    return { updates, persisted, nodeCpuMs, postgresCpuMs, redisCpuMs, deliveryMs, ackMs, afterCommitMs: afterCommitMs(delivered, acked), benchCpuMs: (benchCpu.user + benchCpu.system) / 1000 }
  } finally {
    for (const client of clients) client.destroy()
  }
}

/** One setup's figures over the rounds: medians of each round's per-update CPU and percentiles. */
interface Summary {
  nodeCpuPerUpdate: number[]
  relayCpuPerUpdate: number
  postgresCpuPerUpdate: number | null
  redisCpuPerUpdate: number | null
  benchCpuPerUpdate: number
  delivery: { p50: number; p99: number }
  ack: { p50: number; p99: number }
  /** Delivery − durable ACK per update (meaningful across nodes, where delivery follows the commit). */
  afterCommit: { p50: number; p99: number }
  /** Each round's own p99s, to see how far the rounds spread on the shared machine. */
  roundP99s: { delivery: number[]; ack: number[]; afterCommit: number[] }
  updates: number
}

function summarise(rounds: Measured[]): Summary {
  const per = (pick: (m: Measured) => number) => median(rounds.map((m) => pick(m) / Math.max(1, m.persisted)))
  const nodes = rounds[0]!.nodeCpuMs.length
  const pct = (pick: (m: Measured) => number[], p: number) => median(rounds.map((m) => percentile(pick(m), p)))
  return {
    nodeCpuPerUpdate: Array.from({ length: nodes }, (_, n) => per((m) => m.nodeCpuMs[n]!)),
    relayCpuPerUpdate: per((m) => m.nodeCpuMs.reduce((a, b) => a + b, 0)),
    postgresCpuPerUpdate: rounds[0]!.postgresCpuMs === null ? null : per((m) => m.postgresCpuMs!),
    redisCpuPerUpdate: rounds[0]!.redisCpuMs === null ? null : per((m) => m.redisCpuMs!),
    benchCpuPerUpdate: per((m) => m.benchCpuMs),
    delivery: { p50: pct((m) => m.deliveryMs, 50), p99: pct((m) => m.deliveryMs, 99) },
    ack: { p50: pct((m) => m.ackMs, 50), p99: pct((m) => m.ackMs, 99) },
    afterCommit: { p50: pct((m) => m.afterCommitMs, 50), p99: pct((m) => m.afterCommitMs, 99) },
    roundP99s: {
      delivery: rounds.map((m) => round(percentile(m.deliveryMs, 99), 1)),
      ack: rounds.map((m) => round(percentile(m.ackMs, 99), 1)),
      afterCommit: rounds.map((m) => round(percentile(m.afterCommitMs, 99), 1)),
    },
    updates: rounds.reduce((n, m) => n + m.persisted, 0),
  }
}

export const fanout: Scenario = {
  id: 'fanout',
  // Starts its own PostgreSQL and Redis: run it by name (`--only=fanout`).
  inQuickRun: false,
  async run(context: BenchContext): Promise<Row[]> {
    const { options, log, detail } = context
    const updatesPerWriter = options.quick ? 100 : 400
    const roundCount = options.quick ? 1 : 3
    // The same PostgreSQL setups on the relay at --baseline-ref (default main), in the same run.
    const before = checkoutTreeAtRef(options.baselineRef ?? DEFAULT_REF)
    log(`  (m) « before »: the relay at ${options.baselineRef ?? DEFAULT_REF} (${before.commit.slice(0, 10)})`)
    const postgres = await startPostgresServer({ durable: true })
    const redis = await startRedisServer()
    const servers = { postgres, redis }
    const started: RelayProcess[] = []
    // BENCH_RELAY_CPU_PROFILE_DIR=<dir>: each node writes a V8 CPU profile there as it stops
    // (node --cpu-prof, given to node itself: Node 20 refuses it in NODE_OPTIONS), to see where its
    // CPU per update goes. The profile is written at a clean exit only, so profiled nodes are
    // stopped with SIGTERM (the relay's graceful close) and awaited, never killed.
    const profileDir = process.env.BENCH_RELAY_CPU_PROFILE_DIR
    // BENCH_RELAY_CPU_PROFILE_INTERVAL_US: V8's sampling interval (default 1000 µs: a few hundred
    // samples of a receiving node's busy time per round, too few to tell its parts apart).
    const intervalUs = process.env.BENCH_RELAY_CPU_PROFILE_INTERVAL_US
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...(intervalUs ? [`--cpu-prof-interval=${intervalUs}`] : [])] : []
    const startNodes = async (count: number, env: Record<string, string>, label: string, root?: string): Promise<RelayProcess[]> => {
      const nodes = await Promise.all(Array.from({ length: count }, () => startRelayProcess({ env, nodeArgs, ...(root ? { root } : {}) })))
      started.push(...nodes)
      // The profile's file name carries the pid: say which node each is.
      if (profileDir) log(`  (m) profiling ${label}: ${nodes.map((node, n) => `node ${n + 1} pid ${node.pid}`).join(', ')} → ${profileDir}`)
      return nodes
    }
    const onPostgres = async (count: number, withRedis: boolean): Promise<Record<string, string>> => ({
      TOURNEE_STORAGE: 'postgres',
      TOURNEE_DATABASE_URL: await freshDatabase(postgres.adminUrl, `fanout_${count}`),
      ...(withRedis ? { TOURNEE_REDIS_URL: redis.url } : {}),
    })
    const loadAtStart = loadavg()
    try {
      const setups: Setup[] = [
        { id: 'sqlite', label: '1 node, SQLite', nodes: await startNodes(1, { TOURNEE_STORAGE: 'sqlite' }, 'sqlite') },
        { id: 'postgres', label: '1 node, PostgreSQL', nodes: await startNodes(1, await onPostgres(1, false), 'postgres') },
        { id: 'postgres-2', label: '2 nodes, PostgreSQL + Redis', nodes: await startNodes(2, await onPostgres(2, true), 'postgres-2') },
        { id: 'postgres-before', label: '1 node, PostgreSQL, before', nodes: await startNodes(1, await onPostgres(1, false), 'postgres-before', before.dir) },
        { id: 'postgres-2-before', label: '2 nodes, PostgreSQL + Redis, before', nodes: await startNodes(2, await onPostgres(2, true), 'postgres-2-before', before.dir) },
      ]
      const measured = new Map<SetupId, Measured[]>(setups.map((s) => [s.id, []]))
      for (let r = 0; r < roundCount; r++) {
        for (const setup of setups) {
          const m = await measure(setup, updatesPerWriter, servers)
          measured.get(setup.id)!.push(m)
          log(
            `  (m) round ${r + 1}/${roundCount}, ${setup.label}: ${m.persisted} updates, relay CPU ${m.nodeCpuMs.map(Math.round).join(' + ')} ms` +
              (m.postgresCpuMs === null ? '' : `, PostgreSQL ${Math.round(m.postgresCpuMs)} ms`) +
              `, delivery p50/p99 ${round(percentile(m.deliveryMs, 50), 1)}/${round(percentile(m.deliveryMs, 99), 1)} ms` +
              `, ACK p50/p99 ${round(percentile(m.ackMs, 50), 1)}/${round(percentile(m.ackMs, 99), 1)} ms` +
              (setup.nodes.length > 1 ? `, after the commit p50/p99 ${round(percentile(m.afterCommitMs, 50), 1)}/${round(percentile(m.afterCommitMs, 99), 1)} ms` : '') +
              `; load ${loadavg()[0]!.toFixed(2)}`,
          )
        }
      }
      const loadAtEnd = loadavg()
      const sqlite = summarise(measured.get('sqlite')!)
      const one = summarise(measured.get('postgres')!)
      const two = summarise(measured.get('postgres-2')!)
      const oneBefore = summarise(measured.get('postgres-before')!)
      const twoBefore = summarise(measured.get('postgres-2-before')!)
      const inputs: CapacityInputs = {
        singleNodeMs: one.relayCpuPerUpdate,
        writingNodeMs: two.nodeCpuPerUpdate[0]!,
        otherNodeMs: two.nodeCpuPerUpdate[1]!,
        postgresMs: two.postgresCpuPerUpdate!,
      }
      const capacity = projectCapacity(inputs, [1, 2, 4, 8])
      detail('fanout', {
        pairs: PAIRS,
        paceMs: PACE_MS,
        entryBytes: ENTRY_BYTES,
        rounds: roundCount,
        baseline: { ref: options.baselineRef ?? DEFAULT_REF, commit: before.commit },
        summaries: { sqlite, postgres: one, postgres2: two, postgresBefore: oneBefore, postgres2Before: twoBefore },
        capacity,
        loadAverage: { start: loadAtStart.map((n) => round(n, 2)), end: loadAtEnd.map((n) => round(n, 2)) },
      })

      const scenario = `m. multi-node fan-out (${PAIRS} writer/reader pairs, 1 update / ${PACE_MS} ms each)`
      const stat = `median of ${roundCount} round(s)`
      const row = (metric: string, unit: Row['unit'], ours: number, how: string, note?: string, was?: number | null): Row => ({
        scenario,
        metric,
        unit,
        ours,
        floor: null,
        ...(was === undefined ? {} : { before: was }),
        stat: `${how}, ${stat}`,
        ...(note ? { note } : {}),
      })
      const latencyRows = (label: string, s: Summary, deliveryNote: string, was?: Summary): Row[] => [
        row(`delivery latency p50, ${label} (${deliveryNote})`, 'ms', s.delivery.p50, 'p50', undefined, was?.delivery.p50),
        row(`delivery latency p99, ${label}`, 'ms', s.delivery.p99, 'p99', undefined, was?.delivery.p99),
        row(`durable ACK latency p50, ${label} (push → the writer's ACK, after the commit)`, 'ms', s.ack.p50, 'p50', undefined, was?.ack.p50),
        row(`durable ACK latency p99, ${label}`, 'ms', s.ack.p99, 'p99', undefined, was?.ack.p99),
      ]
      const added = (a: Summary, b: Summary) => round(((b.relayCpuPerUpdate - a.relayCpuPerUpdate) / a.relayCpuPerUpdate) * 100, 1)
      const perUpdate = '(user + system) / persisted'
      return [
        row('relay CPU per update, 1 node on SQLite', 'ms', sqlite.relayCpuPerUpdate, perUpdate),
        row('relay CPU per update, 1 node on PostgreSQL', 'ms', one.relayCpuPerUpdate, perUpdate, undefined, oneBefore.relayCpuPerUpdate),
        row('relay CPU per update, 2 nodes on PostgreSQL (both together)', 'ms', two.relayCpuPerUpdate, perUpdate, undefined, twoBefore.relayCpuPerUpdate),
        row("  node 1 (the writers'; commits and publishes)", 'ms', two.nodeCpuPerUpdate[0]!, perUpdate, undefined, twoBefore.nodeCpuPerUpdate[0]),
        row("  node 2 (the readers'; receives from Redis)", 'ms', two.nodeCpuPerUpdate[1]!, perUpdate, undefined, twoBefore.nodeCpuPerUpdate[1]),
        row('CPU cross-node fan-out adds per update (2 nodes vs 1, PostgreSQL)', 'count', added(one, two), '% of 1 node', 'target ≤ 20 %', added(oneBefore, twoBefore)),
        row('PostgreSQL CPU per update (postmaster and backends), 1 node', 'ms', one.postgresCpuPerUpdate!, perUpdate, undefined, oneBefore.postgresCpuPerUpdate),
        row('PostgreSQL CPU per update, 2 nodes', 'ms', two.postgresCpuPerUpdate!, perUpdate, undefined, twoBefore.postgresCpuPerUpdate),
        row('Redis CPU per update, 2 nodes', 'ms', two.redisCpuPerUpdate!, perUpdate),
        ...latencyRows('1 node on SQLite', sqlite, 'same node: forwarded before the commit'),
        ...latencyRows('1 node on PostgreSQL', one, 'same node: forwarded before the commit', oneBefore),
        ...latencyRows('2 nodes', two, 'other node: after the commit and the Redis hop', twoBefore),
        row('2 nodes: delivery − durable ACK per update, p50 (what the reader waits after the commit)', 'ms', two.afterCommit.p50, 'p50', undefined, twoBefore.afterCommit.p50),
        row('2 nodes: delivery − durable ACK per update, p99', 'ms', two.afterCommit.p99, 'p99', undefined, twoBefore.afterCommit.p99),
        row('cross-node delivery p99 vs 1-node delivery p99 (PostgreSQL)', 'count', round(two.delivery.p99 / one.delivery.p99, 2), '×', 'target ≤ 2×', round(twoBefore.delivery.p99 / oneBefore.delivery.p99, 2)),
        row('cross-node delivery p99 vs 1-node durable ACK p99 (PostgreSQL)', 'count', round(two.delivery.p99 / one.ack.p99, 2), '×', 'both wait for the commit', round(twoBefore.delivery.p99 / oneBefore.ack.p99, 2)),
        row('cross-node delivery p50 vs 1-node delivery p50 (PostgreSQL)', 'count', round(two.delivery.p50 / one.delivery.p50, 2), '×', 'target ≤ 2×', round(twoBefore.delivery.p50 / oneBefore.delivery.p50, 2)),
        row('cross-node delivery p50 vs 1-node durable ACK p50 (PostgreSQL)', 'count', round(two.delivery.p50 / one.ack.p50, 2), '×', 'both wait for the commit', round(twoBefore.delivery.p50 / oneBefore.ack.p50, 2)),
        row('bench process CPU per update, 1 node SQLite / PostgreSQL (the load generator, apart)', 'ms', sqlite.benchCpuPerUpdate, 'process.cpuUsage / persisted', `PostgreSQL: ${round(one.benchCpuPerUpdate, 2)} ms`),
        row('bench process CPU per update, 2 nodes', 'ms', two.benchCpuPerUpdate, 'process.cpuUsage / persisted'),
        ...capacity.map((c) =>
          row(
            `projected capacity, ${c.nodes} node(s) on ${c.nodes} machine(s), a practice's devices on ${c.spread === 'two' ? 'at most 2 nodes' : 'every node'}`,
            'count',
            Math.round(c.updatesPerSecond),
            'updates/s, one core per node',
            c.limitedBy === 'postgres' ? `PostgreSQL binds (one core: ${Math.round(c.postgresCeiling)} updates/s)` : `relay nodes bind (PostgreSQL at ${Math.round(c.postgresCores * 100)} % of one core)`,
          ),
        ),
      ]
    } finally {
      for (const node of started) {
        // SIGTERM and its exit awaited: the node writes its .cpuprofile as it exits.
        if (profileDir) await node.stop('SIGTERM')
        await node.dispose()
      }
      await redis.dispose()
      await postgres.stop()
      before.remove()
    }
  },
}
