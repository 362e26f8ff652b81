/**
 * The background pass: what makes a device whole for days offline, by bringing every room the
 * practice has written to (the directory's room index, room-index.ts) up to date, a few at a time
 * and most useful first (shared/src/space/background-order.ts), each released from memory once it
 * has synced (its data stays in IndexedDB).
 *
 * As data: `window()` is the rooms the pass wants now — the first `concurrency` rooms, in order,
 * that it has not caught up with since the main room last connected. A window room that goes live
 * is caught up and leaves the window, so the next one enters; one that cannot reach the relay
 * (offline, refused) stops the pass, since the rooms after it would fail alike: the main room's
 * next connection starts it again from the top (`restart`), for colleagues may have written to any
 * room meanwhile.
 */
import { backgroundOrder } from '../../../../shared/src/space/background-order'
import { isRoomName, MAIN_ROOM, type RoomName } from '../../../../shared/src/space/rooms'
import { isSettled, type RoomPhase } from '../rooms/room-lifecycle'

/**
 * Three rooms in flight: enough to overlap the handshake round trips that dominate small rooms
 * (~140 rooms at ten years of months), few enough that a tablet decodes one room while two
 * download, and that the start-up rooms' bandwidth is not diluted when a view opens a room.
 */
export const BACKGROUND_CONCURRENCY = 3

export class BackgroundPass {
  private order: readonly RoomName[] = []
  private readonly caughtUp = new Set<RoomName>()
  /** Started by main's first connection; false until then (and for good when disabled). */
  private running = false
  private window_: readonly RoomName[] = []

  constructor(
    private readonly today: string,
    /** The start-up rooms: always open, never the pass's. */
    private readonly skip: ReadonlySet<RoomName>,
    private readonly concurrency = BACKGROUND_CONCURRENCY,
    /** Whether this device's keys read a room: a secretary's device never fetches a file shard. */
    private readonly reads: (room: RoomName) => boolean = () => true,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`Concurrency must be a positive integer, got ${concurrency}`)
  }

  /** The rooms the practice has written to (the directory's index; other names are ignored). */
  setIndex(rooms: Iterable<string>): void {
    this.order = backgroundOrder([...rooms].filter(isRoomName).filter((room) => this.reads(room)), this.today)
  }

  /** Main (re)connected: every room may have changed meanwhile; the pass runs from the top. */
  restart(): void {
    this.caughtUp.clear()
    this.running = true
  }

  /** The rooms the pass wants now. */
  window(): readonly RoomName[] {
    if (!this.running) return (this.window_ = [])
    this.window_ = this.order.filter((room) => !this.skip.has(room) && !this.caughtUp.has(room)).slice(0, this.concurrency)
    return this.window_
  }

  /**
   * A room's phase: live means caught up (whoever opened it); a window room that settled without
   * being live (offline, refused) stops the pass until main's next connection.
   */
  observe(room: RoomName, phase: RoomPhase): void {
    if (this.skip.has(room) || room === MAIN_ROOM) return
    if (phase.kind === 'live') this.caughtUp.add(room)
    else if (this.running && isSettled(phase) && this.window_.includes(room)) this.running = false
  }

  /** Rooms caught up since main last connected (tests, diagnostics). */
  caughtUpRooms(): RoomName[] {
    return [...this.caughtUp]
  }
}
