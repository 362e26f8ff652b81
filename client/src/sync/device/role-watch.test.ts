/**
 * RoleWatch: one read of the registry at a time, one more after it when asked meanwhile, a failed
 * read says nothing, the narrowing found is told once and kept, and a registry handed over (the
 * online pass's read) is what the check takes.
 */
import { describe, expect, it, vi } from 'vitest'
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'
import { RegistryRead } from './registry-read'
import type { RoleChange } from './role-change'
import { RoleWatch } from './role-watch'

const NARROWED: RoleChange = { role: DeviceRole.Secretariat, until: null, notice: { role: DeviceRole.Secretariat, at: 1, by: 'admin' }, widened: false }

/** A read the test answers by hand, one at a time. */
function manualReads() {
  const pending: Array<{ resolve: (value: RoleChange | null) => void; reject: (error: Error) => void }> = []
  const read = vi.fn(() => new Promise<RoleChange | null>((resolve, reject) => pending.push({ resolve, reject })))
  return { read, pending }
}

describe('RoleWatch', () => {
  it('reads once at a time, once more when asked meanwhile, and tells the narrowing once', async () => {
    const { read, pending } = manualReads()
    const watch = new RoleWatch(read)
    const told = vi.fn()
    watch.subscribe(told)
    const first = watch.check()
    void watch.check()
    void watch.check()
    expect(read).toHaveBeenCalledTimes(1)
    pending.shift()!.resolve(null)
    await first
    await vi.waitFor(() => expect(read).toHaveBeenCalledTimes(2))
    expect(watch.get()).toBeNull()
    pending.shift()!.resolve(NARROWED)
    await vi.waitFor(() => expect(watch.get()).toEqual(NARROWED))
    expect(told).toHaveBeenCalledOnce()
    // Found: not read again.
    await watch.check()
    expect(read).toHaveBeenCalledTimes(2)
  })

  it('says nothing when the registry cannot be read, and reads at the next check', async () => {
    const { read, pending } = manualReads()
    const watch = new RoleWatch(read)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const failed = watch.check()
    pending.shift()!.reject(Object.assign(new Error('offline'), { name: 'RelayError' }))
    await failed
    expect(watch.get()).toBeNull()
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('device registry'), 'RelayError')
    warn.mockRestore()
    const again = watch.check()
    pending.shift()!.resolve(NARROWED)
    await again
    expect(watch.get()).toEqual(NARROWED)
  })

  it('takes the registry a request hands over; the read after the one under way takes the latest request’s', async () => {
    const { read, pending } = manualReads()
    const watch = new RoleWatch(read)
    const pass = new RegistryRead(async () => null)
    const later = new RegistryRead(async () => null)
    const first = watch.check(pass)
    expect(read).toHaveBeenLastCalledWith(pass)
    void watch.check(pass)
    void watch.check(later)
    pending.shift()!.resolve(null)
    await first
    await vi.waitFor(() => expect(read).toHaveBeenCalledTimes(2))
    expect(read).toHaveBeenLastCalledWith(later)
    pending.shift()!.resolve(null)
    await watch.settled()
    // A request without one (a 4403, a new epoch): the check reads for itself.
    const own = watch.check()
    expect(read).toHaveBeenLastCalledWith(undefined)
    pending.shift()!.resolve(null)
    await own
  })

  it('once its practice is closed: no warning for a read that fails, no change told, nothing read again', async () => {
    const { read, pending } = manualReads()
    let open = true
    const watch = new RoleWatch(read, () => open)
    const told = vi.fn()
    watch.subscribe(told)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      // A read under way and one asked for after it, when the practice closes.
      const failing = watch.check()
      void watch.check()
      open = false
      pending.shift()!.reject(Object.assign(new Error('offline'), { name: 'RelayError' }))
      await failing
      await watch.settled()
      expect(warn).not.toHaveBeenCalled()
      // The read asked for meanwhile is not made, nor any later one.
      await watch.check()
      expect(read).toHaveBeenCalledOnce()
      expect(pending).toEqual([])
    } finally {
      warn.mockRestore()
    }
    // A narrowing that answers after the close is not told (the app would reopen a practice it let go).
    const other = manualReads()
    let otherOpen = true
    const second = new RoleWatch(other.read, () => otherOpen)
    second.subscribe(told)
    const answering = second.check()
    otherOpen = false
    other.pending.shift()!.resolve(NARROWED)
    await answering
    expect(second.get()).toBeNull()
    expect(told).not.toHaveBeenCalled()
  })
})
