/**
 * A real PostgreSQL server for tests, from Debian's `postgresql` package (as the browser tests use
 * Debian's Chromium): `initdb` into a temporary folder, `pg_ctl start` on a free loopback port,
 * trust authentication for one superuser `tournee`, and `fsync=off` (a test server need not
 * survive a power cut; COMMIT still waits for the WAL write, so what the relay sees is the same)
 * unless `durable` (the bench: a commit then costs what it costs in production).
 *
 * One server per test run (tests/helpers/postgres-global-setup.ts starts it and hands its admin
 * URL to the test files), one fresh database per test file or per storage location
 * (`freshDatabase`), so files running in parallel never see each other's rows.
 *
 * initdb refuses to run as root, and CI runs as root: then every server command runs as the
 * `postgres` user that Debian's package creates (runuser), in a folder handed to that user.
 * Missing binaries are an error that names the package, never a skipped test.
 */
import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)

/** Where Debian installs each major version's server binaries. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql'
const SUPERUSER = 'tournee'

export class PostgresServerMissingError extends Error {
  override name = 'PostgresServerMissingError'
}

export interface PostgresServer {
  /** Superuser URL of the `postgres` database: for creating and dropping test databases. */
  readonly adminUrl: string
  readonly port: number
  /** Process id of the postmaster (its backends are its children: the bench reads their CPU in /proc). */
  pid(): number
  stop(): Promise<void>
}

export interface PostgresServerOptions {
  /**
   * fsync and full-page writes on, as a production server runs (default off: a test server need
   * not survive a power cut). The bench's latency and CPU figures use it: a commit then waits for
   * its WAL flush, as the relay's ACK does in production.
   */
  durable?: boolean
}

/** The bin folder of the newest PostgreSQL installed (TOURNEE_POSTGRES_BIN overrides). */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.TOURNEE_POSTGRES_BIN
  const candidates = explicit
    ? [explicit]
    : existsSync(DEBIAN_POSTGRES_ROOT)
      ? readdirSync(DEBIAN_POSTGRES_ROOT)
          .filter((name) => /^\d+$/.test(name))
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => join(DEBIAN_POSTGRES_ROOT, version, 'bin'))
      : []
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))
  if (found === undefined) {
    throw new PostgresServerMissingError(
      `No PostgreSQL server binaries (initdb, pg_ctl) in ${explicit ?? `${DEBIAN_POSTGRES_ROOT}/*/bin`}: install Debian's postgresql package (apt-get install postgresql), or set TOURNEE_POSTGRES_BIN`,
    )
  }
  return found
}

export async function startPostgresServer(serverOptions: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir()
  const asRoot = userInfo().uid === 0
  const folder = mkdtempSync(join(tmpdir(), 'tournee-pg-'))
  const dataDir = join(folder, 'data')
  const logFile = join(folder, 'server.log')
  // Run a server binary as ourselves, or as `postgres` when we are root (initdb refuses root).
  const server = async (tool: string, args: string[]): Promise<void> => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
    await run(file, argv, { cwd: folder, timeout: 60_000 })
  }
  if (asRoot) {
    const { uid, gid } = await postgresUser()
    chownSync(folder, uid, gid)
  }
  const port = await freeLoopbackPort()
  try {
    await server('initdb', ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C'])
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${folder}`,
      ...(serverOptions.durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
      '-c max_connections=300',
    ].join(' ')
    await server('pg_ctl', ['start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', options])
  } catch (error) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''
    rmSync(folder, { recursive: true, force: true })
    throw new Error(`PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n${log}`, { cause: error })
  }
  let stopped = false
  return {
    adminUrl: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
    port,
    pid() {
      // The first line of postmaster.pid (PostgreSQL's own lock file) is the postmaster's pid.
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`PostgreSQL's postmaster.pid in ${dataDir} names no process`)
      return pid
    },
    async stop() {
      if (stopped) return
      stopped = true
      await server('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']).catch(() => undefined)
      rmSync(folder, { recursive: true, force: true })
    },
  }
}

/** A new, empty database on the server; its URL (same superuser). */
export async function freshDatabase(adminUrl: string, label = 'test'): Promise<string> {
  const name = `${label.toLowerCase().replace(/[^a-z0-9]/g, '_').slice(0, 30)}_${Math.random().toString(36).slice(2, 10)}`
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Runs `sql` on the server as its superuser (to refuse connections, end sessions…). */
export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']).catch(() => {
    throw new PostgresServerMissingError('No `postgres` user: install Debian\'s postgresql package (apt-get install postgresql), which creates it')
  })
  const { stdout: gid } = await run('id', ['-g', 'postgres'])
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}
