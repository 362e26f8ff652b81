/**
 * What a room's admission costs the relay (`storage.admitRoom`, once per sync socket: every room a
 * joining or reconnecting device opens), on SQLite and on PostgreSQL, in this process (issue 22,
 * docs/performance.md « (17g) »). A fresh device's join of a 10 × 10 practice opens ≈1,900 rooms,
 * all known to the relay.
 *
 *   npx tsx tests/bench/room-admission-main.ts [--rooms=500] [--passes=5]
 *
 * Each pass admits every (known) room once per storage, one after the other as a joining device's
 * sockets do, timed in CPU (user + system of this process: the relay's share; PostgreSQL's own is
 * in its server's processes) and wall time. Prints one JSON line per storage with the median of
 * the passes. (That a known room's admission no longer waits for the appends holding the space's
 * lock is a test: postgres.test.ts.)
 */
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

const ROOMS = option('rooms', 500)
const PASSES = option('passes', 5)
const SPACE = 'space-room-admission'

interface PassFigures {
  cpuMs: number
  wallMs: number
}

async function admitAll(storage: RelayStorage): Promise<PassFigures> {
  const cpu = process.cpuUsage()
  const start = performance.now()
  for (let index = 0; index < ROOMS; index++) {
    if ((await storage.admitRoom(SPACE, `room-${index}`, 10_000)) !== 'admitted') throw new Error(`room-${index} was not admitted`)
  }
  const used = process.cpuUsage(cpu)
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start }
}

const server = await startPostgresServer()
const dataDir = mkdtempSync(join(tmpdir(), 'tournee-room-admission-'))
try {
  const storages: RelayStorage[] = [new SqliteStorage({ dataDir }), await PostgresStorage.open({ url: await freshDatabase(server.adminUrl, 'room_admission') })]
  for (const storage of storages) {
    await storage.createSpace(SPACE, new Uint8Array(32).fill(7))
    for (let index = 0; index < ROOMS; index++) await storage.admitRoom(SPACE, `room-${index}`, 10_000)
  }
  const passes = new Map<string, PassFigures[]>(storages.map((storage) => [storage.kind, []]))
  // Interleaved, so that both storages see the same minutes of a shared machine.
  for (let pass = 0; pass < PASSES; pass++) {
    for (const storage of storages) passes.get(storage.kind)!.push(await admitAll(storage))
  }
  for (const [kind, figures] of passes) {
    console.log(
      JSON.stringify({
        storage: kind,
        rooms: ROOMS,
        cpuUsPerAdmission: Math.round((median(figures.map((f) => f.cpuMs)) * 1000) / ROOMS),
        wallUsPerAdmission: Math.round((median(figures.map((f) => f.wallMs)) * 1000) / ROOMS),
        cpuRunsMs: figures.map((f) => Math.round(f.cpuMs)),
        wallRunsMs: figures.map((f) => Math.round(f.wallMs)),
      }),
    )
  }
  for (const storage of storages) await storage.close()
} finally {
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
