/**
 * Loads one Room per (space, room) on its first connection and unloads it when its last
 * connection leaves (compacting its rows first when there are many, or they outweigh the doc).
 * On a multi-node relay a room hears the other nodes only while it is loaded here.
 *
 * Reference counting happens synchronously in acquire/release, so a connection arriving while the
 * room loads shares the same load, and one arriving while the room unloads waits for the unload
 * (and its compaction) to finish before loading a fresh room.
 */
import { errorFields, type Logger } from '../log'
import type { RoomFanout } from '../fanout/room-fanout'
import type { RelayMetrics } from '../metrics/relay-metrics'
import { Room, type RoomDeps } from './room'

/** Space ids and room ids are base64url: '/' never occurs in either. */
function roomKey(spaceId: string, roomId: string): string {
  return `${spaceId}/${roomId}`
}

export interface RoomRegistryDeps extends RoomDeps {
  logger: Logger
  metrics: RelayMetrics
  /** Compact on unload when the room has more rows than this (or they outweigh the doc, see Room). */
  compactRowsOnUnload: number
  /** Multi-node fan-out: a loaded room hears the other nodes' commits (fanout/room-fanout.ts). */
  fanout?: RoomFanout
}

interface Entry {
  room: Promise<Room>
  refs: number
}

export class RoomRegistry {
  private readonly entries = new Map<string, Entry>()
  private readonly unloading = new Map<string, Promise<void>>()

  constructor(private readonly deps: RoomRegistryDeps) {}

  /** A room of a space, loading it if needed. Every acquire must be paired with one release. */
  acquire(spaceId: string, roomId: string): Promise<Room> {
    const key = roomKey(spaceId, roomId)
    let entry = this.entries.get(key)
    if (!entry) {
      entry = { room: this.load(spaceId, roomId), refs: 0 }
      this.entries.set(key, entry)
    }
    entry.refs++
    return entry.room
  }

  release(spaceId: string, roomId: string): void {
    const key = roomKey(spaceId, roomId)
    const entry = this.entries.get(key)
    if (!entry) return
    entry.refs--
    if (entry.refs > 0) return
    this.entries.delete(key)
    const done: Promise<void> = this.unload(entry.room)
      .catch((error: unknown) => this.deps.logger.error('unload_failed', { spaceId, roomId, ...errorFields(error) }))
      .finally(() => {
        if (this.unloading.get(key) === done) this.unloading.delete(key)
      })
    this.unloading.set(key, done)
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

  private async load(spaceId: string, roomId: string): Promise<Room> {
    await this.unloading.get(roomKey(spaceId, roomId))
    const started = Date.now()
    const room = await Room.load(spaceId, roomId, this.deps)
    this.deps.fanout?.attach(room)
    this.deps.metrics.loadedRooms.inc()
    this.deps.logger.debug('room_loaded', { spaceId, roomId, rows: room.rowCount, durationMs: Date.now() - started })
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
      await room.compactIfHeavy(this.deps.compactRowsOnUnload)
    } catch (error) {
      // The rows stay as they are: nothing is lost, the next unload will compact them.
      this.deps.logger.error('compaction_failed', { spaceId: room.spaceId, roomId: room.roomId, ...errorFields(error) })
    } finally {
      this.deps.fanout?.detach(room)
      room.destroy()
      this.deps.metrics.loadedRooms.dec()
      this.deps.logger.debug('room_unloaded', { spaceId: room.spaceId, roomId: room.roomId })
    }
  }
}
