import { describe, expect, it } from 'vitest'
import type { RoomState } from '../rooms/room'
import { UnacknowledgedRooms } from './unacknowledged-rooms'

function state(phase: 'live' | 'syncing', pendingChanges: number, queuedWrites = false): RoomState {
  return { phase: { kind: phase }, pendingChanges, queuedWrites } as unknown as RoomState
}

describe('UnacknowledgedRooms', () => {
  it('remembers a room written into until it is live with nothing pending, across a reload', async () => {
    const name = `unacked-${Math.random().toString(36).slice(2)}`
    const first = new UnacknowledgedRooms(name)
    await first.load()
    expect(first.list()).toEqual([])
    first.add('files/9')
    first.add('agenda/2026-12')
    first.add('files/9')
    await first.close()

    const reloaded = new UnacknowledgedRooms(name)
    await reloaded.load()
    expect([...reloaded.list()].sort()).toEqual(['agenda/2026-12', 'files/9'])
    // Still syncing, or live with changes pending or queued: kept.
    reloaded.settle(new Map([['files/9', state('syncing', 0)], ['agenda/2026-12', state('live', 2)]]))
    reloaded.settle(new Map([['agenda/2026-12', state('live', 0, true)]]))
    expect([...reloaded.list()].sort()).toEqual(['agenda/2026-12', 'files/9'])
    reloaded.settle(new Map([['files/9', state('live', 0)]]))
    expect(reloaded.list()).toEqual(['agenda/2026-12'])
    await reloaded.close()

    const again = new UnacknowledgedRooms(name)
    await again.load()
    expect(again.list()).toEqual(['agenda/2026-12'])
    await again.close()
  })

  it('ignores what is not a list of room names', async () => {
    const name = `unacked-${Math.random().toString(36).slice(2)}`
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open(`${name}-unacknowledged`, 1)
      request.onupgradeneeded = () => request.result.createObjectStore('rooms')
      request.onsuccess = () => {
        const tx = request.result.transaction('rooms', 'readwrite')
        tx.objectStore('rooms').put(['files/9', 'not a room', 42, '../etc'], 'current')
        tx.oncomplete = () => (request.result.close(), resolve())
        tx.onabort = () => reject(tx.error)
      }
      request.onerror = () => reject(request.error)
    })
    const rooms = new UnacknowledgedRooms(name)
    await rooms.load()
    expect(rooms.list()).toEqual(['files/9'])
    await rooms.close()
  })
})
