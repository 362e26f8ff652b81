/**
 * What the decode worker does with a doc's entries (decode-worker.ts runs it; tests call it in
 * Node): decrypts each (WebCrypto, AES-GCM, the entry's associated data as entry-cipher.ts lays
 * it out), merges consecutive small ones into groups of about GROUP_BYTES, and cuts each group
 * into slices a main thread applies in tasks of tens of milliseconds (shared/src/yjs/update-slices.ts),
 * handing them on as they are made: the page applies the first slices while the worker makes the
 * next ones.
 */
import * as Y from 'yjs'
import type { SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { decryptEntry } from '../../../../shared/src/envelope/entry-cipher'
import type { DecodeOutcome } from '../../../../shared/src/envelope/entry-decoder'
import type { RoomName } from '../../../../shared/src/space/rooms'
import { estimatedBytes, slicesOf } from '../../../../shared/src/yjs/update-slices'

/**
 * Structs per slice: about 10–25 ms to integrate in Chromium on this 2-core machine (the
 * directory's 350,000 structs integrate in ≈1.5–2 s), so a slice stays under 100 ms on a slower
 * or busier tablet too (4,000 were slices of 80–100 ms at a cold start on this machine when busy).
 */
export const SLICE_STRUCTS = 2_500

/**
 * Bytes per slice, about (update-slices.ts's estimatedBytes): applying a slice costs about its bytes,
 * mostly reading its values. 2,500 structs of the directory are ≈ 100 KB; a doc whose values are
 * long (notes, a change log merged into few structs) made slices of the same count several times
 * heavier: tasks of 150–270 ms in a cold start's profile.
 */
export const SLICE_BYTES = 64 * 1024

/**
 * Entries merged before slicing, up to this many bytes: merging drops what several entries repeat,
 * but costs a decode and an encode of them all before the first slice can go.
 */
export const GROUP_BYTES = 1 << 20

/** Slices handed on together (one message from the worker). */
const SLICES_PER_BATCH = 8

export interface EntriesToDecode {
  /** The space's AEAD keys alone (epoch 0's and later epochs'): the worker never gets the blinding key. */
  readonly keys: Pick<SpaceKeys, 'spaceId' | 'aead' | 'epochs'>
  readonly room: RoomName
  readonly docId: string
  readonly ciphertexts: readonly Uint8Array[]
}

/** Whether `update` is a Yjs update (decoding it is the only test Yjs offers). */
function isUpdate(update: Uint8Array): boolean {
  try {
    Y.decodeUpdate(update)
    return true
  } catch {
    return false
  }
}

type Decrypted = { readonly i: number; readonly update: Uint8Array }

/** Consecutive entries, up to GROUP_BYTES each group (an entry bigger than that alone). */
function groups(entries: readonly Decrypted[]): Decrypted[][] {
  const out: Decrypted[][] = []
  let bytes = 0
  for (const entry of entries) {
    const last = out[out.length - 1]
    if (last && bytes + entry.update.length <= GROUP_BYTES) {
      last.push(entry)
      bytes += entry.update.length
    } else {
      out.push([entry])
      bytes = entry.update.length
    }
  }
  return out
}

/**
 * Decodes the request, handing slices to `emit` in order (a few at a time); resolves with the
 * entries that could not be applied.
 */
export async function decodeEntries(
  request: EntriesToDecode,
  emit: (updates: Uint8Array[]) => void,
  maxStructs = SLICE_STRUCTS,
  maxBytes = SLICE_BYTES,
): Promise<DecodeOutcome> {
  const opened = await Promise.all(request.ciphertexts.map((c) => decryptEntry(request.keys, request.room, request.docId, c).catch(() => null)))
  const plain = opened.map((entry) => entry?.update ?? null)
  // Copied out of the plaintext's buffer: only the header's few bytes cross back to the page.
  const headers = opened.map((entry) => (entry?.headerBytes ? entry.headerBytes.slice() : null))
  const undecryptable = plain.flatMap((update, i) => (update === null ? [i] : []))
  const malformed: number[] = []
  for (let group of groups(plain.flatMap((update, i) => (update === null ? [] : [{ i, update }])))) {
    let merged: Uint8Array
    try {
      merged = group.length === 1 ? group[0]!.update : Y.mergeUpdates(group.map((g) => g.update))
    } catch {
      // Authenticated but not a Yjs update: a peer with the key wrote garbage. Find which, keep the rest.
      const bad = group.filter((g) => !isUpdate(g.update))
      malformed.push(...bad.map((g) => g.i))
      group = group.filter((g) => !bad.includes(g))
      if (group.length === 0) continue
      merged = Y.mergeUpdates(group.map((g) => g.update))
    }
    let batch: Uint8Array[] = []
    try {
      for (const slice of slicesOf(merged, { maxStructs, maxWeight: maxBytes, weigh: estimatedBytes })) {
        batch.push(slice)
        if (batch.length === SLICES_PER_BATCH) {
          emit(batch)
          batch = []
        }
      }
    } catch {
      // A lone entry that is not a Yjs update (nothing was merged to find it out).
      malformed.push(...group.map((g) => g.i))
      continue
    }
    if (batch.length > 0) emit(batch)
  }
  for (const i of malformed) headers[i] = null
  return { undecryptable, malformed: malformed.sort((a, b) => a - b), headers }
}
