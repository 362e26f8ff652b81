/**
 * Work over a list in its order, a few items at a time: the bench opens a practice's
 * rooms this way, so ten years of rooms cost ~N/concurrency handshake round trips instead of N,
 * while the device never holds more than `concurrency` of them syncing at once.
 */

/** What one item's work may say: carry on, or take no further item (the network went away). */
export type QueueVerdict = 'next' | 'stop'

/**
 * Runs `work` on `items` in order with at most `concurrency` in flight. Resolves when every
 * started item has finished; items not started after a 'stop' or an error are left. The first
 * error is rethrown once the items in flight have finished.
 */
export async function runBounded<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<QueueVerdict>): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`Concurrency must be a positive integer, got ${concurrency}`)
  let next = 0
  let stopped = false
  const failures: unknown[] = []
  const worker = async (): Promise<void> => {
    while (!stopped && next < items.length) {
      const item = items[next++]!
      try {
        if ((await work(item)) === 'stop') stopped = true
      } catch (error) {
        stopped = true
        failures.push(error)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  if (failures.length > 0) throw failures[0]
}
