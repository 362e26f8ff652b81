/**
 * How an envelope turns a doc's entries into what it applies, when the platform can do better than
 * decrypting and applying them one by one on the calling thread: in the browser, decryption and
 * merging move to a Web Worker and a big doc (the directory of 20,000 patients) comes back in
 * slices, streamed, each applied in a task of its own (client/src/sync/decode/). Without a
 * decoder the envelope decrypts in place and applies every entry in one transaction (Node, tests).
 */
import type { SpaceKeys } from '../crypto/space-keys'
import type { RoomName } from '../space/rooms'

export interface DecodeRequest {
  readonly keys: SpaceKeys
  readonly room: RoomName
  readonly docId: string
  /** Each entry's `c` (iv ‖ ciphertext). */
  readonly ciphertexts: readonly Uint8Array[]
}

/** Which entries (by index in the request) could not be applied. */
export interface DecodeOutcome {
  /** Failed authentication: never applied. */
  readonly undecryptable: readonly number[]
  /** Decrypted, but not Yjs updates: reported, never applied. */
  readonly malformed: readonly number[]
  /**
   * Per entry (by index), the bytes of its continuity header (entry-header.ts), null for an entry
   * of format v1 or one that could not be applied.
   */
  readonly headers: ReadonlyArray<Uint8Array | null>
}

export interface DecodedEntries {
  /**
   * Updates to apply in this order, as the decoder produces them; together they hold every entry
   * but those of the outcome. Throws if the decoder fails on the way (the caller starts over
   * without it: applying an update twice changes nothing).
   */
  readonly updates: AsyncIterable<Uint8Array>
  /** Once `updates` has ended. */
  readonly outcome: Promise<DecodeOutcome>
}

export interface EntryDecoder {
  /** Whether entries this big (bytes of ciphertext, in all) are worth the decoder's trip. */
  worthIt(bytes: number): boolean
  decode(request: DecodeRequest): DecodedEntries
  /** Resolves when the calling thread may apply the next update (the browser drew, input ran). */
  nextSlice(): Promise<void>
}
