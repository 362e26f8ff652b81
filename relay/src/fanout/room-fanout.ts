/**
 * The owner of this node's side of multi-node fan-out for loaded rooms: a room is subscribed to
 * its channel while it is loaded here (RoomRegistry attaches it after its load, detaches it before
 * its unload), the other nodes' notices reach it, and after anything may have been missed it reads
 * storage (`Room.catchUp`):
 *
 *   attached            once subscribed: rows committed between the room's load and its
 *                       subscription were told to nobody here
 *   bus recovered       every loaded room (Redis restarted, or the network came back)
 *   bus down            every loaded room, every `pollWhileDownMs`: devices on different nodes
 *                       still see each other's edits, seconds late instead of at once
 *   periodic            every loaded room, one after another, every `checkEveryMs` while the bus
 *                       is up: a tail gap — the newest row's notice lost and no later row to
 *                       reveal it by its seq (its node killed between commit and publish, a
 *                       subscription that failed) — would otherwise last as long as the room
 *                       stays loaded here. One indexed read per room, mostly of nothing.
 *
 * A room's subscription outlives its unload by UNSUBSCRIBE_AFTER_MS: devices that all drop at once
 * (a storage outage closes their sockets) come back within seconds, and the room reloaded then
 * finds its channel still subscribed, with no unsubscribe and subscribe crossing in Redis.
 *
 * It also measures the cross-node lag: from the other node's commit (the notice's publishedAt, by
 * that node's clock) to this node's sending the row to its sockets.
 */
import { errorFields, type Logger } from '../log'
import type { FanoutCatchUpReason, RelayMetrics } from '../metrics/relay-metrics'
import type { Room } from '../rooms/room'
import type { RoomNotice } from './bus-message'
import type { FanoutBus } from './fanout-bus'

export interface RoomFanoutDeps {
  bus: FanoutBus
  logger: Logger
  metrics: RelayMetrics
  /** While the bus is down, loaded rooms read storage this often (default 2000 ms). */
  pollWhileDownMs?: number
  /** While it is up, every loaded room reads storage this often (default 30 s; above, « periodic »). */
  checkEveryMs?: number
  now?: () => number
}

function roomKey(spaceId: string, roomId: string): string {
  return `${spaceId}/${roomId}`
}

const UNSUBSCRIBE_AFTER_MS = 10_000
const CHECK_EVERY_MS = 30_000

export class RoomFanout {
  private readonly rooms = new Map<string, Room>()
  /** Rooms whose channel is subscribed (or being subscribed), loaded here or unloaded lately. */
  private readonly subscribed = new Set<string>()
  private readonly poll: ReturnType<typeof setInterval>
  private readonly check: ReturnType<typeof setInterval>
  /** A periodic sweep is reading the rooms one after another. */
  private sweeping = false
  private readonly now: () => number

  constructor(private readonly deps: RoomFanoutDeps) {
    this.now = deps.now ?? Date.now
    deps.bus.onRecovered(() => {
      // A subscription that failed while Redis went away is made again; every room then reads.
      for (const [key, room] of this.rooms) if (!this.subscribed.has(key)) this.subscribe(key, room.spaceId, room.roomId)
      this.catchUpAll('recovered')
    })
    this.poll = setInterval(() => {
      if (deps.bus.state !== 'up') this.catchUpAll('bus_down')
    }, deps.pollWhileDownMs ?? 2000)
    this.poll.unref()
    this.check = setInterval(() => {
      if (deps.bus.state === 'up') void this.sweep()
    }, deps.checkEveryMs ?? CHECK_EVERY_MS)
    this.check.unref()
  }

  attach(room: Room): void {
    const key = roomKey(room.spaceId, room.roomId)
    this.rooms.set(key, room)
    if (this.subscribed.has(key)) {
      // Still subscribed since its last unload: only what was committed meanwhile is missing.
      this.catchUp(room, 'attached')
      return
    }
    this.subscribe(key, room.spaceId, room.roomId)
  }

  private subscribe(key: string, spaceId: string, roomId: string): void {
    this.subscribed.add(key)
    this.deps.bus
      .subscribeRoom(spaceId, roomId, (notice) => {
        // Whichever instance of the room is loaded now.
        const loaded = this.rooms.get(key)
        if (loaded) this.deliver(loaded, notice)
      })
      .then(() => {
        const loaded = this.rooms.get(key)
        if (loaded) this.catchUp(loaded, 'attached')
      })
      .catch((error: unknown) => {
        this.subscribed.delete(key)
        this.deps.logger.warn('fanout_subscribe_failed', { spaceId, roomId, ...errorFields(error) })
        // Subscribed again when the bus recovers (or at the room's next load); until then the
        // polling while it is down, the recovery read and the periodic check cover it.
      })
  }

  detach(room: Room): void {
    const key = roomKey(room.spaceId, room.roomId)
    if (this.rooms.get(key) !== room) return
    this.rooms.delete(key)
    const timer = setTimeout(() => {
      if (this.rooms.has(key) || !this.subscribed.delete(key)) return
      this.deps.bus
        .unsubscribeRoom(room.spaceId, room.roomId)
        .catch((error: unknown) => this.deps.logger.debug('fanout_unsubscribe_failed', { spaceId: room.spaceId, roomId: room.roomId, ...errorFields(error) }))
    }, UNSUBSCRIBE_AFTER_MS)
    timer.unref()
  }

  close(): void {
    clearInterval(this.poll)
    clearInterval(this.check)
  }

  private deliver(room: Room, notice: RoomNotice): void {
    this.deps.metrics.fanoutReceived.inc({ kind: notice.kind })
    room.receiveNotice(notice).then(
      () => this.deps.metrics.fanoutLag.observe(Math.max(0, this.now() - notice.publishedAt) / 1000),
      (error: unknown) => this.deps.logger.error('fanout_delivery_failed', { spaceId: room.spaceId, roomId: room.roomId, ...errorFields(error) }),
    )
  }

  /** Every loaded room reads storage, one after another: one query at a time on the pool, however many rooms. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return
    this.sweeping = true
    try {
      for (const room of [...this.rooms.values()]) {
        await room.catchUp('periodic').catch((error: unknown) =>
          this.deps.logger.error('catch_up_failed', { spaceId: room.spaceId, roomId: room.roomId, reason: 'periodic', ...errorFields(error) }),
        )
      }
    } finally {
      this.sweeping = false
    }
  }

  private catchUpAll(reason: FanoutCatchUpReason): void {
    for (const room of this.rooms.values()) this.catchUp(room, reason)
  }

  private catchUp(room: Room, reason: FanoutCatchUpReason): void {
    room.catchUp(reason).catch((error: unknown) =>
      // Storage refused (it restarts, say): the next notice, recovery or poll reads again.
      this.deps.logger.error('catch_up_failed', { spaceId: room.spaceId, roomId: room.roomId, reason, ...errorFields(error) }),
    )
  }
}
