import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deriveSpaceKeys, ROOT_SECRET_BYTES, type SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { randomBytes } from '../../../../shared/src/crypto/base64url'
import { encryptUpdate } from '../../../../shared/src/envelope/entry-cipher'
import type { DecodeRequest } from '../../../../shared/src/envelope/entry-decoder'
import { monthRoom, type RoomName } from '../../../../shared/src/space/rooms'
import { handleDecodeCall } from './decode-protocol'
import { DecoderLanes } from './decoder-lanes'

/**
 * A worker on this thread that runs the real worker's handler (decode-protocol.ts), each message
 * once `release()` was called when `held` (a worker busy with something long).
 */
class ThreadWorker {
  onmessage: ((event: MessageEvent<unknown>) => void) | null = null
  onerror: ((event: ErrorEvent) => void) | null = null
  onmessageerror: (() => void) | null = null
  readonly calls: string[] = []
  private gate: Promise<void>
  release: () => void = () => undefined

  constructor(held: boolean) {
    this.gate = held ? new Promise((resolve) => (this.release = resolve)) : Promise.resolve()
  }

  postMessage(message: { type: string; room?: string }): void {
    this.calls.push(message.type === 'digest' ? 'digest' : `decode ${message.room}`)
    void this.gate.then(() => handleDecodeCall(message, (reply) => this.onmessage?.({ data: reply } as MessageEvent<unknown>)))
  }

  terminate(): void {}
}

function lanes(options: { bulkHeld?: boolean; bulkBroken?: boolean } = {}) {
  const workers: Record<'bulk' | 'quick', ThreadWorker | null> = { bulk: null, quick: null }
  let disposed = 0
  const decoder = new DecoderLanes({
    createWorker: (lane) => {
      if (lane === 'bulk' && options.bulkBroken) throw new Error('no worker here')
      const worker = new ThreadWorker(lane === 'bulk' && options.bulkHeld === true)
      workers[lane] = worker
      return worker as unknown as Worker
    },
    pause: { next: () => Promise.resolve(), dispose: () => void disposed++ },
    minBytes: 0,
    maxStructs: 20,
  })
  return { decoder, workers, disposed: () => disposed }
}

async function entries(keys: SpaceKeys, room: RoomName, docId: string, count: number): Promise<{ request: DecodeRequest; source: Y.Doc }> {
  const source = new Y.Doc()
  const updates: Uint8Array[] = []
  source.on('update', (u: Uint8Array) => updates.push(u))
  for (let i = 0; i < count; i++) source.getMap('rows').set(`r${i}`, `valeur ${i}`)
  const ciphertexts = await Promise.all(updates.map((u) => encryptUpdate(keys, room, docId, u)))
  return { request: { keys, room, docId, ciphertexts }, source }
}

async function applied(decoded: ReturnType<DecoderLanes['decode']>): Promise<Y.Doc> {
  const doc = new Y.Doc()
  for await (const update of decoded.updates) Y.applyUpdate(doc, update)
  expect(await decoded.outcome).toMatchObject({ undecryptable: [], malformed: [] })
  return doc
}

describe('two decode lanes: the main room in one worker, every other room in the other', () => {
  it("decodes a month's room while the main room's worker is still busy", async () => {
    const keys = await deriveSpaceKeys('space-lanes', randomBytes(ROOT_SECRET_BYTES))
    const { decoder, workers } = lanes({ bulkHeld: true })
    const main = await entries(keys, 'main', 'directory', 60)
    const month = await entries(keys, monthRoom('2026-12'), 'agenda/2026-12', 60)
    const mainDecoded = decoder.decode(main.request)
    const monthDoc = await applied(decoder.decode(month.request))
    expect(monthDoc.getMap('rows').toJSON()).toEqual(month.source.getMap('rows').toJSON())
    expect(workers.quick?.calls).toEqual(['decode agenda/2026-12'])
    expect(workers.bulk?.calls).toEqual(['decode main'])
    workers.bulk!.release()
    expect((await applied(mainDecoded)).getMap('rows').toJSON()).toEqual(main.source.getMap('rows').toJSON())
  })

  it("refuses the main room's entries when its worker cannot start (the envelope then decrypts in place); the other lane goes on", async () => {
    const keys = await deriveSpaceKeys('space-lanes-broken', randomBytes(ROOT_SECRET_BYTES))
    const { decoder, disposed } = lanes({ bulkBroken: true })
    const main = await entries(keys, 'main', 'directory', 10)
    const month = await entries(keys, monthRoom('2026-12'), 'agenda/2026-12', 10)
    await expect(applied(decoder.decode(main.request))).rejects.toThrow(/decode worker cannot be used/)
    expect((await applied(decoder.decode(month.request))).getMap('rows').size).toBe(10)
    expect(decoder.worthIt(1)).toBe(true)
    decoder.dispose()
    expect(disposed()).toBe(1)
    expect(decoder.worthIt(1)).toBe(false)
  })
})
