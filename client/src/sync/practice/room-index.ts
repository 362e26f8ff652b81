/**
 * The rooms a practice has written to, listed in its directory so that every device's background
 * pass knows what to fetch without the relay telling it (the relay sees blinded room ids only):
 *
 *   directory.getMap('rooms') : room name → true
 *
 * Every device lists a room the first time it writes there in a session (main, always open, is
 * never listed). The list only grows; a room listed twice merges.
 */
import type * as Y from 'yjs'
import { isRoomName, MAIN_ROOM, type RoomName } from '../../../../shared/src/space/rooms'

/** The directory's map of rooms the practice has written to (room name → true). */
export const ROOMS_INDEX_MAP = 'rooms'

export class RoomIndex {
  /** Rooms this session has listed already: every keystroke in a note is a write of its room. */
  private readonly recorded = new Set<RoomName>()
  private readonly map: Y.Map<boolean>
  private readonly observer: () => void

  constructor(directory: Y.Doc, onChange: () => void) {
    this.map = directory.getMap<boolean>(ROOMS_INDEX_MAP)
    // Colleagues open new rooms (a new month), and the list may still be arriving: every change
    // is worth a look by the background pass.
    this.observer = () => onChange()
    this.map.observe(this.observer)
  }

  rooms(): RoomName[] {
    return [...this.map.keys()].filter(isRoomName)
  }

  /** Whether the room is listed: somebody wrote to it. */
  has(room: RoomName): boolean {
    return this.map.get(room) === true
  }

  /** Lists a room this device wrote to, once per session. */
  record(room: RoomName): void {
    if (room === MAIN_ROOM || this.recorded.has(room)) return
    this.recorded.add(room)
    if (!this.map.has(room)) this.map.set(room, true)
  }

  destroy(): void {
    this.map.unobserve(this.observer)
  }
}
