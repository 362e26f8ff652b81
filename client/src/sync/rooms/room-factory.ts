/**
 * How a practice makes its rooms: every room shares the practice's keys, relay, clock and
 * settings; each finds its blinded id (its socket path, its database's name) when it loads.
 */
import type { SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { blindRoomName } from '../../../../shared/src/space/room-keys'
import { MAIN_ROOM, type RoomName } from '../../../../shared/src/space/rooms'
import type { RelayClient } from '../relay/relay-client'
import { Room, type RoomHooks, type RoomSettings } from './room'

export interface RoomFactoryOptions {
  readonly spaceId: string
  readonly relayUrl: string
  readonly credential: string
  readonly keys: SpaceKeys
  /** Prefix of the rooms' IndexedDB databases: each room's is `<idbName>-<roomId>`. */
  readonly idbName: string
  readonly relay: RelayClient
  readonly settings: RoomSettings
  /** The registry says this device synced before: an empty main room means it was erased. */
  readonly previouslySynced: boolean
}

export function roomFactory(options: RoomFactoryOptions): (name: RoomName, hooks: RoomHooks) => Room {
  return (name, hooks) =>
    new Room(
      {
        ...options.settings,
        name,
        locate: async () => {
          const roomId = await blindRoomName(options.keys, name)
          return { roomId, idbName: `${options.idbName}-${roomId}` }
        },
        spaceId: options.spaceId,
        relayUrl: options.relayUrl,
        credential: options.credential,
        keys: options.keys,
        relay: options.relay,
        // Only the main room can tell an erased device: other rooms may simply be new here.
        previouslySynced: name === MAIN_ROOM && options.previouslySynced,
      },
      hooks,
    )
}
