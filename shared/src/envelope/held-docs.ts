/**
 * Device-held state: what this device decrypted of an inner doc, kept apart from the envelope,
 * so that losing envelope entries — a wipe, a forged compaction, a deletion applied to the local
 * store before it was judged, an entry corrupted everywhere — loses nothing on the device
 * (issue 18; docs/sync-protocol.md, « Device-held state »).
 *
 * Per doc (keyed by its blinded id, as the envelope's rows are), the device keeps:
 *
 *   rows    iv(12) ‖ AES-GCM(deviceKey, update, aad)    plaintext Yjs updates of the doc, appended
 *           aad = "tournee/v1|held:" ‖ spaceId ‖ "|room:" ‖ roomName ‖ "|" ‖ docId
 *           (entry-cipher.ts's v1 format under a key made on this device, never sent anywhere)
 *   marks   the envelope entries whose content the rows hold, each named by its IV in base64url
 *           (16 characters: an entry and the copies written back of it share their ciphertext)
 *
 * The rows' union is always a state the doc had on this device: Yjs updates merge as unions of
 * structs and of delete sets, so applying them to the doc again can never undo a deletion it holds.
 *
 * Opening a doc, once its entries are applied: every mark still live in the envelope means the
 * doc holds everything the rows hold — nothing is read. A mark gone (folded by someone's
 * compaction, or deleted) means the rows are read and applied: what they bring that the doc lacks
 * goes out as an ordinary change of this device (the envelope's write-back, so that the relay and
 * the other devices get it back), and is counted. A doc whose live entries leave it without any
 * struct was erased: its rows are erased too, never applied (an erased patient stays erased).
 *
 * The store itself is the client's (client/src/sync/device/held-state.ts, IndexedDB); this module
 * is what the envelope needs of it; doc-holding.ts is one open doc's holding.
 */
import type { SpaceKeys } from '../crypto/space-keys'
import { toBase64Url } from '../crypto/base64url'
import { IV_BYTES } from './entry-cipher'

/** What the device holds of one doc, without its rows. */
export interface HeldSummary {
  /** The envelope entries (their marks, `markOf`) whose content the rows hold. */
  readonly marks: readonly string[]
  readonly rows: number
  readonly bytes: number
}

/** The device's held state (one per practice). Every method may reject: the caller reports it. */
export interface HeldDocs {
  /** The device-local AES-GCM key the rows are sealed with (non-extractable, made on this device). */
  key(): Promise<CryptoKey>
  summary(blind: string): Promise<HeldSummary | null>
  rows(blind: string): Promise<Uint8Array[]>
  /** Adds rows and marks, in one transaction (the caller keeps it to about a megabyte of rows). */
  append(blind: string, rows: readonly Uint8Array[], marks: readonly string[]): Promise<void>
  /**
   * Adds `rows`, then sets the doc's marks to `marks` and drops the rows held before unless
   * `keepRows` (a fold replaces them by the doc's state). Never leaves marks naming what no row
   * holds, whatever step a closed tab stops it at.
   */
  replace(blind: string, rows: readonly Uint8Array[], marks: readonly string[], keepRows: boolean): Promise<void>
  erase(blind: string): Promise<void>
}

/**
 * An open doc's device-held state brought back content its envelope entries had lost (a wipe, a
 * forged compaction, a deletion stored before it was judged): written out again as this device's
 * change. Names no doc (neither blinded nor real id belongs in a log).
 */
export class HeldStateRestoredError extends Error {
  override name = 'HeldStateRestoredError'
  constructor() {
    super('A document held on this device had content its envelope entries lost: written back')
  }
}

/** About this many bytes of rows per IndexedDB transaction: its puts are cloned in one task. */
export const TRANSACTION_BYTES = 1024 * 1024

/** Transaction origin of held updates applied to an inner doc: they go out as this device's change. */
export const HELD_ORIGIN = Symbol('tournee.held')

/** An entry's name among the marks: its IV (random, 12 bytes), shared by every copy of it. */
export function markOf(c: Uint8Array): string {
  return toBase64Url(c.subarray(0, IV_BYTES))
}

/** The keys the rows are sealed with: the device's own, under a space id of their own (AAD). */
export function heldKeysOf(keys: SpaceKeys, deviceKey: CryptoKey): SpaceKeys {
  return { spaceId: `held:${keys.spaceId}`, aead: deviceKey, blind: keys.blind }
}
