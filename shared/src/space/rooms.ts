/**
 * Rooms: how the docs of one practice (space) are spread over several relay rooms, so that a
 * device needs only the directory and this year's agenda to start, and neither it nor the relay
 * ever holds ten years of envelope at once.
 *
 *   main            the directory (and anything that is neither agenda nor patient file)
 *   agenda/YYYY     the month docs agenda/YYYY-MM of that year
 *   files/<shard>   patient files, shard = one hex digit of SHA-256("patient:" ‖ patientId)
 *
 * The rule is fixed by the doc id alone: a month belongs to its year's room forever, so no doc
 * ever migrates between rooms as time passes, and two devices always agree without talking.
 *
 * 16 file shards: 20,000 patient files at ~10 KB of envelope each is ~200 MB, ~12 MB a shard,
 * the same order as one busy agenda year (~35 MB), and opening one patient loads one shard.
 * Record ids are random base64url, but the shard hashes the id rather than reading its first
 * character: ids come from devices and imports, and a hash keeps shards even whatever their
 * alphabet. 16 fits one hex digit and stays far below the relay's rooms-per-space limit.
 *
 * Layouts: a practice created before rooms (layout 1) keeps every doc in one room, the space's
 * historical one; layout 2 routes by `roomOf`. The layout is fixed when the practice is created
 * and travels in the pairing code (see pairing-code.ts).
 */
import { parseDocId } from '../model/doc-ids'

export const MAIN_ROOM = 'main'
export const FILE_SHARDS = 16

export type RoomName = typeof MAIN_ROOM | `agenda/${string}` | `files/${string}`

/** 1: everything in one room (practices created before rooms). 2: routed by roomOf. */
export const SpaceLayout = { Single: 1, Rooms: 2 } as const
export type SpaceLayout = (typeof SpaceLayout)[keyof typeof SpaceLayout]

export class RoomNameError extends Error {
  override name = 'RoomNameError'
}

const AGENDA_ROOM = /^agenda\/(\d{4})$/
const FILES_ROOM = /^files\/[0-9a-f]$/

export function isRoomName(value: unknown): value is RoomName {
  return typeof value === 'string' && (value === MAIN_ROOM || AGENDA_ROOM.test(value) || FILES_ROOM.test(value))
}

export function agendaRoom(year: number): RoomName {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RoomNameError(`Not a four-digit year: ${year}`)
  return `agenda/${year}`
}

/** The year an agenda room holds, or null for another room. */
export function yearOfRoom(room: RoomName): number | null {
  const match = AGENDA_ROOM.exec(room)
  return match ? Number(match[1]) : null
}

/**
 * The room of a doc (layout 2). Pure, so every device routes alike. Throws DocIdError for a doc
 * id the model does not know. The patient shard needs a hash, hence async (WebCrypto).
 */
export async function roomOf(docId: string): Promise<RoomName> {
  const ref = parseDocId(docId)
  switch (ref.kind) {
    case 'directory':
      return MAIN_ROOM
    case 'agenda':
      return `agenda/${ref.month.slice(0, 4)}`
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

/**
 * The agenda rooms a device opens at start for a given local date: this year, plus next year in
 * December and last year in January (the days around today must show at once).
 */
export function startupAgendaRooms(today: { year: number; month: number }): RoomName[] {
  const rooms = [agendaRoom(today.year)]
  if (today.month === 12) rooms.push(agendaRoom(today.year + 1))
  if (today.month === 1) rooms.push(agendaRoom(today.year - 1))
  return rooms
}
