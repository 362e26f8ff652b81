import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { testEntry } from '../../../../relay/src/test-support/test-entries'
import type { RelayFrame } from '../relay/relay-frames'
import { RoomProgress } from './room-progress'

function ack(vector: Map<number, number>): RelayFrame {
  return { type: 'ack', stateVector: Y.encodeStateVector(vector) }
}

/** A device with `count` entries of its own, none acknowledged. */
function device(count: number): { doc: Y.Doc; progress: RoomProgress } {
  const doc = new Y.Doc()
  for (let i = 0; i < count; i++) doc.getArray('entries').push([testEntry(`e${i}`)])
  return { doc, progress: new RoomProgress(doc, new Map()) }
}

describe('RoomProgress', () => {
  it('counts an ACK as acknowledging what it covers, without a hold (a live write)', () => {
    const { doc, progress } = device(2)
    expect(progress.pending()).toBe(2)
    expect(progress.onRelayFrame(ack(new Map([[doc.clientID, 2]])))).toBe(true)
    expect(progress.pending()).toBe(0)
  })

  it('does not count an ACK past a held writer\'s clock: the relay may hold another entry there', () => {
    const { doc, progress } = device(3)
    progress.hold(new Map([[doc.clientID, 1]]))
    progress.onRelayFrame(ack(new Map([[doc.clientID, 1]])))
    progress.onRelayFrame(ack(new Map([[doc.clientID, 3]])))
    expect(progress.pending()).toBe(2)
    // Nor an update received that carries the writer's clocks (the relay's copy, whatever it is).
    const other = new Y.Doc()
    other.clientID = doc.clientID
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
    progress.onReceived(Y.encodeStateAsUpdate(other))
    expect(progress.pending()).toBe(2)
  })

  it('still counts what it receives of writers it does not hold', () => {
    const { doc, progress } = device(1)
    progress.hold(new Map([[doc.clientID, 0]]))
    const colleague = new Y.Doc()
    colleague.getArray('entries').push([testEntry('c')])
    const update = Y.encodeStateAsUpdate(colleague)
    Y.applyUpdate(doc, update)
    expect(progress.pending()).toBe(2)
    progress.onReceived(update)
    expect(progress.pending()).toBe(1)
  })

  it('acknowledges a writer up to the settled clock, and lets later ACKs count once released', () => {
    const { doc, progress } = device(3)
    progress.hold(new Map([[doc.clientID, 0]]))
    progress.onRelayFrame(ack(new Map([[doc.clientID, 3]])))
    progress.settle(new Map([[doc.clientID, 3]]), [])
    expect(progress.pending()).toBe(0)
    doc.getArray('entries').push([testEntry('live')])
    progress.onRelayFrame(ack(new Map([[doc.clientID, 4]])))
    expect(progress.pending()).toBe(0)
  })

  it('keeps a writer held past its settled clock when the relay lacked its entries, until the socket closes', () => {
    const { doc, progress } = device(3)
    progress.hold(new Map([[doc.clientID, 0]]))
    progress.settle(new Map([[doc.clientID, 1]]), [doc.clientID])
    progress.onRelayFrame(ack(new Map([[doc.clientID, 3]])))
    expect(progress.pending()).toBe(2)
    progress.endConnection()
    progress.onRelayFrame(ack(new Map([[doc.clientID, 3]])))
    expect(progress.pending()).toBe(0)
  })

  it('saves what is acknowledged, not what an ACK claimed of a held writer', () => {
    const { doc, progress } = device(2)
    progress.hold(new Map([[doc.clientID, 0]]))
    progress.onRelayFrame(ack(new Map([[doc.clientID, 2]])))
    const saved = RoomProgress.decode(new Uint8Array(progress.encodeAcknowledged()))
    expect(saved.get(doc.clientID) ?? 0).toBe(0)
  })

  it('names the writers still held that an ACK claims more of (worth checking again)', () => {
    const { doc, progress } = device(3)
    expect(progress.heldClaimed(ack(new Map([[doc.clientID, 3]])))).toEqual(new Set())
    progress.hold(new Map([[doc.clientID, 1]]))
    expect(progress.heldClaimed(ack(new Map([[doc.clientID, 1]])))).toEqual(new Set())
    expect(progress.heldClaimed(ack(new Map([[doc.clientID, 2]])))).toEqual(new Set([doc.clientID]))
    expect(progress.heldClaimed({ type: 'keep-alive' })).toEqual(new Set())
  })

  it('counts what the relay had acknowledged and lacks at a later step 1 (a relay restored from a backup) as sent back', () => {
    const { doc, progress } = device(5)
    const step1 = (vector: Map<number, number>): RelayFrame => ({ type: 'sync-step1', stateVector: Y.encodeStateVector(vector) })
    progress.onRelayFrame(step1(new Map()))
    // A first connection: the relay lacks everything, but had acknowledged nothing. Not lost.
    expect(progress.returnedEntries).toBe(0)
    progress.onRelayFrame(ack(new Map([[doc.clientID, 4]])))
    // Restored from a backup that held 1 of the 4 acknowledged entries: 3 lost; the 5th was never acknowledged.
    progress.onRelayFrame(step1(new Map([[doc.clientID, 1]])))
    expect(progress.returnedEntries).toBe(3)
    // Another writer's entries received from the relay, lost by it too: this device sends them back.
    const other = new Y.Doc()
    other.getArray('entries').push([testEntry('o1'), testEntry('o2')])
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
    progress.onReceived(Y.encodeStateAsUpdate(other))
    progress.onRelayFrame(step1(new Map([[doc.clientID, 4]])))
    expect(progress.returnedEntries).toBe(5)
    // A relay that holds all it acknowledged: nothing more.
    progress.onRelayFrame(step1(new Map([[doc.clientID, 5], [other.clientID, 2]])))
    expect(progress.returnedEntries).toBe(5)
  })
})
