/**
 * Child processes of the bench that talk to it over IPC (edit latency's receivers, fresh device's
 * joiners): forked with tsx so they run the TypeScript sources as the bench does, with the
 * 'advanced' (structured clone) serialization so Uint8Arrays and Maps cross as they are, not as
 * JSON objects of numbered keys.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface BenchChildOptions {
  /**
   * The child's own V8 old-space limit (--max-old-space-size, MiB). Unset, the child inherits the
   * bench's NODE_OPTIONS (fork passes the environment through), so a limit given there holds in
   * every child; a command-line flag takes precedence over NODE_OPTIONS, so this one wins.
   */
  maxOldSpaceMb?: number
}

/**
 * `BENCH_CHILD_CPU_PROF=<dir>`: every bench child writes a V8 CPU profile of its whole life into
 * `<dir>` when it exits (node --cpu-prof), to see where a fresh process spends a sample's time
 * (a cold JIT included, as on a device that just opened the app).
 */
function profileFlags(): string[] {
  const dir = process.env.BENCH_CHILD_CPU_PROF
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}

export function forkBenchChild(mainFile: string, options: BenchChildOptions = {}): ChildProcess {
  const heap = options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`]
  return fork(mainFile, [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx', ...heap, ...profileFlags()],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}
