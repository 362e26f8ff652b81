/**
 * The continuity header of an envelope entry, format v2 (docs/sync-protocol.md, « Continuity per
 * writer »). It travels inside the ciphertext, ahead of the Yjs update, so the relay neither reads
 * nor alters it (entry-cipher.ts authenticates both):
 *
 *   plaintext = header ‖ update
 *   header    = varUint kind                          0 change, 1 snapshot (a compaction's chunk, an erasure)
 *               writer (6 bytes)                      the writing device (writerIdOf: its device id's first 6 bytes)
 *               kind 0: varUint seq                   this writer's n-th change of this doc, from 1
 *               kind 1: varUint n, n × { writer (6 bytes), varUint k, k × { varUint from, varUint length } }
 *                                                     the changes the snapshot holds (it folded them), per writer
 *               varUint m, m × { writer (6 bytes), varUint highest }
 *                                                     seen: changes the writer knows exist, per other writer,
 *                                                     only where it knows more than its previous entries said
 *
 * A writer is named by 6 bytes, not the 12 characters of a device id: a change names the writers it
 * learned of since its previous one, so this is most of a header (a month written in turn by ten
 * devices: 7 bytes per writer named). 48 bits keep two devices of a practice from colliding (below
 * 10^-8 for 1,000 devices). In memory a writer is those bytes in base64url, 8 characters — the
 * first 6 of them the ones the device's short id shows (views/patients/history-text.ts).
 *
 * A change's `seq` numbers are dense per writer and doc: a writer that wrote change n wrote 1…n.
 * `seen` (and a snapshot's ranges) are lower bounds a reader learns from any entry it can decrypt;
 * continuity.ts compares them with what the doc's entries hold. Entries of format v1 carry no
 * header (entry-cipher.ts tells the formats apart): they say nothing of continuity.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'

/** Inclusive ranges of sequence numbers, sorted, disjoint. */
export type SeqRanges = ReadonlyArray<readonly [from: number, to: number]>

export type EntryHeader =
  | { readonly kind: 'change'; readonly writer: string; readonly seq: number; readonly seen: ReadonlyMap<string, number> }
  | { readonly kind: 'snapshot'; readonly writer: string; readonly covers: ReadonlyMap<string, SeqRanges>; readonly seen: ReadonlyMap<string, number> }

const KIND_CHANGE = 0
const KIND_SNAPSHOT = 1
/** Bounds on what a header may claim, so that a garbled one cannot make a reader allocate much. */
/** Bytes that name a writer in a header. */
export const WRITER_BYTES = 6
const MAX_WRITERS = 100_000
const MAX_RANGES = 1_000_000
const MAX_SEQ = 2 ** 48

/** An authenticated plaintext whose header does not read: written by a device with the key, wrongly. */
export class EntryHeaderError extends Error {
  override name = 'EntryHeaderError'
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`Entry header, ${path}: ${message}`)
  }
}

/** A device's writer id: the first 6 bytes of its device id (base64url), as 8 characters. */
export function writerIdOf(deviceId: string): string {
  return toBase64Url(fromBase64Url(deviceId).subarray(0, WRITER_BYTES))
}

function writeWriter(encoder: encoding.Encoder, writer: string): void {
  const bytes = fromBase64Url(writer)
  if (bytes.length !== WRITER_BYTES) throw new EntryHeaderError('writer', `a writer id is ${WRITER_BYTES} bytes in base64url (writerIdOf), got '${writer}'`)
  encoding.writeUint8Array(encoder, bytes)
}

function writeSeen(encoder: encoding.Encoder, seen: ReadonlyMap<string, number>): void {
  encoding.writeVarUint(encoder, seen.size)
  for (const [writer, highest] of seen) {
    writeWriter(encoder, writer)
    encoding.writeVarUint(encoder, highest)
  }
}

/** The plaintext of a v2 entry: its header, then the update. */
export function encodeEntryPlaintext(header: EntryHeader, update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, header.kind === 'change' ? KIND_CHANGE : KIND_SNAPSHOT)
  writeWriter(encoder, header.writer)
  if (header.kind === 'change') {
    encoding.writeVarUint(encoder, header.seq)
  } else {
    encoding.writeVarUint(encoder, header.covers.size)
    for (const [writer, ranges] of header.covers) {
      writeWriter(encoder, writer)
      encoding.writeVarUint(encoder, ranges.length)
      for (const [from, to] of ranges) {
        encoding.writeVarUint(encoder, from)
        encoding.writeVarUint(encoder, to - from)
      }
    }
  }
  writeSeen(encoder, header.seen)
  encoding.writeUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

function count(decoder: decoding.Decoder, path: string, max: number): number {
  const n = decoding.readVarUint(decoder)
  if (n > max) throw new EntryHeaderError(path, `${n} is more than ${max}`)
  return n
}

function writerAt(decoder: decoding.Decoder, path: string): string {
  if (decoder.arr.length - decoder.pos < WRITER_BYTES) throw new EntryHeaderError(path, 'ends early')
  return toBase64Url(decoding.readUint8Array(decoder, WRITER_BYTES))
}

function seqAt(decoder: decoding.Decoder, path: string, min: number): number {
  const seq = decoding.readVarUint(decoder)
  if (seq < min || seq > MAX_SEQ) throw new EntryHeaderError(path, `sequence number ${seq} out of range`)
  return seq
}

function readHeader(decoder: decoding.Decoder): EntryHeader {
  const kind = decoding.readVarUint(decoder)
  if (kind !== KIND_CHANGE && kind !== KIND_SNAPSHOT) throw new EntryHeaderError('kind', `unknown kind ${kind}`)
  const writer = writerAt(decoder, 'writer')
  let seq = 0
  const covers = new Map<string, SeqRanges>()
  if (kind === KIND_CHANGE) {
    seq = seqAt(decoder, 'seq', 1)
  } else {
    const writers = count(decoder, 'covers', MAX_WRITERS)
    let total = 0
    for (let i = 0; i < writers; i++) {
      const who = writerAt(decoder, `covers[${i}].writer`)
      const k = count(decoder, `covers[${i}].ranges`, MAX_RANGES)
      total += k
      if (total > MAX_RANGES) throw new EntryHeaderError('covers', `more than ${MAX_RANGES} ranges`)
      const ranges: Array<[number, number]> = []
      let after = 0
      for (let j = 0; j < k; j++) {
        const from = seqAt(decoder, `covers[${i}].ranges[${j}].from`, after + 1)
        const to = from + decoding.readVarUint(decoder)
        if (to > MAX_SEQ) throw new EntryHeaderError(`covers[${i}].ranges[${j}].length`, 'past the largest sequence number')
        ranges.push([from, to])
        after = to
      }
      if (covers.has(who)) throw new EntryHeaderError(`covers[${i}].writer`, 'named twice')
      covers.set(who, ranges)
    }
  }
  const seen = new Map<string, number>()
  const m = count(decoder, 'seen', MAX_WRITERS)
  for (let i = 0; i < m; i++) {
    const who = writerAt(decoder, `seen[${i}].writer`)
    const highest = seqAt(decoder, `seen[${i}].highest`, 1)
    if (seen.has(who)) throw new EntryHeaderError(`seen[${i}].writer`, 'named twice')
    seen.set(who, highest)
  }
  return kind === KIND_CHANGE ? { kind: 'change', writer, seq, seen } : { kind: 'snapshot', writer, covers, seen }
}

/** Splits a v2 plaintext into its header and its update (a view, not a copy). Throws EntryHeaderError. */
export function decodeEntryPlaintext(plain: Uint8Array): { header: EntryHeader; headerBytes: number; update: Uint8Array } {
  const decoder = decoding.createDecoder(plain)
  let header: EntryHeader
  try {
    header = readHeader(decoder)
  } catch (error) {
    if (error instanceof EntryHeaderError) throw error
    throw new EntryHeaderError('header', 'ends early')
  }
  const update = decoding.readTailAsUint8Array(decoder)
  return { header, headerBytes: plain.length - update.length, update }
}

/** A header alone (the decode worker hands headers to the page as their bytes). */
export function decodeEntryHeader(bytes: Uint8Array): EntryHeader {
  return decodeEntryPlaintext(bytes).header
}
