/**
 * The directory digest: a compact, read-only snapshot of what the directory's read views show
 * (practice settings, practitioners, appointment kinds, every patient), so that a fresh device
 * shows the agenda and a searchable patient list before the whole directory Y.Doc has synced.
 * Views read it until the real doc has synced, then the doc; writes always go to the doc.
 *
 * Wire format (before encryption, digest-cipher.ts): gzip of one UTF-8 JSON object
 *
 *   { "format": 1,
 *     "builtAt": 1795680000000,                      epoch ms, on the producing device's clock
 *     "stateVector": "AQKa…",                        base64url of Y.encodeStateVector(directory)
 *     "practice": { name, timeZone, locale, createdAt, … } | null,
 *     "practitioners": [ { id, displayName, profession, colour, active, … }, … ],
 *     "appointmentKinds": [ { id, label, defaultDurationMin, colour, active, … }, … ],
 *     "patients": [ { id, birthName, firstNames, archived, createdAt, … }, … ] }
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
import { readDigestPatient } from './digest-patient'

export const DIRECTORY_DIGEST_FORMAT = 1

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
}

/** A digest that cannot be read: not gzip, not JSON, another format, or a record of the wrong shape. */
export class DirectoryDigestFormatError extends Error {
  override name = 'DirectoryDigestFormatError'
}

export function buildDirectoryDigest(directory: Y.Doc, now: number): DirectoryDigest {
  return {
    format: DIRECTORY_DIGEST_FORMAT,
    builtAt: now,
    stateVector: Y.encodeStateVector(directory),
    practice: getPractice(directory) ?? null,
    practitioners: listPractitioners(directory).items,
    appointmentKinds: listAppointmentKinds(directory).items,
    patients: listPatients(directory, { includeArchived: true, includeDeleted: true }).items,
  }
}

/** gzip(JSON) — CompressionStream('gzip'), global in Node 20 and browsers. */
export async function encodeDirectoryDigest(digest: DirectoryDigest): Promise<Uint8Array> {
  const json = JSON.stringify({ ...digest, stateVector: toBase64Url(digest.stateVector) })
  return pipe(new TextEncoder().encode(json), new CompressionStream('gzip'))
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
  // Checked one by one below, so that the error names the patient's index and field.
  patients: z.array(z.unknown()),
})

/** Throws DirectoryDigestFormatError (named) on anything malformed or of another format. */
export async function decodeDirectoryDigest(bytes: Uint8Array): Promise<DirectoryDigest> {
  let json: unknown
  try {
    const plain = await pipe(bytes, new DecompressionStream('gzip'))
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain))
  } catch (error) {
    throw new DirectoryDigestFormatError(
      `Directory digest is not gzip-compressed UTF-8 JSON (${error instanceof Error ? error.message : String(error)}): ignore it and wait for the directory`,
      { cause: error },
    )
  }
  const format = typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined
  if (format !== DIRECTORY_DIGEST_FORMAT) {
    throw new DirectoryDigestFormatError(
      `Directory digest of format ${JSON.stringify(format) ?? 'none'}; this version reads format ${DIRECTORY_DIGEST_FORMAT}: wait for the directory (or update the app)`,
    )
  }
  const outer = checkSchema(outerShape, json)
  if (!outer.ok) throw issuesError(outer.issues)
  const { value } = outer
  // Per-field checks rather than the zod schema: see digest-patient.ts for the figures.
  const patients: Patient[] = new Array<Patient>(value.patients.length)
  for (let i = 0; i < value.patients.length; i++) {
    const read = readDigestPatient(value.patients[i])
    if (!read.ok) throw issuesError([{ path: read.field, message: 'missing or of the wrong type' }], `patients.${i}`)
    patients[i] = read.patient
  }
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
    throw new DirectoryDigestFormatError('Directory digest has a malformed stateVector: ignore it and wait for the directory', {
      cause: error,
    })
  }
}

// Paths and issue codes only: the values are patient data and must not reach a log.
function issuesError(issues: readonly { path: string; message: string }[], prefix = ''): DirectoryDigestFormatError {
  const described = issues
    .slice(0, 3)
    .map((issue) => `${[prefix, issue.path].filter(Boolean).join('.') || '(root)'}: ${issue.message}`)
    .join('; ')
  return new DirectoryDigestFormatError(`Directory digest has a malformed record (${described}): ignore it and wait for the directory`)
}

async function pipe(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform)
  return new Uint8Array(await new Response(stream).arrayBuffer())
}
