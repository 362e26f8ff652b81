/**
 * The calendar events the practice already imported, so that importing the same .ics again (or a
 * later export of the same calendar) updates or skips what already came in instead of doubling it.
 *
 * Each .ics import's record (import-batch.ts) maps every event it wrote to the appointment it made
 * or updated and a hash of what the file said then:
 *
 *   events: { '<UID>|<RECURRENCE-ID>' → { ref: '2026-12/<appointment id>', hash: '9f1c03aa' } }
 *
 * The key is the occurrence's `key` (ical-read.ts): the UID, and for an occurrence of a recurring
 * event the time it recurs at, which stays the same when that occurrence is moved. The newest
 * import of a key wins. An import that was undone still counts for the appointments its undo kept
 * (edited since); the ones it removed may come back.
 *
 * The hash is FNV-1a (32 bits) of the occurrence's start, length, summary, location and
 * description: it only has to tell « the file changed this event » from « the same », within one
 * event; a collision (1 in 4 billion) would leave one changed event as it was.
 */
import * as Y from 'yjs'
import { DIRECTORY_MAPS } from '../../../shared/src/model'
import type { Appointment } from '../../../shared/src/model'
import { collection } from '../../../shared/src/model/records'
import type { IcsOccurrence } from './ical-read'
import { listImportBatches, parseRef, type AppointmentRef } from './import-batch'
import { locateAppointment, type UndoTarget } from './import-undo'

export function occurrenceHash(o: Pick<IcsOccurrence, 'start' | 'durationMin' | 'summary' | 'location' | 'description'>): string {
  const text = JSON.stringify([o.start, o.durationMin, o.summary, o.location ?? '', o.description ?? ''])
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, '0')
}

/** An event some earlier import wrote, as it stands now. */
export interface KnownEvent {
  /** Where the appointment lives now; undefined when it was deleted since (by hand): not made again. */
  readonly ref: AppointmentRef | undefined
  readonly appointment: Appointment | undefined
  readonly hash: string
}

/** Every event key the practice's .ics imports remember, newest import first. */
function rememberedEvents(directory: Y.Doc): Map<string, { ref: AppointmentRef; hash: string; undone: boolean }> {
  const known = new Map<string, { ref: AppointmentRef; hash: string; undone: boolean }>()
  for (const batch of listImportBatches(directory)) {
    if (batch.source !== 'calendar-ics') continue
    const record = collection(directory, DIRECTORY_MAPS.imports).get(batch.id)
    const events = record instanceof Y.Map ? record.get('events') : undefined
    if (!(events instanceof Y.Map)) continue
    events.forEach((value: unknown, key: string) => {
      if (known.has(key) || typeof value !== 'object' || value === null) return
      const { ref, hash } = value as { ref?: unknown; hash?: unknown }
      const parsed = parseRef(ref)
      if (parsed && typeof hash === 'string') known.set(key, { ref: parsed, hash, undone: batch.undoneAt !== undefined })
    })
  }
  return known
}

/**
 * The events of `keys` an earlier import wrote, each looked up in its month doc (following a move
 * to another month). An undone import's event whose appointment is gone is not known: it may be
 * imported again.
 */
export async function knownEvents(target: UndoTarget, keys: Iterable<string>): Promise<Map<string, KnownEvent>> {
  const remembered = rememberedEvents(target.directory)
  const result = new Map<string, KnownEvent>()
  for (const key of keys) {
    const entry = remembered.get(key)
    if (!entry) continue
    const found = await locateAppointment(target, entry.ref)
    const live = found !== undefined && found.appointment.deletedAt === undefined
    if (!live && entry.undone) continue
    result.set(key, { ref: live ? found.ref : undefined, appointment: live ? found.appointment : undefined, hash: entry.hash })
  }
  return result
}
