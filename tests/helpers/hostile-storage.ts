/**
 * A hostile relay operator (or anyone who can write the relay's disk), for tests of what devices
 * do with what the relay hands them: edits the stored rows of a space's rooms directly, past the
 * relay's checks of what sockets send (relay/src/rooms/update-check.ts refuses a bare deletion from
 * a device; nothing stops the one who holds the disk). A wipe; and, on a stopped relay process's
 * folder, a rollback to rows read earlier, rows moved from one room to another, a bit flipped in a
 * stored ciphertext. (The wire side of a hostile relay is hostile-relay.ts.)
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import * as Y from 'yjs'
import { SQLITE_FILE_NAME, SqliteStorage } from '../../relay/src/storage/sqlite-storage'
import type { RelayStorage } from '../../relay/src/storage/relay-storage'
import type { InMemoryRelay } from './in-memory-relay'

/** The ids of the rooms the relay admitted for a space (read beside the relay, not through it). */
export function storedRoomIds(relay: InMemoryRelay, spaceId: string): string[] {
  const db = new Database(join(relay.dataDir, SQLITE_FILE_NAME), { readonly: true })
  try {
    return (db.prepare('SELECT room_id FROM rooms WHERE space_id = ? ORDER BY room_id').all(spaceId) as Array<{ room_id: string }>).map((row) => row.room_id)
  } finally {
    db.close()
  }
}

/** The live envelope entries the relay's storage holds for a room (its rows merged, as the relay loads them). */
export async function storedLiveEntries(relay: InMemoryRelay, spaceId: string, roomId: string): Promise<number> {
  const doc = new Y.Doc({ gc: true })
  for (const update of (await relay.storage.loadUpdates(spaceId, roomId)).updates) Y.applyUpdate(doc, update)
  return doc.getArray('entries').length
}

/**
 * Wipes every room of a space on the relay's disk: a delete set over every entry (the update of
 * attack 1 in issue 18), then the rows folded into one snapshot, so the deleted ciphertext is gone
 * from the relay for good. The rooms must be unloaded (no socket open on them): a loaded room
 * would neither see nor keep the edit. Returns the number of entries deleted.
 */
export async function wipeStoredSpace(relay: InMemoryRelay, spaceId: string): Promise<number> {
  if (relay.loadedRooms() !== 0) throw new Error('Unload the rooms first (cut the network and wait): a loaded room keeps its state')
  let wiped = 0
  for (const roomId of storedRoomIds(relay, spaceId)) wiped += await wipeStoredRoom(relay.storage, spaceId, roomId)
  return wiped
}

/** One room wiped in `storage`: every entry deleted, the rows folded. Returns how many entries. */
async function wipeStoredRoom(storage: Pick<RelayStorage, 'loadUpdates' | 'compact'>, spaceId: string, roomId: string): Promise<number> {
  const stored = await storage.loadUpdates(spaceId, roomId)
  const doc = new Y.Doc({ gc: true })
  for (const update of stored.updates) Y.applyUpdate(doc, update)
  const entries = doc.getArray('entries')
  const wiped = entries.length
  doc.transact(() => entries.delete(0, entries.length))
  await storage.compact(spaceId, roomId, Y.encodeStateAsUpdate(doc), stored.lastSeq)
  return wiped
}

/**
 * The same wipe on a stopped relay process's data folder (an e2e test's relay): every room of every
 * space (or of `spaceId`), a delete set over every entry, then the rows folded. Returns the number
 * of entries deleted.
 */
export async function wipeStoredRelay(dataDir: string, spaceId?: string): Promise<number> {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true })
  let rooms: Array<{ space_id: string; room_id: string }>
  try {
    rooms = db.prepare('SELECT space_id, room_id FROM rooms ORDER BY space_id, room_id').all() as typeof rooms
    if (spaceId !== undefined) rooms = rooms.filter((room) => room.space_id === spaceId)
  } finally {
    db.close()
  }
  const storage = new SqliteStorage({ dataDir })
  let wiped = 0
  try {
    for (const { space_id: spaceId, room_id: roomId } of rooms) wiped += await wipeStoredRoom(storage, spaceId, roomId)
  } finally {
    await storage.close()
  }
  return wiped
}

/** A space's stored rows, room by room (`readStoredRooms`), to roll rooms back to later. */
export type StoredRooms = ReadonlyMap<string, readonly Uint8Array[]>

/** The rows every room of `spaceId` holds now, in order; readable while the relay runs (committed rows only). */
export function readStoredRooms(dataDir: string, spaceId: string): StoredRooms {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true })
  try {
    const rooms = new Map<string, Uint8Array[]>()
    for (const { room_id: roomId } of db.prepare('SELECT room_id FROM rooms WHERE space_id = ? ORDER BY room_id').all(spaceId) as Array<{ room_id: string }>) rooms.set(roomId, [])
    const rows = db.prepare('SELECT room_id, data FROM updates WHERE space_id = ? ORDER BY seq').all(spaceId) as Array<{ room_id: string; data: Buffer }>
    for (const row of rows) rooms.get(row.room_id)?.push(new Uint8Array(row.data))
    return rooms
  } finally {
    db.close()
  }
}

/** Runs `edit` on a stopped relay's database, in one transaction. */
function editStopped<T>(dataDir: string, edit: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME))
  try {
    return db.transaction(() => edit(db))()
  } finally {
    db.close()
  }
}

/**
 * Rolls rooms of a stopped relay back to rows read earlier: each room of `earlier` (or of
 * `roomIds` among them) holds those rows again and nothing written since. Rooms admitted since are
 * left as they are. Returns the rooms rolled back.
 */
export function rollBackStoredRooms(dataDir: string, spaceId: string, earlier: StoredRooms, roomIds: readonly string[] = [...earlier.keys()]): number {
  return editStopped(dataDir, (db) => {
    const remove = db.prepare('DELETE FROM updates WHERE space_id = ? AND room_id = ?')
    const insert = db.prepare('INSERT INTO updates (space_id, room_id, data) VALUES (?, ?, ?)')
    let rolled = 0
    for (const roomId of roomIds) {
      const rows = earlier.get(roomId)
      if (!rows) continue
      remove.run(spaceId, roomId)
      for (const data of rows) insert.run(spaceId, roomId, Buffer.from(data))
      rolled++
    }
    return rolled
  })
}

/** Moves every stored row of room `from` into room `to` (both admitted rooms of the space), on a stopped relay. Returns the rows moved. */
export function moveStoredRows(dataDir: string, spaceId: string, from: string, to: string): number {
  return editStopped(dataDir, (db) => db.prepare('UPDATE updates SET room_id = ? WHERE space_id = ? AND room_id = ?').run(to, spaceId, from).changes)
}

/**
 * Flips one bit in the middle of the ciphertext `c` of one live entry of a room, in the stored row
 * that holds it, on a stopped relay: the entry keeps its place and its `d`; its bytes no longer
 * authenticate. `pick` chooses among the room's live entries, in the envelope's order (the first
 * by default). Returns the entry's `d`.
 */
export function flipStoredBit(dataDir: string, spaceId: string, roomId: string, pick: (entries: ReadonlyArray<{ d: string; c: Uint8Array }>) => number = () => 0): string {
  return editStopped(dataDir, (db) => {
    const rows = db.prepare('SELECT seq, data FROM updates WHERE space_id = ? AND room_id = ? ORDER BY seq').all(spaceId, roomId) as Array<{ seq: number; data: Buffer }>
    const doc = new Y.Doc({ gc: true })
    for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data))
    const entries = doc.getArray<{ d: string; c: Uint8Array }>('entries').toArray()
    const entry = entries[pick(entries)]
    if (!entry) throw new Error(`No such entry among the room's ${entries.length}`)
    for (const row of rows) {
      const at = Buffer.from(row.data).indexOf(Buffer.from(entry.c))
      if (at < 0) continue
      const data = Buffer.from(row.data)
      data[at + (entry.c.length >> 1)]! ^= 0x10
      db.prepare('UPDATE updates SET data = ? WHERE seq = ?').run(data, row.seq)
      return entry.d
    }
    throw new Error('The entry\'s ciphertext is in no stored row')
  })
}
