/**
 * Bad input against a real relay process, while a real device keeps syncing through it: each bad
 * peer is refused as designed, and nobody else notices.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import * as encoding from 'lib0/encoding'
import { createPractice, joinPractice, type OpenPractice } from '../client/src/sync/device/device'
import { decodePairingCode, encodePairingCode } from '../shared/src/space/pairing-code'
import { AUTH_SUBPROTOCOL_PREFIX, CloseCode, MessageType, SUBPROTOCOL } from '../shared/src/protocol/constants'
import { randomId } from '../shared/src/crypto/base64url'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import { Practice } from '../client/src/sync/practice/practice'
import { TEST_ROOM_ID } from '../relay/src/test-support/sync-test-client'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'

const MAX_FRAME = 256 * 1024
const aliceEnv = nodeDeviceEnvironment('alice')
let relay: RelayProcess
let alice: OpenPractice
let bob: OpenPractice
let pairing: PairingTicket
let spaceId: string
let credential: string

beforeAll(async () => {
  relay = await startRelayProcess({
    env: { TOURNEE_MAX_FRAME_BYTES: String(MAX_FRAME), TOURNEE_ALLOWED_ORIGINS: 'https://cabinet.example' },
  })
  alice = await createPractice(
    { relayUrl: relay.url, practiceName: 'Cabinet Test', practitioner: { displayName: 'Alice', profession: 'medecin' } },
    aliceEnv,
  )
  pairing = await pairingTicket(alice.record.spaceId, aliceEnv)
  bob = await joinWith(pairing, nodeDeviceEnvironment('bob'))
  ;({ spaceId, credential } = decodePairingCode(pairing.code))
})

afterAll(async () => {
  await alice?.space.destroy()
  await bob?.space.destroy()
  await relay?.dispose()
})

function syncUrl(id = spaceId): string {
  return `ws://127.0.0.1:${relay.port}/v1/sync/${id}/${TEST_ROOM_ID}`
}

/** Opens a raw socket; resolves with how it ended: refused at upgrade (status) or closed (code). */
function rawSocket(
  options: { id?: string; cred?: string; origin?: string; protocols?: string[] } = {},
): { socket: WebSocket; opened: Promise<void>; ended: Promise<{ status?: number; code?: number }> } {
  const protocols = options.protocols ?? [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + (options.cred ?? credential)]
  const socket = new WebSocket(syncUrl(options.id), protocols, options.origin ? { origin: options.origin } : {})
  const ended = new Promise<{ status?: number; code?: number }>((resolve) => {
    socket.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode })
      socket.terminate()
    })
    socket.on('close', (code) => resolve({ code }))
    socket.on('error', () => undefined)
  })
  const opened = new Promise<void>((resolve) => socket.on('open', () => resolve()))
  return { socket, opened, ended }
}

/** The healthy devices still exchange a change both ways. */
async function stillServing(label: string): Promise<void> {
  const dirA = await alice.space.openDoc(DIRECTORY_DOC_ID)
  const dirB = await bob.space.openDoc(DIRECTORY_DOC_ID)
  const before = listPatients(dirB).items.length
  addPatient(dirA, { birthName: `Après ${label}`, firstNames: 'Test' }, { memberId: 'm', deviceId: 'alice' }, Date.now)
  await waitFor(() => expect(listPatients(dirB).items.length).toBe(before + 1))
  expect(alice.space.getSyncState().status).toBe('online')
  expect(bob.space.getSyncState().status).toBe('online')
}

describe('a real relay under bad input', () => {
  it('closes a connection that sends garbage, and only that one', async () => {
    const { socket, opened, ended } = rawSocket()
    await opened
    socket.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))
    expect((await ended).code).toBe(CloseCode.BadFrame.code)
    await stillServing('garbage')
  })

  it('closes a connection that sends a sync update that is not a Yjs update', async () => {
    const { socket, opened, ended } = rawSocket()
    await opened
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, MessageType.Sync)
    encoding.writeVarUint(encoder, 2) // update
    encoding.writeVarUint8Array(encoder, new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]))
    socket.send(encoding.toUint8Array(encoder))
    expect((await ended).code).toBe(CloseCode.BadFrame.code)
    await stillServing('bad update')
  })

  it('closes a connection that sends an oversized frame', async () => {
    const { socket, opened, ended } = rawSocket()
    await opened
    socket.send(new Uint8Array(MAX_FRAME + 1024))
    expect((await ended).code).toBe(CloseCode.MessageTooBig.code)
    await stillServing('oversized')
  })

  it('refuses a wrong credential at the upgrade', async () => {
    const { ended } = rawSocket({ cred: randomId(32) })
    expect((await ended).status).toBe(401)
    await stillServing('wrong credential')
  })

  it('refuses an unknown space at the upgrade', async () => {
    const { ended } = rawSocket({ id: randomId(16) })
    expect((await ended).status).toBe(404)
  })

  it('refuses a browser origin that is not allowed', async () => {
    const { ended } = rawSocket({ origin: 'https://evil.example' })
    expect((await ended).status).toBe(403)
    const allowed = rawSocket({ origin: 'https://cabinet.example' })
    await allowed.opened
    allowed.socket.close()
  })

  it('refuses a client that does not speak this protocol version', async () => {
    const { ended } = rawSocket({ protocols: ['tournee.0', AUTH_SUBPROTOCOL_PREFIX + credential] })
    expect((await ended).status).toBe(426)
    await stillServing('old client')
  })

  it('a device with a revoked or wrong credential is told so, and stops retrying', async () => {
    const info = decodePairingCode(pairing.code)
    const env = nodeDeviceEnvironment('intruder')
    // Same space and key, wrong credential: the relay refuses before anything is stored.
    const forged = encodePairingCode({ ...info, credential: randomId(32) })
    await expect(joinPractice(forged, env)).rejects.toMatchObject({ name: 'RelayError', reason: 'unauthorized' })
  })

  it('a running device whose credential the relay refuses shows why, and stops retrying', async () => {
    const info = decodePairingCode(pairing.code)
    let attempts = 0
    class CountingWebSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args)
        attempts++
      }
    }
    const space = await Practice.open({
      spaceId: info.spaceId,
      relayUrl: info.relayUrl,
      credential: randomId(32),
      keys: await derivePracticeKeys(info.spaceId, info.tiers),
      idbName: `refused-${randomId()}`,
      rooms: { WebSocketImpl: CountingWebSocket as unknown as typeof globalThis.WebSocket, reconnect: { baseDelayMs: 20, maxDelayMs: 40 } },
      background: false,
    })
    try {
      await waitFor(() => expect(space.getSyncState()).toMatchObject({ status: 'refused', refusal: 'unauthorized' }))
      const settled = attempts
      // Were a room still retrying, a reconnection timer would be scheduled: run every timer now,
      // at once, and count the sockets opened (a socket is counted as it is constructed).
      vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] })
      try {
        vi.advanceTimersByTime(60_000)
      } finally {
        vi.useRealTimers()
      }
      expect(attempts).toBe(settled)
    } finally {
      await space.destroy()
    }
  })

  it('a device pointed at a space the relay does not know shows that, and does not retry', async () => {
    const info = decodePairingCode(pairing.code)
    const unknownSpace = randomId(16)
    const space = await Practice.open({
      spaceId: unknownSpace,
      relayUrl: info.relayUrl,
      credential: info.credential,
      keys: await derivePracticeKeys(unknownSpace, info.tiers),
      idbName: `unknown-space-${randomId()}`,
      rooms: { WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket, reconnect: { baseDelayMs: 20, maxDelayMs: 40 } },
      background: false,
    })
    try {
      await waitFor(() => expect(space.getSyncState()).toMatchObject({ status: 'refused', refusal: 'space-not-found' }))
      expect(space.getSyncState().pendingChanges).toBe(0)
    } finally {
      await space.destroy()
    }
    await stillServing('espace inconnu')
  })
})
