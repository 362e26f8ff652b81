/**
 * Messages between a practice and its decode worker (decode-worker.ts), one call per batch of
 * entries, its replies matched by `id`: slices as they are made, then the outcome (or a failure).
 *
 *   page → worker   { type: 'decode', protocol: 3, id, spaceId, aead: CryptoKey,
 *                     epochs: [{ epoch, key: CryptoKey }] (the tier's later key epochs: entry v3),
 *                     room, docId, ciphertexts: PackedBytes, maxStructs }
 *   worker → page   { type: 'slices', protocol: 3, id, updates: Uint8Array[] }            0…n times
 *                   then { type: 'decoded', protocol: 3, id, undecryptable: number[], malformed: number[],
 *                          headers: PackedBytes }   each entry's continuity header, by index (empty: none)
 *                     or { type: 'failed', protocol: 3, id, message }
 *
 * (The directory digest is decoded on the page, its rows in slices: a worker's cold JIT and the
 * copy of 20,000 objects back made a join's « Qui êtes-vous ? » wait twice as long,
 * docs/performance.md « (10) ».)
 *
 * The key crosses as a CryptoKey (structured clone keeps it non-extractable); plaintext crosses
 * only between this page and its own worker, never leaves the device. The ciphertexts go packed,
 * one after another in one buffer with where each ends (PackedBytes), the headers come back
 * packed the same way, and the updates' buffers: all transferred, not copied. Both ends check what they receive here, with a
 * path in each error.
 */
import type { DecodeOutcome } from '../../../../shared/src/envelope/entry-decoder'
import { isRoomName } from '../../../../shared/src/space/rooms'
import { GrowingEpochKeyring, type EpochKey } from '../../../../shared/src/crypto/key-epochs'
import { decodeEntries } from './decode-entries'

export const DECODE_PROTOCOL = 3

/**
 * Byte strings one after another in one buffer, with where each ends: the ciphertexts of a call,
 * the continuity headers of its outcome (an empty one: the entry has none). Why not a list of
 * Uint8Array: structured clone serializes each view on its own, with its whole buffer — the
 * envelope's ciphertexts are views on the rows or frames they came from, and the main room of
 * 20,000 patients holds tens of thousands of entries: a task of ≈ 0.4 s on the page at a cold
 * start. Packed, it is one copy of their bytes and two transferred buffers.
 */
export interface PackedBytes {
  readonly bytes: Uint8Array
  readonly ends: Uint32Array
}

/** The packing, pausing (a `yield`) after each `stepBytes` copied: one code for both below. */
function* packing(list: readonly Uint8Array[], stepBytes: number): Generator<void, PackedBytes> {
  let total = 0
  for (const item of list) total += item.length
  const bytes = new Uint8Array(total)
  const ends = new Uint32Array(list.length)
  let at = 0
  let copied = 0
  for (const [i, item] of list.entries()) {
    if (copied >= stepBytes) {
      yield
      copied = 0
    }
    bytes.set(item, at)
    at += item.length
    copied += item.length
    ends[i] = at
  }
  return { bytes, ends }
}

export function packBytes(list: readonly Uint8Array[]): PackedBytes {
  const steps = packing(list, Infinity)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/**
 * As packBytes, with `between()` awaited after each `stepBytes` copied: the main room's entries
 * are ≈ 30 MB at a cold start, one copy of ≈ 75 ms on a busy tablet-class machine in one task.
 */
export async function packBytesInSteps(list: readonly Uint8Array[], stepBytes: number, between: () => Promise<void>): Promise<PackedBytes> {
  const steps = packing(list, stepBytes)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
    await between()
  }
}

/** The byte strings again, as views on the packed bytes. */
export function unpackBytes({ bytes, ends }: PackedBytes): Uint8Array[] {
  const out: Uint8Array[] = []
  let start = 0
  for (const end of ends) {
    out.push(bytes.subarray(start, end))
    start = end
  }
  return out
}

const NO_HEADER = new Uint8Array(0)

/** An outcome's headers, an entry without one as an empty string (a header is never empty). */
export function packHeaders(headers: ReadonlyArray<Uint8Array | null>): PackedBytes {
  return packBytes(headers.map((header) => header ?? NO_HEADER))
}

export function unpackHeaders(packed: PackedBytes): Array<Uint8Array | null> {
  return unpackBytes(packed).map((header) => (header.length === 0 ? null : header))
}

/** The buffers of packed bytes, to transfer. */
function buffersOf(packed: PackedBytes): ArrayBuffer[] {
  return [packed.bytes.buffer, packed.ends.buffer].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer)
}

export interface DecodeCall {
  readonly type: 'decode'
  readonly protocol: typeof DECODE_PROTOCOL
  readonly id: number
  readonly spaceId: string
  readonly aead: CryptoKey
  readonly epochs: readonly EpochKey[]
  readonly room: string
  readonly docId: string
  readonly ciphertexts: PackedBytes
  readonly maxStructs: number
}

export type DecodeReply =
  | { readonly type: 'slices'; readonly protocol: typeof DECODE_PROTOCOL; readonly id: number; readonly updates: readonly Uint8Array[] }
  | ({ readonly type: 'decoded'; readonly protocol: typeof DECODE_PROTOCOL; readonly id: number; readonly headers: PackedBytes } & Omit<DecodeOutcome, 'headers'>)
  | { readonly type: 'failed'; readonly protocol: typeof DECODE_PROTOCOL; readonly id: number; readonly message: string }

/** A message that is not what the other end sends, with the path of what is wrong. */
export class DecodeMessageError extends Error {
  override name = 'DecodeMessageError'
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`)
  }
}

type Fields = Record<string, unknown>

function object(value: unknown, path: string): Fields {
  if (typeof value !== 'object' || value === null) throw new DecodeMessageError(path, 'expected an object')
  return value as Fields
}

function field<T>(fields: Fields, key: string, check: (v: unknown) => v is T, what: string): T {
  const value = fields[key]
  if (!check(value)) throw new DecodeMessageError(key, `expected ${what}`)
  return value
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0
const isBytesList = (v: unknown): v is Uint8Array[] => Array.isArray(v) && v.every((b) => b instanceof Uint8Array)
const isIndexList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isCount)
/** Ends that never go back and stop at the bytes' end: every view unpacked is inside the bytes. */
const isPacked = (v: unknown): v is PackedBytes => {
  if (typeof v !== 'object' || v === null) return false
  const { bytes, ends } = v as { bytes?: unknown; ends?: unknown }
  if (!(bytes instanceof Uint8Array) || !(ends instanceof Uint32Array)) return false
  let previous = 0
  for (const end of ends) {
    if (end < previous) return false
    previous = end
  }
  return previous === bytes.length
}
const isKey = (v: unknown): v is CryptoKey => typeof CryptoKey !== 'undefined' && v instanceof CryptoKey
const isEpochKeys = (v: unknown): v is EpochKey[] =>
  Array.isArray(v) && v.every((e: unknown) => typeof e === 'object' && e !== null && isCount((e as EpochKey).epoch) && isKey((e as EpochKey).key))
const isProtocol = (v: unknown): v is typeof DECODE_PROTOCOL => v === DECODE_PROTOCOL

export function readDecodeCall(message: unknown): DecodeCall {
  const fields = object(message, 'message')
  if (fields.type !== 'decode') throw new DecodeMessageError('type', "expected 'decode'")
  if (!isProtocol(fields.protocol)) throw new DecodeMessageError('protocol', `expected ${DECODE_PROTOCOL}, got ${String(fields.protocol)}: page and worker come from different builds, reload`)
  return {
    type: 'decode',
    protocol: DECODE_PROTOCOL,
    id: field(fields, 'id', isCount, 'a request id'),
    spaceId: field(fields, 'spaceId', isString, 'a space id'),
    aead: field(fields, 'aead', isKey, 'a CryptoKey'),
    epochs: field(fields, 'epochs', isEpochKeys, 'a list of { epoch, key: CryptoKey }'),
    room: field(fields, 'room', isString, 'a room name'),
    docId: field(fields, 'docId', isString, 'a doc id'),
    ciphertexts: field(fields, 'ciphertexts', isPacked, 'packed ciphertexts (bytes, and ends in order up to their length)'),
    maxStructs: field(fields, 'maxStructs', (v): v is number => isCount(v) && v > 0, 'a positive integer'),
  }
}

/** The buffers a call hands over instead of copying (the page keeps its own ciphertexts). */
export function callTransferables(call: DecodeCall): ArrayBuffer[] {
  return buffersOf(call.ciphertexts)
}

export function readDecodeReply(message: unknown): DecodeReply {
  const fields = object(message, 'message')
  if (!isProtocol(fields.protocol)) throw new DecodeMessageError('protocol', `expected ${DECODE_PROTOCOL}, got ${String(fields.protocol)}: page and worker come from different builds, reload`)
  const id = field(fields, 'id', isCount, 'a request id')
  if (fields.type === 'failed') return { type: 'failed', protocol: DECODE_PROTOCOL, id, message: field(fields, 'message', isString, 'a message') }
  if (fields.type === 'slices') return { type: 'slices', protocol: DECODE_PROTOCOL, id, updates: field(fields, 'updates', isBytesList, 'a list of Uint8Array') }
  if (fields.type !== 'decoded') throw new DecodeMessageError('type', "expected 'slices', 'decoded' or 'failed'")
  return {
    type: 'decoded',
    protocol: DECODE_PROTOCOL,
    id,
    undecryptable: field(fields, 'undecryptable', isIndexList, 'a list of entry indices'),
    malformed: field(fields, 'malformed', isIndexList, 'a list of entry indices'),
    headers: field(fields, 'headers', isPacked, 'packed headers (bytes, and ends in order up to their length)'),
  }
}

/**
 * The worker's side, as a plain function: a call in, its replies handed to `post` (never throws:
 * a bad call or a failure is a 'failed' reply, naming the error but no data).
 */
export async function handleDecodeCall(message: unknown, post: (reply: DecodeReply) => void): Promise<void> {
  const id = typeof message === 'object' && message !== null && isCount((message as Fields).id) ? ((message as Fields).id as number) : 0
  try {
    const call = readDecodeCall(message)
    if (!isRoomName(call.room)) throw new DecodeMessageError('room', 'expected a room name')
    const request = { keys: { spaceId: call.spaceId, aead: call.aead, epochs: GrowingEpochKeyring.of(call.epochs) }, room: call.room, docId: call.docId, ciphertexts: unpackBytes(call.ciphertexts) }
    const outcome = await decodeEntries(request, (updates) => post({ type: 'slices', protocol: DECODE_PROTOCOL, id, updates }), call.maxStructs)
    post({ type: 'decoded', protocol: DECODE_PROTOCOL, id, undecryptable: outcome.undecryptable, malformed: outcome.malformed, headers: packHeaders(outcome.headers) })
  } catch (error) {
    post({ type: 'failed', protocol: DECODE_PROTOCOL, id, message: error instanceof Error ? `${error.name}: ${error.message}` : 'error' })
  }
}

/** The buffers a reply can hand over instead of copying. */
export function transferablesOf(reply: DecodeReply): ArrayBuffer[] {
  if (reply.type === 'decoded') return buffersOf(reply.headers)
  if (reply.type !== 'slices') return []
  const buffers = new Set<ArrayBuffer>()
  for (const update of reply.updates) if (update.buffer instanceof ArrayBuffer) buffers.add(update.buffer)
  return [...buffers]
}
