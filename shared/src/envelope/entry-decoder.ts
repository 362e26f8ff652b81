/**
 * How an envelope turns a doc's entries into what it applies, when the platform can do better than
 * decrypting and applying them one by one on the calling thread: in the browser, decryption and
 * merging move to a Web Worker and a big doc (the directory of 20,000 patients) comes back in
 * slices, each applied in a task of its own (client/src/sync/decode/). Without a decoder the
 * envelope decrypts in place and applies every entry in one transaction (Node, tests).
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

export interface DecodedEntries {
  /** Updates to apply in this order; together they hold every entry not in `failed`. */
  readonly updates: readonly Uint8Array[]
  /** Entries (by index in the request) that failed authentication: never applied. */
  readonly undecryptable: readonly number[]
  /** Entries that decrypted but are not Yjs updates: reported, never applied. */
  readonly malformed: readonly number[]
}

export interface EntryDecoder {
  /** Whether entries this big (bytes of ciphertext, in all) are worth the decoder's trip. */
  worthIt(bytes: number): boolean
  decode(request: DecodeRequest): Promise<DecodedEntries>
  /** Resolves when the calling thread may apply the next update (the browser drew, input ran). */
  nextSlice(): Promise<void>
}
