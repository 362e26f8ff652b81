/**
 * RegistryRead: one read for every step that asks, none before the first asks, a failed read
 * not kept, and a registry that moved read again.
 */
import { describe, expect, it, vi } from 'vitest'
import { emptyRegistry } from '../../../../shared/src/devices/registry-chain'
import type { PracticeDevices } from './practice-devices'
import { RegistryRead } from './registry-read'

function devices(length: number): PracticeDevices {
  return { state: { ...emptyRegistry('space'), length }, entries: Array.from({ length }, (_, i) => ({ seq: i })), lastSeen: new Map() }
}

describe('RegistryRead', () => {
  it('reads once, when first asked, for every step that asks; again once told the registry moved', async () => {
    let served = 2
    const load = vi.fn(async () => devices(served))
    const read = new RegistryRead(load)
    expect(load).not.toHaveBeenCalled()
    expect(read.inHand()).toBeUndefined()
    const [a, b] = await Promise.all([read.get(), read.get()])
    expect(await read.get()).toBe(a)
    expect(b).toBe(a)
    expect(load).toHaveBeenCalledTimes(1)
    expect(read.inHand()).toBe(a)
    // A step appended an entry (or met a 409): what asks next reads it again.
    served = 3
    read.moved()
    expect(read.inHand()).toBeUndefined()
    expect((await read.get())?.entries).toHaveLength(3)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('keeps no failed read: the next step to ask tries again', async () => {
    const load = vi.fn<() => Promise<PracticeDevices | null>>().mockRejectedValueOnce(Object.assign(new Error('offline'), { name: 'RelayError' })).mockResolvedValueOnce(null)
    const read = new RegistryRead(load)
    await expect(read.get()).rejects.toThrow('offline')
    expect(read.inHand()).toBeUndefined()
    // A practice without a registry: null, in hand.
    expect(await read.get()).toBeNull()
    expect(read.inHand()).toBeNull()
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('a read under way when the registry moved is not the one kept', async () => {
    let resolveFirst: (value: PracticeDevices) => void = () => undefined
    const load = vi.fn<() => Promise<PracticeDevices | null>>().mockReturnValueOnce(new Promise((resolve) => (resolveFirst = resolve))).mockResolvedValueOnce(devices(4))
    const read = new RegistryRead(load)
    const first = read.get()
    read.moved()
    const second = read.get()
    resolveFirst(devices(3))
    expect((await first)?.entries).toHaveLength(3)
    expect((await second)?.entries).toHaveLength(4)
    expect(read.inHand()?.entries).toHaveLength(4)
  })
})
