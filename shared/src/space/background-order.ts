/**
 * The order in which a device's background pass opens the rooms of a practice it does not hold
 * open yet, most useful first: ten years of months are ~120 rooms, and the pass that makes a
 * device whole offline takes a while on a tablet, so what a practitioner is likely to look at
 * next must not wait behind 2017.
 *
 *   1. agenda rooms from a year ago onwards (future ones included: appointments to come), nearest
 *      to this month first, the later one first at equal distance;
 *   2. the patient file shards (a patient's file is opened from the agenda and the list);
 *   3. older agenda rooms, most recent first.
 *
 * `main` is never in the pass (it opens with the practice).
 */
import { parseLocalDate } from '../model/dates'
import { MAIN_ROOM, monthOfRoom, type RoomName } from './rooms'

/** How far back an agenda room still counts as recent, in months. */
const RECENT_MONTHS = 12

/** Months from this month to a month room's month; null for another room. */
function monthsFromToday(room: RoomName, today: { year: number; month: number }): number | null {
  const month = monthOfRoom(room)
  if (month === null) return null
  const { year, month: m } = parseLocalDate(`${month}-01`)
  return (year - today.year) * 12 + (m - today.month)
}

export function backgroundOrder(rooms: readonly RoomName[], today: string): RoomName[] {
  const now = parseLocalDate(today)
  const recent: Array<{ room: RoomName; distance: number }> = []
  const old: Array<{ room: RoomName; distance: number }> = []
  const files: RoomName[] = []
  for (const room of new Set(rooms)) {
    if (room === MAIN_ROOM) continue
    const distance = monthsFromToday(room, now)
    if (distance === null) files.push(room)
    else (distance >= -RECENT_MONTHS ? recent : old).push({ room, distance })
  }
  recent.sort((a, b) => Math.abs(a.distance) - Math.abs(b.distance) || b.distance - a.distance)
  old.sort((a, b) => b.distance - a.distance)
  files.sort()
  return [...recent.map((r) => r.room), ...files, ...old.map((r) => r.room)]
}
