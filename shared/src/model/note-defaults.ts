/**
 * What a new session note starts with: the session it most likely documents. A practitioner
 * writes the note of a session just after it, or that evening, or the next morning; the note is
 * then dated and linked to that session, not to the day the note is typed:
 *
 *   the latest of the patient's appointments that has started (by `now`, the practice's wall
 *   clock), was neither cancelled nor missed, no note documents yet, and is at most
 *   RECENT_SESSION_DAYS days old — or, when there is none, today and no link.
 */
import { addDays } from './dates'
import type { Appointment, Note } from './record-schemas'

/** A session older than this is not guessed at: its note is linked by hand (« Rendez-vous lié »). */
export const RECENT_SESSION_DAYS = 7

export type NoteDefaults = { readonly date: string; readonly appointmentId?: string }

export function newNoteDefaults(
  appointments: readonly Pick<Appointment, 'id' | 'start' | 'status' | 'deletedAt'>[],
  notes: readonly Pick<Note, 'appointmentId'>[],
  now: string,
): NoteDefaults {
  const today = now.slice(0, 10)
  const since = addDays(today, -RECENT_SESSION_DAYS)
  const documented = new Set(notes.map((n) => n.appointmentId).filter((id): id is string => id !== undefined))
  let latest: Pick<Appointment, 'id' | 'start'> | null = null
  for (const a of appointments) {
    if (a.deletedAt !== undefined || a.status === 'cancelled' || a.status === 'noshow' || documented.has(a.id)) continue
    if (a.start > now || a.start.slice(0, 10) < since) continue
    if (latest === null || a.start > latest.start) latest = a
  }
  return latest === null ? { date: today } : { date: latest.start.slice(0, 10), appointmentId: latest.id }
}
