/**
 * The access log of a patient's clinical file: who opened it, from which device, and when — the
 * traceability a patient may ask for. It lives in the file's own doc, so it is encrypted, synced,
 * stored and erased with the clinical data it is about:
 *
 *   doc.getArray('accessLog')        in the `patient/<id>` doc
 *     { kind: 'open', at: 1798757700000, by: { memberId: 'pQ3…', deviceId: 'dK9…' } }
 *
 * `at` is epoch ms from the injected clock; `by` is the member chosen on the device (« Qui
 * êtes-vous ? ») and the device's id. `kind` leaves room for other ways of reading a file (print,
 * export) without a new format; readers skip kinds they do not know.
 *
 * Why one top-level array: items appended to it by two devices that were offline are all kept (a
 * map keyed by anything would make concurrent openings compete). Entries are never edited, so a
 * plain JSON item is enough: no nested Y type, no id.
 *
 * Coalescing: an opening by the same member on the same device less than `ACCESS_COALESCE_MS`
 * (10 minutes) after the latest one recorded for them adds nothing. Going back and forth between
 * the agenda and a patient's page during one session is one consultation to the patient who asks;
 * a record per tap would fill the log (and the envelope) with noise. The window is measured in
 * real time between instants, so a DST change or a new day/year does not open or close it. Only
 * the same member and device coalesce, so only this device's own entries are read to decide: they
 * are always in its local copy, so the decision needs no network (an opening offline is recorded
 * like any other and syncs later).
 *
 * Bound: none. One recorded opening is a 118-byte Yjs update, a 155-byte envelope entry once
 * sealed (measured in access-log.test.ts), and coalescing makes the log grow with consultations,
 * not with taps: a patient seen twice a week, each time opened on two devices, for a year is
 * ~200 entries, ~30 KB of ciphertext before compaction folds them into the file's snapshot. A patient may ask for the
 * whole trace, so nothing is dropped; a retention period would be a compaction rule, later.
 * Erasing a patient's file (Envelope.erase of `patient/<id>`) erases its log with it.
 */
import type * as Y from 'yjs'
import { z } from 'zod'
import type { Actor, Clock } from './actor'
import { actor as actorSchema } from './field-schemas'

export const ACCESS_LOG_ARRAY = 'accessLog'

/** Openings by the same member on the same device closer than this are one consultation. */
export const ACCESS_COALESCE_MS = 10 * 60_000

export const ACCESS_KINDS = ['open'] as const
export type AccessKind = (typeof ACCESS_KINDS)[number]

/** An entry as read back: untrusted (another device, another version), so checked one by one. */
export const accessEntrySchema = z.object({
  kind: z.literal('open'),
  at: z.number().int().nonnegative(),
  by: actorSchema,
})

export type AccessEntry = z.output<typeof accessEntrySchema>

export function accessLogArray(doc: Y.Doc): Y.Array<unknown> {
  return doc.getArray<unknown>(ACCESS_LOG_ARRAY)
}

function readable(item: unknown): AccessEntry | null {
  const parsed = accessEntrySchema.safeParse(item)
  return parsed.success ? parsed.data : null
}

/** The latest opening recorded in `doc` by this member on this device, if any. */
function latestOpeningBy(doc: Y.Doc, actor: Actor): AccessEntry | null {
  let latest: AccessEntry | null = null
  for (const item of accessLogArray(doc)) {
    const entry = readable(item)
    if (!entry || entry.by.memberId !== actor.memberId || entry.by.deviceId !== actor.deviceId) continue
    if (!latest || entry.at > latest.at) latest = entry
  }
  return latest
}

/**
 * Records that `actor` opened the file `doc`, now by `clock`, unless the same member opened it on
 * the same device less than `window` ms ago (module comment). Returns the entry written, or null
 * when the opening was coalesced into the previous one. A previous entry dated after now (this
 * device's clock went back) does not coalesce: the new opening is recorded with its own time.
 */
export function recordFileOpening(doc: Y.Doc, actor: Actor, clock: Clock, window = ACCESS_COALESCE_MS): AccessEntry | null {
  const at = clock()
  const latest = latestOpeningBy(doc, actor)
  if (latest && at >= latest.at && at - latest.at < window) return null
  const entry: AccessEntry = { kind: 'open', at, by: { memberId: actor.memberId, deviceId: actor.deviceId } }
  accessLogArray(doc).push([entry])
  return entry
}

/** Every readable opening recorded in `doc`, newest first (by time, then by position in the log). */
export function listFileOpenings(doc: Y.Doc): AccessEntry[] {
  return fileOpenings([doc])
}

/**
 * The openings a patient's page shows: those recorded in the file of every member of the patient
 * (PatientRedirects.membersOf: the survivor and the duplicates merged into it), newest first.
 * Each entry stays in the doc it was written in, like notes do (merged-file.ts), so an opening of
 * the duplicate recorded offline after the merge shows on the kept patient once it arrives.
 * Unreadable entries are skipped: the log is a view, never a reason to fail the page.
 */
export function fileOpenings(docs: readonly Y.Doc[]): AccessEntry[] {
  const found: { entry: AccessEntry; doc: number; index: number }[] = []
  docs.forEach((doc, docIndex) => {
    accessLogArray(doc).forEach((item, index) => {
      const entry = readable(item)
      if (entry) found.push({ entry, doc: docIndex, index })
    })
  })
  found.sort((a, b) => b.entry.at - a.entry.at || a.doc - b.doc || b.index - a.index)
  return found.map((f) => f.entry)
}
