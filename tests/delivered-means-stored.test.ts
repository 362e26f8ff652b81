/**
 * Issue 18, attack 2 (« Taking an offline device's next clock »), against a real relay process:
 * while Alice's tablet is offline with a change pending, a registered device in the wrong hands
 * (stolen, or rogue: helpers/stolen-device.ts) writes a junk entry at her next clock of the main
 * room (her client id is on the wire, in every update she sent), signed with its own key at that
 * position. The relay accepts it: a registered device signed it there, and the relay cannot
 * decrypt to see it is junk. When Alice reconnects, the relay's state vector covers her clock, so
 * her step 2 carries nothing for it and the relay's ACK covers it.
 *
 * (Someone holding only a credential can no longer do this: the relay refuses an entry no
 * registered device signed at its position — tests/signed-entries.test.ts. A stolen device can,
 * which is why the device-side check below still matters.)
 *
 * What must hold (client/src/sync/rooms/delivery-check.ts): Alice's pending count does not reach 0
 * while her change is not on the relay; her change reaches Bob; the event is reported (the sync
 * state, its French line, a named error); closing the practice afterwards throws nothing; the entry
 * shadowed on the relay is never deleted (a compaction, in the session and after a reload, is
 * accepted). The same online, when the taker's write reaches the relay before Alice's. And without
 * an attack: no alarm, and what the check costs a reconnection, measured on the wire.
 */
import * as decoding from 'lib0/decoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { createTranslator } from '../client/src/i18n'
import type { SyncState } from '../client/src/sync/sync-state'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { MessageType } from '../shared/src/protocol/constants'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { MAIN_ROOM } from '../shared/src/space/rooms'
import { SyncTestClient } from '../relay/src/test-support/sync-test-client'
import { testEntry } from '../relay/src/test-support/test-entries'
import { stolenDevice, type StolenDevice } from './helpers/stolen-device'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'

const fr = createTranslator('fr', 'Europe/Paris')
const actor = { memberId: 'm', deviceId: 'alice' }

/**
 * Every frame a device's sockets sent and received, with the socket's path. While `hold` says so
 * of a frame about to be sent, it waits in `held` (the test sends it later).
 */
interface Wire {
  frames: Array<{ path: string; dir: 'up' | 'down'; bytes: Uint8Array }>
  hold: ((bytes: Uint8Array) => boolean) | null
  held: Array<() => void>
}

function wiredWebSocket(wire: Wire): typeof globalThis.WebSocket {
  class WiredWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      const path = new URL(String(args[0])).pathname
      this.on('message', (data: Buffer) => wire.frames.push({ path, dir: 'down', bytes: new Uint8Array(data) }))
      const send = this.send.bind(this) as (...a: unknown[]) => void
      this.send = ((data: unknown, ...rest: unknown[]) => {
        const go = () => {
          if (data instanceof Uint8Array) wire.frames.push({ path, dir: 'up', bytes: new Uint8Array(data) })
          send(data, ...rest)
        }
        if (data instanceof Uint8Array && wire.hold?.(data)) wire.held.push(go)
        else go()
      }) as WebSocket['send']
    }
  }
  return WiredWebSocket as unknown as typeof globalThis.WebSocket
}

/** A frame's kind: 'step1', 'step2', 'update', 'ack', … */
function kindOf(bytes: Uint8Array): string {
  const decoder = decoding.createDecoder(bytes)
  const type = decoding.readVarUint(decoder)
  if (type === MessageType.Sync) return ['step1', 'step2', 'update'][decoding.readVarUint(decoder)] ?? 'sync?'
  if (type === MessageType.Ack) return 'ack'
  if (type === MessageType.KeepAlive) return 'keep-alive'
  return `type-${type}`
}

interface Scene {
  relay: RelayProcess
  alice: OpenPractice
  aliceEnv: DeviceEnvironment
  bob: OpenPractice
  wire: Wire
  errors: string[]
  mainPath: string
  pairing: PairingTicket
  /** The attacker: a registered device whose keys are in the wrong hands. */
  thief: StolenDevice
  spaceId: string
  mainRoomId: string
}

async function scene(): Promise<Scene> {
  const relay = await startRelayProcess()
  const wire: Wire = { frames: [], hold: null, held: [] }
  const errors: string[] = []
  const base = nodeDeviceEnvironment('alice')
  const aliceEnv: DeviceEnvironment = {
    ...base,
    WebSocketImpl: wiredWebSocket(wire),
    practice: { background: false },
    room: { ...base.room, envelope: { ...base.room?.envelope, onError: (error) => errors.push(error.name) } },
  }
  const alice = await createPractice(
    { relayUrl: relay.url, practiceName: 'Cabinet Relais', practitioner: { displayName: 'Alice', profession: 'kine' } },
    aliceEnv,
  )
  const directory = await alice.space.openDoc(DIRECTORY_DOC_ID)
  addPatient(directory, { birthName: 'Avant', firstNames: 'Test' }, actor, Date.now)
  await alice.space.flush()
  await waitFor(() => expect(alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
  const pairing = await pairingTicket(alice.record.spaceId, aliceEnv)
  const bob = await joinWith(pairing, { ...nodeDeviceEnvironment('bob'), practice: { background: false } })
  const bobDirectory = await bob.space.openDoc(DIRECTORY_DOC_ID)
  await waitFor(() => expect(listPatients(bobDirectory).items.map((p) => p.birthName)).toEqual(['Avant']))
  const info = decodePairingCode(pairing.code)
  const mainRoomId = await blindRoomName(await derivePracticeKeys(info.spaceId, info.tiers), MAIN_ROOM)
  const thief = await stolenDevice(pairing)
  return { relay, alice, aliceEnv, bob, wire, errors, mainPath: `/v1/sync/${info.spaceId}/${mainRoomId}`, pairing, thief, spaceId: info.spaceId, mainRoomId }
}

/** Alice goes offline and adds a patient: one entry pending in the main room. */
async function offlineEdit(s: Scene, name: string): Promise<void> {
  s.alice.space.disconnect()
  await waitFor(() => expect(s.alice.space.getSyncState().status).toBe('offline'))
  addPatient(await s.alice.space.openDoc(DIRECTORY_DOC_ID), { birthName: name, firstNames: 'Test' }, actor, Date.now)
  await s.alice.space.flush()
  expect(s.alice.space.getSyncState().pendingChanges).toBe(1)
}

/** Alice reconnects; every sync state she shows from then on, and the frames of that reconnection. */
async function reconnect(s: Scene): Promise<{ states: SyncState[]; frames: Wire['frames'] }> {
  const states: SyncState[] = []
  const unsubscribe = s.alice.space.subscribe(() => states.push(s.alice.space.getSyncState()))
  const from = s.wire.frames.length
  s.alice.space.connect()
  await waitFor(() => expect(s.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
  // The relay's coalesced ACK to every connection (≤ 1 s) and any straggler: let them land.
  await waitFor(() => expect(s.wire.frames.slice(from).filter((f) => f.path === s.mainPath && f.dir === 'down' && kindOf(f.bytes) === 'ack').length).toBeGreaterThanOrEqual(3))
  unsubscribe()
  return { states, frames: s.wire.frames.slice(from) }
}

async function disposeScene(s: Scene): Promise<void> {
  await s.bob.space.destroy()
  await s.alice.space.destroy().catch(() => undefined)
  await s.relay.dispose()
}

/**
 * The attack: the stolen device writes junk at Alice's next clock while she is offline with one
 * entry pending there — her client id as the relay's copy shows it, signed at that position, so
 * the relay takes it. Returns her client id of then.
 */
async function takeAlicesNextClock(s: Scene): Promise<number> {
  const aliceMain = s.alice.space.inspect.mainEnvelope.doc
  const aliceClient = aliceMain.clientID
  const attacker = await SyncTestClient.connect(s.relay.url, s.spaceId, s.thief.credential, { roomId: s.mainRoomId })
  await waitFor(() => expect(attacker.acks.length).toBeGreaterThanOrEqual(2))
  expect(Y.getState(attacker.doc.store, aliceClient), 'the relay lacks exactly her pending entry').toBe(Y.getState(aliceMain.store, aliceClient) - 1)
  attacker.doc.clientID = aliceClient
  await s.thief.pushSigned(attacker.doc, s.mainRoomId, [testEntry('junk')])
  await waitFor(() => expect(attacker.ackCovers()).toBe(true))
  expect(attacker.closed).toBeNull()
  attacker.destroy()
  return aliceClient
}

async function patientsOf(practice: OpenPractice): Promise<string[]> {
  return listPatients(await practice.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName).sort()
}

describe('delivered means stored: a device counts its change delivered once the relay holds that exact entry', () => {
  let s: Scene
  beforeAll(async () => {
    s = await scene()
  })
  afterAll(() => disposeScene(s))

  it('without an attack: no alarm, and a reconnection with a change pending costs one step 1 up and one step 2 and ACK down', async () => {
    await offlineEdit(s, 'Honnête')
    const { states, frames } = await reconnect(s)
    expect(s.alice.space.getSyncState().resentEntries).toBe(0)
    expect(s.errors).toEqual([])
    expect(states.every((state) => state.resentEntries === 0)).toBe(true)
    await waitFor(async () => expect(await patientsOf(s.bob)).toEqual(['Avant', 'Honnête']))
    const main = frames.filter((f) => f.path === s.mainPath)
    const up = main.filter((f) => f.dir === 'up' && kindOf(f.bytes) === 'step1')
    const down = main.filter((f) => f.dir === 'down' && kindOf(f.bytes) === 'step2')
    // The provider's step 1 and the check's; the relay's answer to each.
    expect(up).toHaveLength(2)
    expect(down).toHaveLength(2)
    const answer = down[1]!.bytes.byteLength
    console.info(`delivery check, main room, 1 entry pending: ${up[1]!.bytes.byteLength} bytes up (step 1), ${answer} bytes down (step 2) + 1 ACK; the pending entry's frame: ${main.filter((f) => f.dir === 'up' && kindOf(f.bytes) === 'step2')[0]?.bytes.byteLength} bytes`)
    // What the answer repeats is the pending entry (it just went up in the step 2), nothing of the room's past.
    expect(answer).toBeLessThan(main.find((f) => f.dir === 'up' && kindOf(f.bytes) === 'step2')!.bytes.byteLength + 64)
    // Rooms without anything pending: one step 1 each, as before.
    for (const path of new Set(frames.filter((f) => f.path !== s.mainPath).map((f) => f.path))) {
      expect(frames.filter((f) => f.path === path && f.dir === 'up' && kindOf(f.bytes) === 'step1')).toHaveLength(1)
    }
  })

  it('a reconnection with nothing pending costs nothing more', async () => {
    s.alice.space.disconnect()
    await waitFor(() => expect(s.alice.space.getSyncState().status).toBe('offline'))
    const { frames } = await reconnect(s)
    expect(frames.filter((f) => f.path === s.mainPath && f.dir === 'up' && kindOf(f.bytes) === 'step1')).toHaveLength(1)
  })

  it('with a clock taken: pending until the change is really on the relay, written again under a new client id, reported, and Bob gets it', async () => {
    const aliceMain = s.alice.space.inspect.mainEnvelope.doc
    await offlineEdit(s, 'Hors-ligne')
    const aliceClient = await takeAlicesNextClock(s)

    const { states } = await reconnect(s)
    // Never « 0 modification en attente » before the change was written again (and acknowledged).
    const zeroBeforeResend = states.filter((state) => state.pendingChanges === 0 && state.resentEntries === 0)
    expect(zeroBeforeResend).toEqual([])
    const state = s.alice.space.getSyncState()
    expect(state.resentEntries).toBe(1)
    expect(describeSyncState(state, fr).resent).toBe('1 modification de cet appareil avait été remplacée sur le relais : renvoyée')
    expect(s.errors).toEqual(['EntriesReplacedError'])
    expect(aliceMain.clientID).not.toBe(aliceClient)
    await waitFor(async () => expect(await patientsOf(s.bob)).toEqual(['Avant', 'Honnête', 'Hors-ligne']))
    // A device joining now reads it from the relay.
    const carol = await joinWith(s.pairing, { ...nodeDeviceEnvironment('carol'), practice: { background: false } })
    try {
      await waitFor(async () => expect(await patientsOf(carol)).toEqual(['Avant', 'Honnête', 'Hors-ligne']))
    } finally {
      await carol.space.destroy()
    }
  })

  it('compacts the doc afterwards: the entry shadowed on the relay by the junk is not deleted, so the relay accepts the compaction', async () => {
    const closedBefore = s.relay.logs.join('').split('frame_rejected').length
    await s.alice.space.compact(DIRECTORY_DOC_ID)
    await s.alice.space.flush()
    await waitFor(() => expect(s.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    // The relay refused nothing (a deletion of its junk entry, beside no new entry of the junk's doc, would be closed with 4400).
    expect(s.relay.logs.join('').split('frame_rejected').length).toBe(closedBefore)
    const carol = await joinWith(s.pairing, { ...nodeDeviceEnvironment('carol'), practice: { background: false } })
    try {
      await waitFor(async () => expect(await patientsOf(carol)).toEqual(['Avant', 'Honnête', 'Hors-ligne']))
    } finally {
      await carol.space.destroy()
    }
  })

  it('closes the practice afterwards without a TypeError from the awareness teardown', async () => {
    // destroy() releases every room and settles them all, so a room's failure would not surface
    // from it: its release is asked first (it threw from y-websocket's disconnect once the doc's
    // client id had moved, leaving the room's database open and its records unsaved).
    const main = await s.alice.space.inspect.room(MAIN_ROOM)
    await expect(main.release()).resolves.toBeUndefined()
    await expect(s.alice.space.destroy()).resolves.toBeUndefined()
  })

  it('after a reload, the entry shadowed on the relay is still never deleted: the next compaction is accepted too', async () => {
    const alice = await loadPractice(s.aliceEnv)
    expect(alice).not.toBeNull()
    s.alice = alice!
    await waitFor(() => expect(s.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    addPatient(await s.alice.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Rechargé', firstNames: 'Test' }, actor, Date.now)
    await s.alice.space.flush()
    const rejectedBefore = s.relay.logs.join('').split('frame_rejected').length
    await s.alice.space.compact(DIRECTORY_DOC_ID)
    await s.alice.space.flush()
    await waitFor(() => expect(s.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    expect(s.relay.logs.join('').split('frame_rejected').length).toBe(rejectedBefore)
    await waitFor(async () => expect(await patientsOf(s.bob)).toEqual(['Avant', 'Honnête', 'Hors-ligne', 'Rechargé']))
  })

  it('online, a clock taken while the device\'s write is on its way: seen in the relay\'s forward, written again, reported', async () => {
    // A compaction the last step's writes scheduled would take the next clock first: let it run.
    await s.alice.space.settle()
    await s.alice.space.whenAcknowledged()
    const mainDoc = s.alice.space.inspect.mainEnvelope.doc
    const aliceClient = mainDoc.clientID
    const next = Y.getState(mainDoc.store, aliceClient)
    // Alice's frames wait on her side of the socket: her write is "in flight".
    s.wire.hold = () => true
    addPatient(await s.alice.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'En-ligne', firstNames: 'Test' }, actor, Date.now)
    await s.alice.space.flush()
    expect(Y.getState(mainDoc.store, aliceClient)).toBe(next + 1)
    const states: SyncState[] = []
    const unsubscribe = s.alice.space.subscribe(() => states.push(s.alice.space.getSyncState()))
    // The stolen device writes at that clock first, signed there; the relay accepts it and forwards it to Alice.
    const attacker = await SyncTestClient.connect(s.relay.url, s.spaceId, s.thief.credential, { roomId: s.mainRoomId })
    await waitFor(() => expect(attacker.acks.length).toBeGreaterThanOrEqual(2))
    expect(Y.getState(attacker.doc.store, aliceClient)).toBe(next)
    attacker.doc.clientID = aliceClient
    await s.thief.pushSigned(attacker.doc, s.mainRoomId, [testEntry('junk')])
    await waitFor(() => expect(attacker.ackCovers()).toBe(true))
    attacker.destroy()
    await waitFor(() => expect(s.alice.space.getSyncState().resentEntries).toBe(1))
    expect(mainDoc.clientID).not.toBe(aliceClient)
    // Her frames go: the relay trims her first copy (the clock is taken), stores the second.
    s.wire.hold = null
    for (const go of s.wire.held.splice(0)) go()
    await waitFor(() => expect(s.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    unsubscribe()
    expect(states.filter((state) => state.pendingChanges === 0 && state.resentEntries === 0)).toEqual([])
    await waitFor(async () => expect(await patientsOf(s.bob)).toEqual(['Avant', 'En-ligne', 'Honnête', 'Hors-ligne', 'Rechargé']))
  })

  it('checks again when the relay\'s copy lacked the entries and an ACK later claims them (they arrived after the check)', async () => {
    const resentBefore = s.alice.space.getSyncState().resentEntries
    await offlineEdit(s, 'Tardif')
    // Alice's step 2 waits: the check's step 1 reaches the relay first, whose answer lacks her entry.
    s.wire.hold = (bytes) => kindOf(bytes) === 'step2'
    const from = s.wire.frames.length
    s.alice.space.connect()
    const checks = () => s.wire.frames.slice(from).filter((f) => f.path === s.mainPath && f.dir === 'up' && kindOf(f.bytes) === 'step1')
    await waitFor(() => expect(checks()).toHaveLength(2))
    await waitFor(() => expect(s.wire.frames.slice(from).filter((f) => f.path === s.mainPath && f.dir === 'down' && kindOf(f.bytes) === 'step2')).toHaveLength(2))
    expect(s.alice.space.getSyncState().pendingChanges).toBe(1)
    s.wire.hold = null
    for (const go of s.wire.held.splice(0)) go()
    // The relay stores it and ACKs it: a claim past the hold, checked again (a third step 1).
    await waitFor(() => expect(s.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    expect(checks()).toHaveLength(3)
    expect(s.alice.space.getSyncState().resentEntries).toBe(resentBefore)
    await waitFor(async () => expect(await patientsOf(s.bob)).toContain('Tardif'))
  })
})

describe('a clock taken while the device compacted offline', () => {
  let s: Scene
  beforeAll(async () => {
    s = await scene()
  })
  afterAll(() => disposeScene(s))

  const rejected = () => s.relay.logs.join('').split('frame_rejected').length - 1

  it('once the relay refused the deletion of the taken clock, its step 2 leaves it out: the change reaches Bob and a new device', async () => {
    await offlineEdit(s, 'Compacté')
    await takeAlicesNextClock(s)
    // Still offline, Alice compacts the directory: its snapshot deletes her pending entry at the
    // clock the relay now holds the junk at. Her step 2 used to repeat that deletion, which the
    // relay refuses (the junk's doc gets no new entry), at every reconnection.
    await s.alice.space.compact(DIRECTORY_DOC_ID)
    await s.alice.space.flush()
    expect(rejected()).toBe(0)
    await reconnect(s)
    // Her first step 2 carries the deletion (she cannot tell a taken clock from her own entry
    // whose ACK she lost, whose deletion must go): refused once, then left out.
    expect(rejected(), 'the relay refused her first step 2, and nothing after').toBe(1)
    await waitFor(async () => expect(await patientsOf(s.bob)).toEqual(['Avant', 'Compacté']))
    const carol = await joinWith(s.pairing, { ...nodeDeviceEnvironment('carol'), practice: { background: false } })
    try {
      await waitFor(async () => expect(await patientsOf(carol)).toEqual(['Avant', 'Compacté']))
    } finally {
      await carol.space.destroy()
    }
  })

  it('after a reload too: the taken clock is kept with the room, and no step 2 deletes it', async () => {
    await s.alice.space.destroy()
    const alice = await loadPractice(s.aliceEnv)
    expect(alice).not.toBeNull()
    s.alice = alice!
    await waitFor(() => expect(s.alice.space.getSyncState()).toMatchObject({ status: 'online', pendingChanges: 0 }))
    s.alice.space.disconnect()
    await waitFor(() => expect(s.alice.space.getSyncState().status).toBe('offline'))
    await reconnect(s)
    expect(rejected()).toBe(1)
    addPatient(await s.alice.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Après', firstNames: 'Test' }, actor, Date.now)
    await s.alice.space.flush()
    await waitFor(async () => expect(await patientsOf(s.bob)).toEqual(['Après', 'Avant', 'Compacté']))
    expect(rejected()).toBe(1)
  })
})
