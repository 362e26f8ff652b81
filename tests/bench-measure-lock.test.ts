/**
 * The bench's measure lock (tests/bench/measure-lock.ts) against the real flock(1): held means
 * another flock on the same file cannot take it; released means it can; a bench that dies while
 * holding it leaves it free.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { holdMeasureLock, underMeasureLock } from './bench/measure-lock'

/** Whether another process could take the lock now (flock -n: fail at once rather than wait). */
function free(file: string): boolean {
  return spawnSync('flock', ['-n', file, 'true']).status === 0
}

describe('measure lock', () => {
  const dirs: string[] = []
  const lockFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'measure-lock-'))
    dirs.push(dir)
    return join(dir, 'bench.lock')
  }
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('holds the lock until released', async () => {
    const file = lockFile()
    const lock = await holdMeasureLock(file)
    expect(free(file)).toBe(false)
    await lock.release()
    expect(free(file)).toBe(true)
  })

  it('holds it only around the measurement, and releases it when the measurement throws', async () => {
    const file = lockFile()
    const seen: boolean[] = []
    await expect(
      underMeasureLock(file, () => undefined, async () => {
        seen.push(free(file))
        throw new Error('measurement failed')
      }),
    ).rejects.toThrow('measurement failed')
    expect(seen).toEqual([false])
    expect(free(file)).toBe(true)
  })

  it('waits while another process holds the lock', async () => {
    const file = lockFile()
    const other = await holdMeasureLock(file)
    let held = false
    const waiting = holdMeasureLock(file).then((lock) => {
      held = true
      return lock
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(held).toBe(false)
    await other.release()
    const lock = await waiting
    expect(held).toBe(true)
    await lock.release()
  })
})
