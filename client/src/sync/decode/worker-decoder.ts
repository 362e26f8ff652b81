/**
 * The practice's decode worker, seen from the page: an EntryDecoder (entry-decoder.ts) whose
 * decryption and merging run in a Web Worker (decode-worker.ts), and whose slices the envelope
 * applies one task at a time, pausing while a person interacts (main-thread.ts). The worker starts
 * with the first batch worth it; if it fails (it could not start, it crashed, it answered nonsense)
 * every call pending and after is refused with a WorkerDecodeError, and the envelope decrypts in
 * place, as without a decoder: slower, never wrong.
 */
import type { DecodedEntries, DecodeRequest, EntryDecoder } from '../../../../shared/src/envelope/entry-decoder'
import { DECODE_PROTOCOL, readDecodeReply, type DecodeCall } from './decode-protocol'
import { SLICE_STRUCTS } from './decode-entries'
import { InputPause } from './main-thread'

/** Below this many bytes of ciphertext, decrypting in place costs less than the trip. */
export const WORKER_MIN_BYTES = 64 * 1024

export class WorkerDecodeError extends Error {
  override name = 'WorkerDecodeError'
}

export interface WorkerDecoderOptions {
  readonly createWorker: () => Worker
  readonly pause: Pick<InputPause, 'next' | 'dispose'>
  readonly minBytes?: number
  readonly maxStructs?: number
}

export class WorkerDecoder implements EntryDecoder {
  private worker: Worker | null = null
  private broken: WorkerDecodeError | null = null
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (d: DecodedEntries) => void; reject: (e: Error) => void }>()

  constructor(private readonly options: WorkerDecoderOptions) {}

  worthIt(bytes: number): boolean {
    return this.broken === null && bytes >= (this.options.minBytes ?? WORKER_MIN_BYTES)
  }

  decode(request: DecodeRequest): Promise<DecodedEntries> {
    if (this.broken) return Promise.reject(this.broken)
    const id = this.nextId++
    const call: DecodeCall = {
      type: 'decode',
      protocol: DECODE_PROTOCOL,
      id,
      spaceId: request.keys.spaceId,
      aead: request.keys.aead,
      room: request.room,
      docId: request.docId,
      ciphertexts: request.ciphertexts,
      maxStructs: this.options.maxStructs ?? SLICE_STRUCTS,
    }
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      try {
        // Copied, not transferred: the ciphertexts stay in the envelope.
        this.start().postMessage(call)
      } catch (error) {
        this.fail(new WorkerDecodeError(`The decode worker cannot be used: ${error instanceof Error ? error.message : String(error)}`))
      }
    })
  }

  nextSlice(): Promise<void> {
    return this.options.pause.next()
  }

  dispose(): void {
    this.fail(new WorkerDecodeError('The practice closed'))
    this.options.pause.dispose()
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = this.options.createWorker()
    worker.onmessage = (event: MessageEvent<unknown>) => this.onReply(event.data)
    worker.onerror = (event) => {
      event.preventDefault()
      this.fail(new WorkerDecodeError(`The decode worker failed: ${event.message || 'no message'}`))
    }
    worker.onmessageerror = () => this.fail(new WorkerDecodeError('A message from the decode worker could not be read'))
    this.worker = worker
    return worker
  }

  private onReply(data: unknown): void {
    let reply
    try {
      reply = readDecodeReply(data)
    } catch (error) {
      return this.fail(new WorkerDecodeError(`The decode worker answered what it should not: ${error instanceof Error ? error.message : String(error)}`))
    }
    const waiter = this.waiting.get(reply.id)
    if (!waiter) return
    this.waiting.delete(reply.id)
    if (reply.type === 'failed') waiter.reject(new WorkerDecodeError(`The decode worker could not decode: ${reply.message}`))
    else waiter.resolve({ updates: reply.updates, undecryptable: reply.undecryptable, malformed: reply.malformed })
  }

  private fail(error: WorkerDecodeError): void {
    this.broken = error
    this.worker?.terminate()
    this.worker = null
    for (const waiter of this.waiting.values()) waiter.reject(error)
    this.waiting.clear()
  }
}

/** The app's decoder: the bundled worker, pausing for the window's input. */
export function browserDecoder(): WorkerDecoder {
  return new WorkerDecoder({
    createWorker: () => new Worker(new URL('./decode-worker.ts', import.meta.url), { type: 'module', name: 'tournee-decode' }),
    pause: new InputPause({ target: window, now: () => performance.now() }),
  })
}
