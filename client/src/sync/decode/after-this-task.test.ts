import { describe, expect, it } from 'vitest'
import { afterQueuedTasks, afterThisTask, subscribeAfterTask } from './after-this-task'

describe('afterThisTask', () => {
  it('runs a callback after this task and its microtasks, once however often it was asked for', async () => {
    const seen: string[] = []
    const render = () => seen.push('render')
    afterThisTask(render)
    afterThisTask(render)
    await Promise.resolve()
    seen.push('microtask')
    expect(seen).toEqual(['microtask'])
    await afterQueuedTasks()
    expect(seen).toEqual(['microtask', 'render'])
    // Asked again later: runs again.
    afterThisTask(render)
    await afterQueuedTasks()
    expect(seen).toEqual(['microtask', 'render', 'render'])
  })

  it('runs a callback asked for while the queue runs in a later task', async () => {
    const seen: string[] = []
    afterThisTask(() => {
      seen.push('first')
      afterThisTask(() => seen.push('second'))
    })
    await afterQueuedTasks()
    expect(seen).toEqual(['first'])
    await afterQueuedTasks()
    expect(seen).toEqual(['first', 'second'])
  })

  it('tells a subscriber from a later task, once per batch, and never after it unsubscribed', async () => {
    const listeners = new Set<() => void>()
    const subscribe = subscribeAfterTask((listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    })
    let heard = 0
    const off = subscribe(() => heard++)
    for (const listener of listeners) listener()
    for (const listener of listeners) listener()
    expect(heard).toBe(0)
    await afterQueuedTasks()
    expect(heard).toBe(1)
    for (const listener of listeners) listener()
    off()
    await afterQueuedTasks()
    expect(heard).toBe(1)
    expect(listeners.size).toBe(0)
  })
})
