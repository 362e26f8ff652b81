/**
 * What the decode worker does with a doc's entries (decode-worker.ts runs it; tests call it in
 * Node): decrypts each (WebCrypto, AES-GCM, the entry's associated data as entry-cipher.ts lays
 * it out), merges what decrypted into one update, and cuts that into slices a main thread applies
 * in tasks of tens of milliseconds (adapters/update-slices.ts).
 */
import * as Y from 'yjs'
import type { SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { decryptUpdate } from '../../../../shared/src/envelope/entry-cipher'
import type { DecodedEntries } from '../../../../shared/src/envelope/entry-decoder'
import type { RoomName } from '../../../../shared/src/space/rooms'
import { sliceUpdate } from '../adapters/update-slices'

/**
 * Structs per slice: about 20–40 ms to integrate on this machine's Chromium (the directory's
 * 350,000 structs integrate in ≈1.5–2 s), so a slice stays well under the 100 ms of a long task
 * on a slower tablet too.
 */
export const SLICE_STRUCTS = 4_000

export interface EntriesToDecode {
  /** The space's AEAD key alone: the worker never gets the blinding key. */
  readonly keys: Pick<SpaceKeys, 'spaceId' | 'aead'>
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

export async function decodeEntries(request: EntriesToDecode, maxStructs = SLICE_STRUCTS): Promise<DecodedEntries> {
  const plain = await Promise.all(request.ciphertexts.map((c) => decryptUpdate(request.keys, request.room, request.docId, c).catch(() => null)))
  const undecryptable = plain.flatMap((update, i) => (update === null ? [i] : []))
  let valid = plain.flatMap((update, i) => (update === null ? [] : [{ i, update }]))
  let malformed: number[] = []
  let merged: Uint8Array | null
  try {
    merged = valid.length === 0 ? null : valid.length === 1 ? valid[0]!.update : Y.mergeUpdates(valid.map((v) => v.update))
  } catch {
    // Authenticated but not a Yjs update: a peer with the key wrote garbage. Find which, keep the rest.
    malformed = valid.filter((v) => !isUpdate(v.update)).map((v) => v.i)
    valid = valid.filter((v) => !malformed.includes(v.i))
    merged = valid.length === 0 ? null : Y.mergeUpdates(valid.map((v) => v.update))
  }
  if (merged !== null) {
    try {
      return { updates: sliceUpdate(merged, maxStructs), undecryptable, malformed }
    } catch {
      // A lone entry that is not a Yjs update (nothing was merged to find it out).
      return { updates: [], undecryptable, malformed: valid.map((v) => v.i) }
    }
  }
  return { updates: [], undecryptable, malformed }
}
