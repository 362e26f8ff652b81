/**
 * Issue 17, tenth pass, against a real relay process: a device that holds part of a room gets
 * what it lacks in frames (relay/src/rooms/frames.ts: it offers FRAMED_ANSWERS_SUBPROTOCOL), not
 * as one message of megabytes — and its delivery check (client/src/sync/rooms/delivery-check.ts),
 * which judges the relay's answer to its own step 1, reads every frame of that answer up to its
 * step 2. The relay's frames are made small (TOURNEE_JOIN_FRAME_BYTES=4096) so that a few dozen
 * patients make answers of several frames.
 *
 * What must hold: after an offline stretch on both sides, Alice's reconnection gets Bob's changes
 * in several frames, her check's answer comes in several frames too, she asks once (no step 1
 * again: a check judging its step 2 alone would find her entries of the earlier frames missing),
 * nothing is reported replaced, her pending count reaches 0, and each device has the other's
 * patients. And a relay that withholds frames of that answer is still caught: her changes stay
 * pending (docs/threat-model.md, « Withhold entries »), until a relay that sends them all.
 */
import * as decoding from 'lib0/decoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createPractice, type OpenPractice } from '../client/src/sync/device/device'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { MessageType } from '../shared/src/protocol/constants'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { MAIN_ROOM } from '../shared/src/space/rooms'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { waitFor } from './helpers/wait-for'

const actor = { memberId: 'm', deviceId: 'alice' }
const FRAME_BYTES = 4096
/** Patients each side adds, one entry each: tens of kilobytes of entries, several frames of 4 KiB. */
const PATIENTS = 30

type Kind = 'step1' | 'step2' | 'update' | 'ack' | 'other'

interface Frame {
  readonly path: string
  readonly dir: 'up' | 'down'
  readonly kind: Kind
  readonly bytes: number
}

/**
 * Alice's sockets: every frame sent and received, with its socket's path. `drop`, while set, is
 * asked of every frame received on the main room: true and the device never sees it (the relay
 * withheld it).
 */
interface Wire {
  frames: Frame[]
  drop: ((kind: Kind, path: string) => boolean) | null
  dropped: number
}

function kindOf(bytes: Uint8Array): Kind {
  const decoder = decoding.createDecoder(bytes)
  const type = decoding.readVarUint(decoder)
  if (type === MessageType.Sync) return (['step1', 'step2', 'update'] as const)[decoding.readVarUint(decoder)] ?? 'other'
  return type === MessageType.Ack ? 'ack' : 'other'
}

function wiredWebSocket(wire: Wire): typeof globalThis.WebSocket {
  class WiredWebSocket extends WebSocket {
    private readonly path: string = ''
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      this.path = new URL(String(args[0])).pathname
      const send = this.send.bind(this) as (...a: unknown[]) => void
      this.send = ((data: unknown, ...rest: unknown[]) => {
        if (data instanceof Uint8Array) wire.frames.push({ path: this.path, dir: 'up', kind: kindOf(data), bytes: data.byteLength })
        send(data, ...rest)
      }) as WebSocket['send']
    }

    // Every listener (onmessage too) hears a message through emit: a frame dropped here never reached the device.
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      const data = args[0]
      // binaryType 'arraybuffer' (y-websocket's) or the default nodebuffer.
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
      if (event === 'message' && bytes !== null) {
        const kind = kindOf(bytes)
        if (wire.drop?.(kind, this.path)) {
          wire.dropped++
          return true
        }
        wire.frames.push({ path: this.path, dir: 'down', kind, bytes: bytes.byteLength })
      }
      return super.emit(event, ...args)
    }
  }
  return WiredWebSocket as unknown as typeof globalThis.WebSocket
}

/** The frames of the main room from `from` on. */
function mainFrames(wire: Wire, mainPath: string, from: number): Frame[] {
  return wire.frames.slice(from).filter((f) => f.path === mainPath)
}

/** The frames received between the nth step 1 sent (0: the provider's, 1: the check's) and the step 2 that answers it. */
function answerTo(frames: readonly Frame[], nth: number): Frame[] {
  const up = frames.findIndex((f, i) => f.dir === 'up' && f.kind === 'step1' && frames.slice(0, i).filter((g) => g.dir === 'up' && g.kind === 'step1').length === nth)
  if (up < 0) return []
  // The relay answers step 1s in order: the answer to the nth is the nth step 2 received.
  const downs = frames.filter((f) => f.dir === 'down' && (f.kind === 'update' || f.kind === 'step2'))
  const stepTwos = downs.map((f, i) => (f.kind === 'step2' ? i : -1)).filter((i) => i >= 0)
  const end = stepTwos[nth]
  if (end === undefined) return []
  const start = nth === 0 ? 0 : stepTwos[nth - 1]! + 1
  return downs.slice(start, end + 1)
}

async function addOne(practice: OpenPractice, name: string): Promise<void> {
  addPatient(await practice.space.openDoc(DIRECTORY_DOC_ID), { birthName: name, firstNames: 'Test' }, actor, Date.now)
  await practice.space.flush()
}

async function namesOf(practice: OpenPractice): Promise<string[]> {
  return listPatients(await practice.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName).sort()
}

describe('answers in frames to a device that holds part of a room (issue 17)', () => {
  let relay: RelayProcess
  let alice: OpenPractice
  let bob: OpenPractice
  let mainPath: string
  const wire: Wire = { frames: [], drop: null, dropped: 0 }
  const errors: string[] = []

  beforeAll(async () => {
    relay = await startRelayProcess({ env: { TOURNEE_JOIN_FRAME_BYTES: String(FRAME_BYTES) } })
    const base = nodeDeviceEnvironment('alice')
    const aliceEnv = {
      ...base,
      WebSocketImpl: wiredWebSocket(wire),
      practice: { background: false },
      // Off in the app (client/src/sync/rooms/room.ts, framedAnswers): on here. The link's pace
      // (relay-link.ts PACED_FRAME_BYTES) made a frame of 4 KiB: every frame of an answer is applied
      // in a turn of its own, the rest waiting in order, as a big answer is with framed answers on.
      room: { ...base.room, framedAnswers: true, pacedFrameBytes: FRAME_BYTES, envelope: { ...base.room?.envelope, onError: (error: Error) => errors.push(error.name) } },
    }
    alice = await createPractice({ relayUrl: relay.url, practiceName: 'Cabinet Relais', practitioner: { displayName: 'Alice', profession: 'kine' } }, aliceEnv)
    await addOne(alice, 'Avant')
    await waitFor(() => expect(alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    const pairing = await pairingTicket(alice.record.spaceId, aliceEnv)
    bob = await joinWith(pairing, { ...nodeDeviceEnvironment('bob'), practice: { background: false } })
    await waitFor(async () => expect(await namesOf(bob)).toEqual(['Avant']))
    const info = decodePairingCode(pairing.code)
    mainPath = `/v1/sync/${info.spaceId}/${await blindRoomName(await derivePracticeKeys(info.spaceId, info.tiers), MAIN_ROOM)}`
  }, 120_000)

  afterAll(async () => {
    await bob?.space.destroy()
    await alice?.space.destroy().catch(() => undefined)
    await relay?.dispose()
  })

  /** Alice offline: `count` patients of hers pending, and `count` of Bob's on the relay that she lacks. */
  async function apart(prefix: string, count: number): Promise<void> {
    alice.space.disconnect()
    await waitFor(() => expect(alice.space.getSyncState().status).toBe('offline'))
    for (let i = 0; i < count; i++) await addOne(alice, `${prefix}A${String(i).padStart(2, '0')}`)
    for (let i = 0; i < count; i++) await addOne(bob, `${prefix}B${String(i).padStart(2, '0')}`)
    await waitFor(() => expect(bob.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    expect(alice.space.getSyncState().pendingChanges).toBeGreaterThanOrEqual(count)
  }

  it('gets what it lacks in frames, its delivery check reads every frame of its answer and passes, asking once', async () => {
    await apart('Frame', PATIENTS)
    const from = wire.frames.length
    alice.space.connect()
    await waitFor(() => expect(alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }), { timeoutMs: 30_000 })
    const frames = mainFrames(wire, mainPath, from)
    const handshake = answerTo(frames, 0)
    const check = answerTo(frames, 1)
    console.info(`framed answers: handshake ${handshake.length} frames (${handshake.map((f) => f.bytes).join(', ')} bytes), check ${check.length} frames (${check.map((f) => f.bytes).join(', ')} bytes)`)
    // Bob's patients reached her in several frames, the step 2 last; her entries came back in several too.
    expect(handshake.length).toBeGreaterThanOrEqual(3)
    expect(check.length).toBeGreaterThanOrEqual(3)
    for (const answer of [handshake, check]) {
      expect(answer.slice(0, -1).every((f) => f.kind === 'update')).toBe(true)
      expect(answer.at(-1)!.kind).toBe('step2')
      for (const frame of answer) expect(frame.bytes).toBeLessThan(FRAME_BYTES + 4096)
    }
    // The check asked once: no step 1 again for entries it found missing.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(mainFrames(wire, mainPath, from).filter((f) => f.dir === 'up' && f.kind === 'step1')).toHaveLength(2)
    expect(alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0, resentEntries: 0 })
    expect(errors).toEqual([])
    const expected = ['Avant', ...Array.from({ length: PATIENTS }, (_, i) => [`FrameA${String(i).padStart(2, '0')}`, `FrameB${String(i).padStart(2, '0')}`]).flat()].sort()
    expect(await namesOf(alice)).toEqual(expected)
    await waitFor(async () => expect(await namesOf(bob)).toEqual(expected))
  })

  it('a relay that withholds a frame of the check\'s answer is still caught: the changes stay pending', async () => {
    await apart('Withheld', PATIENTS)
    const from = wire.frames.length
    // From the check's step 1 on (the second of the socket), every update frame on the main room
    // is withheld, whatever the check asks again; the handshake's own answer passes whole.
    wire.drop = (kind, path) => path === mainPath && kind === 'update' && mainFrames(wire, mainPath, from).filter((f) => f.dir === 'up' && f.kind === 'step1').length >= 2
    alice.space.connect()
    await waitFor(() => expect(mainFrames(wire, mainPath, from).filter((f) => f.dir === 'down' && f.kind === 'step2').length).toBeGreaterThanOrEqual(2), { timeoutMs: 30_000 })
    // The relay's ACKs claim her entries meanwhile (it stored them): they must not count.
    await waitFor(() => expect(mainFrames(wire, mainPath, from).filter((f) => f.dir === 'down' && f.kind === 'ack').length).toBeGreaterThanOrEqual(3), { timeoutMs: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(wire.dropped).toBeGreaterThan(0)
    const state = alice.space.getSyncState()
    expect(state.status).toBe('online')
    expect(state.pendingChanges).toBeGreaterThan(0)
    // A relay that sends every frame again: all delivered.
    wire.drop = null
    alice.space.disconnect()
    await waitFor(() => expect(alice.space.getSyncState().status).toBe('offline'))
    alice.space.connect()
    await waitFor(() => expect(alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }), { timeoutMs: 30_000 })
    expect(errors).toEqual([])
  })
})
