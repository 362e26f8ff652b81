import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { MessageType } from '../../../shared/src/protocol/constants'
import { FrameError } from './frame-error'
import { decodeFrame, encodeSyncStep1, encodeSyncStep2Frames, encodeUpdate, RELAY_FRAME_BYTES } from './frames'

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

describe('encodeSyncStep2Frames', () => {
  /** A room of `count` entries of 1 KiB from two writers, as envelope entries are held ({ d, c }). */
  function room(count: number): { doc: Y.Doc; firstOfA: Uint8Array } {
    const doc = new Y.Doc()
    const a = new Y.Doc()
    const b = new Y.Doc()
    let firstOfA: Uint8Array | null = null
    for (let i = 0; i < count / 2; i++) {
      for (const [writer, name] of [[a, 'a'], [b, 'b']] as const) {
        const before = Y.encodeStateVector(writer)
        writer.getArray('entries').push([{ d: `${name}-${i}`, c: new Uint8Array(1024).fill(i % 251) }])
        const update = Y.encodeStateAsUpdate(writer, before)
        firstOfA ??= update
        Y.applyUpdate(doc, update)
      }
    }
    return { doc, firstOfA: firstOfA! }
  }

  /** The frames read as a device reads them: kinds, sizes, and the device doc after each. */
  function receive(device: Y.Doc, frames: Uint8Array[]): { kinds: string[]; sizes: number[] } {
    const kinds: string[] = []
    for (const frame of frames) {
      const decoder = decoding.createDecoder(frame)
      expect(decoding.readVarUint(decoder)).toBe(MessageType.Sync)
      const kind = decoding.readVarUint(decoder)
      kinds.push(kind === 1 ? 'step2' : kind === 2 ? 'update' : `type ${kind}`)
      Y.applyUpdate(device, decoding.readVarUint8Array(decoder))
    }
    return { kinds, sizes: frames.map((f) => f.byteLength) }
  }

  it('cuts the answer to a device that holds part of a big room too: updates in order, the step 2 last, everything held', () => {
    // Issue 17: a new device that had written to the main room got what it lacked of 20+ MB as one
    // step 2 when it opened a socket again (only a device holding nothing was answered in frames).
    const { doc, firstOfA } = room(640)
    const device = new Y.Doc()
    Y.applyUpdate(device, firstOfA)
    const { kinds, sizes } = receive(device, encodeSyncStep2Frames(doc, Y.encodeStateVector(device)))
    expect(kinds.length).toBeGreaterThanOrEqual(10)
    expect(kinds).toEqual([...kinds.slice(1).map(() => 'update'), 'step2'])
    for (const size of sizes) expect(size).toBeLessThanOrEqual(RELAY_FRAME_BYTES + 1024 + 4096)
    expect(device.store.pendingStructs).toBeNull()
    expect(Y.encodeStateVector(device)).toEqual(Y.encodeStateVector(doc))
    expect(device.getArray('entries').length).toBe(640)
  })

  it('answers in one step 2 what fits a frame, and a device holding nothing in frames cut from the room', () => {
    const { doc } = room(640)
    const nearly = new Y.Doc()
    Y.applyUpdate(nearly, Y.encodeStateAsUpdate(doc))
    const small = room(4).doc
    expect(receive(new Y.Doc(), encodeSyncStep2Frames(small, Y.encodeStateVector(new Y.Doc()))).kinds).toEqual(['step2'])
    expect(receive(nearly, encodeSyncStep2Frames(doc, Y.encodeStateVector(nearly))).kinds).toEqual(['step2'])
    const fresh = new Y.Doc()
    expect(receive(fresh, encodeSyncStep2Frames(doc, Y.encodeStateVector(fresh))).kinds.length).toBeGreaterThanOrEqual(10)
    expect(Y.encodeStateVector(fresh)).toEqual(Y.encodeStateVector(doc))
  })
})
