/**
 * Rooms: how the docs of one practice (space) are spread over several relay rooms, so that a
 * device needs only the directory and this week's agenda months to start, and neither it nor the
 * relay ever holds ten years of envelope at once.
 *
 *   main             the directory and the space manifest (anything not agenda nor patient file)
 *   agenda/YYYY-MM   the month doc agenda/YYYY-MM alone
 *   files/<shard>    patient files, shard = one hex digit of SHA-256("patient:" ‖ patientId)
 *
 * The rule is fixed by the doc id alone: a month belongs to its room forever, so no doc ever
 * migrates between rooms as time passes, and two devices always agree without talking. There is
 * one layout (Tournée has not shipped one before it); the space manifest (manifest.ts) records the
 * format, so that a future change of layout is a migration the devices coordinate.
 *
 * One room per month: a busy month of ten practitioners is ~3 MB of envelope, a year ~35 MB. A
 * fresh device needs the directory and this month, which is what the benchmark's floor needs too.
 * The price is more rooms (~12 a year): more handshakes for the background pass (bounded,
 * parallel) and a rooms-per-space limit on the relay that counts them.
 *
 * 16 file shards: 20,000 patient files at ~10 KB of envelope each is ~200 MB, ~12 MB a shard,
 * and opening one patient loads one shard. Record ids are random base64url, but the shard hashes
 * the id rather than reading its first character: ids come from devices and imports, and a hash
 * keeps shards even whatever their alphabet.
 */
import { parseDocId } from '../model/doc-ids'
import { addDays, monthOf, startOfWeek } from '../model/dates'

export const MAIN_ROOM = 'main'
export const FILE_SHARDS = 16

export type RoomName = typeof MAIN_ROOM | `agenda/${string}` | `files/${string}`

export class RoomNameError extends Error {
  override name = 'RoomNameError'
}

const MONTH_ROOM = /^agenda\/(\d{4})-(0[1-9]|1[0-2])$/
const FILES_ROOM = /^files\/[0-9a-f]$/

/** A room name of the layout: main, a month room, or a file shard. */
export function isRoomName(value: unknown): value is RoomName {
  return typeof value === 'string' && (value === MAIN_ROOM || MONTH_ROOM.test(value) || FILES_ROOM.test(value))
}

/** The room of a month 'YYYY-MM'. */
export function monthRoom(month: string): RoomName {
  const room = `agenda/${month}` as const
  if (!MONTH_ROOM.test(room)) throw new RoomNameError(`Not a month YYYY-MM: ${month}`)
  return room
}

/** The month 'YYYY-MM' a month room holds, or null for another room. */
export function monthOfRoom(room: RoomName): string | null {
  const match = MONTH_ROOM.exec(room)
  return match ? `${match[1]}-${match[2]}` : null
}

/**
 * The room of a doc. Pure, so every device routes alike. Throws DocIdError for a doc id the model
 * does not know. The patient shard needs a hash, hence async (WebCrypto).
 */
export async function roomOf(docId: string): Promise<RoomName> {
  const ref = parseDocId(docId)
  switch (ref.kind) {
    case 'directory':
    case 'manifest':
      return MAIN_ROOM
    case 'agenda':
      return monthRoom(ref.month)
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
 * ('YYYY-MM-DD'): what the first screens (directory, today's agenda, this week) read — main and
 * this month, plus the other month when this week (Monday to Sunday) straddles a month's end.
 */
export function startupRooms(today: string): RoomName[] {
  return [MAIN_ROOM, ...weekMonths(today).map(monthRoom)]
}
