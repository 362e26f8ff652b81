/**
 * A hostile relay operator (or anyone who can write the relay's disk), for tests of what devices
 * do with what the relay hands them: edits the stored rows of a space's rooms directly, past the
 * relay's checks of what sockets send (relay/src/rooms/update-check.ts refuses a bare deletion from
 * a device; nothing stops the one who holds the disk).
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
 * space, a delete set over every entry, then the rows folded. Returns the number of entries deleted.
 */
export async function wipeStoredRelay(dataDir: string): Promise<number> {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true })
  let rooms: Array<{ space_id: string; room_id: string }>
  try {
    rooms = db.prepare('SELECT space_id, room_id FROM rooms ORDER BY space_id, room_id').all() as typeof rooms
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
