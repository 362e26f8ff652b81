/**
 * Frames on a sync socket: y-websocket framing, lib0 varuint message type then payload.
 *
 *   [0 sync][0 step1][varUint8Array stateVector]     device ↔ relay: "here is what I have"
 *   [0 sync][1 step2][varUint8Array update]          answer to step1: what the other lacks
 *   [0 sync][2 update][varUint8Array update]         a live change
 *   [1 awareness][varUint8Array awarenessUpdate]     presence: read, never parsed, dropped
 *   [3 query awareness]                              "send me every awareness state": dropped
 *   [100 ack][varUint8Array stateVector]             relay → device: this much is durable
 *   [101 keep-alive]                                 relay → device: the link is alive
 *
 * decodeFrame is the trust boundary: it returns a typed frame or throws FrameError, and checks
 * that the frame holds exactly one message (no trailing bytes) and that every Yjs payload decodes.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { envelopeSlices, envelopeStateSlices } from '../../../shared/src/envelope/envelope-slices'
import { MessageType } from '../../../shared/src/protocol/constants'
import { readSyncMessage, type SyncMessage } from '../../../shared/src/protocol/sync-message'
import { FrameError } from './frame-error'

export type IncomingFrame =
  | SyncMessage
  | { type: 'awareness' }
  | { type: 'query-awareness' }

export function decodeFrame(data: Uint8Array): IncomingFrame {
  try {
    const decoder = decoding.createDecoder(data)
    const frame = readFrame(decoder)
    if (decoding.hasContent(decoder)) throw bad('trailing bytes after the message')
    return frame
  } catch (error) {
    if (error instanceof FrameError) throw error
    throw bad(`undecodable frame (${error instanceof Error ? error.message : 'unknown error'})`)
  }
}

function readFrame(decoder: decoding.Decoder): IncomingFrame {
  const messageType = decoding.readVarUint(decoder)
  switch (messageType) {
    case MessageType.Sync:
      return readSyncMessage(decoder, (syncType) => bad(`unknown sync message type ${syncType}`))
    case MessageType.Awareness:
      // Framed like any message (no trailing bytes), its payload left unread: the room drops it.
      decoding.readVarUint8Array(decoder)
      return { type: 'awareness' }
    case MessageType.QueryAwareness:
      return { type: 'query-awareness' }
    default:
      // Auth (2) is relay → device only in y-websocket; Ack (100) and KeepAlive (101) are
      // relay → device only here.
      throw bad(`message type ${messageType} is not accepted from a device`)
  }
}

function bad(message: string): FrameError {
  return new FrameError('BadFrame', 'bad_frame', message)
}

export function encodeSyncStep1(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Sync)
  syncProtocol.writeSyncStep1(encoder, doc)
  return encoding.toUint8Array(encoder)
}

export function encodeSyncStep2(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Sync)
  syncProtocol.writeSyncStep2(encoder, doc, stateVector)
  return encoding.toUint8Array(encoder)
}

/**
 * Entries per frame of the relay's answer to a new device, about (an entry is never cut: one
 * bigger than this is a frame of its own). Was ENVELOPE_SLICE_BYTES (half a megabyte): after a
 * join, each such frame was received, checked, decrypted and applied on the page as one task, and
 * those were the tasks of 164–336 ms of issue 17's bench (docs/performance.md « (10) », sixth and
 * seventh passes). A frame of 64 KiB is a few milliseconds of all of that.
 */
export const RELAY_FRAME_BYTES = 64 * 1024

/**
 * The answer to a device's step 1, as frames. A device that holds nothing of a room bigger than
 * RELAY_FRAME_BYTES (a new device joining the main room of 20,000 patients: 22–31 MB) gets the
 * room's state as updates of about RELAY_FRAME_BYTES of entries, in causal order, then a step 2
 * with the last of it: a browser receives one WebSocket message of 22 MB as one task of ≈0.4 s of
 * native time on the page (assembling the message), where each of these is a few milliseconds
 * (issue 17). The device is synced at the step 2, as with one frame, since frames are handled in
 * order.
 *
 * A device that holds part of the room (`framedAnswers`: it offered FRAMED_ANSWERS_SUBPROTOCOL)
 * gets what it lacks the same way: a device back after a while, or one whose join was cut, was
 * sent megabytes as one message (a task of 243–293 ms in the eighth pass's profile). Its delivery
 * check reads every sync frame up to the step 2 as the answer (client/src/sync/rooms/
 * delivery-check.ts). To any other device, an answer to a state vector that is not empty is one
 * step 2, as y-protocols writes it: the check of an older version judges that step 2 alone, and
 * cut, the entries of the frames before it would look missing (issue 17, eighth pass: a seeding
 * device asked again and again and never settled).
 */
export function encodeSyncStep2Frames(doc: Y.Doc, stateVector: Uint8Array, frameBytes = RELAY_FRAME_BYTES, framedAnswers = false): Uint8Array[] {
  const empty = Y.decodeStateVector(stateVector).size === 0
  if (!empty && !framedAnswers) return [encodeSyncStep2(doc, stateVector)]
  // One slice when the answer is small: the step 2 y-protocols would write. What the device
  // lacks is encoded, then cut (a decode of the answer: the relay's cost, once per such step 1).
  const slices = empty ? envelopeStateSlices(doc, frameBytes) : [...envelopeSlices(Y.encodeStateAsUpdate(doc, stateVector), frameBytes)]
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Sync)
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2)
  encoding.writeVarUint8Array(encoder, slices[slices.length - 1]!)
  return [...slices.slice(0, -1).map(encodeUpdate), encoding.toUint8Array(encoder)]
}

/**
 * The frame of a live change, written into one buffer of its exact length: a frame is encoded for
 * every update the room forwards (every other node's row too), and lib0's encoder would grow its
 * buffer and copy it once more into the result.
 */
export function encodeUpdate(update: Uint8Array): Uint8Array {
  const length = update.byteLength
  let lengthBytes = 1
  for (let rest = length >>> 7; rest > 0; rest >>>= 7) lengthBytes++
  const frame = new Uint8Array(2 + lengthBytes + length)
  // Both types are below 128: one byte each as varuints.
  frame[0] = MessageType.Sync
  frame[1] = syncProtocol.messageYjsUpdate
  let at = 2
  let rest = length
  while (rest > 0x7f) {
    frame[at++] = 0x80 | (rest & 0x7f)
    rest >>>= 7
  }
  frame[at++] = rest
  frame.set(update, at)
  return frame
}

export function encodeAck(stateVector: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Ack)
  encoding.writeVarUint8Array(encoder, stateVector)
  return encoding.toUint8Array(encoder)
}

/** The keep-alive frame: its type alone (shared/src/protocol/constants.ts, KEEP-ALIVE). */
export const KEEP_ALIVE_FRAME: Uint8Array = (() => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.KeepAlive)
  return encoding.toUint8Array(encoder)
})()
