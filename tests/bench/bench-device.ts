/**
 * Simulated devices for the benchmarks: the app's default envelope options (batching, compaction),
 * fake-indexeddb, and real WebSockets that count the bytes they send and receive.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import type { DeviceEnvironment } from '../../client/src/sync/device/device'
import type { Practice } from '../../client/src/sync/practice/practice'

export interface ByteCounter {
  sent: number
  received: number
  /** Frames sent, when the scenario wants round trips. */
  framesSent?: number
  /**
   * Frames sent per socket (its URL, one per room), when the scenario wants round trips: rooms
   * sync in parallel, so round trips are read per socket, not summed over them.
   */
  framesBySocket?: Map<string, number>
}

function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer) return data.byteLength
  if (ArrayBuffer.isView(data)) return data.byteLength
  if (Array.isArray(data)) return data.reduce((n: number, part: unknown) => n + byteLength(part), 0)
  return typeof data === 'string' ? Buffer.byteLength(data) : 0
}

export function countingWebSocket(counter: ByteCounter): typeof globalThis.WebSocket {
  class CountingWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      this.on('message', (data: unknown) => {
        counter.received += byteLength(data)
      })
    }

    override send(data: unknown, ...rest: unknown[]): void {
      counter.sent += byteLength(data)
      if (counter.framesSent !== undefined) counter.framesSent++
      counter.framesBySocket?.set(this.url, (counter.framesBySocket.get(this.url) ?? 0) + 1)
      ;(super.send as (...args: unknown[]) => void)(data, ...rest)
    }
  }
  return CountingWebSocket as unknown as typeof globalThis.WebSocket
}

let devices = 0

export function benchEnvironment(name: string, counter: ByteCounter = { sent: 0, received: 0 }): DeviceEnvironment {
  devices++
  return {
    idbPrefix: `bench-${name}-${devices}:`,
    WebSocketImpl: countingWebSocket(counter),
    fetchImpl: countingFetch(counter),
    crossTab: false,
    // Envelope options are the app's defaults (batch 250 ms, compaction after 64 entries).
    room: { reconnect: { baseDelayMs: 50, maxDelayMs: 500 } },
  }
}

/**
 * fetch, counting the bodies sent and received: the directory digest (and attachments) travel
 * over HTTP, and belong in "bytes received" as much as the socket's frames.
 */
export function countingFetch(counter: ByteCounter): typeof fetch {
  return async (input, init) => {
    const body = init?.body
    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) counter.sent += body.byteLength
    const response = await fetch(input, init)
    if (response.body === null) return response
    const bytes = await response.arrayBuffer()
    counter.received += bytes.byteLength
    return new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
}

/** Deletes every IndexedDB database of a simulated device (fake-indexeddb keeps them in memory). */
export async function deleteDeviceDatabases(env: DeviceEnvironment): Promise<void> {
  const names = (await indexedDB.databases()).map((d) => d.name).filter((n): n is string => !!n && n.startsWith(env.idbPrefix))
  await Promise.all(
    names.map(
      (name) =>
        new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name)
          request.onsuccess = () => resolve()
          request.onerror = () => reject(request.error ?? new Error(`Cannot delete ${name}`))
        }),
    ),
  )
}

/** Resolves when `check(doc)` holds: checked now and after each update of the doc, never polled. */
export function until(doc: Y.Doc, check: (doc: Y.Doc) => boolean, timeoutMs = 120_000): Promise<void> {
  if (check(doc)) return Promise.resolve()
  // 'afterTransaction', as the app's views (DocVersion): an 'update' listener would make Yjs
  // encode every transaction again, a cost the harness must not add to ours or to stock.
  return new Promise((resolve, reject) => {
    const onTransaction = () => {
      if (!check(doc)) return
      clearTimeout(timer)
      doc.off('afterTransaction', onTransaction)
      resolve()
    }
    const timer = setTimeout(() => {
      doc.off('afterTransaction', onTransaction)
      reject(new Error(`Doc ${doc.guid} did not reach the expected state in ${timeoutMs} ms`))
    }, timeoutMs)
    doc.on('afterTransaction', onTransaction)
  })
}

export type StateVector = Map<number, number>

export function stateVectorOf(doc: Y.Doc): StateVector {
  return Y.decodeStateVector(Y.encodeStateVector(doc))
}

/** Whether `doc` holds everything `expected` describes (same clients, same clocks). */
export function hasState(doc: Y.Doc, expected: StateVector): boolean {
  const actual = stateVectorOf(doc)
  if (actual.size !== expected.size) return false
  for (const [client, clock] of expected) if (actual.get(client) !== clock) return false
  return true
}

/** Resolves once the space is online: its provider got the relay's step 2 (the room is loaded). */
export function whenOnline(space: Pick<Practice, 'getSyncState' | 'subscribe'>): Promise<void> {
  if (space.getSyncState().status === 'online') return Promise.resolve()
  return new Promise((resolve) => {
    const stop = space.subscribe(() => {
      if (space.getSyncState().status !== 'online') return
      stop()
      resolve()
    })
  })
}
