import { describe, expect, it } from 'vitest'
import type { RoomName } from '../../../../shared/src/space/rooms'
import { BackgroundPass } from './background-pass'

const startup = new Set<RoomName>(['main', 'agenda/2026-11'])
const index = ['agenda/2026-11', 'agenda/2026-12', 'agenda/2026-10', 'agenda/2019-03', 'files/3', 'not-a-room']

describe('BackgroundPass', () => {
  it('wants nothing until main has connected', () => {
    const pass = new BackgroundPass('2026-11-22', startup, 2)
    pass.setIndex(index)
    expect(pass.window()).toEqual([])
  })

  it('wants the first rooms in order, a few at a time, each leaving the window once live', () => {
    const pass = new BackgroundPass('2026-11-22', startup, 2)
    pass.setIndex(index)
    pass.restart()
    expect(pass.window()).toEqual(['agenda/2026-12', 'agenda/2026-10'])
    pass.observe('agenda/2026-12', { kind: 'live' })
    expect(pass.window()).toEqual(['agenda/2026-10', 'files/3'])
    pass.observe('agenda/2026-10', { kind: 'live' })
    pass.observe('files/3', { kind: 'live' })
    expect(pass.window()).toEqual(['agenda/2019-03'])
    pass.observe('agenda/2019-03', { kind: 'live' })
    expect(pass.window()).toEqual([])
    expect(pass.caughtUpRooms().sort()).toEqual(['agenda/2019-03', 'agenda/2026-10', 'agenda/2026-12', 'files/3'])
  })

  it('stops when a room of its window cannot reach the relay, and starts over from the top when main reconnects', () => {
    const pass = new BackgroundPass('2026-11-22', startup, 2)
    pass.setIndex(index)
    pass.restart()
    pass.observe('agenda/2026-12', { kind: 'live' })
    pass.window()
    pass.observe('agenda/2026-10', { kind: 'syncing', link: 'offline' })
    expect(pass.window()).toEqual([])
    pass.restart()
    // Colleagues may have written to any room meanwhile: the ones caught up before are due again.
    expect(pass.window()).toEqual(['agenda/2026-12', 'agenda/2026-10'])
  })

  it('counts a room opened by a view, once live, as caught up; never the start-up rooms', () => {
    const pass = new BackgroundPass('2026-11-22', startup, 3)
    pass.setIndex(index)
    pass.restart()
    pass.observe('agenda/2019-03', { kind: 'live' })
    pass.observe('agenda/2026-11', { kind: 'live' })
    pass.observe('main', { kind: 'live' })
    expect(pass.caughtUpRooms()).toEqual(['agenda/2019-03'])
    expect(pass.window()).toEqual(['agenda/2026-12', 'agenda/2026-10', 'files/3'])
  })

  it('never wants a room this device’s keys do not read (a secretary’s: no file shard)', () => {
    const pass = new BackgroundPass('2026-11-22', startup, 5, (room) => !room.startsWith('files/'))
    pass.setIndex(index)
    pass.restart()
    expect(pass.window()).toEqual(['agenda/2026-12', 'agenda/2026-10', 'agenda/2019-03'])
  })

  it('refuses a concurrency that is not a positive integer', () => {
    expect(() => new BackgroundPass('2026-11-22', startup, 0)).toThrow(RangeError)
  })
})
