/**
 * Policies as data: the rooms a practice wants in memory now, and whether each may connect, as
 * one pure function of what the practice knows. The pool (rooms/room-pool.ts) reconciles to its
 * answer; nothing else decides whether a room opens, connects or goes.
 *
 *   startup      main and this week's months (shared/src/space/rooms.ts startupRooms): what the
 *                first screens read, always
 *   view         rooms holding a doc a screen shows or a form writes (doc-leases.ts), and for a
 *                grace period after, so that what a screen shows is live
 *   prefetch     rooms of docs a screen will probably show next: once the start-up has settled
 *   background   the background pass's window (background-pass.ts): a few rooms at a time, until
 *                the device holds the whole practice
 *   pending      rooms with local changes the relay has not acknowledged (or not yet encrypted):
 *                they stay until the relay holds them — also those a previous session left so
 *                (unacknowledged-rooms.ts), which are not in memory yet
 *   refused      a room the relay refused stays, so the refusal shows
 *   storage-error  a room whose local copy failed to write stays, so the rewrite can repair it
 *
 * Connection: every wanted room connects while the practice is online; none does while it is
 * offline on purpose; a new device's main room waits (defers) while the digest is shown and
 * this week's months sync first (startup/main-hold.ts).
 */
import { MAIN_ROOM, type RoomName } from '../../../../shared/src/space/rooms'
import type { RoomState } from '../rooms/room'
import type { RoomWant, WantReason, WantedRooms } from '../rooms/room-pool'
import type { RoomUse } from './doc-leases'

export interface WantedInput {
  readonly startup: readonly RoomName[]
  /** The practice connects: not disconnected by the person or the browser, not refused as a whole. */
  readonly online: boolean
  /** A new device's main room waits its turn (the digest first). */
  readonly mainDeferred: boolean
  /** Every start-up room is live, offline or refused: lower priorities may go. */
  readonly startupSettled: boolean
  readonly uses: ReadonlyMap<RoomName, RoomUse>
  readonly background: readonly RoomName[]
  /** Rooms this device wrote into that the relay has not acknowledged, in memory or not (unacknowledged-rooms.ts). */
  readonly unacknowledged?: readonly RoomName[]
  /** The rooms in memory now, with their state. */
  readonly rooms: ReadonlyMap<RoomName, RoomState>
}

export function wantedRooms(input: WantedInput): WantedRooms {
  const reasons = new Map<RoomName, WantReason[]>()
  const want = (room: RoomName, reason: WantReason) => {
    const why = reasons.get(room) ?? []
    if (!why.includes(reason)) reasons.set(room, [...why, reason])
  }
  for (const room of input.startup) want(room, 'startup')
  for (const [room, use] of input.uses) if (use === 'view' || input.startupSettled) want(room, use)
  for (const room of input.background) want(room, 'background')
  for (const room of input.unacknowledged ?? []) want(room, 'pending')
  for (const [room, state] of input.rooms) {
    if (state.pendingChanges > 0 || state.queuedWrites) want(room, 'pending')
    if (state.phase.kind === 'refused') want(room, 'refused')
    if (state.storageError !== null) want(room, 'storage-error')
  }
  const wanted = new Map<RoomName, RoomWant>()
  for (const [room, why] of reasons) wanted.set(room, { connection: connectionOf(room, input), reasons: why })
  return wanted
}

function connectionOf(room: RoomName, input: WantedInput): RoomWant['connection'] {
  if (!input.online) return 'disconnect'
  if (room === MAIN_ROOM && input.mainDeferred) return 'defer'
  return 'connect'
}
