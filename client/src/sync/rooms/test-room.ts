/**
 * For the room tests that run a real Room (fake-indexeddb, real `ws` sockets) against a small
 * server of their own (room-refusal, room-probe, room-rejected): a room of a fresh space on
 * `relayUrl`, loaded and told to connect, released after the test through `cleanups`.
 */
import WebSocket from 'ws'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { deriveSpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { RelayClient } from '../relay/relay-client'
import type { ReconnectPolicyOptions } from './reconnect-policy'
import { Room } from './room'

export interface TestRoomOptions {
  readonly reconnect: ReconnectPolicyOptions
  /** RelayClient's probe timeout (PROBE_TIMEOUT_MS when unset). */
  readonly probeTimeoutMs?: number
  /** Told after each change of the room's state. */
  readonly onChange?: (room: Room) => void
}

export async function openTestRoom(relayUrl: string, options: TestRoomOptions, cleanups: (() => Promise<void>)[]): Promise<Room> {
  const spaceId = randomId()
  const credential = randomId(32)
  const keys = await deriveSpaceKeys(spaceId, randomBytes(32))
  const room: Room = new Room(
    {
      name: 'main',
      locate: async () => ({ roomId: 'room-main', idbName: `test-room-${randomId()}` }),
      spaceId,
      relayUrl,
      credential,
      keys,
      relay: new RelayClient({ relayUrl, spaceId, credential, ...(options.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: options.probeTimeoutMs }) }),
      previouslySynced: false,
      envelope: { batchDelayMs: 0 },
      reconnect: options.reconnect,
      WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
      now: Date.now,
    },
    { onChange: () => options.onChange?.(room), onLocalWrite: () => undefined },
  )
  cleanups.push(() => room.release())
  await room.load()
  room.setConnection('connect')
  return room
}
