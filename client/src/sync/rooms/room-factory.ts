/**
 * How a practice makes its rooms: every room shares the practice's relay, clock and settings, and
 * uses its tier's keys (shared/src/space/room-keys.ts); each finds its blinded id (its socket path,
 * its database's name) when it loads. A room of a tier this device holds no key of is never made:
 * MissingTierKeyError, at once (the practice does not ask for one: practice.ts).
 */
import type { PracticeKeys } from '../../../../shared/src/crypto/space-keys'
import { blindRoomName, keysOfRoom } from '../../../../shared/src/space/room-keys'
import { MAIN_ROOM, type RoomName } from '../../../../shared/src/space/rooms'
import type { RelayClient } from '../relay/relay-client'
import { Room, type RoomHooks, type RoomSettings } from './room'

export interface RoomFactoryOptions {
  readonly spaceId: string
  readonly relayUrl: string
  readonly credential: string
  readonly keys: PracticeKeys
  /** Prefix of the rooms' IndexedDB databases: each room's is `<idbName>-<roomId>`. */
  readonly idbName: string
  readonly relay: RelayClient
  readonly settings: RoomSettings
  /** The registry says this device synced before: an empty main room means it was erased. */
  readonly previouslySynced: boolean
}

export function roomFactory(options: RoomFactoryOptions): (name: RoomName, hooks: RoomHooks) => Room {
  return (name, hooks) => {
    const keys = keysOfRoom(options.keys, name)
    return new Room(
      {
        ...options.settings,
        name,
        locate: async () => {
          const roomId = await blindRoomName(keys, name)
          return { roomId, idbName: `${options.idbName}-${roomId}` }
        },
        spaceId: options.spaceId,
        relayUrl: options.relayUrl,
        credential: options.credential,
        keys,
        relay: options.relay,
        // Only the main room can tell an erased device: other rooms may simply be new here.
        previouslySynced: name === MAIN_ROOM && options.previouslySynced,
      },
      hooks,
    )
  }
}
