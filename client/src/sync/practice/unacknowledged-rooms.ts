/**
 * The rooms this device wrote into whose changes the relay has not acknowledged yet, remembered
 * across reloads, so that the practice loads them at its start and they connect and deliver.
 *
 * Why: a room with changes pending is wanted ('pending', wanted-rooms.ts) only while it is in
 * memory, and a room is in memory only while something wants it. A note typed into a patient's
 * file offline, then the app reloaded (a tablet's tab discarded in the car), left the changes in
 * that room's IndexedDB and nothing that loads it: the sync indicator said « En ligne · 0
 * modification en attente » and the note reached no other device until someone opened that file
 * again (found by tests/hostile-randomized.test.ts, a device reloaded between two edits of the note).
 *
 * The list is this device's own, in its own IndexedDB database `<idbName>-unacknowledged`, store
 * `rooms`, one row: room names only (the relay never sees it; the device holds the rooms anyway).
 * A room joins it at its first local write and leaves it once it is live with nothing pending.
 * Writes are coalesced: one at a time, the latest list. A tab closed between a room's first write
 * and the list's write (a few milliseconds) still loses the room from the list, not its changes.
 */
import { isRoomName, type RoomName } from '../../../../shared/src/space/rooms'
import type { RoomState } from '../rooms/room'
import { requested } from '../adapters/idb-promises'

const STORE = 'rooms'
const KEY = 'current'

export class UnacknowledgedRooms {
  private readonly rooms = new Set<RoomName>()
  private db: Promise<IDBDatabase> | null = null
  private writing: Promise<void> | null = null
  private dirty = false
  private closed = false

  constructor(
    private readonly idbName: string,
    /** A write failed: the list is kept in memory and written again at the next change. */
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  /** Reads the list a previous session left; what it adds is wanted from now on. */
  async load(): Promise<void> {
    const db = await this.open()
    const stored: unknown = await requested(db.transaction(STORE).objectStore(STORE).get(KEY))
    // Anything else (another version's shape, a damaged row) is ignored: the rooms then load when used.
    if (Array.isArray(stored)) for (const name of stored) if (typeof name === 'string' && isRoomName(name)) this.rooms.add(name)
  }

  list(): readonly RoomName[] {
    return [...this.rooms]
  }

  /** This device wrote into `room`. */
  add(room: RoomName): void {
    if (this.rooms.has(room)) return
    this.rooms.add(room)
    this.persist()
  }

  /** Drops the rooms in memory that are live with nothing pending: the relay holds what they wrote. */
  settle(states: ReadonlyMap<RoomName, RoomState>): void {
    let changed = false
    for (const [room, state] of states) {
      if (!this.rooms.has(room)) continue
      if (state.phase.kind !== 'live' || state.pendingChanges > 0 || state.queuedWrites) continue
      this.rooms.delete(room)
      changed = true
    }
    if (changed) this.persist()
  }

  /** Waits for the list's last write (tests, a practice closing). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing
  }

  async close(): Promise<void> {
    await this.flush()
    this.closed = true
    const db = this.db
    this.db = null
    await db?.then((d) => d.close()).catch(() => undefined)
  }

  private persist(): void {
    if (this.closed) return
    this.dirty = true
    if (this.writing) return
    this.writing = (async () => {
      while (this.dirty && !this.closed) {
        this.dirty = false
        try {
          const db = await this.open()
          const transaction = db.transaction(STORE, 'readwrite')
          transaction.objectStore(STORE).put([...this.rooms], KEY)
          await new Promise<void>((resolve, reject) => {
            transaction.addEventListener('complete', () => resolve())
            transaction.addEventListener('abort', () => reject(transaction.error ?? new Error('IndexedDB transaction aborted')))
          })
        } catch (error) {
          this.onError(error instanceof Error ? error : new Error(String(error)))
        }
      }
    })().finally(() => {
      this.writing = null
    })
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= (() => {
      const request = indexedDB.open(`${this.idbName}-unacknowledged`, 1)
      request.addEventListener('upgradeneeded', () => request.result.createObjectStore(STORE))
      return requested(request)
    })()
    return this.db
  }
}
