/**
 * The relay's read of every room of a practice, as a fresh device's join makes it (Room.load →
 * storage.loadUpdates, once per room), on SQLite and on PostgreSQL, in this process: so that
 * `node --cpu-prof` sees where each storage's CPU goes, which the bench's relay process does not
 * show (issue 22, docs/performance.md « (17f) »).
 *
 *   npx tsx tests/bench/room-read-main.ts [--rooms=40] [--big-kib=2560] [--small=20] [--small-kib=16] [--passes=5] [--live-mib=0]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx tests/bench/room-read-main.ts …
 *
 * Each room holds one big row (a compaction's snapshot) and small rows (entries written since),
 * of random bytes: ciphertext, as the relay stores it. Both storages hold the same rows. Each pass
 * reads every room once per storage and is timed in CPU (user + system of this process, which
 * is where the relay's share is: PostgreSQL's own CPU is in its server's processes) and wall time.
 * Prints one JSON line per storage with the median of the passes.
 *
 * `--live-mib=N` keeps about N MiB of small objects alive meanwhile, as a relay holds its loaded
 * rooms' docs: what a read allocates then costs garbage collections that mark all of it.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PostgresStorage } from '../../relay/src/storage/postgres-storage'
import type { RelayStorage } from '../../relay/src/storage/relay-storage'
import { SqliteStorage } from '../../relay/src/storage/sqlite-storage'
import { freshDatabase, startPostgresServer } from '../helpers/postgres-server'
import { median } from './stats'

function option(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`))
  return found === undefined ? fallback : Number(found.slice(name.length + 3))
}

const ROOMS = option('rooms', 40)
const BIG_BYTES = option('big-kib', 2560) * 1024
const SMALL_ROWS = option('small', 20)
const SMALL_BYTES = option('small-kib', 16) * 1024
const PASSES = option('passes', 5)
const LIVE_MIB = option('live-mib', 0)
const SPACE = 'space-room-read'

async function seed(storage: RelayStorage, rows: Uint8Array[][]): Promise<void> {
  await storage.createSpace(SPACE, new Uint8Array(32).fill(7))
  for (const [index, room] of rows.entries()) {
    const roomId = `room-${index}`
    await storage.admitRoom(SPACE, roomId, 10_000)
    for (const row of room) await storage.appendUpdate(SPACE, roomId, row)
  }
}

interface PassFigures {
  cpuMs: number
  wallMs: number
  bytes: number
}

async function readAll(storage: RelayStorage): Promise<PassFigures> {
  const cpu = process.cpuUsage()
  const start = performance.now()
  let bytes = 0
  for (let index = 0; index < ROOMS; index++) {
    const { updates } = await storage.loadUpdates(SPACE, `room-${index}`)
    for (const update of updates) bytes += update.byteLength
  }
  const used = process.cpuUsage(cpu)
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start, bytes }
}

/** About `mib` MiB of live objects (≈64 bytes each: an object, its fields, its slot in the array). */
function liveObjects(mib: number): unknown[] {
  return Array.from({ length: Math.round((mib * 2 ** 20) / 64) }, (_, index) => ({ index, next: null, tag: index & 7 }))
}

const live = liveObjects(LIVE_MIB)
const rows = Array.from({ length: ROOMS }, () => [randomBytes(BIG_BYTES), ...Array.from({ length: SMALL_ROWS }, () => randomBytes(SMALL_BYTES))].map((row) => new Uint8Array(row)))
const server = await startPostgresServer()
const dataDir = mkdtempSync(join(tmpdir(), 'tournee-room-read-'))
try {
  const storages: RelayStorage[] = [new SqliteStorage({ dataDir }), await PostgresStorage.open({ url: await freshDatabase(server.adminUrl, 'room_read') })]
  for (const storage of storages) await seed(storage, rows)
  const passes = new Map<string, PassFigures[]>(storages.map((storage) => [storage.kind, []]))
  // Interleaved, so that both storages see the same minutes of a shared machine.
  for (let pass = 0; pass < PASSES; pass++) {
    for (const storage of storages) passes.get(storage.kind)!.push(await readAll(storage))
  }
  for (const [kind, figures] of passes) {
    console.log(
      JSON.stringify({
        storage: kind,
        rooms: ROOMS,
        mib: +(figures[0]!.bytes / 2 ** 20).toFixed(1),
        cpuMs: Math.round(median(figures.map((f) => f.cpuMs))),
        wallMs: Math.round(median(figures.map((f) => f.wallMs))),
        cpuRuns: figures.map((f) => Math.round(f.cpuMs)),
        liveMib: LIVE_MIB,
        live: live.length,
      }),
    )
  }
  for (const storage of storages) await storage.close()
} finally {
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
