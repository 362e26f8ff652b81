import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { MessageType } from '../../../shared/src/protocol/constants'
import { FrameError } from './frame-error'
import * as syncProtocol from 'y-protocols/sync'
import { decodeFrame, encodeSyncStep1, encodeUpdate } from './frames'

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values)
}

function awarenessUpdate(entries: [number, number, string][]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const [client, clock, state] of entries) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, clock)
    encoding.writeVarString(encoder, state)
  }
  return encoding.toUint8Array(encoder)
}

describe('encodeUpdate', () => {
  // Lengths around each varuint boundary (1, 2 and 3 bytes of length), and empty.
  it.each([0, 1, 127, 128, 200, 16_383, 16_384, 70_000])('writes the bytes y-protocols writes for an update of %i bytes', (size) => {
    const update = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff)
    const expected = encoding.createEncoder()
    encoding.writeVarUint(expected, MessageType.Sync)
    syncProtocol.writeUpdate(expected, update)
    expect(encodeUpdate(update)).toEqual(encoding.toUint8Array(expected))
  })
})

describe('decodeFrame', () => {
  it('decodes what y-protocols encodes', () => {
    const doc = new Y.Doc()
    doc.getArray('entries').push([1])
    expect(decodeFrame(encodeSyncStep1(doc))).toMatchObject({ type: 'sync-step1' })
    expect(decodeFrame(encodeUpdate(Y.encodeStateAsUpdate(doc)))).toMatchObject({ type: 'sync-update' })
    expect(decodeFrame(bytes(MessageType.QueryAwareness))).toEqual({ type: 'query-awareness' })
    // Awareness is framed like any message, its payload never parsed (the room drops it).
    const awareness = encoding.createEncoder()
    encoding.writeVarUint(awareness, MessageType.Awareness)
    encoding.writeVarUint8Array(awareness, awarenessUpdate([[1, 1, '{not json']]))
    expect(decodeFrame(encoding.toUint8Array(awareness))).toEqual({ type: 'awareness' })
  })

  it.each([
    ['empty', bytes()],
    ['unknown message type', bytes(7)],
    ['auth from a device', bytes(MessageType.Auth, 0)],
    ['ack from a device', bytes(MessageType.Ack, 0)],
    ['keep-alive from a device', bytes(MessageType.KeepAlive)],
    ['truncated sync', bytes(MessageType.Sync)],
    ['unknown sync type', bytes(MessageType.Sync, 5, 0)],
    ['length beyond the frame', bytes(MessageType.Sync, 2, 50, 1, 2)],
    ['garbage state vector', bytes(MessageType.Sync, 0, 3, 0xff, 0xff, 0xff)],
    ['trailing bytes', bytes(MessageType.QueryAwareness, 1)],
    ['varuint overflow', bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
  ])('refuses %s with BadFrame', (_label, frame) => {
    let caught: unknown
    try {
      decodeFrame(frame)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(FrameError)
    expect((caught as FrameError).close.code).toBe(4400)
  })
})
