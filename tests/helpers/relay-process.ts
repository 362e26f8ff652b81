/**
 * A real relay process for cross-part tests: `tsx relay/src/main.ts` on an ephemeral loopback
 * port, with its own data folder. Restartable on the same folder (durability tests).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

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
  dispose(): Promise<void>
}

export interface RelayProcessOptions {
  env?: Record<string, string>
  dataDir?: string
  /** The script to run, from the repository's root (default relay/src/main.ts). */
  entry?: string
}

export async function startRelayProcess(options: RelayProcessOptions = {}): Promise<RelayProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tournee-relay-'))
  const logs: string[] = []
  let child: ChildProcess | null = null
  let port = 0

  const launch = async (fixedPort: number): Promise<void> => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, options.entry ?? 'relay/src/main.ts')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        TOURNEE_PORT: String(fixedPort),
        TOURNEE_HOST: '127.0.0.1',
        TOURNEE_DATA_DIR: dataDir,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    proc.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()))
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Relay did not start in 30 s:\n${logs.join('')}`)), 30_000)
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
    dispose: async () => {
      await stop('SIGKILL')
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return relay
}
