/**
 * How far what a doc shows can be trusted, for the screen that shows it (issue 17: a view must
 * never show old data as if current, nor an empty week that is not known to be empty):
 *
 *   currency   current    its room is live: it holds what the relay holds, and follows it
 *              updating   its room is connecting or exchanging: a moment, online
 *              behind     its room is not connected (offline, refused): what it holds dates from
 *                         `lastExchangeAt`, the screen says « pas à jour »
 *   known      what the doc holds was complete at some point: its room completed a handshake with
 *              the relay once (`lastSyncedAt`), or the practice's room index, read from a synced
 *              directory, says nobody ever wrote to that room. An empty doc that is not known
 *              shows « chargement », never « 0 rendez-vous » or a free slot.
 *
 * Pure functions of a room's state: the practice (practice.ts) feeds them, views combine several.
 */
import type { RoomState } from '../rooms/room'

export type Currency = 'current' | 'updating' | 'behind'

export interface DocFreshness {
  readonly currency: Currency
  readonly known: boolean
  /** The last frame from the relay (epoch ms), or null: « hors ligne depuis … ». */
  readonly lastExchangeAt: number | null
}

export interface FreshnessContext {
  /** The practice connects (not offline on purpose, not refused as a whole). */
  readonly online: boolean
  /** The room index of a synced directory does not list this room: nothing was ever written there. */
  readonly knownEmpty: boolean
}

/** A doc's freshness from its room's state; `room` null when the room is not in memory (yet). */
export function freshnessOf(room: RoomState | null, context: FreshnessContext): DocFreshness {
  const known = context.knownEmpty || (room !== null && room.lastSyncedAt !== null && !room.restoring)
  return { currency: currencyOf(room, context.online), known, lastExchangeAt: room?.lastExchangeAt ?? null }
}

function currencyOf(room: RoomState | null, online: boolean): Currency {
  // Offline (on purpose, or refused as a whole): its sockets are closing, if not closed yet.
  if (!online) return 'behind'
  if (room === null) return 'updating'
  const { phase } = room
  switch (phase.kind) {
    case 'live':
      return 'current'
    case 'refused':
      return 'behind'
    case 'syncing':
      return phase.link === 'offline' || phase.link === 'disconnected' ? 'behind' : 'updating'
    default:
      // closed, loading, idle, released: on its way in (or out and back in).
      return 'updating'
  }
}

const WORST: readonly Currency[] = ['behind', 'updating', 'current']

/** What a screen showing several docs can say: the least current, known only if all are, the oldest exchange. */
export function combineFreshness(all: readonly DocFreshness[]): DocFreshness {
  if (all.length === 0) return { currency: 'current', known: true, lastExchangeAt: null }
  const currency = WORST.find((c) => all.some((f) => f.currency === c)) ?? 'current'
  const exchanges = all.map((f) => f.lastExchangeAt)
  const lastExchangeAt = exchanges.includes(null) ? null : Math.min(...(exchanges as number[]))
  return { currency, known: all.every((f) => f.known), lastExchangeAt }
}

export function sameFreshness(a: DocFreshness, b: DocFreshness): boolean {
  return a.currency === b.currency && a.known === b.known && a.lastExchangeAt === b.lastExchangeAt
}
