/**
 * The rooms of a practice in memory on this device, reconciled to the set wanted now
 * (wanted-rooms.ts computes it from the practice's policies): a wanted room is loaded and told
 * whether to connect; a room no longer wanted is released (idle, then released: its socket
 * closed, its data kept in IndexedDB). The pool owns every Room object; nothing else creates or
 * releases one.
 *
 * A room wanted again while it is being released waits for that release (its IndexedDB database
 * must close before another connection opens it), then loads anew. A room whose load failed
 * (storage) is not loaded again by reconciling alone, which would retry in a loop: only when a
 * caller asks for it again (`whenLoaded`).
 */
import type { RoomName } from '../../../../shared/src/space/rooms'
import { isLoaded } from './room-lifecycle'
import type { ConnectionMode, Room, RoomHooks } from './room'

/** Why a room is wanted (diagnostics and tests). */
export type WantReason = 'startup' | 'view' | 'prefetch' | 'background' | 'pending' | 'refused' | 'storage-error'

export interface RoomWant {
  readonly connection: ConnectionMode
  readonly reasons: readonly WantReason[]
}

export type WantedRooms = ReadonlyMap<RoomName, RoomWant>

export interface RoomPoolDeps {
  /** A new, unloaded Room of that name (the practice knows its keys and where it lives). */
  readonly createRoom: (name: RoomName, hooks: RoomHooks) => Room
  /** A room came, went, or changed state. */
  readonly onChange: () => void
  /** This device wrote into a room's envelope. */
  readonly onLocalWrite: (room: Room) => void
}

interface Waiter {
  resolve(room: Room): void
  reject(error: unknown): void
}

export class RoomPool {
  /** Every room loading, loaded or being let go, by name: at most one per name. */
  private readonly rooms = new Map<RoomName, Room>()
  /** Rooms being released: their closing, awaited before the name loads again. */
  private readonly leaving = new Map<RoomName, Promise<void>>()
  private readonly failed = new Set<RoomName>()
  private readonly waiters = new Map<RoomName, Waiter[]>()
  private wanted: WantedRooms = new Map()
  private destroyed = false

  constructor(private readonly deps: RoomPoolDeps) {}

  /** Loads and connects what is wanted, releases what is not. */
  reconcile(wanted: WantedRooms): void {
    if (this.destroyed) return
    this.wanted = wanted
    for (const [name, want] of wanted) {
      const room = this.rooms.get(name)
      if (room) room.setConnection(want.connection)
      else if (!this.failed.has(name) && !this.leaving.has(name)) this.start(name)
    }
    for (const [name, room] of this.rooms) if (!wanted.has(name) && isLoaded(room.getState().phase)) this.release(name, room)
  }

  /** The room if it is loaded now, else null. */
  loaded(name: RoomName): Room | null {
    const room = this.rooms.get(name)
    return room && isLoaded(room.getState().phase) ? room : null
  }

  /**
   * Resolves with the room once it is loaded; rejects if its load fails. The caller has made it
   * wanted (a lease, a policy): the pool loads only what is wanted.
   */
  whenLoaded(name: RoomName): Promise<Room> {
    const room = this.loaded(name)
    if (room) return Promise.resolve(room)
    if (this.destroyed) return Promise.reject(new Error('The practice is closed'))
    const waiting = new Promise<Room>((resolve, reject) => this.waiters.set(name, [...(this.waiters.get(name) ?? []), { resolve, reject }]))
    if (this.failed.delete(name) && this.wanted.has(name) && !this.rooms.has(name)) this.start(name)
    return waiting
  }

  /** Every room in memory and usable (loaded). */
  loadedRooms(): Room[] {
    return [...this.rooms.values()].filter((room) => isLoaded(room.getState().phase))
  }

  /** Closes every room (flushing what is queued) and waits for the releases under way. */
  async destroy(): Promise<void> {
    this.destroyed = true
    const rooms = [...this.rooms.entries()]
    this.rooms.clear()
    await Promise.allSettled([...rooms.map(([, room]) => room.release()), ...this.leaving.values()])
    for (const [name, list] of this.waiters) for (const waiter of list) waiter.reject(new Error(`The practice closed while room ${name} loaded`))
    this.waiters.clear()
  }

  private start(name: RoomName): void {
    const room = this.deps.createRoom(name, {
      onChange: () => this.deps.onChange(),
      onLocalWrite: (r) => this.deps.onLocalWrite(r),
    })
    this.rooms.set(name, room)
    room.load().then(
      () => {
        if (this.rooms.get(name) !== room) return
        const want = this.wanted.get(name)
        // Loaded for nothing: let go at once (the want ended while it read IndexedDB).
        if (want === undefined || this.destroyed) this.release(name, room)
        else room.setConnection(want.connection)
        this.settleWaiters(name, (waiter) => waiter.resolve(room))
        this.deps.onChange()
      },
      (error: unknown) => {
        if (this.rooms.get(name) === room) this.rooms.delete(name)
        this.failed.add(name)
        this.settleWaiters(name, (waiter) => waiter.reject(error))
        this.deps.onChange()
      },
    )
    this.deps.onChange()
  }

  private release(name: RoomName, room: Room): void {
    this.rooms.delete(name)
    const closing = room
      .release()
      .catch((error: unknown) => console.warn('A room did not close cleanly', error instanceof Error ? error.name : 'error'))
      .finally(() => {
        if (this.leaving.get(name) === closing) this.leaving.delete(name)
        // Wanted again while it closed: load it anew.
        if (!this.destroyed && this.wanted.has(name) && !this.rooms.has(name)) this.start(name)
        this.deps.onChange()
      })
    this.leaving.set(name, closing)
    this.deps.onChange()
  }

  private settleWaiters(name: RoomName, settle: (waiter: Waiter) => void): void {
    const list = this.waiters.get(name)
    if (!list) return
    this.waiters.delete(name)
    for (const waiter of list) settle(waiter)
  }
}
