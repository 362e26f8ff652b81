/**
 * A real Redis for tests of multi-node fan-out: Debian's `redis-server` (the package `.ci/run`
 * installs) on a free loopback port, without persistence (`--save '' --appendonly no`), as
 * production runs it for the relay (docs/relay.md, « Plusieurs nœuds »). Restartable on the same
 * port, to play a Redis restart: what it held is gone, as it would be.
 *
 * A missing server is a failure, never a skip: the tests that need Redis fail with a message that
 * says what to install.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect, createServer } from 'node:net'

const REDIS_SERVER = process.env.TOURNEE_TEST_REDIS_SERVER ?? '/usr/bin/redis-server'

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Process id of the running server, or null while it is stopped (the bench reads its CPU in /proc). */
  readonly pid: number | null
  /** Stops it (SIGKILL: no goodbye to the clients) and starts it again, empty, on the same port. */
  restart(): Promise<void>
  /** Stops it; start() brings it back on the same port. */
  stop(): Promise<void>
  /** Starts it again if it is stopped. */
  start(): Promise<void>
  dispose(): Promise<void>
}

export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError'
  constructor(path: string) {
    super(`No redis-server at ${path}: install Debian's redis-server package (apt-get install redis-server), or set TOURNEE_TEST_REDIS_SERVER`)
  }
}

/** A loopback port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) throw new RedisServerMissingError(REDIS_SERVER)
  const port = await freePort()
  let child: ChildProcess | null = null
  const output: string[] = []

  const start = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return
    const proc = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning', '--dir', '/tmp'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = proc
    proc.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    proc.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    await waitForPort(port, proc, output)
  }

  const stop = async (): Promise<void> => {
    const proc = child
    child = null
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill('SIGKILL')
    })
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      const proc: ChildProcess | null = child
      return proc && proc.exitCode === null && proc.signalCode === null ? (proc.pid ?? null) : null
    },
    restart: async () => {
      await stop()
      await start()
    },
    stop,
    start,
    dispose: stop,
  }
}

/** Resolves once the server answers PING on the port; rejects if it exits first or takes over 10 s. */
async function waitForPort(port: number, proc: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}:\n${output.join('')}`)
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => socket.write('PING\r\n'))
      socket.once('data', (data) => {
        socket.destroy()
        resolve(data.toString().startsWith('+PONG'))
      })
      socket.once('error', () => resolve(false))
    })
    if (answered) return
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} in 10 s:\n${output.join('')}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
