/**
 * Rooms: how the docs of one practice (space) are spread over several relay rooms, so that a
 * device needs only the directory and this month's agenda to start, and neither it nor the relay
 * ever holds ten years of envelope at once.
 *
 *   main             the directory (and anything that is neither agenda nor patient file)
 *   agenda/YYYY-MM   the month doc agenda/YYYY-MM alone                         (layout 3)
 *   agenda/YYYY      the month docs agenda/YYYY-MM of that year                 (layout 2)
 *   files/<shard>    patient files, shard = one hex digit of SHA-256("patient:" ‖ patientId)
 *
 * The rule is fixed by the doc id alone: a month belongs to its room forever, so no doc ever
 * migrates between rooms as time passes, and two devices always agree without talking.
 *
 * Layout 3, one room per month: a busy month of ten practitioners is ~3 MB of envelope, a year
 * ~35 MB. With a room per year (layout 2) a fresh device had to receive and integrate the whole
 * year before today's agenda showed; with a room per month it needs the directory and this month,
 * which is what the benchmark's floor needs too. The price is more rooms (~12 a year): more
 * handshakes for the background pass (bounded, parallel, practice-space.ts) and a higher
 * rooms-per-space limit on the relay.
 *
 * 16 file shards: 20,000 patient files at ~10 KB of envelope each is ~200 MB, ~12 MB a shard,
 * and opening one patient loads one shard. Record ids are random base64url, but the shard hashes
 * the id rather than reading its first character: ids come from devices and imports, and a hash
 * keeps shards even whatever their alphabet.
 *
 * Layouts: a practice created before rooms (layout 1) keeps every doc in one room, the space's
 * historical one; layout 2 (created with rooms per year) and layout 3 (rooms per month, every new
 * practice) route by `roomOf`. The layout is fixed when the practice is created and travels in the
 * pairing code (see pairing-code.ts); a practice never changes layout (moving data between rooms
 * is not done).
 */
import { parseDocId } from '../model/doc-ids'
import { addDays, monthOf, parseLocalDate, startOfWeek } from '../model/dates'

export const MAIN_ROOM = 'main'
export const FILE_SHARDS = 16

export type RoomName = typeof MAIN_ROOM | `agenda/${string}` | `files/${string}`

/** 1: everything in one room (before rooms). 2: a room per agenda year. 3: a room per agenda month. */
export const SpaceLayout = { Single: 1, Rooms: 2, Months: 3 } as const
export type SpaceLayout = (typeof SpaceLayout)[keyof typeof SpaceLayout]
/** The layout of a practice created now. */
export const NEW_PRACTICE_LAYOUT: SpaceLayout = SpaceLayout.Months

export class RoomNameError extends Error {
  override name = 'RoomNameError'
}

const YEAR_ROOM = /^agenda\/(\d{4})$/
const MONTH_ROOM = /^agenda\/(\d{4})-(0[1-9]|1[0-2])$/
const FILES_ROOM = /^files\/[0-9a-f]$/

/** A room name of any layout. */
export function isRoomName(value: unknown): value is RoomName {
  return typeof value === 'string' && (value === MAIN_ROOM || YEAR_ROOM.test(value) || MONTH_ROOM.test(value) || FILES_ROOM.test(value))
}

/** A room a practice of this layout has (a year room is foreign to layout 3, and so on). */
export function isRoomOfLayout(layout: SpaceLayout, value: unknown): value is RoomName {
  if (typeof value !== 'string') return false
  switch (layout) {
    case SpaceLayout.Single:
      return value === MAIN_ROOM
    case SpaceLayout.Rooms:
      return value === MAIN_ROOM || YEAR_ROOM.test(value) || FILES_ROOM.test(value)
    case SpaceLayout.Months:
      return value === MAIN_ROOM || MONTH_ROOM.test(value) || FILES_ROOM.test(value)
  }
}

/** The layout-2 room of a year. */
export function agendaRoom(year: number): RoomName {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RoomNameError(`Not a four-digit year: ${year}`)
  return `agenda/${year}`
}

/** The layout-3 room of a month 'YYYY-MM'. */
export function monthRoom(month: string): RoomName {
  const room = `agenda/${month}` as const
  if (!MONTH_ROOM.test(room)) throw new RoomNameError(`Not a month YYYY-MM: ${month}`)
  return room
}

/** The year an agenda room holds (a year room, or a month room's year), or null for another room. */
export function yearOfRoom(room: RoomName): number | null {
  const match = YEAR_ROOM.exec(room) ?? MONTH_ROOM.exec(room)
  return match ? Number(match[1]) : null
}

/** The month 'YYYY-MM' a layout-3 room holds, or null for another room. */
export function monthOfRoom(room: RoomName): string | null {
  const match = MONTH_ROOM.exec(room)
  return match ? `${match[1]}-${match[2]}` : null
}

/**
 * The room of a doc in a practice of this layout. Pure, so every device routes alike. Throws
 * DocIdError for a doc id the model does not know. The patient shard needs a hash, hence async
 * (WebCrypto).
 */
export async function roomOf(docId: string, layout: SpaceLayout): Promise<RoomName> {
  const ref = parseDocId(docId)
  if (layout === SpaceLayout.Single) return MAIN_ROOM
  switch (ref.kind) {
    case 'directory':
      return MAIN_ROOM
    case 'agenda':
      return layout === SpaceLayout.Months ? monthRoom(ref.month) : agendaRoom(Number(ref.month.slice(0, 4)))
    case 'patient':
      return `files/${await patientShard(ref.patientId)}`
  }
}

async function patientShard(patientId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`patient:${patientId}`)))
  return (digest[0]! % FILE_SHARDS).toString(16)
}

/** Every file shard room, for the background pass that makes a device whole offline. */
export function fileRooms(): RoomName[] {
  return Array.from({ length: FILE_SHARDS }, (_, i) => `files/${i.toString(16)}` as RoomName)
}

/** The months ('YYYY-MM') of today and of its week, Monday to Sunday: one, or two across a month's end. */
export function weekMonths(today: string): string[] {
  const monday = startOfWeek(today)
  return [...new Set([monthOf(today), monthOf(monday), monthOf(addDays(monday, 6))])]
}

/**
 * The rooms a device opens and connects at start, for a practice's local date today
 * ('YYYY-MM-DD'): what the first screens (directory, today's agenda, this week) read.
 *   layout 1: main;
 *   layout 2: main and this year, plus next year in December and last year in January;
 *   layout 3: main and this month, plus the other month when this week (Monday to Sunday)
 *             straddles a month boundary, since the week view shows both.
 */
export function startupRooms(layout: SpaceLayout, today: string): RoomName[] {
  switch (layout) {
    case SpaceLayout.Single:
      return [MAIN_ROOM]
    case SpaceLayout.Rooms: {
      const { year, month } = parseLocalDate(today)
      const rooms: RoomName[] = [MAIN_ROOM, agendaRoom(year)]
      if (month === 12) rooms.push(agendaRoom(year + 1))
      if (month === 1) rooms.push(agendaRoom(year - 1))
      return rooms
    }
    case SpaceLayout.Months:
      return [MAIN_ROOM, ...weekMonths(today).map(monthRoom)]
  }
}
