/**
 * What tests, benchmarks and diagnostics may look at inside a practice (its rooms, the pass, what
 * it wants), apart from the practice itself so that nothing else reaches for it: views get the
 * practice's handle (practice-handle.ts), never this.
 */
import * as Y from 'yjs'
import { MAIN_ROOM, type RoomName } from '../../../../shared/src/space/rooms'
import type { Room } from '../rooms/room'
import type { RoomPool, WantedRooms } from '../rooms/room-pool'
import type { PracticeStartup } from '../startup/first-screen'
import type { BackgroundPass } from './background-pass'

export interface InspectedParts {
  readonly pool: RoomPool
  readonly pass: BackgroundPass
  readonly startup: PracticeStartup
  readonly wanted: () => WantedRooms
  /** Loads a room and keeps it for the practice's lifetime. */
  readonly pin: (room: RoomName) => Promise<Room>
}

export class PracticeInspector {
  constructor(private readonly parts: InspectedParts) {}

  /** Names of the rooms in memory on this device, connected or not. */
  openRoomNames(): RoomName[] {
    return this.parts.pool.loadedRooms().map((room) => room.name)
  }

  /** Names of the rooms whose socket is open right now. */
  connectedRoomNames(): RoomName[] {
    return this.parts.pool
      .loadedRooms()
      .filter((room) => {
        const { phase } = room.getState()
        return phase.kind === 'live' || (phase.kind === 'syncing' && phase.link === 'exchanging')
      })
      .map((room) => room.name)
  }

  /** Rooms the background pass caught up with since main last connected. */
  caughtUpRoomNames(): RoomName[] {
    return this.parts.pass.caughtUpRooms()
  }

  /** Where main's hold and this week's preparation stand. */
  startupStages(): ReturnType<PracticeStartup['stages']> {
    return this.parts.startup.stages()
  }

  /** The rooms wanted now, and why. */
  wantedRooms(): WantedRooms {
    return this.parts.wanted()
  }

  /** The main room's envelope (it holds the directory). */
  get mainEnvelope(): Room['envelope'] {
    const main = this.parts.pool.loaded(MAIN_ROOM)
    if (main === null) throw new Error('The main room opens with the practice')
    return main.envelope
  }

  /** A room, loaded and kept for the practice's lifetime (its envelope's contents). */
  room(name: RoomName): Promise<Room> {
    return this.parts.pin(name)
  }

  /** Size of what this device holds in memory, over every room. */
  envelopeStats(): { rooms: number; entries: number; bytes: number } {
    const rooms = this.parts.pool.loadedRooms()
    return {
      rooms: rooms.length,
      entries: rooms.reduce((total, room) => total + room.envelope.entries.length, 0),
      bytes: rooms.reduce((total, room) => total + Y.encodeStateAsUpdate(room.envelope.doc).byteLength, 0),
    }
  }
}
