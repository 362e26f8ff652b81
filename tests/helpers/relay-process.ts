/**
 * A real relay process for cross-part tests: `tsx relay/src/main.ts` on an ephemeral loopback
 * port, with its own data folder. Restartable on the same folder (durability tests). Or the
 * production build (`compiled`: `node relay/dist/main.js`, built first by `npm run build:relay`),
 * or the relay of another checkout (`root`: the bench's « before » at a git ref).
 *
 * It stores on the storage under test (relay/src/test-support/test-storages.ts): SQLite in its
 * data folder, or, in the integration-postgres project, a fresh PostgreSQL database of the run's
 * server, the same one across restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { StorageConfig } from '../../relay/src/config'
import { silentLogger } from '../../relay/src/log'
import { openStorage } from '../../relay/src/storage/open-storage'
import type { RelayStorage } from '../../relay/src/storage/relay-storage'
import { testStorage, type TestStorage } from '../../relay/src/test-support/test-storages'

/**
 * How long a relay process may take to say it listens. A restart under `tsx` took 17 s in a CI run
 * with the suite's other projects on the same 2 cores, and 30 s was once not enough: a slow start
 * is the machine, not the relay (a relay that cannot start exits, and that is reported at once).
 */
const RELAY_START_MS = 90_000

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface RelayProcess {
  readonly url: string
  readonly port: number
  /** Process id of the running relay (the bench reads its memory and CPU time in /proc). */
  readonly pid: number
  readonly dataDir: string
  /** Every line the relay logged (to check that logs hold no patient data or credentials). */
  readonly logs: string[]
  stop(signal?: NodeJS.Signals): Promise<void>
  /**
   * Stops the relay if it runs (SIGTERM by default; SIGKILL plays a crash), then starts it again
   * on the same port and data folder.
   */
  restart(signal?: NodeJS.Signals): Promise<void>
  /** A storage on the relay's own (as a second node would open it), to read what it stored; close it after. */
  openStorage(): Promise<RelayStorage>
  dispose(): Promise<void>
}

export interface RelayProcessOptions {
  env?: Record<string, string>
  dataDir?: string
  /** The checkout whose relay runs (default: this one). */
  root?: string
  /** Run the production build, relay/dist/main.js, with plain `node` (default: the source, with tsx). */
  compiled?: boolean
  /**
   * Options for node itself, before the script (and before tsx's loader): `--cpu-prof` and the
   * like, which Node 20 refuses in NODE_OPTIONS.
   */
  nodeArgs?: string[]
}

export async function startRelayProcess(options: RelayProcessOptions = {}): Promise<RelayProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tournee-relay-'))
  const storage = await storageOf(testStorage(), dataDir)
  const logs: string[] = []
  let child: ChildProcess | null = null
  let port = 0

  const launch = async (fixedPort: number): Promise<void> => {
    const root = options.root ?? repoRoot
    const script = options.compiled ? ['--enable-source-maps', join(root, 'relay/dist/main.js')] : ['--import', 'tsx', join(root, 'relay/src/main.ts')]
    const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), ...script], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        TOURNEE_PORT: String(fixedPort),
        TOURNEE_HOST: '127.0.0.1',
        TOURNEE_DATA_DIR: dataDir,
        // The production build runs on plain node: no loader inherited from the test runner.
        ...(options.compiled ? { NODE_OPTIONS: '' } : {}),
        ...storage.env,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    proc.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()))
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Relay did not start in ${RELAY_START_MS / 1000} s:\n${logs.join('')}`)), RELAY_START_MS)
      proc.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`Relay exited with ${code} before listening:\n${logs.join('')}`))
      })
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        logs.push(line)
        try {
          const parsed = JSON.parse(line) as { event?: string; port?: number }
          if (parsed.event === 'listening' && typeof parsed.port === 'number') {
            clearTimeout(timer)
            resolve(parsed.port)
          }
        } catch {
          // Not every line must be JSON for the harness; the relay's own tests check its format.
        }
      })
    })
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const proc = child
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill(signal)
    })
    child = null
  }

  await launch(0)
  const relay: RelayProcess = {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    get pid() {
      const proc = child as ChildProcess | null
      if (!proc?.pid) throw new Error('The relay process is not running')
      return proc.pid
    },
    dataDir,
    logs,
    stop,
    // Same port, so devices reconnect to the address they know.
    restart: async (signal?: NodeJS.Signals) => {
      await stop(signal)
      await launch(port)
    },
    openStorage: () => openStorage(storage.config, dataDir, silentLogger),
    dispose: async () => {
      await stop('SIGKILL')
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return relay
}

/**
 * Where a relay process stores, and the variables that point it there: its data folder for SQLite;
 * a fresh database for PostgreSQL, which outlives the process (it goes with the run's server), so
 * that a restart finds it.
 */
async function storageOf(storage: TestStorage, dataDir: string): Promise<{ config: StorageConfig; env: Record<string, string> }> {
  if (storage.name === 'sqlite') return { config: { kind: 'sqlite' }, env: {} }
  const config = (await storage.location([])).storage
  if (config.kind !== 'postgres') return { config, env: {} }
  return {
    config,
    env: { TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: config.databaseUrl, TOURNEE_DATABASE_POOL_SIZE: String(config.poolSize), TOURNEE_DATA_DIR: dataDir },
  }
}
