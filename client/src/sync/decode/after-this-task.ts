/**
 * Runs callbacks in a task of their own, soon after the current one, each once however often it
 * was asked for meanwhile.
 *
 * Why: a view's store tells React of a change by calling its listener, and React renders a
 * `useSyncExternalStore` change synchronously, in the task that changed the store. When that task
 * is one slice of a big sync being applied (a directory of 20,000 patients arrives as ≈ 27 slices,
 * each one task), the slice and the render it causes added up to tasks of 124–166 ms. Told from a
 * task of their own, the views render between two slices, and once for every change that arrived
 * since they last rendered rather than once per slice. A person's own edits are not deferred
 * (doc-snapshot.ts): a controlled input must see its doc in the same task.
 */

import { yieldToMain } from './main-thread'

const queued = new Set<() => void>()
let scheduled = false

export function afterThisTask(callback: () => void): void {
  queued.add(callback)
  if (scheduled) return
  scheduled = true
  // A task of its own: the page's way of giving the thread back (main-thread.ts).
  void yieldToMain().then(flush)
}

function flush(): void {
  scheduled = false
  const callbacks = [...queued]
  queued.clear()
  for (const callback of callbacks) callback()
}

/**
 * `subscribe` with its listener told from a task of its own (once per batch), never after the
 * subscription ended: for views of stores that change in the task of a sync's slice (the
 * practice's sync state, its rooms' freshness).
 */
export function subscribeAfterTask(subscribe: (listener: () => void) => () => void): (listener: () => void) => () => void {
  return (listener) => {
    let active = true
    const deferred = () => {
      if (active) listener()
    }
    const off = subscribe(() => afterThisTask(deferred))
    return () => {
      active = false
      off()
    }
  }
}

/** Resolves once the callbacks asked for so far have run (tests, tools). */
export function afterQueuedTasks(): Promise<void> {
  return new Promise((resolve) => afterThisTask(resolve))
}
