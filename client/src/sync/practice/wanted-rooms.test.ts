import { describe, expect, it } from 'vitest'
import type { RoomState } from '../rooms/room'
import type { RoomPhase } from '../rooms/room-lifecycle'
import type { RoomName } from '../../../../shared/src/space/rooms'
import { wantedRooms, type WantedInput } from './wanted-rooms'

const live: RoomPhase = { kind: 'live' }

function state(extra: Partial<RoomState> = {}): RoomState {
  return {
    phase: live,
    pendingChanges: 0,
    queuedWrites: false,
    incoming: 0,
    outgoing: 0,
    lastExchangeAt: null,
    lastSyncedAt: null,
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

const base: WantedInput = {
  startup: ['main', 'agenda/2026-11'],
  online: true,
  mainDeferred: false,
  startupSettled: true,
  uses: new Map(),
  background: [],
  rooms: new Map(),
}

function wanted(input: Partial<WantedInput>): Record<string, { connection: string; reasons: readonly string[] }> {
  return Object.fromEntries(wantedRooms({ ...base, ...input }))
}

describe('wanted rooms', () => {
  it('wants the start-up rooms, connected', () => {
    expect(wanted({})).toEqual({
      main: { connection: 'connect', reasons: ['startup'] },
      'agenda/2026-11': { connection: 'connect', reasons: ['startup'] },
    })
  })

  it('wants the rooms views use, and prefetched ones only once the start-up settled', () => {
    const uses = new Map<RoomName, 'view' | 'prefetch'>([
      ['agenda/2019-03', 'view'],
      ['agenda/2026-12', 'prefetch'],
    ])
    expect(Object.keys(wanted({ uses }))).toContain('agenda/2026-12')
    const early = wanted({ uses, startupSettled: false })
    expect(early['agenda/2019-03']).toEqual({ connection: 'connect', reasons: ['view'] })
    expect(early['agenda/2026-12']).toBeUndefined()
  })

  it("wants the background pass's window", () => {
    expect(wanted({ background: ['agenda/2025-06', 'files/a'] })['files/a']).toEqual({ connection: 'connect', reasons: ['background'] })
  })

  it('keeps rooms with unacknowledged or unencrypted changes, refused rooms, and rooms whose storage failed', () => {
    const rooms = new Map<RoomName, RoomState>([
      ['agenda/2019-03', state({ pendingChanges: 2 })],
      ['agenda/2019-04', state({ queuedWrites: true })],
      ['files/3', state({ phase: { kind: 'refused', reason: 'too-many-rooms' } })],
      ['files/4', state({ storageError: 'QuotaExceededError: full' })],
      ['files/5', state()],
    ])
    const result = wanted({ rooms })
    expect(result['agenda/2019-03']?.reasons).toEqual(['pending'])
    expect(result['agenda/2019-04']?.reasons).toEqual(['pending'])
    expect(result['files/3']?.reasons).toEqual(['refused'])
    expect(result['files/4']?.reasons).toEqual(['storage-error'])
    // Loaded, synced, unused: not wanted any more.
    expect(result['files/5']).toBeUndefined()
  })

  it('gathers every reason a room has', () => {
    const result = wanted({ uses: new Map([['agenda/2026-11', 'view']]), rooms: new Map([['agenda/2026-11', state({ pendingChanges: 1 })]]) })
    expect(result['agenda/2026-11']?.reasons).toEqual(['startup', 'view', 'pending'])
  })

  it('connects nothing while offline, and defers main while the digest is shown first', () => {
    expect(Object.values(wanted({ online: false })).map((w) => w.connection)).toEqual(['disconnect', 'disconnect'])
    expect(wanted({ mainDeferred: true })).toEqual({
      main: { connection: 'defer', reasons: ['startup'] },
      'agenda/2026-11': { connection: 'connect', reasons: ['startup'] },
    })
  })
})
