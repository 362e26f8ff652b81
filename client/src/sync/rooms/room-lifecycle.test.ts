import { describe, expect, it } from 'vitest'
import { CLOSED, isLoaded, isSettled, LifecycleError, nextPhase, type RoomEvent, type RoomPhase } from './room-lifecycle'

const loading: RoomPhase = { kind: 'loading' }
const deferred: RoomPhase = { kind: 'syncing', link: 'deferred' }
const disconnected: RoomPhase = { kind: 'syncing', link: 'disconnected' }
const connecting: RoomPhase = { kind: 'syncing', link: 'connecting' }
const exchanging: RoomPhase = { kind: 'syncing', link: 'exchanging' }
const offline: RoomPhase = { kind: 'syncing', link: 'offline' }
const live: RoomPhase = { kind: 'live' }
const refused: RoomPhase = { kind: 'refused', reason: 'unauthorized' }
const idle: RoomPhase = { kind: 'idle' }
const released: RoomPhase = { kind: 'released' }

const ev = (type: RoomEvent['type']): RoomEvent => (type === 'refused' ? { type, reason: 'too-many-rooms' } : ({ type } as RoomEvent))

describe('room lifecycle', () => {
  it.each<[string, RoomPhase, RoomEvent['type'], RoomPhase]>([
    ['a room is loaded on demand', CLOSED, 'open', loading],
    ['once loaded it waits for the word to connect', loading, 'loaded', deferred],
    ['a load that fails leaves nothing open', loading, 'load-failed', CLOSED],
    ['told to connect, it opens a socket', deferred, 'connecting', connecting],
    ['the socket opens: the handshake starts', connecting, 'socket-open', exchanging],
    ['the relay’s answer applied: live', exchanging, 'synced', live],
    ['a live socket that drops: offline, a retry scheduled', live, 'link-lost', offline],
    ['a socket that never opened: offline too', connecting, 'link-lost', offline],
    ['the retry opens a socket', offline, 'connecting', connecting],
    ['the practice goes offline on purpose', live, 'disconnect', disconnected],
    ['the socket closed on purpose stays disconnected', disconnected, 'link-lost', disconnected],
    ['a deferred room’s socket closing keeps it deferred', deferred, 'link-lost', deferred],
    ['a refusal stops it', exchanging, 'refused', { kind: 'refused', reason: 'too-many-rooms' }],
    ['a refusal stands through a late close', refused, 'link-lost', refused],
    ['a refusal stands when told to connect again by policy', refused, 'disconnect', refused],
    ['until someone retries', refused, 'retry', deferred],
    ['a room no longer wanted lets go of its socket', live, 'unwant', idle],
    ['a refused room may be let go too', refused, 'unwant', idle],
    ['an offline room too', offline, 'unwant', idle],
    ['the socket’s close after letting go changes nothing', idle, 'link-lost', idle],
    ['then it is released', idle, 'released', released],
  ])('%s', (_label, from, type, to) => {
    expect(nextPhase(from, ev(type))).toEqual(to)
  })

  it('returns the same phase object for an event that changes nothing', () => {
    expect(nextPhase(disconnected, ev('disconnect'))).toBe(disconnected)
    expect(nextPhase(refused, ev('link-lost'))).toBe(refused)
    expect(nextPhase(live, ev('retry'))).toBe(live)
  })

  it.each<[RoomPhase, RoomEvent['type']]>([
    [CLOSED, 'synced'],
    [CLOSED, 'loaded'],
    [loading, 'open'],
    [loading, 'synced'],
    [live, 'open'],
    [live, 'released'],
    [refused, 'synced'],
    [idle, 'connecting'],
    [idle, 'synced'],
    [idle, 'retry'],
    [released, 'open'],
    [released, 'released'],
  ])('refuses what cannot happen: %j on %s', (from, type) => {
    expect(nextPhase(from, ev(type))).toBeInstanceOf(LifecycleError)
  })

  it('tells loaded rooms and settled rooms', () => {
    expect([CLOSED, loading, deferred, live, refused, idle, released].map(isLoaded)).toEqual([false, false, true, true, true, false, false])
    // Settled: the relay's answer is in, or cannot come now; a deferred room is still waiting.
    expect([deferred, disconnected, connecting, exchanging, offline, live, refused].map(isSettled)).toEqual([false, true, false, false, true, true, true])
  })
})
