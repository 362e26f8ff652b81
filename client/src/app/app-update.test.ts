import { describe, expect, it } from 'vitest'
import { AppUpdateStatus, createAppUpdates } from './app-update'
import type { ServiceWorkerEvents } from './app-update'

/** A service worker registration driven by the test: it fires the events a real one would. */
function fakeWorker(options: { takeOverFails?: boolean } = {}) {
  let events: ServiceWorkerEvents | null = null
  const calls = { takeOver: 0, reload: 0, warnings: [] as string[] }
  const updates = createAppUpdates({
    register: (registered) => {
      events = registered
      return async () => {
        calls.takeOver += 1
        if (options.takeOverFails) throw new Error('no waiting worker')
      }
    },
    reload: () => {
      calls.reload += 1
    },
    warn: (message) => calls.warnings.push(message),
  })
  const fire = (): ServiceWorkerEvents => {
    if (!events) throw new Error('createAppUpdates did not register the worker')
    return events
  }
  return { updates, calls, fire }
}

describe('app updates', () => {
  it('registers at once and has nothing to announce until a new worker waits', () => {
    const { updates, calls, fire } = fakeWorker()
    fire()
    expect(updates.getState().status).toBe(AppUpdateStatus.Current)
    updates.apply()
    expect(calls).toMatchObject({ takeOver: 0, reload: 0 })
  })

  it('announces a waiting worker and leaves the page alone until the tap', () => {
    const { updates, calls, fire } = fakeWorker()
    let notified = 0
    updates.subscribe(() => (notified += 1))
    fire().onNeedRefresh()
    expect(updates.getState().status).toBe(AppUpdateStatus.Available)
    expect(notified).toBe(1)
    expect(calls).toMatchObject({ takeOver: 0, reload: 0 })
  })

  it('on the tap, hands over to the new worker, then reloads once it controls the page', async () => {
    const { updates, calls, fire } = fakeWorker()
    fire().onNeedRefresh()
    updates.apply()
    expect(updates.getState().status).toBe(AppUpdateStatus.Applying)
    expect(calls.takeOver).toBe(1)
    expect(calls.reload).toBe(0)
    // A second tap while the worker takes over does not send a second message.
    updates.apply()
    expect(calls.takeOver).toBe(1)
    fire().onNeedReload()
    expect(calls.reload).toBe(1)
  })

  it('never reloads by itself when another tab applied the update: it says so and waits for a tap', () => {
    const { updates, calls, fire } = fakeWorker()
    fire().onNeedRefresh()
    fire().onNeedReload()
    expect(updates.getState().status).toBe(AppUpdateStatus.ReloadNeeded)
    expect(calls.reload).toBe(0)
    updates.apply()
    expect(calls.reload).toBe(1)
    expect(calls.takeOver).toBe(0)
  })

  it('offers the tap again when the new worker could not take over', async () => {
    const { updates, calls, fire } = fakeWorker({ takeOverFails: true })
    fire().onNeedRefresh()
    updates.apply()
    await expect.poll(() => updates.getState().status).toBe(AppUpdateStatus.Available)
    expect(calls.warnings).toEqual(['The new version of the app could not take over'])
    expect(calls.reload).toBe(0)
  })

  it('stops notifying a listener that unsubscribed', () => {
    const { updates, fire } = fakeWorker()
    let notified = 0
    const unsubscribe = updates.subscribe(() => (notified += 1))
    unsubscribe()
    fire().onNeedRefresh()
    expect(notified).toBe(0)
  })
})
