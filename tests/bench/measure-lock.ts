/**
 * `--measure-lock=<file>`: a scenario takes this flock(1) lock around what it measures only, and
 * runs its unmeasured setup without it. The machine's heavy jobs queue on one lock file
 * (/tmp/tournee-chromium.lock); a setup of 10 × 10 years takes a quarter of an hour per storage,
 * during which nothing is timed, and holding the lock through it would stall every other session.
 *
 * The lock is held by a `flock <file> sh -c …` child that announces it holds it and then waits
 * for its stdin to close: released by closing it, and released by the kernel if the bench dies
 * (the pipe closes with it), so a crashed bench never leaves the lock held.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface HeldLock {
  /** Waits for the lock time, ms: what the measurement queued behind others. */
  readonly waitedMs: number
  release(): Promise<void>
}

export class MeasureLockError extends Error {
  override name = 'MeasureLockError'
}

const HELD = 'tournee-measure-lock-held'

export async function holdMeasureLock(file: string): Promise<HeldLock> {
  const started = performance.now()
  // `cat` exits when stdin closes, and flock releases the lock when its command exits.
  const child = spawn('flock', [file, 'sh', '-c', `echo ${HELD}; exec cat >/dev/null`], { stdio: ['pipe', 'pipe', 'pipe'] })
  const errors: string[] = []
  child.stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new MeasureLockError(`flock could not run: ${error.message}`)))
    child.once('exit', (code) => reject(new MeasureLockError(`flock ${file} exited (${code}) before holding the lock: ${errors.join('')}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === HELD) resolve()
    })
  })
  const waitedMs = performance.now() - started
  return {
    waitedMs,
    release: async () => {
      child.stdin.end()
      await exited
    },
  }
}

/** Runs `measure` holding the lock when a file is given, without it otherwise. */
export async function underMeasureLock<T>(file: string | undefined, log: (line: string) => void, measure: () => Promise<T>): Promise<T> {
  if (file === undefined) return measure()
  log(`  waiting for the measure lock ${file}`)
  const lock = await holdMeasureLock(file)
  log(`  measure lock held (waited ${Math.round(lock.waitedMs / 1000)} s)`)
  try {
    return await measure()
  } finally {
    await lock.release()
  }
}
