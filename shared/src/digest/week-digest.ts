/**
 * The week digest: this week's and next week's appointments as the agenda lists them, so that a
 * fresh device shows the week grid right after « Qui êtes-vous ? » instead of waiting for this
 * month's room (≈3 MB of Yjs state for ten practitioners) to arrive and be integrated — work
 * that otherwise lands between a person's tap on their name and their week (docs/performance.md
 * « (9) »). Like the directory digest it is read-only and replaced: the agenda reads it until
 * this week's month docs have synced on the device, then the docs; writes always go to the docs.
 *
 * Wire format (before encryption, digest-cipher.ts, name 'week'): gzip of one UTF-8 JSON object
 * (digest-json.ts)
 *
 *   { "format": 1,
 *     "builtAt": 1795680000000,        epoch ms, on the producing device's clock
 *     "from": "2026-11-23",            the Monday of the week it was built in
 *     "to": "2026-12-06",              the Sunday of the week after
 *     "stateVectors": { "agenda/2026-11": "AQKa…", "agenda/2026-12": "…" },
 *                                      base64url of Y.encodeStateVector of each month doc read
 *     "appointments": [ { id, start, durationMin, practitionerId, … }, … ] }
 *
 * The appointments are listAppointments' output for from..to (deleted ones left out, cancelled
 * ones kept), read back with the model's record schema, so a record of the wrong shape is
 * refused as it would be in a doc. Two weeks rather than one: a device joining on Monday morning,
 * before any device has been online that week, still finds its week in last week's digest.
 *
 * `stateVectors` came after the first digests of format 1 (issue 18): a reader of format 1 without
 * it ignores it (unknown keys are stripped), and a digest without it is read with `stateVectors`
 * null — one whose coverage cannot be told (weekDigestCoversDocs: it covers nothing of the same
 * window), which a device replaces as soon as it holds more changes than it counts.
 *
 * Whether a digest covers what a device holds (weekDigestCoversDocs): a digest of a later window
 * does (the device is behind: it leaves it), one of an earlier window does not, and one of the
 * same window does when each month doc's state vector in it counts every change the device's copy
 * of that doc holds. Its weight (digest-cipher.ts: the relay stores it, unchecked) puts the
 * window's first day above the sum of the month docs' state vector clocks, so a digest that
 * covers a device's docs never weighs less than they do (weekDigestWeight).
 */
import * as Y from 'yjs'
import { z } from 'zod'
import { addDays, isLocalDate, monthOf, parseLocalDate, startOfWeek } from '../model/dates'
import { agendaDocId } from '../model/doc-ids'
import { compareAppointments, listAppointments, listAppointmentsInSlices } from '../model/agenda'
import { appointmentRecord } from '../model/record-schemas'
import type { Appointment } from '../model/record-schemas'
import type { ReadSlicing } from '../model/records'
import { checkSchema } from '../model/validation'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'
import { decodeDigestJson, encodeDigestJson, malformedRecord, type DigestRefusal } from './digest-json'
import { stateVectorCovers, stateVectorWeight, type DigestDecodeOptions } from './directory-digest'

export const WEEK_DIGEST_FORMAT = 1
/** Days a digest covers: the week it was built in and the next. */
export const WEEK_DIGEST_DAYS = 14

export interface WeekDigest {
  readonly format: typeof WEEK_DIGEST_FORMAT
  /** Epoch ms at which the producing device built it. */
  readonly builtAt: number
  /** First day covered (a Monday), 'YYYY-MM-DD'. */
  readonly from: string
  /** Last day covered (the Sunday of the week after), 'YYYY-MM-DD'. */
  readonly to: string
  /**
   * Y.encodeStateVector of each month doc it was built from, by doc id; null for a digest written
   * before they were recorded (its coverage cannot be told).
   */
  readonly stateVectors: Readonly<Record<string, Uint8Array>> | null
  /** Live appointments starting from..to, in listAppointments' order. */
  readonly appointments: readonly Appointment[]
}

/** A digest that cannot be read: not gzip, not JSON, another format, or a record of the wrong shape. */
export class WeekDigestFormatError extends Error {
  override name = 'WeekDigestFormatError'
}

/** The days a digest built on `today` covers, and the month docs holding them (one or two). */
export function weekDigestWindow(today: string): { from: string; to: string; docIds: string[] } {
  const from = startOfWeek(today)
  const to = addDays(from, WEEK_DIGEST_DAYS - 1)
  return { from, to, docIds: [...new Set([monthOf(from), monthOf(to)])].map(agendaDocId) }
}

/** Whether the digest holds every appointment of from..to (inclusive local dates). */
export function weekDigestCovers(digest: WeekDigest, from: string, to: string): boolean {
  return digest.from <= from && to <= digest.to
}

/** The digest's appointments starting from..to (within what it covers), in its order. */
export function weekDigestAppointments(digest: WeekDigest, from: string, to: string): Appointment[] {
  return digest.appointments.filter((a) => {
    const day = a.start.slice(0, 10)
    return day >= from && day <= to
  })
}

/** `docs` are the window's month docs (weekDigestWindow's docIds, in any order; each doc's guid is its id). */
export function buildWeekDigest(docs: readonly Y.Doc[], today: string, now: number): WeekDigest {
  const { from, to } = weekDigestWindow(today)
  const appointments = docs.flatMap((doc) => listAppointments(doc, { from, to }).items)
  appointments.sort(compareAppointments)
  const stateVectors = Object.fromEntries(docs.map((doc) => [doc.guid, Y.encodeStateVector(doc)]))
  return { format: WEEK_DIGEST_FORMAT, builtAt: now, from, to, stateVectors, appointments }
}

/**
 * buildWeekDigest with the appointments read in slices, the thread given back in between
 * (ReadSlicing): a device's first-screen record is built on a page, where two weeks of a busy
 * practice were one task of 124–247 ms after a join (issue 17). The state vectors are taken before
 * anything is read, so a change that lands between two slices is never counted by them: the digest
 * may hold more than they say (a device then finds it does not cover its docs and builds again),
 * never less. Equal to buildWeekDigest when the docs do not change meanwhile.
 */
export async function buildWeekDigestInSlices(docs: readonly Y.Doc[], today: string, now: number, slicing: ReadSlicing): Promise<WeekDigest> {
  const { from, to } = weekDigestWindow(today)
  const stateVectors = Object.fromEntries(docs.map((doc) => [doc.guid, Y.encodeStateVector(doc)]))
  const appointments: Appointment[] = []
  for (const doc of docs) appointments.push(...(await listAppointmentsInSlices(doc, { from, to }, slicing)).items)
  appointments.sort(compareAppointments)
  return { format: WEEK_DIGEST_FORMAT, builtAt: now, from, to, stateVectors, appointments }
}

/**
 * Whether `digest` covers everything the window's month `docs` of `today` hold on a device (header
 * comment): false when it is of an earlier window, lacks a change of one of the docs, or does not
 * say what it was built from; true for a later window (the device is the one behind).
 */
export function weekDigestCoversDocs(digest: WeekDigest, today: string, docs: readonly Y.Doc[]): boolean {
  const { from } = weekDigestWindow(today)
  if (digest.from !== from) return digest.from > from
  const { stateVectors } = digest
  if (stateVectors === null) return false
  return docs.every((doc) => {
    const known = Object.hasOwn(stateVectors, doc.guid) ? stateVectors[doc.guid] : undefined
    return known !== undefined && stateVectorCovers(known, Y.encodeStateVector(doc))
  })
}

/** Above the clocks' sum: the number of days since 1970 of the window's Monday. */
const WINDOW_UNIT = 2 ** 32

/**
 * The digest's weight: any later window outweighs any earlier one, and within a window a device
 * that knows more of the month docs (the sum of their state vector clocks) outweighs one that
 * knows less. Read in one synchronous stretch with the build, so it is the weight of what was read.
 */
export function weekDigestWeight(from: string, docs: readonly Y.Doc[]): number {
  const { year, month, day } = parseLocalDate(from)
  const days = Date.UTC(year, month - 1, day) / 86_400_000
  const clocks = docs.reduce((sum, doc) => sum + stateVectorWeight(Y.encodeStateVector(doc)), 0)
  return days * WINDOW_UNIT + Math.min(clocks, WINDOW_UNIT - 1)
}

export function encodeWeekDigest(digest: WeekDigest): Promise<Uint8Array> {
  const { stateVectors, ...rest } = digest
  return encodeDigestJson({
    ...rest,
    ...(stateVectors === null ? {} : { stateVectors: Object.fromEntries(Object.entries(stateVectors).map(([id, sv]) => [id, toBase64Url(sv)])) }),
  })
}

const appointmentWithId = appointmentRecord.extend({ id: z.string() })

const outerShape = z.object({
  format: z.literal(WEEK_DIGEST_FORMAT),
  builtAt: z.number().int().nonnegative(),
  from: z.string().refine(isLocalDate),
  to: z.string().refine(isLocalDate),
  // Each checked below as a state vector.
  stateVectors: z.record(z.string(), z.string()).optional(),
  // Checked one by one below, so that the error names the appointment's index and field.
  appointments: z.array(z.unknown()),
})

const REFUSAL: DigestRefusal = {
  what: 'Week digest',
  waitFor: 'the agenda',
  error: (message, options) => new WeekDigestFormatError(message, options),
}

/** Appointments checked between two of `nextSlice`'s turns (a zod parse each: ≈ 5 ms on the 2-core machine). */
const APPOINTMENTS_PER_SLICE = 50

/**
 * Throws WeekDigestFormatError (named) on anything malformed or of another format. With
 * `options.nextSlice` (a page: a cold start reads this device's first-screen record, whose
 * appointments' checks were ≈ 150 ms of one task under load), the appointments are checked
 * `rowsPerSlice` at a time with the thread given back in between; same result, same errors.
 */
export async function decodeWeekDigest(bytes: Uint8Array, options: DigestDecodeOptions = {}): Promise<WeekDigest> {
  const { nextSlice, rowsPerSlice = APPOINTMENTS_PER_SLICE } = options
  // Parsed in one go: two weeks are tens of kilobytes of JSON, a millisecond; their checks are the cost.
  const json = await decodeDigestJson(bytes, WEEK_DIGEST_FORMAT, REFUSAL)
  const outer = checkSchema(outerShape, json)
  if (!outer.ok) throw issuesError(outer.issues.map((issue) => issue.path))
  const { value } = outer
  if (value.to < value.from) throw issuesError(['to'])
  const appointments = new Array<Appointment>(value.appointments.length)
  for (let index = 0; index < value.appointments.length; index++) {
    if (nextSlice && index > 0 && index % rowsPerSlice === 0) await nextSlice()
    const read = checkSchema(appointmentWithId, value.appointments[index])
    if (!read.ok) throw issuesError(read.issues.map((issue) => `appointments.${index}.${issue.path}`))
    appointments[index] = read.value as Appointment
  }
  const stateVectors = value.stateVectors === undefined ? null : readStateVectors(value.stateVectors)
  return { format: WEEK_DIGEST_FORMAT, builtAt: value.builtAt, from: value.from, to: value.to, stateVectors, appointments }
}

function readStateVectors(texts: Record<string, string>): Record<string, Uint8Array> {
  // fromEntries: own properties only, whatever the ids (a "__proto__" is a key like any other).
  return Object.fromEntries(Object.entries(texts).map(([docId, text]) => [docId, readStateVector(docId, text)]))
}

function readStateVector(docId: string, text: string): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = fromBase64Url(text)
    Y.decodeStateVector(bytes)
  } catch (error) {
    throw new WeekDigestFormatError(`Week digest has a malformed state vector (stateVectors.${docId}): ignore it and wait for the agenda`, { cause: error })
  }
  return bytes
}

// Paths only (see malformedRecord): a note or an address is patient data.
function issuesError(paths: readonly string[]): Error {
  return malformedRecord(REFUSAL, paths.map((path) => path || '(root)'))
}
