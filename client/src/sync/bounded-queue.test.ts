import { describe, expect, it } from 'vitest'
import { runBounded, type QueueVerdict } from './bounded-queue'

/** Work whose completion the test controls, one promise per item. */
function controlled() {
  const started: number[] = []
  const finishers = new Map<number, (verdict: QueueVerdict | Error) => void>()
  let inFlight = 0
  let maxInFlight = 0
  const work = (item: number) =>
    new Promise<QueueVerdict>((resolve, reject) => {
      started.push(item)
      inFlight += 1
      maxInFlight = Math.max(maxInFlight, inFlight)
      finishers.set(item, (verdict) => {
        inFlight -= 1
        if (verdict instanceof Error) reject(verdict)
        else resolve(verdict)
      })
    })
  const finish = async (item: number, verdict: QueueVerdict | Error = 'next') => {
    await expect.poll(() => finishers.has(item)).toBe(true)
    finishers.get(item)!(verdict)
  }
  return { started, work, finish, maxInFlight: () => maxInFlight }
}

describe('runBounded', () => {
  it('starts items in order, never more than the concurrency at once, the next as soon as one ends', async () => {
    const c = controlled()
    const done = runBounded([1, 2, 3, 4, 5, 6], 3, c.work)
    await expect.poll(() => c.started).toEqual([1, 2, 3])
    await c.finish(2)
    await expect.poll(() => c.started).toEqual([1, 2, 3, 4])
    for (const item of [1, 3, 4, 5, 6]) await c.finish(item)
    await done
    expect(c.started).toEqual([1, 2, 3, 4, 5, 6])
    expect(c.maxInFlight()).toBe(3)
  })

  it('takes no further item after a stop, and lets those in flight finish', async () => {
    const c = controlled()
    const done = runBounded([1, 2, 3, 4, 5], 2, c.work)
    await c.finish(1, 'stop')
    await c.finish(2)
    await done
    expect(c.started).toEqual([1, 2])
  })

  it('rethrows the first error once the items in flight have finished', async () => {
    const c = controlled()
    let settled = false
    const done = runBounded([1, 2, 3], 2, c.work).finally(() => (settled = true))
    await c.finish(1, new Error('salle refusée'))
    await Promise.resolve()
    expect(settled).toBe(false)
    await c.finish(2)
    await expect(done).rejects.toThrow('salle refusée')
    expect(c.started).toEqual([1, 2])
  })

  it('does nothing on an empty list, and refuses a concurrency below one', async () => {
    await runBounded([], 3, () => Promise.reject(new Error('never called')))
    await expect(runBounded([1], 0, () => Promise.resolve('next'))).rejects.toBeInstanceOf(RangeError)
  })
})
