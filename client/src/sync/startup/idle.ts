/**
 * When the start-up may do work without holding up what a person sees: after the browser drew,
 * or when its thread is idle. In Node (tests, benchmarks, tools) there are no frames: the next
 * turn of the event loop.
 */

/**
 * Resolves when the thread is idle (requestIdleCallback: after the frame the browser is drawing and
 * the input it is handling, at most 1 s later), or at the next turn where there is no such thing.
 */
export function whenIdle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 1000 })
    else setTimeout(resolve, 0)
  })
}

/**
 * Resolves after the next frame the browser draws (a task queued from within it), at the latest
 * after 100 ms (a hidden page draws none), or at the next turn where there are no frames.
 */
export function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame !== 'function') return void setTimeout(resolve, 0)
    const latest = setTimeout(resolve, 100)
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(latest)
        resolve()
      }, 0),
    )
  })
}
