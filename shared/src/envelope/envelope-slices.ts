/**
 * A big envelope update applied in pieces: what a device does with a sync step 2 or a row of
 * IndexedDB that holds megabytes of entries (client/src/sync/adapters/relay-link.ts,
 * local-store.ts). Applied whole, the main room of 20,000 patients (31 MB) was one task of about a
 * second on the page: Yjs integrating it and encoding it again for the doc's `update` listeners,
 * the row written to IndexedDB, the entries posted to the decode worker — each a copy of all of it
 * (docs/performance.md « (10) »). In slices of about ENVELOPE_SLICE_BYTES of ciphertext, each of
 * those is a copy of a slice, and the page is given back in between.
 *
 * A slice holds whole entries (an entry is never cut: its ciphertext is one element), so a slice
 * is as big as its biggest entry at least — why a compaction writes a big doc's snapshot as
 * chunks of SNAPSHOT_CHUNK_BYTES (envelope.ts).
 */
import * as Y from 'yjs'
import { slicesOf, stateSlices, type Struct } from '../yjs/update-slices'

/**
 * Ciphertext per slice, about: a few tens of milliseconds of copies on a tablet. Was a megabyte:
 * a frame of that size, received, applied (Yjs integrating it, then encoding it again for the
 * doc's update listeners) and posted to the row writer, made tasks of 100–160 ms after a join on a
 * busy 2-core machine (docs/performance.md « (10) », fifth pass).
 */
export const ENVELOPE_SLICE_BYTES = 512 * 1024

/** Structs per slice, at most (entries of other writers interleaved make many small structs). */
const ENVELOPE_SLICE_STRUCTS = 4_000

/** The bytes an envelope struct carries: its entries' ciphertexts (and blinded ids). */
export function entryBytes(struct: Struct): number {
  if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentAny)) return 0
  let bytes = 0
  for (const element of struct.content.arr) {
    const { c } = (element ?? {}) as { c?: unknown }
    bytes += 24 + (c instanceof Uint8Array ? c.byteLength : 0)
  }
  return bytes
}

/**
 * Whether `update` is worth applying in slices. Decoding an update to cut it costs about what
 * applying it does, so only updates much bigger than a slice are cut.
 */
export function worthSlicing(update: Uint8Array, sliceBytes = ENVELOPE_SLICE_BYTES): boolean {
  return update.byteLength > 2 * sliceBytes
}

/**
 * The slices of an envelope update, in causal order (shared/src/yjs/update-slices.ts): applied one
 * after another they give what the update gives, with nothing left pending that the whole would
 * not leave pending. Throws what Yjs throws on a malformed update.
 */
export function envelopeSlices(update: Uint8Array, sliceBytes = ENVELOPE_SLICE_BYTES): Generator<Uint8Array> {
  return slicesOf(update, { maxStructs: ENVELOPE_SLICE_STRUCTS, maxWeight: sliceBytes, weigh: entryBytes })
}

/**
 * A whole envelope's state in slices of about `sliceBytes` of entries, cut from the doc's own
 * structs (no encode-then-decode): what the relay sends a device that holds nothing of a big room
 * (relay/src/rooms/frames.ts). One slice when the state is within it.
 */
export function envelopeStateSlices(doc: Y.Doc, sliceBytes = ENVELOPE_SLICE_BYTES): Uint8Array[] {
  return [...stateSlices(doc, { maxStructs: ENVELOPE_SLICE_STRUCTS, maxWeight: sliceBytes, weigh: entryBytes })]
}

/**
 * Applies an envelope update slice by slice, `nextSlice()` between two (the page given back),
 * stopping early once `stop()` says so. True when every slice was applied. Throws what Yjs throws
 * on a malformed update (before anything of it is applied, when its first slice is).
 */
export async function applyInSlices(doc: Y.Doc, update: Uint8Array, origin: unknown, nextSlice: () => Promise<void>, stop: () => boolean = () => false): Promise<boolean> {
  let first = true
  for (const slice of envelopeSlices(update)) {
    if (!first) await nextSlice()
    first = false
    if (stop()) return false
    Y.applyUpdate(doc, slice, origin)
  }
  return true
}
