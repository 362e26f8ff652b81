import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { encodeAck, encodeSyncStep1, encodeSyncStep2, encodeUpdate, KEEP_ALIVE_FRAME } from '../../../../relay/src/rooms/frames'
import { MessageType } from '../../../../shared/src/protocol/constants'
import { decodeRelayFrame, RelayFrameError } from './relay-frames'

function docWith(text: string): Y.Doc {
  const doc = new Y.Doc()
  doc.getArray<string>('entries').push([text])
  return doc
}

function bytes(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  write(encoder)
  return encoding.toUint8Array(encoder)
}

describe('decodeRelayFrame', () => {
  it('decodes every frame the relay encodes (relay/src/rooms/frames.ts) into its typed form', () => {
    const doc = docWith('entrée')
    const sv = Y.encodeStateVector(doc)
    const update = Y.encodeStateAsUpdate(doc)
    expect(decodeRelayFrame(encodeSyncStep1(doc))).toEqual({ type: 'sync-step1', stateVector: sv })
    expect(decodeRelayFrame(encodeSyncStep2(doc, new Uint8Array([0])))).toMatchObject({ type: 'sync-step2' })
    expect(decodeRelayFrame(encodeUpdate(update))).toEqual({ type: 'sync-update', update })
    expect(decodeRelayFrame(encodeAck(sv))).toEqual({ type: 'ack', stateVector: sv })
    // The relay no longer sends awareness; a relay of an older version did, and is still read.
    const awareness = bytes((e) => {
      encoding.writeVarUint(e, MessageType.Awareness)
      encoding.writeVarUint8Array(e, new Uint8Array([0]))
    })
    expect(decodeRelayFrame(awareness)).toEqual({ type: 'awareness', update: new Uint8Array([0]) })
    expect(decodeRelayFrame(bytes((e) => encoding.writeVarUint(e, MessageType.QueryAwareness)))).toEqual({ type: 'query-awareness' })
    expect(decodeRelayFrame(KEEP_ALIVE_FRAME)).toEqual({ type: 'keep-alive' })
  })

  it.each([
    ['an empty frame', new Uint8Array(0)],
    ['an unknown message type', bytes((e) => encoding.writeVarUint(e, 42))],
    ["y-websocket's auth message, which this relay never sends", bytes((e) => encoding.writeVarUint(e, MessageType.Auth))],
    ['an unknown sync type', bytes((e) => {
      encoding.writeVarUint(e, MessageType.Sync)
      encoding.writeVarUint(e, 7)
      encoding.writeVarUint8Array(e, new Uint8Array([0]))
    })],
    ['a truncated payload', encodeAck(Y.encodeStateVector(docWith('x'))).slice(0, 2)],
    ['trailing bytes', new Uint8Array([...encodeAck(new Uint8Array([0])), 9])],
    ['an ACK whose state vector does not decode', bytes((e) => {
      encoding.writeVarUint(e, MessageType.Ack)
      encoding.writeVarUint8Array(e, new Uint8Array([5, 255]))
    })],
    ['a step 1 whose state vector does not decode', bytes((e) => {
      encoding.writeVarUint(e, MessageType.Sync)
      encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep1)
      encoding.writeVarUint8Array(e, new Uint8Array([3, 1]))
    })],
  ])('refuses %s with RelayFrameError', (_label, frame) => {
    expect(() => decodeRelayFrame(frame)).toThrow(RelayFrameError)
  })
})
