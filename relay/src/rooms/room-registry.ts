/**
 * Loads one Room per space on its first connection and unloads it when its last connection
 * leaves (compacting its rows first when there are many).
 *
 * Reference counting happens synchronously in acquire/release, so a connection arriving while the
 * room loads shares the same load, and one arriving while the room unloads waits for the unload
 * (and its compaction) to finish before loading a fresh room.
 */
import { errorFields, type Logger } from '../log'
import type { RelayMetrics } from '../metrics/relay-metrics'
import { Room, type RoomDeps } from './room'

export interface RoomRegistryDeps extends RoomDeps {
  logger: Logger
  metrics: RelayMetrics
  /** Compact on unload when the space has more rows than this. */
  compactRowsOnUnload: number
}

interface Entry {
  room: Promise<Room>
  refs: number
}

export class RoomRegistry {
  private readonly entries = new Map<string, Entry>()
  private readonly unloading = new Map<string, Promise<void>>()

  constructor(private readonly deps: RoomRegistryDeps) {}

  /** The space's room, loading it if needed. Every acquire must be paired with one release. */
  acquire(spaceId: string): Promise<Room> {
    let entry = this.entries.get(spaceId)
    if (!entry) {
      entry = { room: this.load(spaceId), refs: 0 }
      this.entries.set(spaceId, entry)
    }
    entry.refs++
    return entry.room
  }

  release(spaceId: string): void {
    const entry = this.entries.get(spaceId)
    if (!entry) return
    entry.refs--
    if (entry.refs > 0) return
    this.entries.delete(spaceId)
    const done: Promise<void> = this.unload(entry.room)
      .catch((error: unknown) => this.deps.logger.error('unload_failed', { spaceId, ...errorFields(error) }))
      .finally(() => {
        if (this.unloading.get(spaceId) === done) this.unloading.delete(spaceId)
      })
    this.unloading.set(spaceId, done)
  }

  get loadedCount(): number {
    return this.entries.size
  }

  /** Shutdown: finish every room's writes, compact and unload them all. */
  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()]
    this.entries.clear()
    await Promise.all([...entries.map((entry) => this.unload(entry.room)), ...this.unloading.values()])
  }

  private async load(spaceId: string): Promise<Room> {
    await this.unloading.get(spaceId)
    const started = Date.now()
    const room = await Room.load(spaceId, this.deps)
    this.deps.metrics.loadedRooms.inc()
    this.deps.logger.debug('room_loaded', { spaceId, rows: room.rowCount, durationMs: Date.now() - started })
    return room
  }

  private async unload(loading: Promise<Room>): Promise<void> {
    let room: Room
    try {
      room = await loading
    } catch {
      // The load already failed and was reported to the connections that waited for it.
      return
    }
    try {
      await room.idle()
      if (room.rowCount > this.deps.compactRowsOnUnload) await room.compact()
    } catch (error) {
      // The rows stay as they are: nothing is lost, the next unload will compact them.
      this.deps.logger.error('compaction_failed', { spaceId: room.spaceId, ...errorFields(error) })
    } finally {
      room.destroy()
      this.deps.metrics.loadedRooms.dec()
      this.deps.logger.debug('room_unloaded', { spaceId: room.spaceId })
    }
  }
}
