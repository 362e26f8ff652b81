import { describe, expect, it } from 'vitest'
import type { RoomState } from '../rooms/room'
import type { RoomPhase } from '../rooms/room-lifecycle'
import { combineFreshness, freshnessOf } from './doc-freshness'

function room(phase: RoomPhase, extra: Partial<RoomState> = {}): RoomState {
  return {
    phase,
    pendingChanges: 0,
    queuedWrites: false,
    incoming: 0,
    outgoing: 0,
    lastExchangeAt: 1_000,
    lastSyncedAt: 900,
    storageError: null,
    undecryptableEntries: 0,
    unrepairedEntries: 0,
    heldBackChanges: 0,
    repairedEntries: 0,
    resentEntries: 0,
    restoredEntries: 0,
    returnedEntries: 0,
    heldRestoredDocs: 0,
    heldFailingDocs: 0,
    missingEntries: [],
    restoring: false,
    ...extra,
  }
}

const online = { online: true, knownEmpty: false }
const offline = { online: false, knownEmpty: false }

describe('freshnessOf', () => {
  it('is current only while the room is live', () => {
    expect(freshnessOf(room({ kind: 'live' }), online)).toEqual({ currency: 'current', known: true, lastExchangeAt: 1_000 })
    expect(freshnessOf(room({ kind: 'syncing', link: 'exchanging' }), online).currency).toBe('updating')
    expect(freshnessOf(room({ kind: 'syncing', link: 'connecting' }), online).currency).toBe('updating')
    expect(freshnessOf(room({ kind: 'loading' }), online).currency).toBe('updating')
  })

  it('is behind when its room cannot reach the relay: offline, disconnected, refused, or the practice offline', () => {
    expect(freshnessOf(room({ kind: 'syncing', link: 'offline' }), online).currency).toBe('behind')
    expect(freshnessOf(room({ kind: 'syncing', link: 'disconnected' }), online).currency).toBe('behind')
    expect(freshnessOf(room({ kind: 'refused', reason: 'unauthorized' as never }), online).currency).toBe('behind')
    expect(freshnessOf(room({ kind: 'syncing', link: 'deferred' }), offline).currency).toBe('behind')
    expect(freshnessOf(null, offline)).toEqual({ currency: 'behind', known: false, lastExchangeAt: null })
  })

  it('is known once its room completed a handshake, or when the room index says it is empty', () => {
    expect(freshnessOf(room({ kind: 'syncing', link: 'exchanging' }, { lastSyncedAt: null }), online).known).toBe(false)
    expect(freshnessOf(room({ kind: 'syncing', link: 'offline' }, { lastSyncedAt: null }), { online: true, knownEmpty: true }).known).toBe(true)
    expect(freshnessOf(null, { online: true, knownEmpty: true }).known).toBe(true)
    // Erased local data coming back from the relay: not known until restored.
    expect(freshnessOf(room({ kind: 'syncing', link: 'exchanging' }, { restoring: true }), online).known).toBe(false)
  })
})

describe('combineFreshness', () => {
  it('takes the least current, known only if all are, and the oldest exchange', () => {
    const current = freshnessOf(room({ kind: 'live' }, { lastExchangeAt: 5_000 }), online)
    const behind = freshnessOf(room({ kind: 'syncing', link: 'offline' }, { lastExchangeAt: 2_000 }), online)
    const unknown = freshnessOf(room({ kind: 'syncing', link: 'exchanging' }, { lastSyncedAt: null, lastExchangeAt: 3_000 }), online)
    expect(combineFreshness([current, behind])).toEqual({ currency: 'behind', known: true, lastExchangeAt: 2_000 })
    expect(combineFreshness([current, unknown])).toEqual({ currency: 'updating', known: false, lastExchangeAt: 3_000 })
    expect(combineFreshness([current, freshnessOf(null, online)]).lastExchangeAt).toBeNull()
    expect(combineFreshness([])).toEqual({ currency: 'current', known: true, lastExchangeAt: null })
  })
})
