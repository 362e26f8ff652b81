/**
 * What a relay node needs of the bus between nodes (Redis pub/sub in redis-bus.ts): publish what
 * it committed, hear what the others committed on the rooms it holds, hear space events, and know
 * when the bus was down (anything may have been missed then: every loaded room reads storage).
 *
 * The bus is a shortcut, never the truth: storage is. Nothing is published before its commit, and
 * nothing counts as delivered because it was published (docs/relay.md, « Plusieurs nœuds »).
 */
import type { RoomNotice, SpaceEvent } from './bus-message'

/** A space event as a node publishes it (the bus adds the version and the node id). */
export type SpaceEventBody = SpaceEvent extends infer E ? (E extends SpaceEvent ? Omit<E, 'v' | 'node'> : never) : never

export type BusState = 'connecting' | 'up' | 'down' | 'closed'

export interface FanoutBus {
  /** This node's id on the bus (random per process): a node skips its own notices. */
  readonly node: string
  readonly state: BusState
  /** Hears the notices of one room until unsubscribeRoom; resolves once Redis confirmed (or queued it while down). */
  subscribeRoom(spaceId: string, roomId: string, listener: (notice: RoomNotice) => void): Promise<void>
  unsubscribeRoom(spaceId: string, roomId: string): Promise<void>
  /** Tells the other nodes a row is committed. Never throws: a lost notice is a gap they repair. */
  publishRoomNotice(spaceId: string, roomId: string, notice: RoomNotice): void
  publishSpaceEvent(event: SpaceEventBody): void
  onSpaceEvent(listener: (event: SpaceEvent) => void): void
  /** After the bus was down (notices may have been missed), once it is up again. */
  onRecovered(listener: () => void): void
  close(): Promise<void>
}
