/**
 * The sync part of a y-websocket frame, after its `[0 sync]` type: `[syncType][varUint8Array
 * payload]` (y-protocols' step 1, step 2 and update). Read the same way on both sides of the
 * socket: by the relay for what devices send (relay/src/rooms/frames.ts) and by a device for
 * what the relay sends (client/src/sync/relay/relay-frames.ts). A step 1's state vector is
 * decoded here; updates are checked by Yjs when applied.
 */
import type * as decoding from 'lib0/decoding'
import { readVarUint, readVarUint8Array } from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'

export type SyncMessage =
  | { readonly type: 'sync-step1'; readonly stateVector: Uint8Array }
  | { readonly type: 'sync-step2'; readonly update: Uint8Array }
  | { readonly type: 'sync-update'; readonly update: Uint8Array }

/** Reads one sync message; `unknown` makes the caller's error for a sync type y-protocols lacks. */
export function readSyncMessage(decoder: decoding.Decoder, unknown: (syncType: number) => Error): SyncMessage {
  const syncType = readVarUint(decoder)
  const payload = readVarUint8Array(decoder)
  switch (syncType) {
    case syncProtocol.messageYjsSyncStep1:
      Y.decodeStateVector(payload)
      return { type: 'sync-step1', stateVector: payload }
    case syncProtocol.messageYjsSyncStep2:
      return { type: 'sync-step2', update: payload }
    case syncProtocol.messageYjsUpdate:
      return { type: 'sync-update', update: payload }
    default:
      throw unknown(syncType)
  }
}
