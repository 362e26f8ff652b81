/**
 * The big practice of issue 17 on a real relay's disk: 20,000 patients × 24 months × 3
 * practitioners by default, seeded as `npm run seed-demo` seeds a practice (seed-demo.ts: a Node
 * device joins with the pairing code and writes the generated practice through the model API),
 * into a practice a first device created, which then publishes both digests as a synced device
 * does. Seeding takes minutes, so the relay's data folder is kept in a cache folder keyed by the
 * seed, the sizes, today's date (the demo's months and the week digest are around today) and
 * CACHE_FORMAT; a run copies it, so the cached folder is never written by a relay.
 *
 *   <cache>/big-practice-<key>/relay/        the relay's data folder (SQLite), after a graceful stop
 *   <cache>/big-practice-<key>/space.json    what a pairing code holds but the relay URL, mode 0600:
 *                                            the demo practice's key, nobody's patients
 *
 * The cache is `$TOURNEE_BENCH_CACHE` or `<tmpdir>/tournee-bench-cache`.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { z } from 'zod'
import { SQLITE_FILE_NAME } from '../../relay/src/storage/sqlite-storage'
import { createPractice, getPairingCode } from '../../client/src/sync/device/device'
import { fromBase64Url, toBase64Url } from '../../shared/src/crypto/base64url'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { administratorPairing, decodePairingCode, encodePairingCode } from '../../shared/src/space/pairing-code'
import { startRelayProcess, type RelayProcess } from '../helpers/relay-process'
import { benchEnvironment, deleteDeviceDatabases } from './bench-device'
import { seedDemo, type DemoSize } from './seed-demo'
import { grantCode, joinByCode } from '../helpers/pairing-ticket'

/** Bump when what is seeded changes shape (generator, model, storage): old folders are ignored. */
// 2: a compaction writes a big snapshot as chunks (the directory: ≈30 entries, was one of 15.5 MB).
// 3: the chunks written in Yjs's client order (the data of 2 loses structs when merged).
// 4: keys by tier and room ids carrying their tier (issue 19): the data of 3 no longer opens.
const CACHE_FORMAT = 5

export type BigPracticeSize = DemoSize

export const BIG_PRACTICE: BigPracticeSize = { practitioners: 3, patients: 20_000, months: 24, seed: 20_261_123 }

export interface SeededSpace {
  readonly spaceId: string
  readonly practiceName: string
  readonly credential: string
  readonly rootSecret: string
  /**
   * A device of the practice's registry granted by its creator (tests/helpers/pairing-ticket.ts
   * `grantCode`, its relay URL that of the seeding relay): what accepts a new device's code in the
   * Chromium join, as an administrator's tablet would (format 5).
   */
  readonly adminCode: string
}

export interface SeededPractice {
  /** A copy of the seeded data folder, for one relay; deleted by dispose(). */
  readonly relay: RelayProcess
  /** The pairing code for that relay. */
  readonly code: string
  /** A registered administrator device for that relay (`grantCode`'s form, for `joinByCode`). */
  readonly adminCode: string
  readonly fromCache: boolean
  readonly setupMs: number
  /** Rooms the relay holds for the practice: a device holds everything once it has them all. */
  readonly rooms: number
  /** Stops the relay and deletes its copy of the data. */
  dispose(): Promise<void>
}

const SpaceRecord = z.object({ spaceId: z.string(), practiceName: z.string(), credential: z.string(), rootSecret: z.string(), adminCode: z.string() })

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.TOURNEE_BENCH_CACHE ?? join(tmpdir(), 'tournee-bench-cache')
}

export function cacheKey(size: BigPracticeSize, today: string): string {
  return `big-practice-v${CACHE_FORMAT}-s${size.seed}-${size.practitioners}x${size.patients}x${size.months}-${today}`
}

/** Seeds the practice into a fresh relay's folder and keeps it under `dir` (relay/, space.json). */
async function seed(dir: string, size: BigPracticeSize, log: (line: string) => void): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tournee-big-seed-'))
  const relay = await startRelayProcess({ dataDir: join(work, 'relay') })
  const envA = benchEnvironment('big-a')
  const envSeeder = benchEnvironment('big-seeder')
  try {
    const a = await createPractice(
      { relayUrl: relay.url, practiceName: 'Cabinet de kinésithérapie des Pentes', practitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } },
      envA,
    )
    // The seeder is a device of the practice's registry, as every writer must be (its entries signed).
    const code = await grantCode(a.record.spaceId, envA)
    const result = await seedDemo((env) => joinByCode(code, env), size, envSeeder, log)
    log(`  seeded ${result.written.patientIds.length} patients, ${result.written.appointments} appointments, ${result.written.patientDocIds.length} files`)
    // What a synced device of the practice does within its publish interval (digest-sync.ts).
    await a.space.openDoc(DIRECTORY_DOC_ID)
    await a.space.whenAcknowledged(300_000)
    await a.space.publishDirectoryDigest()
    await a.space.publishWeekDigest()
    await a.space.destroy()
    const adminCode = await grantCode(a.record.spaceId, envA)
    const info = decodePairingCode(await getPairingCode(a.record.spaceId, envA))
    const space: SeededSpace = { spaceId: info.spaceId, practiceName: info.practiceName, credential: info.credential, rootSecret: toBase64Url(info.rootSecret!), adminCode }
    // A graceful stop: the relay persists and closes its database.
    await relay.stop()
    const staging = `${dir}.partial-${process.pid}`
    rmSync(staging, { recursive: true, force: true })
    mkdirSync(staging, { recursive: true })
    cpSync(join(work, 'relay'), join(staging, 'relay'), { recursive: true })
    writeFileSync(join(staging, 'space.json'), JSON.stringify(space), { mode: 0o600 })
    chmodSync(join(staging, 'space.json'), 0o600)
    renameSync(staging, dir)
  } finally {
    await relay.dispose()
    await deleteDeviceDatabases(envA)
    await deleteDeviceDatabases(envSeeder)
    rmSync(work, { recursive: true, force: true })
  }
}

/** A granted device's code (`grantCode`) pointed at `relayUrl`: each run's relay has its own port. */
function onRelay(adminCode: string, relayUrl: string): string {
  const granted = JSON.parse(adminCode) as { code: string }
  return JSON.stringify({ ...granted, code: encodePairingCode({ ...decodePairingCode(granted.code), relayUrl }) })
}

/**
 * The seeded practice on a relay of its own (a copy of the cached folder, seeded first if
 * missing), serving `relayEnv` (the built app). One call per app build measured.
 */
export async function startSeededRelay(
  size: BigPracticeSize,
  today: string,
  relayEnv: Record<string, string>,
  log: (line: string) => void,
): Promise<SeededPractice> {
  const started = performance.now()
  const root = cacheRoot()
  mkdirSync(root, { recursive: true })
  const dir = join(root, cacheKey(size, today))
  const fromCache = existsSync(join(dir, 'space.json'))
  if (!fromCache) {
    log(`  seeding ${size.patients} patients × ${size.months} months × ${size.practitioners} practitioners (cached in ${dir})`)
    await seed(dir, size, log)
  }
  const space = SpaceRecord.parse(JSON.parse(readFileSync(join(dir, 'space.json'), 'utf8')))
  const dataDir = mkdtempSync(join(tmpdir(), 'tournee-big-relay-'))
  cpSync(join(dir, 'relay'), dataDir, { recursive: true })
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true })
  const { rooms } = db.prepare('SELECT COUNT(*) AS rooms FROM rooms WHERE space_id = ?').get(space.spaceId) as { rooms: number }
  db.close()
  const relay = await startRelayProcess({ dataDir, env: relayEnv })
  const code = encodePairingCode(
    await administratorPairing({ relayUrl: relay.url, spaceId: space.spaceId, practiceName: space.practiceName, credential: space.credential }, fromBase64Url(space.rootSecret)),
  )
  const dispose = async () => {
    await relay.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  }
  return { relay, code, adminCode: onRelay(space.adminCode, relay.url), fromCache, setupMs: performance.now() - started, rooms, dispose }
}
