/**
 * The pool with real rooms on fake-indexeddb and no network (the rooms are told not to connect):
 * it loads what is wanted, lets go of what is not, and never has two rooms of one name open.
 */
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { deriveSpaceKeys, type SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import type { RoomName } from '../../../../shared/src/space/rooms'
import { RelayClient } from '../relay/relay-client'
import { Room } from './room'
import { RoomPool, type WantedRooms } from './room-pool'

const pools: RoomPool[] = []
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.destroy()
})

async function setUp(options: { failing?: ReadonlySet<RoomName> } = {}) {
  const spaceId = randomId()
  const keys: SpaceKeys = await deriveSpaceKeys(spaceId, randomBytes(32))
  const prefix = `pool-${randomId()}`
  const created: RoomName[] = []
  let changes = 0
  const pool = new RoomPool({
    createRoom: (name, hooks) => {
      created.push(name)
      return new Room(
        {
          name,
          locate: async () => {
            if (options.failing?.has(name)) throw new Error('QuotaExceededError')
            return { roomId: `room-${name.replace('/', '-')}`, idbName: `${prefix}-${name}` }
          },
          spaceId,
          relayUrl: 'http://127.0.0.1:9',
          credential: randomId(32),
          keys,
          relay: new RelayClient({ relayUrl: 'http://127.0.0.1:9', spaceId, credential: randomId(32) }),
          previouslySynced: false,
          envelope: { batchDelayMs: 0 },
          WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
          now: Date.now,
        },
        hooks,
      )
    },
    onChange: () => changes++,
    onLocalWrite: () => undefined,
  })
  pools.push(pool)
  return { pool, created, changes: () => changes }
}

const offline = (...names: RoomName[]): WantedRooms => new Map(names.map((name) => [name, { connection: 'disconnect', reasons: ['view'] }]))

describe('RoomPool', () => {
  it('loads the rooms wanted, and lets go of a room once it is not, its data kept', async () => {
    const { pool, created } = await setUp()
    pool.reconcile(offline('main', 'agenda/2019-03'))
    const room = await pool.whenLoaded('agenda/2019-03')
    await pool.whenLoaded('main')
    expect(pool.loadedRooms().map((r) => r.name).sort()).toEqual(['agenda/2019-03', 'main'])
    expect(room.getState().phase).toEqual({ kind: 'syncing', link: 'disconnected' })
    ;(await room.openDoc('agenda/2019-03')).getMap('rdv').set('lundi', 'gardé')
    await room.flush()

    pool.reconcile(offline('main'))
    expect(pool.loaded('agenda/2019-03')).toBeNull()
    await expect.poll(() => room.getState().phase.kind).toBe('released')
    // Wanted again: a new room, read from IndexedDB.
    pool.reconcile(offline('main', 'agenda/2019-03'))
    const again = await pool.whenLoaded('agenda/2019-03')
    expect(again).not.toBe(room)
    expect((await again.openDoc('agenda/2019-03')).getMap('rdv').get('lundi')).toBe('gardé')
    expect(created).toEqual(['main', 'agenda/2019-03', 'agenda/2019-03'])
  })

  it('loads a room wanted again while it was being let go only once that is done: one room of a name at a time', async () => {
    const { pool, created } = await setUp()
    pool.reconcile(offline('agenda/2019-03'))
    const first = await pool.whenLoaded('agenda/2019-03')
    pool.reconcile(offline())
    pool.reconcile(offline('agenda/2019-03'))
    const second = await pool.whenLoaded('agenda/2019-03')
    expect(first.getState().phase.kind).toBe('released')
    expect(second).not.toBe(first)
    expect(created).toEqual(['agenda/2019-03', 'agenda/2019-03'])
  })

  it('lets go of a room that finished loading after it stopped being wanted', async () => {
    const { pool } = await setUp()
    pool.reconcile(offline('agenda/2019-03'))
    pool.reconcile(offline())
    await expect.poll(() => pool.loadedRooms().length).toBe(0)
  })

  it('does not retry a room whose load failed until someone asks for it', async () => {
    const failing = new Set<RoomName>(['files/3'])
    const { pool, created } = await setUp({ failing })
    pool.reconcile(offline('files/3'))
    await expect(pool.whenLoaded('files/3')).rejects.toThrow('QuotaExceededError')
    pool.reconcile(offline('files/3'))
    pool.reconcile(offline('files/3'))
    expect(created).toEqual(['files/3'])
    // Asked for again (a view retries): the storage works now.
    failing.clear()
    const room = await pool.whenLoaded('files/3')
    expect(room.name).toBe('files/3')
    expect(created).toEqual(['files/3', 'files/3'])
  })

  it('closes every room when destroyed, and refuses to load more', async () => {
    const { pool } = await setUp()
    pool.reconcile(offline('main', 'agenda/2019-03'))
    const rooms = await Promise.all([pool.whenLoaded('main'), pool.whenLoaded('agenda/2019-03')])
    await pool.destroy()
    expect(rooms.map((room) => room.getState().phase.kind)).toEqual(['released', 'released'])
    await expect(pool.whenLoaded('main')).rejects.toThrow(/closed/)
  })
})
