/**
 * Frames the relay sends on a sync socket, decoded at the device's trust boundary: the mirror of
 * relay/src/rooms/frames.ts, which decodes what devices send. y-websocket framing, a lib0 varuint
 * message type then its payload (shared/src/protocol/constants.ts):
 *
 *   [0 sync][0 step1][varUint8Array stateVector]     "here is what I hold": the relay's opening
 *   [0 sync][1 step2][varUint8Array update]          what this device lacks, answering its step 1
 *   [0 sync][2 update][varUint8Array update]         another device's live change
 *   [1 awareness][varUint8Array awarenessUpdate]     presence (Tournée announces none)
 *   [3 query awareness]                              "send me your presence"
 *   [100 ack][varUint8Array stateVector]             this much of the room is durable on the relay
 *   [101 keep-alive]                                 the relay is there (it sent nothing else lately)
 *
 * decodeRelayFrame returns a typed frame or throws RelayFrameError: exactly one message, no
 * trailing bytes, state vectors that decode. Updates are checked by Yjs when applied.
 */
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { MessageType } from '../../../../shared/src/protocol/constants'
import { readSyncMessage, type SyncMessage } from '../../../../shared/src/protocol/sync-message'

export type RelayFrame =
  | SyncMessage
  | { readonly type: 'awareness'; readonly update: Uint8Array }
  | { readonly type: 'query-awareness' }
  | { readonly type: 'ack'; readonly stateVector: Uint8Array }
  | { readonly type: 'keep-alive' }

export class RelayFrameError extends Error {
  override name = 'RelayFrameError'
}

export function decodeRelayFrame(data: Uint8Array): RelayFrame {
  let frame: RelayFrame
  const decoder = decoding.createDecoder(data)
  try {
    frame = readFrame(decoder)
  } catch (error) {
    if (error instanceof RelayFrameError) throw error
    throw new RelayFrameError(`Undecodable frame from the relay (${error instanceof Error ? error.message : 'unknown error'})`)
  }
  if (decoding.hasContent(decoder)) throw new RelayFrameError('Trailing bytes after the relay frame')
  return frame
}

function readFrame(decoder: decoding.Decoder): RelayFrame {
  const messageType = decoding.readVarUint(decoder)
  switch (messageType) {
    case MessageType.Sync:
      return readSyncMessage(decoder, (syncType) => new RelayFrameError(`Unknown sync message type ${syncType} from the relay`))
    case MessageType.Awareness:
      return { type: 'awareness', update: decoding.readVarUint8Array(decoder) }
    case MessageType.QueryAwareness:
      return { type: 'query-awareness' }
    case MessageType.Ack: {
      const stateVector = decoding.readVarUint8Array(decoder)
      Y.decodeStateVector(stateVector)
      return { type: 'ack', stateVector }
    }
    case MessageType.KeepAlive:
      return { type: 'keep-alive' }
    default:
      // Auth (2) belongs to y-websocket's permission scheme, which this relay never uses.
      throw new RelayFrameError(`Message type ${messageType} is not sent by a Tournée relay`)
  }
}
