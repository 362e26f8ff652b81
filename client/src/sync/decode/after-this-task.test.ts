import { describe, expect, it } from 'vitest'
import { afterQueuedTasks, afterThisTask } from './after-this-task'

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
})
