/**
 * Which rooms hold docs that someone is using now: each open of a doc is a lease, released when
 * its user lets go (a view unmounts, a form has written). A room with a lease is wanted, and so
 * loaded and connected: what a screen shows is live. It stays wanted for `graceMs` after its last
 * lease ends, so that paging away and back (a week, a patient) does not reopen it each time.
 *
 *   view       a screen shows the doc, or a form writes to it
 *   prefetch   a screen will probably show it next (the agenda's neighbour months): wanted only
 *              once the start-up rooms have settled, so it never slows what is shown now
 *   pin        tests and tools: held for the practice's lifetime
 */
import type { RoomName } from '../../../../shared/src/space/rooms'

export type LeasePriority = 'view' | 'prefetch' | 'pin'

/** How a room is used now: by a view (or a pin), or only by prefetches. */
export type RoomUse = 'view' | 'prefetch'

interface RoomLeases {
  view: number
  prefetch: number
  /** When the last lease ended, and what it was (a room in its grace keeps that use). */
  releasedAt: number | null
  lastUse: RoomUse
}

export class DocLeases {
  private readonly rooms = new Map<RoomName, RoomLeases>()

  constructor(private readonly now: () => number) {}

  /** Takes a lease on a doc of `room`; the function returned ends it (once). */
  acquire(room: RoomName, priority: LeasePriority): () => void {
    const entry = this.rooms.get(room) ?? { view: 0, prefetch: 0, releasedAt: null, lastUse: 'prefetch' }
    this.rooms.set(room, entry)
    const use: RoomUse = priority === 'prefetch' ? 'prefetch' : 'view'
    entry[use]++
    entry.releasedAt = null
    if (priority === 'pin') return () => undefined
    let ended = false
    return () => {
      if (ended) return
      ended = true
      entry[use]--
      if (entry.view === 0 && entry.prefetch === 0) {
        entry.releasedAt = this.now()
        entry.lastUse = use
      }
    }
  }

  /** The rooms in use now, leases ended less than `graceMs` ago included; forgets older ones. */
  usage(graceMs: number): Map<RoomName, RoomUse> {
    const now = this.now()
    const used = new Map<RoomName, RoomUse>()
    for (const [room, entry] of this.rooms) {
      if (entry.view > 0) used.set(room, 'view')
      else if (entry.prefetch > 0) used.set(room, 'prefetch')
      else if (entry.releasedAt !== null && now - entry.releasedAt < graceMs) used.set(room, entry.lastUse)
      else this.rooms.delete(room)
    }
    return used
  }

  /** When the next room leaves its grace (the practice reconciles then), or null if none is in one. */
  nextExpiry(graceMs: number): number | null {
    let next: number | null = null
    for (const entry of this.rooms.values()) {
      if (entry.view > 0 || entry.prefetch > 0 || entry.releasedAt === null) continue
      const at = entry.releasedAt + graceMs
      if (next === null || at < next) next = at
    }
    return next
  }
}
