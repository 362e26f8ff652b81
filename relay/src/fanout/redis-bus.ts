/**
 * The bus between relay nodes on Redis pub/sub (node-redis, `redis` on npm: the client Redis
 * itself maintains). Two connections, as Redis requires: one subscribed, one publishing.
 *
 * Channels (bus-message.ts shows what travels on them):
 *   tournee:room:<spaceId>/<roomId>   room notices; a node subscribes while it holds the room loaded
 *   tournee:space-events              space events (revocations, registry changes); every node
 *
 * Redis here keeps nothing (run it without persistence): a notice published while a node is
 * disconnected is lost to it, which is why every 'ready' after the first is reported through
 * onRecovered, once the subscriptions are back (node-redis subscribes again before 'ready'): the
 * rooms then read storage for what they missed. Publishing while Redis is down fails at once
 * (no offline queue: stale notices replayed late would only cost reads), and never throws; the
 * newest seq of each room whose notice failed is published again (as a head notice) once the
 * publishing connection is back, for the nodes that never saw Redis go (a blip on this node's
 * network alone) and would otherwise wait for the room's next write to notice the gap.
 */
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { errorFields, type Logger } from '../log'
import type { RelayMetrics } from '../metrics/relay-metrics'
import { decodeRoomNotice, decodeSpaceEvent, isRoomNoticeFrom, encodeRoomNotice, encodeSpaceEvent, BUS_VERSION, type RoomNotice, type SpaceEvent } from './bus-message'
import type { BusState, FanoutBus, SpaceEventBody } from './fanout-bus'

const SPACE_EVENTS_CHANNEL = 'tournee:space-events'
/** Rooms whose failed notice is remembered for publishing again; past it, the others' recovery reads. */
const MAX_UNSENT_ROOMS = 10_000

function roomChannel(spaceId: string, roomId: string): string {
  return `tournee:room:${spaceId}/${roomId}`
}

export interface RedisBusDeps {
  logger: Logger
  metrics: RelayMetrics
}

type Client = ReturnType<typeof createClient>

export class RedisBus implements FanoutBus {
  readonly node = randomBytes(9).toString('base64url')
  /** The node id as it is written in a notice: this node's own notices are dropped by it. */
  private readonly nodeBytes = new TextEncoder().encode(this.node)
  private readonly publisher: Client
  private readonly subscriber: Client
  private readonly spaceListeners: ((event: SpaceEvent) => void)[] = []
  private readonly recoveredListeners: (() => void)[] = []
  private subscriberReadyOnce = false
  /** The space events' channel is subscribed, or being subscribed. */
  private spaceEventsSubscribed = false
  /** Per room channel, the head notice of the newest row whose notice could not be published. */
  private readonly unsent = new Map<string, RoomNotice>()
  private closed = false

  constructor(
    url: string,
    private readonly deps: RedisBusDeps,
  ) {
    // Capped backoff: a restarted Redis is found again within a second or so.
    const socket = { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) }
    this.publisher = createClient({ url, socket, disableOfflineQueue: true })
    this.subscriber = createClient({ url, socket })
    for (const [role, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      // Without an error listener node-redis would throw and end the process.
      client.on('error', (error: unknown) => {
        if (!this.closed) deps.logger.warn('redis_error', { reason: role, ...errorFields(error) })
        this.updateGauge()
      })
      client.on('ready', () => this.updateGauge())
      client.on('reconnecting', () => this.updateGauge())
    }
    this.publisher.on('ready', () => this.publishUnsent())
    this.subscriber.on('ready', () => {
      deps.logger.info('redis_ready', { node: this.node })
      if (!this.spaceEventsSubscribed) this.subscribeSpaceEvents()
      if (this.subscriberReadyOnce) for (const listener of this.recoveredListeners) listener()
      this.subscriberReadyOnce = true
    })
  }

  /** Starts connecting; does not wait for Redis (a node starts, and serves its own sockets, while Redis is down). */
  start(): void {
    for (const client of [this.publisher, this.subscriber]) {
      client.connect().catch((error: unknown) => this.deps.logger.warn('redis_connect_failed', errorFields(error)))
    }
    this.subscribeSpaceEvents()
  }

  /**
   * A subscription that failed (Redis went away while it was being made: node-redis makes again
   * only those Redis confirmed) is made again at the subscriber's next 'ready'; without it this
   * node would never hear another node's revocation.
   */
  private subscribeSpaceEvents(): void {
    this.spaceEventsSubscribed = true
    this.subscriber
      .subscribe(SPACE_EVENTS_CHANNEL, (message: string) => this.receiveSpaceEvent(message))
      .catch((error: unknown) => {
        this.spaceEventsSubscribed = false
        this.deps.logger.warn('redis_subscribe_failed', errorFields(error))
      })
  }

  get state(): BusState {
    if (this.closed) return 'closed'
    if (this.publisher.isReady && this.subscriber.isReady) return 'up'
    return this.subscriberReadyOnce ? 'down' : 'connecting'
  }

  async subscribeRoom(spaceId: string, roomId: string, listener: (notice: RoomNotice) => void): Promise<void> {
    await this.subscriber.subscribe(
      roomChannel(spaceId, roomId),
      (message: Buffer) => {
        const bytes = new Uint8Array(message.buffer, message.byteOffset, message.byteLength)
        // Redis sends a node its own notices back: dropped on their header alone.
        if (isRoomNoticeFrom(bytes, this.nodeBytes)) return
        let notice: RoomNotice
        try {
          notice = decodeRoomNotice(bytes)
        } catch (error) {
          this.deps.metrics.fanoutDropped.inc()
          this.deps.logger.warn('fanout_message_refused', { spaceId, roomId, ...errorFields(error) })
          return
        }
        if (notice.node !== this.node) listener(notice)
      },
      true,
    )
  }

  async unsubscribeRoom(spaceId: string, roomId: string): Promise<void> {
    if (this.closed) return
    await this.subscriber.unsubscribe(roomChannel(spaceId, roomId))
  }

  publishRoomNotice(spaceId: string, roomId: string, notice: RoomNotice): void {
    const channel = roomChannel(spaceId, roomId)
    this.publish(channel, Buffer.from(encodeRoomNotice(notice)), () => {
      const head: RoomNotice = { kind: 'head', seq: notice.seq, publishedAt: notice.publishedAt, node: notice.node }
      if ((this.unsent.get(channel)?.seq ?? 0) < head.seq && (this.unsent.has(channel) || this.unsent.size < MAX_UNSENT_ROOMS)) this.unsent.set(channel, head)
    })
  }

  publishSpaceEvent(event: SpaceEventBody): void {
    this.publish(SPACE_EVENTS_CHANNEL, encodeSpaceEvent({ ...event, v: BUS_VERSION, node: this.node } as SpaceEvent))
  }

  onSpaceEvent(listener: (event: SpaceEvent) => void): void {
    this.spaceListeners.push(listener)
  }

  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Connected: the notices being published go out first. Not connected: nothing waits for a Redis
    // that may not come back (what was committed is in storage; the other nodes read it).
    await Promise.all(
      [this.publisher, this.subscriber].map((client) => {
        if (!client.isOpen) return undefined
        if (!client.isReady) return client.destroy()
        return client.close().catch((error: unknown) => this.deps.logger.warn('redis_close_failed', errorFields(error)))
      }),
    )
    this.updateGauge()
  }

  private publish(channel: string, message: string | Buffer, failed?: () => void): void {
    if (this.closed) return
    this.publisher.publish(channel, message).then(
      () => this.deps.metrics.fanoutPublished.inc({ result: 'sent' }),
      (error: unknown) => {
        // The row is committed; the other nodes will find it by its seq or on their recovery.
        this.deps.metrics.fanoutPublished.inc({ result: 'failed' })
        this.deps.logger.debug('fanout_publish_failed', errorFields(error))
        failed?.()
      },
    )
  }

  private publishUnsent(): void {
    const unsent = [...this.unsent]
    this.unsent.clear()
    for (const [channel, head] of unsent) {
      this.publish(channel, Buffer.from(encodeRoomNotice(head)), () => {
        if ((this.unsent.get(channel)?.seq ?? 0) < head.seq) this.unsent.set(channel, head)
      })
    }
  }

  private receiveSpaceEvent(message: string): void {
    let event: SpaceEvent
    try {
      event = decodeSpaceEvent(message)
    } catch (error) {
      this.deps.metrics.fanoutDropped.inc()
      this.deps.logger.warn('fanout_message_refused', errorFields(error))
      return
    }
    if (event.node === this.node) return
    for (const listener of this.spaceListeners) listener(event)
  }

  private updateGauge(): void {
    this.deps.metrics.redisUp.set(this.state === 'up' ? 1 : 0)
  }
}
