/**
 * The delivery check against a relay's doc in memory: what the relay's answer to the check's step 1
 * holds is what `encodeStateAsUpdate(relay, stateVector)` encodes (relay/src/rooms/room.ts), and
 * what the relay accepts of the entries written again is what its own check says (update-check.ts).
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { checkUpdate } from '../../../../relay/src/rooms/update-check'
import { testEntry } from '../../../../relay/src/test-support/test-entries'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { deriveSpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { Envelope, type EnvelopeEntry } from '../../../../shared/src/envelope/envelope'
import { envelopeSlices } from '../../../../shared/src/envelope/envelope-slices'
import { DeliveryCheck, freshClientId, overwritten, RESENT_ORIGIN } from './delivery-check'

const LIMITS = { maxUpdateBytes: 256 * 1024 }

function envelope(doc: Y.Doc): Y.Array<EnvelopeEntry> {
  return doc.getArray<EnvelopeEntry>('entries')
}

/** A device that wrote `acked` entries the relay holds and acknowledged, then `offline` more. */
function scene(acked = 2, offline = 1) {
  const device = new Y.Doc()
  const relay = new Y.Doc()
  for (let i = 0; i < acked; i++) envelope(device).push([testEntry(`acked-${i}`, 40)])
  Y.applyUpdate(relay, Y.encodeStateAsUpdate(device))
  const acknowledged = new Map([[device.clientID, acked]])
  const written: EnvelopeEntry[] = []
  for (let i = 0; i < offline; i++) {
    const entry = testEntry(`offline-${i}`, 40)
    written.push(entry)
    envelope(device).push([entry])
  }
  return { device, relay, acknowledged, written, client: device.clientID }
}

/** The device's step 2 answering the relay's step 1: what the relay lacks, checked and applied as the relay does. */
function deviceStep2(device: Y.Doc, relay: Y.Doc): void {
  const verdict = checkUpdate(Y.encodeStateAsUpdate(device, Y.encodeStateVector(relay)), relay, LIMITS)
  if (verdict.kind === 'accepted') Y.applyUpdate(relay, verdict.update)
}

/**
 * Someone the relay lets write — a stolen registered device, or a credential holder in a practice
 * without a registry — writes a well-shaped junk entry at `client`'s next clock on the relay.
 */
function takeNextClock(relay: Y.Doc, client: number, count = 1): void {
  const attacker = new Y.Doc()
  Y.applyUpdate(attacker, Y.encodeStateAsUpdate(relay))
  attacker.clientID = client
  for (let i = 0; i < count; i++) envelope(attacker).push([testEntry('junk', 40)])
  const verdict = checkUpdate(Y.encodeStateAsUpdate(attacker, Y.encodeStateVector(relay)), relay, LIMITS)
  expect(verdict.kind).toBe('accepted')
  if (verdict.kind === 'accepted') Y.applyUpdate(relay, verdict.update)
}

function answer(relay: Y.Doc, check: DeliveryCheck): Uint8Array {
  return Y.encodeStateAsUpdate(relay, check.request())
}

describe('DeliveryCheck', () => {
  it('is not needed when the relay acknowledged every entry: the connection costs nothing more', () => {
    const { device, acknowledged } = scene(2, 0)
    expect(DeliveryCheck.begin(device, envelope(device), acknowledged)).toBeNull()
  })

  it('holds each writer at its acknowledged clock and asks the relay for its copy from there', () => {
    const { device, acknowledged, client } = scene(2, 3)
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    expect([...check.holds]).toEqual([[client, 2]])
    expect(check.awaitingAnswer).toBe(false)
    expect(Y.decodeStateVector(check.request()).get(client)).toBe(2)
    expect(check.awaitingAnswer).toBe(true)
  })

  it('verifies entries the relay holds byte for byte: settled up to the local clock, nothing taken', () => {
    const { device, relay, acknowledged, client } = scene(2, 3)
    deviceStep2(device, relay)
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    const verdict = check.judge(answer(relay, check))
    expect(verdict).toEqual({ settled: new Map([[client, 5]]), taken: [], removed: [], missing: [] })
  })

  it('finds an entry whose clock a credential holder took while the device was offline', () => {
    const { device, relay, acknowledged, written, client } = scene(2, 1)
    takeNextClock(relay, client)
    // The relay's state vector covers the device's clock: its step 2 brings nothing.
    deviceStep2(device, relay)
    expect(Y.encodeStateVector(relay)).toEqual(Y.encodeStateVector(device))
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    const verdict = check.judge(answer(relay, check))
    expect(verdict.taken).toEqual([{ client, clock: 2, entry: written[0] }])
    expect(verdict.settled).toEqual(new Map([[client, 3]]))
    expect(verdict.missing).toEqual([])
  })

  it('finds the taken clock when the taker wrote past it too (the device received those as the relay\'s)', () => {
    const { device, relay, acknowledged, written, client } = scene(2, 1)
    takeNextClock(relay, client, 3)
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    // The handshake: the relay's step 2 brings clocks 3 and 4 of the device's id (Yjs then moves
    // the device to another id by itself), the device's step 2 brings nothing.
    Y.applyUpdate(device, Y.encodeStateAsUpdate(relay, Y.encodeStateVector(device)), 'relay')
    expect(device.clientID).not.toBe(client)
    const verdict = check.judge(answer(relay, check))
    expect(verdict.taken).toEqual([{ client, clock: 2, entry: written[0] }])
    expect(verdict.settled).toEqual(new Map([[client, 5]]))
  })

  it('finds only the taken clocks when the device sent the rest in its step 2', () => {
    const { device, relay, acknowledged, written, client } = scene(1, 3)
    takeNextClock(relay, client)
    deviceStep2(device, relay)
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    const verdict = check.judge(answer(relay, check))
    expect(verdict.taken.map((t) => [t.clock, t.entry])).toEqual([[1, written[0]]])
    expect(verdict.settled).toEqual(new Map([[client, 4]]))
  })

  it('counts an entry deleted on the relay in place of the device\'s live one as removed: written again, not reported', () => {
    const { device, relay, acknowledged, written, client } = scene(2, 1)
    takeNextClock(relay, client)
    // The credential holder "compacts" its junk: a new junk entry of the same d, and the first deleted.
    const attacker = new Y.Doc()
    Y.applyUpdate(attacker, Y.encodeStateAsUpdate(relay))
    attacker.transact(() => {
      envelope(attacker).push([testEntry('junk', 40)])
      envelope(attacker).delete(2, 1)
    })
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(attacker, Y.encodeStateVector(relay)))
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    // The relay's deletion reaches the device before the check's answer (the handshake's step 2).
    Y.applyUpdate(device, Y.encodeStateAsUpdate(relay, Y.encodeStateVector(device)))
    const verdict = check.judge(answer(relay, check))
    expect(verdict.taken).toEqual([])
    expect(verdict.removed).toEqual([{ client, clock: 2, entry: written[0] }])
    expect(verdict.settled).toEqual(new Map([[client, 3]]))
  })

  it('reads an answer cut into frames up to its step 2 as the whole one, and a withheld frame leaves the writer pending', () => {
    const { device, relay, acknowledged, client } = scene(2, 12)
    takeNextClock(relay, client)
    deviceStep2(device, relay)
    const whole = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    const expected = whole.judge(answer(relay, whole))
    expect(expected.taken.map((t) => t.clock)).toEqual([2])
    // The relay's framing (relay/src/rooms/frames.ts): slices of about 100 bytes of entries, the last as the step 2.
    const framed = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    const frames = [...envelopeSlices(answer(relay, framed), 100)]
    expect(frames.length).toBeGreaterThanOrEqual(4)
    for (const frame of frames.slice(0, -1)) framed.take(frame)
    expect(framed.judge(frames.at(-1)!)).toEqual(expected)
    // A relay that withholds one frame (any but the step 2): its entries look missing, not stored.
    for (let skip = 0; skip < frames.length - 1; skip++) {
      const withheld = DeliveryCheck.begin(device, envelope(device), acknowledged)!
      const cut = [...envelopeSlices(answer(relay, withheld), 100)]
      cut.slice(0, -1).forEach((frame, i) => i !== skip && withheld.take(frame))
      const verdict = withheld.judge(cut.at(-1)!)
      expect(verdict.missing, `frame ${skip} withheld`).toEqual([client])
      expect(verdict.settled.get(client)!).toBeLessThan(expected.settled.get(client)!)
    }
  })

  it('leaves a writer pending when the relay\'s answer lacks its entries (it did not store them)', () => {
    const { device, relay, acknowledged, client } = scene(2, 2)
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    const verdict = check.judge(answer(relay, check))
    expect(verdict).toEqual({ settled: new Map([[client, 2]]), taken: [], removed: [], missing: [client] })
  })

  it('ignores the entries the device deleted itself (its compaction): the snapshot holds them', () => {
    const { device, relay, acknowledged, client } = scene(2, 2)
    device.transact(() => {
      envelope(device).push([testEntry('snapshot', 40)])
      envelope(device).delete(2, 2)
    })
    deviceStep2(device, relay)
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    const verdict = check.judge(answer(relay, check))
    expect(verdict).toEqual({ settled: new Map([[client, 5]]), taken: [], removed: [], missing: [] })
  })
})

describe('writing taken entries again (Envelope.writeCopies, freshClientId)', () => {
  it('writes the taken entries again under a fresh client id, which the relay accepts and stores', async () => {
    const { device, relay, acknowledged, written, client } = scene(2, 1)
    takeNextClock(relay, client)
    const check = DeliveryCheck.begin(device, envelope(device), acknowledged)!
    const { taken } = check.judge(answer(relay, check))
    const origins: unknown[] = []
    device.on('update', (_u: Uint8Array, origin: unknown) => origins.push(origin))
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const fresh = await new Envelope(device, keys, 'main').writeCopies(
      taken.map(({ entry }) => entry),
      RESENT_ORIGIN,
      () => freshClientId(device),
    )
    expect(fresh).not.toBe(client)
    expect(device.clientID).toBe(fresh)
    expect(origins).toEqual([RESENT_ORIGIN])
    // What the device sends the relay now (its live update, or its next step 2) is accepted.
    const verdict = checkUpdate(Y.encodeStateAsUpdate(device, Y.encodeStateVector(relay)), relay, LIMITS)
    expect(verdict.kind).toBe('accepted')
    if (verdict.kind === 'accepted') Y.applyUpdate(relay, verdict.update)
    const onRelay = envelope(relay).toArray().filter((e) => e.d === written[0]!.d)
    expect(onRelay).toHaveLength(1)
    expect(onRelay[0]!.c).toEqual(written[0]!.c)
    // And a check of the new writer finds the relay holding exactly it.
    const again = DeliveryCheck.begin(device, envelope(device), new Map([[client, 3], [fresh, 0]]))!
    expect(again.judge(answer(relay, again))).toEqual({ settled: new Map([[fresh, 1]]), taken: [], removed: [], missing: [] })
  })
})

describe('overwritten', () => {
  it('finds the entries of this device that a forwarded update writes something else over', () => {
    const { device, relay, written, client } = scene(2, 1)
    // Online: the taker's write reached the relay first; the relay forwards it to the device.
    const taker = new Y.Doc()
    Y.applyUpdate(taker, Y.encodeStateAsUpdate(relay))
    taker.clientID = client
    envelope(taker).push([testEntry('junk', 40)])
    const forwarded = Y.encodeStateAsUpdate(taker, Y.encodeStateVector(relay))
    expect(overwritten(device, envelope(device), forwarded)).toEqual([{ client, clock: 2, entry: written[0] }])
  })

  it('finds nothing in an update of clocks the device does not hold, nor in its own entries coming back', () => {
    const { device, relay } = scene(2, 1)
    const colleague = new Y.Doc()
    Y.applyUpdate(colleague, Y.encodeStateAsUpdate(relay))
    envelope(colleague).push([testEntry('colleague', 40)])
    expect(overwritten(device, envelope(device), Y.encodeStateAsUpdate(colleague, Y.encodeStateVector(relay)))).toEqual([])
    // Another tab of this browser sending the device's own entries back.
    expect(overwritten(device, envelope(device), Y.encodeStateAsUpdate(device))).toEqual([])
  })
})

