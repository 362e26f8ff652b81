/**
 * The directory digest: a compact, read-only snapshot of what the directory's read views show
 * (practice settings, practitioners, appointment kinds, every patient), so that a fresh device
 * shows the agenda and a searchable patient list before the whole directory Y.Doc has synced.
 * Views read it until the real doc has synced, then the doc; writes always go to the doc.
 *
 * Wire format (before encryption, digest-cipher.ts): gzip of one UTF-8 JSON object
 *
 *   { "format": 2,
 *     "builtAt": 1795680000000,                      epoch ms, on the producing device's clock
 *     "stateVector": "AQKa…",                        base64url of Y.encodeStateVector(directory)
 *     "practice": { name, timeZone, locale, createdAt, … } | null,
 *     "practitioners": [ { id, displayName, profession, colour, active, … }, … ],
 *     "appointmentKinds": [ { id, label, defaultDurationMin, colour, active, … }, … ],
 *     "actors": [ { memberId, deviceId }, … ],       every actor of the patients' stamps, once
 *     "patientFields": [ "id", "birthName", … ],     the name of each column of the rows
 *     "patients": [ [ "pQ3…", "Lefèvre", null, … ], … ] }
 *
 * One row per patient, a column per field of `patientFields`: null is an absent field (no
 * patient field may be null), an actor field (createdBy, updatedBy, deletedBy) holds an index
 * into `actors`, trailing absent fields are left out. A reader skips the columns it does not know
 * (a newer version's field), as the model's schema strips unknown keys. Format 1 wrote each
 * patient as an object: half of its JSON was field names and repeated actors (20,000 generated
 * patients: 10.2 MB, format 2 5.1 MB), and gunzip, UTF-8 decoding and JSON.parse of them were
 * the largest part of a new device's first screen (CPU profile, docs/performance.md « (6) »).
 *
 * Records are the model's own readers' output (getPractice, listPractitioners,
 * listAppointmentKinds as the hooks call them; listPatients with archived and deleted ones, in
 * its order), so they read back with the model's record schemas. `format` changes whenever a
 * device of this version could not read the digest of another correctly; a reader refuses any
 * other format (DirectoryDigestFormatError) and waits for the directory itself.
 */
import * as Y from 'yjs'
import { z } from 'zod'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'
import { getPractice, listAppointmentKinds, listPatients, listPractitioners } from '../model/directory'
import { appointmentKindRecord, practiceRecord, practitionerRecord } from '../model/record-schemas'
import type { AppointmentKind, Patient, Practice, Practitioner } from '../model/record-schemas'
import { checkSchema } from '../model/validation'
import type { Actor } from '../model/actor'
import { ACTOR_FIELDS, FIELD_NAMES, KNOWN_FIELDS, readDigestPatient } from './digest-patient'
import { decodeDigestJson, encodeDigestJson, malformedRecord, type DigestRefusal } from './digest-json'

export const DIRECTORY_DIGEST_FORMAT = 2

export interface DirectoryDigest {
  readonly format: typeof DIRECTORY_DIGEST_FORMAT
  /** Epoch ms at which the producing device built it. */
  readonly builtAt: number
  /** Y.encodeStateVector(directory) of the doc it was built from. */
  readonly stateVector: Uint8Array
  readonly practice: Practice | null
  /** What usePractitioners shows: active, not deleted, in French order of names. */
  readonly practitioners: readonly Practitioner[]
  /** What useAppointmentKinds shows: active, not deleted, oldest first. */
  readonly appointmentKinds: readonly AppointmentKind[]
  /** Every patient, archived and deleted included (old appointments keep their names), in listPatients' order. */
  readonly patients: readonly Patient[]
  /**
   * Only some patients (a device's first-screen record: those its week names), never on the wire:
   * views that list every patient wait for the doc or a whole digest instead.
   */
  readonly partial?: true
}

/** A digest that cannot be read: not gzip, not JSON, another format, or a record of the wrong shape. */
export class DirectoryDigestFormatError extends Error {
  override name = 'DirectoryDigestFormatError'
}

/** The digest of `directory`; with `only`, a partial one holding those patients alone (a first-screen record). */
export function buildDirectoryDigest(directory: Y.Doc, now: number, only?: readonly Patient[]): DirectoryDigest {
  const digest: Omit<DirectoryDigest, 'patients'> = {
    format: DIRECTORY_DIGEST_FORMAT,
    builtAt: now,
    stateVector: Y.encodeStateVector(directory),
    practice: getPractice(directory) ?? null,
    practitioners: listPractitioners(directory).items,
    appointmentKinds: listAppointmentKinds(directory).items,
  }
  if (only) return { ...digest, patients: only, partial: true }
  return { ...digest, patients: listPatients(directory, { includeArchived: true, includeDeleted: true }).items }
}

/** gzip(JSON), see digest-json.ts. */
export async function encodeDirectoryDigest(digest: DirectoryDigest): Promise<Uint8Array> {
  const { patients, partial: _partial, ...rest } = digest
  return encodeDigestJson({ ...rest, stateVector: toBase64Url(digest.stateVector), ...patientRows(patients) })
}

/** The patients as the wire's `actors`, `patientFields` and `patients` rows (header comment). */
function patientRows(patients: readonly Patient[]): { actors: Actor[]; patientFields: string[]; patients: unknown[][] } {
  const actors: Actor[] = []
  const actorIndex = new Map<string, number>()
  const indexOf = (actor: Actor): number => {
    const key = `${actor.memberId}\u0000${actor.deviceId}`
    let index = actorIndex.get(key)
    if (index === undefined) {
      index = actors.length
      actors.push({ memberId: actor.memberId, deviceId: actor.deviceId })
      actorIndex.set(key, index)
    }
    return index
  }
  const rows = patients.map((patient) => {
    const row: unknown[] = FIELD_NAMES.map((field) => {
      const value = patient[field]
      if (value === undefined) return null
      return ACTOR_FIELDS.has(field) ? indexOf(value as Actor) : value
    })
    while (row.length > 0 && row[row.length - 1] === null) row.pop()
    return row
  })
  return { actors, patientFields: [...FIELD_NAMES], patients: rows }
}

const withId = { id: z.string() }
const practitionerWithId = practitionerRecord.extend(withId)
const kindWithId = appointmentKindRecord.extend(withId)

const outerShape = z.object({
  format: z.literal(DIRECTORY_DIGEST_FORMAT),
  builtAt: z.number().int().nonnegative(),
  stateVector: z.string(),
  practice: practiceRecord.nullable(),
  practitioners: z.array(practitionerWithId),
  appointmentKinds: z.array(kindWithId),
  // Checked where a row refers to them (digest-patient.ts's actor check), like every field.
  actors: z.array(z.unknown()),
  patientFields: z.array(z.string()),
  // Checked one by one below, so that the error names the patient's index and field.
  patients: z.array(z.unknown()),
})

const REFUSAL: DigestRefusal = {
  what: 'Directory digest',
  waitFor: 'the directory',
  error: (message, options) => new DirectoryDigestFormatError(message, options),
}

/** Throws DirectoryDigestFormatError (named) on anything malformed or of another format. */
export async function decodeDirectoryDigest(bytes: Uint8Array, options: DigestDecodeOptions = {}): Promise<DirectoryDigest> {
  const json = await decodeDigestJson(bytes, DIRECTORY_DIGEST_FORMAT, REFUSAL, options.nextSlice)
  const outer = checkSchema(outerShape, json)
  if (!outer.ok) throw issuesError(outer.issues)
  const { value } = outer
  const patients = await readPatientRows(value.actors, value.patientFields, value.patients, options)
  return {
    format: DIRECTORY_DIGEST_FORMAT,
    builtAt: value.builtAt,
    stateVector: decodeStateVectorField(value.stateVector),
    practice: value.practice,
    practitioners: value.practitioners,
    appointmentKinds: value.appointmentKinds,
    patients,
  }
}

/** Rows read between two of `nextSlice`'s turns: ≈ 6 ms of checks on a 2-core machine, 4× that when it is busy. */
const ROWS_PER_SLICE = 500

export interface DigestDecodeOptions {
  /**
   * Given, the JSON is parsed and the patients' rows are read in slices with the thread given back
   * in between (a page: the checks of 20,000 patients are ≈0.4 s); without, in one go (a worker, Node).
   */
  readonly nextSlice?: () => Promise<void>
  readonly rowsPerSlice?: number
}

/** What a column of the rows holds: a field of this version (an actor index or not), or nothing it knows. */
type Column = { field: string; actor: boolean } | null

/**
 * Each row back into a patient object, then the same per-field checks as any patient (rather
 * than the zod schema: see digest-patient.ts for the figures). An actor is shared by every
 * record stamped by it, as parsed: records are never mutated.
 */
async function readPatientRows(
  actors: readonly unknown[],
  fieldNames: readonly string[],
  rows: readonly unknown[],
  { nextSlice, rowsPerSlice = ROWS_PER_SLICE }: DigestDecodeOptions,
): Promise<Patient[]> {
  const columns: Column[] = fieldNames.map((field) => (KNOWN_FIELDS.has(field) ? { field, actor: ACTOR_FIELDS.has(field) } : null))
  const patients = new Array<Patient>(rows.length)
  for (let i = 0; i < rows.length; i++) {
    if (nextSlice && i > 0 && i % rowsPerSlice === 0) await nextSlice()
    const row = rows[i]
    if (!Array.isArray(row) || row.length > columns.length) throw issuesError([{ path: '', message: 'not a row of patientFields' }], `patients.${i}`)
    const record: Record<string, unknown> = {}
    for (let j = 0; j < row.length; j++) {
      const column = columns[j] as Column // j < row.length ≤ columns.length
      const cell: unknown = row[j]
      if (column === null || cell === null) continue
      if (!column.actor) {
        record[column.field] = cell
        continue
      }
      if (typeof cell !== 'number' || !Number.isInteger(cell) || cell < 0 || cell >= actors.length) {
        throw issuesError([{ path: column.field, message: 'not an index of actors' }], `patients.${i}`)
      }
      record[column.field] = actors[cell]
    }
    const read = readDigestPatient(record)
    if (!read.ok) throw issuesError([{ path: read.field, message: 'missing or of the wrong type' }], `patients.${i}`)
    patients[i] = read.patient
  }
  return patients
}

/**
 * Whether a digest built from a doc of state vector `digest` covers everything a doc of state
 * vector `own` holds: every change `own` counts (each writer's clock) is counted in `digest`
 * too. A model change is always a new struct (a field set, a soft delete, a merge's redirect), so
 * a digest that covers a device's doc lists every record that doc holds, at its latest version
 * there; one that does not lacks a change the device has (a patient, a newer version of one).
 * Both must be valid state vectors (decodeStateVectorField checks a decoded digest's).
 */
export function stateVectorCovers(digest: Uint8Array, own: Uint8Array): boolean {
  const known = Y.decodeStateVector(digest)
  for (const [client, clock] of Y.decodeStateVector(own)) if ((known.get(client) ?? 0) < clock) return false
  return true
}

/** Sum of the clocks of a Yjs state vector: grows with every change a device knows of. */
export function stateVectorWeight(stateVector: Uint8Array): number {
  let weight = 0
  for (const clock of Y.decodeStateVector(stateVector).values()) weight += clock
  return weight
}

function decodeStateVectorField(text: string): Uint8Array {
  try {
    const bytes = fromBase64Url(text)
    Y.decodeStateVector(bytes)
    return bytes
  } catch (error) {
    throw REFUSAL.error('Directory digest has a malformed stateVector: ignore it and wait for the directory', { cause: error })
  }
}

// Paths and issue codes only (see malformedRecord).
function issuesError(issues: readonly { path: string; message: string }[], prefix = ''): Error {
  return malformedRecord(
    REFUSAL,
    issues.slice(0, 3).map((issue) => `${[prefix, issue.path].filter(Boolean).join('.') || '(root)'}: ${issue.message}`),
  )
}
