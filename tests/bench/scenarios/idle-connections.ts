/**
 * (i) Idle connections on one relay node (issue 22): `--idle-connections` sync sockets (10,000;
 * 2,000 with --quick) held open on one relay process, as devices hold the rooms they keep open
 * and nobody edits — each socket authenticated, its handshake done (idle-sockets.ts), pings
 * answered. Spread over 50 practices × 20 rooms, so 1,000 rooms are loaded (empty) and each holds
 * 10 sockets.
 *
 * Measured from /proc (RSS) on two relays, one after the other, in the same run:
 *   before  the relay of `--baseline-ref` (default 75f7b8f, before issue 22's memory work),
 *           checked out in a temporary worktree (tree-at-ref.ts);
 *   ours    this checkout's relay.
 * For each: RSS with nothing, after one socket per room (the rooms loaded), after every socket:
 * memory per idle socket = RSS growth / sockets past the first of each room; memory per loaded
 * empty room (with its first socket) = RSS growth / rooms.
 *
 * Limits: every socket is a file descriptor in the relay and one in this process, and a loopback
 * port (32768–60999 on Debian, freed 60 s after a close): the count is lowered to what the
 * process's open-file limit allows, and said.
 */
import { readFileSync } from 'node:fs'
import type WebSocket from 'ws'
import { startRelayProcess } from '../../helpers/relay-process'
import { closeIdleSockets, createIdleSpace, idleRoomId, openIdleSockets, type IdleSpace } from '../idle-sockets'
import { sampleProcess, type ProcessSample } from '../process-stats'
import { round, type Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { checkoutTreeAtRef, type TreeAtRef } from '../tree-at-ref'

const DEFAULT_REF = '75f7b8f'
const SPACES = 50
const ROOMS_PER_SPACE = 20
/** Descriptors this process keeps for itself besides the sockets (files, pipes, the relay's stdio). */
const SPARE_DESCRIPTORS = 512

type Side = 'before' | 'ours'

interface IdleSample {
  sockets: number
  rooms: number
  empty: ProcessSample
  loaded: ProcessSample
  connected: ProcessSample
}

function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
  const soft = Number(line?.split(/\s+/)[3])
  return Number.isFinite(soft) ? soft : Number.POSITIVE_INFINITY
}

/** RSS settles a moment after the last socket opened (the relay's last frames, GC): two samples 1 s apart, the later. */
async function settled(pid: number): Promise<ProcessSample> {
  await new Promise((resolve) => setTimeout(resolve, 1000))
  return sampleProcess(pid)
}

async function measure(sockets: number, root: string | undefined): Promise<IdleSample> {
  const relay = await startRelayProcess({
    ...(root === undefined ? {} : { root }),
    env: {
      TOURNEE_MAX_CONNECTIONS_PER_ADDRESS: String(sockets + 100),
      TOURNEE_SPACE_CREATION_BURST: String(SPACES),
    },
  })
  let open: WebSocket[] = []
  try {
    const empty = await settled(relay.pid)
    const spaces: IdleSpace[] = []
    for (let i = 0; i < SPACES; i++) spaces.push(await createIdleSpace(relay.url))
    const rooms = spaces.flatMap((space) => Array.from({ length: ROOMS_PER_SPACE }, () => ({ space, roomId: idleRoomId() })))
    open = await openIdleSockets(relay.url, rooms.length, (i) => rooms[i]!)
    const loaded = await settled(relay.pid)
    open = open.concat(await openIdleSockets(relay.url, sockets - rooms.length, (i) => rooms[i % rooms.length]!))
    const connected = await settled(relay.pid)
    return { sockets, rooms: rooms.length, empty, loaded, connected }
  } finally {
    await closeIdleSockets(open)
    await relay.dispose()
  }
}

export const idleConnections: Scenario = {
  id: 'idle-connections',
  async run(context: BenchContext): Promise<Row[]> {
    const { options, log, detail } = context
    const ref = options.baselineRef ?? DEFAULT_REF
    const allowed = openFileLimit() - SPARE_DESCRIPTORS
    const sockets = Math.max(SPACES * ROOMS_PER_SPACE * 2, Math.min(options.idleConnections, allowed))
    if (sockets < options.idleConnections) log(`  (i) ${options.idleConnections} sockets asked, ${sockets} opened: the open-file limit is ${openFileLimit()} (ulimit -n)`)
    const tree: TreeAtRef = checkoutTreeAtRef(ref)
    const samples = {} as Record<Side, IdleSample>
    try {
      for (const [side, root] of [['before', tree.dir], ['ours', undefined]] as const) {
        samples[side] = await measure(sockets, root)
        const s = samples[side]
        log(
          `  (i) ${side}: ${s.sockets} idle sockets on ${s.rooms} rooms: relay RSS ${round(s.empty.rssBytes / 2 ** 20, 1)} → ` +
            `${round(s.loaded.rssBytes / 2 ** 20, 1)} → ${round(s.connected.rssBytes / 2 ** 20, 1)} MiB`,
        )
      }
    } finally {
      tree.remove()
    }
    detail('idle-connections', { ref, commit: tree.commit, samples })
    const perSocket = (s: IdleSample) => (s.connected.rssBytes - s.loaded.rssBytes) / (s.sockets - s.rooms)
    const perRoom = (s: IdleSample) => (s.loaded.rssBytes - s.empty.rssBytes) / s.rooms
    const scenario = `i. idle connections (${sockets} sockets, ${SPACES * ROOMS_PER_SPACE} rooms, one node)`
    const row = (metric: string, of: (s: IdleSample) => number, stat: string): Row => ({
      scenario,
      metric,
      unit: 'bytes',
      ours: of(samples.ours),
      floor: null,
      before: of(samples.before),
      stat,
    })
    return [
      row('memory per idle socket', perSocket, `RSS growth / ${sockets - SPACES * ROOMS_PER_SPACE}; before = ${ref}`),
      row('memory per loaded empty room, its first socket included', perRoom, `RSS growth / ${SPACES * ROOMS_PER_SPACE}`),
      row(`relay RSS with ${sockets} idle sockets`, (s) => s.connected.rssBytes, 'single measurement'),
    ]
  },
}
