/**
 * A simulated device in Node: its own IndexedDB namespace (fake-indexeddb), real WebSockets
 * (the `ws` package) that record every frame they send, so tests can search what the relay got.
 */
import WebSocket from 'ws'
import type { DeviceEnvironment } from '../../client/src/sync/device/device'
import { UnlockedKeys } from '../../client/src/sync/device/lock/unlocked-keys'
import { testClock } from './test-clock'

export interface RecordedFrames {
  sent: Uint8Array[]
}

export function recordingWebSocket(record: RecordedFrames): typeof globalThis.WebSocket {
  class RecordingWebSocket extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      if (data instanceof Uint8Array) record.sent.push(new Uint8Array(data))
      else if (data instanceof ArrayBuffer) record.sent.push(new Uint8Array(data.slice(0)))
      ;(super.send as (...args: unknown[]) => void)(data, ...rest)
    }
  }
  return RecordingWebSocket as unknown as typeof globalThis.WebSocket
}

let counter = 0

export function nodeDeviceEnvironment(name: string, record: RecordedFrames = { sent: [] }): DeviceEnvironment {
  counter++
  return {
    idbPrefix: `${name}-${counter}-${Math.random().toString(36).slice(2)}:`,
    WebSocketImpl: recordingWebSocket(record),
    fetchImpl: fetch,
    crossTab: false,
    // The device's "today" (start-up rooms, week digest) is the test's.
    now: testClock,
    room: {
      envelope: { batchDelayMs: 20, compactDelayMs: 200 },
      // Tests restart the relay: retry quickly, still with jitter.
      reconnect: { baseDelayMs: 50, maxDelayMs: 500 },
    },
    // As in the browser: one owner of the key epoch rings of the practices this device opens.
    epochRings: new Map(),
    // As in the browser: the memory of unlocked practices (lock/unlocked-keys.ts), the session's secrets held there.
    unlocked: new UnlockedKeys(),
  }
}
