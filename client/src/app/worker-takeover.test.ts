import { describe, expect, it } from 'vitest'
import { watchTakeovers } from './worker-takeover'

/** A container whose controller changes when the test says so, as navigator.serviceWorker's does. */
function fakeContainer(controller: string | null) {
  const listeners: Array<() => void> = []
  const container = {
    controller: controller as unknown,
    addEventListener: (_type: 'controllerchange', listener: () => void) => listeners.push(listener),
  }
  return {
    container,
    changeController: (next: string) => {
      container.controller = next
      for (const listener of listeners) listener()
    },
  }
}

describe('worker takeovers', () => {
  it('a page loaded under a worker hears of the next one taking over', () => {
    const { container, changeController } = fakeContainer('v1')
    let takeovers = 0
    watchTakeovers(container, () => (takeovers += 1))
    changeController('v2')
    expect(takeovers).toBe(1)
  })

  it('the first worker claiming the page that installed it is no takeover; the next one is', () => {
    const { container, changeController } = fakeContainer(null)
    let takeovers = 0
    watchTakeovers(container, () => (takeovers += 1))
    changeController('v1')
    expect(takeovers).toBe(0)
    changeController('v2')
    expect(takeovers).toBe(1)
  })
})
