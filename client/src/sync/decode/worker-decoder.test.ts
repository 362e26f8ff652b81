import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { randomBytes } from '../../../../shared/src/crypto/base64url'
import { deriveSpaceKeys, ROOT_SECRET_BYTES } from '../../../../shared/src/crypto/space-keys'
import { encryptUpdate } from '../../../../shared/src/envelope/entry-cipher'
import { handleDecodeCall, unpackBytes, type DecodeCall } from './decode-protocol'
import { WorkerDecoder } from './worker-decoder'

/** A worker on this thread running the real handler, keeping what each message would transfer. */
class ThreadWorker {
  onmessage: ((event: MessageEvent<unknown>) => void) | null = null
  onerror: ((event: ErrorEvent) => void) | null = null
  readonly posted: { call: DecodeCall; transfer: readonly Transferable[] }[] = []

  postMessage(message: DecodeCall, transfer: Transferable[] = []): void {
    this.posted.push({ call: message, transfer })
    void handleDecodeCall(message, (reply) => this.onmessage?.({ data: reply } as MessageEvent<unknown>))
  }

  terminate(): void {}
}

describe('WorkerDecoder: what goes to the worker', () => {
  it('transfers the ciphertexts packed, never the rows they are views on', async () => {
    const keys = await deriveSpaceKeys('space-pack', randomBytes(ROOT_SECRET_BYTES))
    const source = new Y.Doc()
    const updates: Uint8Array[] = []
    source.on('update', (u: Uint8Array) => updates.push(u))
    for (let i = 0; i < 30; i++) source.getMap('rows').set(`r${i}`, `valeur ${i}`)
    const sealed = await Promise.all(updates.map((u) => encryptUpdate(keys, 'main', 'directory', u)))
    // As in the envelope: views on a big row they were decoded from (padding around them).
    const row = new Uint8Array(1_000_000)
    let at = 500
    const ciphertexts = sealed.map((c) => {
      row.set(c, at)
      const view = row.subarray(at, at + c.length)
      at += c.length + 7
      return view
    })

    const worker = new ThreadWorker()
    const decoder = new WorkerDecoder({ createWorker: () => worker as unknown as Worker, pause: { next: async () => {}, dispose: () => {} }, minBytes: 0 })
    const decoded = decoder.decode({ keys, room: 'main', docId: 'directory', ciphertexts })
    const doc = new Y.Doc()
    for await (const update of decoded.updates) Y.applyUpdate(doc, update)
    expect(await decoded.outcome).toEqual({ undecryptable: [], malformed: [], headers: sealed.map(() => null) })
    expect(doc.getMap('rows').toJSON()).toEqual(source.getMap('rows').toJSON())

    const [{ call, transfer }] = worker.posted as [(typeof worker.posted)[0]]
    const total = sealed.reduce((sum, c) => sum + c.length, 0)
    expect(transfer).toEqual([call.ciphertexts.bytes.buffer, call.ciphertexts.ends.buffer])
    expect(call.ciphertexts.bytes.buffer.byteLength).toBe(total)
    expect(unpackBytes(call.ciphertexts)).toEqual(sealed)
    // The envelope's own ciphertexts are untouched.
    expect(ciphertexts[0]!.buffer).toBe(row.buffer)
    expect(ciphertexts[3]).toEqual(sealed[3])
    decoder.dispose()
  })

  it('settles a call it could not pack, and refuses the next ones (the envelope then decrypts in place)', async () => {
    const keys = await deriveSpaceKeys('space-pack-fails', randomBytes(ROOT_SECRET_BYTES))
    const worker = new ThreadWorker()
    const decoder = new WorkerDecoder({ createWorker: () => worker as unknown as Worker, pause: { next: async () => {}, dispose: () => {} }, minBytes: 0 })
    // A ciphertext whose bytes cannot be read: what an allocation failure looks like to the packing.
    const unreadable = {
      get length(): number {
        throw new RangeError('Array buffer allocation failed')
      },
    } as unknown as Uint8Array
    const decoded = decoder.decode({ keys, room: 'main', docId: 'directory', ciphertexts: [unreadable] })
    await expect(decoded.outcome).rejects.toThrow(/could not be packed/)
    await expect((async () => {
      for await (const update of decoded.updates) void update
    })()).rejects.toThrow(/could not be packed/)
    expect(worker.posted).toHaveLength(0)
    expect(decoder.worthIt(1_000_000)).toBe(false)
    decoder.dispose()
  })
})
