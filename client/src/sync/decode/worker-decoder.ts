/**
 * The practice's decode worker, seen from the page: an EntryDecoder (entry-decoder.ts) whose
 * decryption and merging run in a Web Worker (decode-worker.ts), and whose slices the envelope
 * applies one task at a time, pausing while a person interacts (main-thread.ts). The worker starts
 * with the first batch worth it; if it fails (it could not start, it crashed, it answered nonsense)
 * every call pending and after is refused with a WorkerDecodeError, and the envelope decrypts in
 * place, as without a decoder: slower, never wrong.
 */
import type { DecodedEntries, DecodeOutcome, DecodeRequest, EntryDecoder } from '../../../../shared/src/envelope/entry-decoder'
import { callTransferables, DECODE_PROTOCOL, packBytesInSteps, readDecodeReply, unpackHeaders, type DecodeCall } from './decode-protocol'
import { SLICE_STRUCTS } from './decode-entries'
import { yieldToMain, type InputPause } from './main-thread'

/** Below this many bytes of ciphertext, decrypting in place costs less than the trip. */
export const WORKER_MIN_BYTES = 64 * 1024

/** Ciphertext bytes packed per task before a call is posted (decode-protocol.ts, packBytesInSteps). */
const PACK_STEP_BYTES = 4 << 20

export class WorkerDecodeError extends Error {
  override name = 'WorkerDecodeError'
}

export interface WorkerDecoderOptions {
  readonly createWorker: () => Worker
  readonly pause: Pick<InputPause, 'next' | 'dispose'>
  readonly minBytes?: number
  readonly maxStructs?: number
}

/** Slices of one call, as they arrive: iterated once by the envelope. */
export class SliceStream implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = []
  private wake: (() => void) | null = null
  private ended = false
  private error: Error | null = null

  push(updates: readonly Uint8Array[]): void {
    this.queue.push(...updates)
    this.wake?.()
  }

  end(error: Error | null = null): void {
    this.ended = true
    this.error = error
    this.wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.queue.length > 0) {
        yield this.queue.shift()!
        continue
      }
      if (this.error) throw this.error
      if (this.ended) return
      await new Promise<void>((resolve) => (this.wake = resolve))
      this.wake = null
    }
  }
}

interface Call {
  readonly stream: SliceStream | null
  readonly settle: (outcome: DecodeOutcome | Error) => void
}

/** What a practice gets: entries decoded off the main thread, the page's slices paced. */
export interface PracticeDecoder extends EntryDecoder {
  dispose(): void
}

export class WorkerDecoder implements PracticeDecoder {
  private worker: Worker | null = null
  private broken: WorkerDecodeError | null = null
  private nextId = 1
  private readonly calls = new Map<number, Call>()

  constructor(private readonly options: WorkerDecoderOptions) {}

  worthIt(bytes: number): boolean {
    return this.broken === null && bytes >= (this.options.minBytes ?? WORKER_MIN_BYTES)
  }

  decode(request: DecodeRequest): DecodedEntries {
    const stream = new SliceStream()
    let settle: Call['settle'] = () => undefined
    const outcome = new Promise<DecodeOutcome>((resolve, reject) => {
      settle = (result) => (result instanceof Error ? reject(result) : resolve(result))
    })
    // The envelope reads the outcome only after every slice: a failure reaches it through the stream.
    outcome.catch(() => undefined)
    const fail = (error: Error) => {
      stream.end(error)
      settle(error)
    }
    if (this.broken) {
      fail(this.broken)
      return { updates: stream, outcome }
    }
    const id = this.nextId++
    this.calls.set(id, { stream, settle: (result) => (result instanceof Error ? fail(result) : (stream.end(), settle(result))) })
    void this.post(id, request)
    return { updates: stream, outcome }
  }

  /** Packs the call's ciphertexts (in steps, the thread given back between) and posts it. */
  private async post(id: number, request: DecodeRequest): Promise<void> {
    let ciphertexts
    try {
      ciphertexts = await packBytesInSteps(request.ciphertexts, PACK_STEP_BYTES, yieldToMain)
    } catch (error) {
      // Out of memory for the packed copy, say: every call settles, and the envelope decrypts in place.
      return this.fail(new WorkerDecodeError(`The decode call could not be packed: ${error instanceof Error ? error.message : String(error)}`))
    }
    // Failed or disposed while packing: the call was settled already.
    if (!this.calls.has(id)) return
    const call: DecodeCall = {
      type: 'decode',
      protocol: DECODE_PROTOCOL,
      id,
      spaceId: request.keys.spaceId,
      aead: request.keys.aead,
      epochs: request.keys.epochs?.all() ?? [],
      room: request.room,
      docId: request.docId,
      ciphertexts,
      maxStructs: this.options.maxStructs ?? SLICE_STRUCTS,
    }
    try {
      // The packed copy is transferred; the envelope keeps its own ciphertexts.
      this.start().postMessage(call, callTransferables(call))
    } catch (error) {
      this.fail(new WorkerDecodeError(`The decode worker cannot be used: ${error instanceof Error ? error.message : String(error)}`))
    }
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
    const call = this.calls.get(reply.id)
    if (!call) return
    if (reply.type === 'slices') return call.stream?.push(reply.updates)
    this.calls.delete(reply.id)
    if (reply.type === 'failed') call.settle(new WorkerDecodeError(`The decode worker could not decode: ${reply.message}`))
    else call.settle({ undecryptable: reply.undecryptable, malformed: reply.malformed, headers: unpackHeaders(reply.headers) })
  }

  private fail(error: WorkerDecodeError): void {
    this.broken = error
    this.worker?.terminate()
    this.worker = null
    for (const call of this.calls.values()) call.settle(error)
    this.calls.clear()
  }
}

