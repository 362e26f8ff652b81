import { describe, expect, it } from 'vitest'
import { InputPause, yieldToMain } from './main-thread'

/**
 * An injected clock and sleep: the pause's waits are read, never slept. `typing`: a keystroke
 * lands 10 ms before each wait ends (a person who never pauses).
 */
function setUp(options: { quietMs?: number; maxWaitMs?: number; typing?: boolean } = {}) {
  let now = 1_000
  const slept: number[] = []
  const target = new EventTarget()
  const pause = new InputPause({
    target,
    now: () => now,
    yieldNow: () => Promise.resolve(),
    sleep: async (ms) => {
      slept.push(ms)
      now += ms - 10
      if (options.typing) target.dispatchEvent(new Event('input'))
      now += 10
    },
    ...(options.quietMs === undefined ? {} : { quietMs: options.quietMs }),
    ...(options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs }),
  })
  return { pause, slept, target, advance: (ms: number) => (now += ms) }
}

describe('giving the main thread back', () => {
  it('yields (a task in the browser, a timer in Node) and resolves', async () => {
    await expect(yieldToMain()).resolves.toBeUndefined()
  })

  it('goes on at once while nobody interacts', async () => {
    const { pause, slept } = setUp()
    await pause.next()
    expect(slept).toEqual([])
  })

  it('waits until a person has paused for quietMs after their last input', async () => {
    const { pause, slept, target, advance } = setUp({ quietMs: 250 })
    target.dispatchEvent(new Event('keydown'))
    advance(100)
    await pause.next()
    expect(slept).toEqual([150])
  })

  it('waits maxWaitMs at most: integration ends even while a person keeps typing', async () => {
    const { pause, slept, target } = setUp({ quietMs: 250, maxWaitMs: 600, typing: true })
    target.dispatchEvent(new Event('input'))
    await pause.next()
    expect(slept.length).toBeGreaterThan(1)
    expect(slept.reduce((a, b) => a + b, 0)).toBe(600)
  })

  it('stops listening once disposed', async () => {
    const { pause, slept, target } = setUp()
    pause.dispose()
    target.dispatchEvent(new Event('pointerdown'))
    await pause.next()
    expect(slept).toEqual([])
  })
})
