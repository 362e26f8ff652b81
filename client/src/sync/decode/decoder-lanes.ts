/**
 * Two decode workers for one practice, so that the big main room never queues what the first
 * screen needs behind it. A worker runs one task at a time: merging a 20,000-patient directory's
 * 31 MB of entries is seconds of it, and this month's room (the day view) would wait that long in
 * the same worker. So:
 *
 *   bulk    the main room's entries (the directory, patient files)
 *   quick   every other room (agenda months, a few MB at most)
 *
 * Both slice and stream as WorkerDecoder does, and their slices are applied on the page through
 * one InputPause, so the page interleaves them. A lane that fails refuses its calls, and the
 * envelope decrypts in place for them, as without a decoder: slower, never wrong.
 */
import type { DecodedEntries, DecodeRequest } from '../../../../shared/src/envelope/entry-decoder'
import { MAIN_ROOM } from '../../../../shared/src/space/rooms'
import { InputPause } from './main-thread'
import { WorkerDecoder, type PracticeDecoder } from './worker-decoder'

export interface DecoderLanesOptions {
  /** A new worker of the given lane's name (each lane starts its own, on its first call). */
  readonly createWorker: (lane: 'bulk' | 'quick') => Worker
  readonly pause: Pick<InputPause, 'next' | 'dispose'>
  readonly minBytes?: number
  readonly maxStructs?: number
}

export class DecoderLanes implements PracticeDecoder {
  private readonly bulk: WorkerDecoder
  private readonly quick: WorkerDecoder

  constructor(private readonly options: DecoderLanesOptions) {
    // The pause is the lanes' own: each lane's dispose leaves it to ours.
    const pause = { next: () => options.pause.next(), dispose: () => undefined }
    const lane = (name: 'bulk' | 'quick') =>
      new WorkerDecoder({
        createWorker: () => options.createWorker(name),
        pause,
        ...(options.minBytes === undefined ? {} : { minBytes: options.minBytes }),
        ...(options.maxStructs === undefined ? {} : { maxStructs: options.maxStructs }),
      })
    this.bulk = lane('bulk')
    this.quick = lane('quick')
  }

  worthIt(bytes: number): boolean {
    // The envelope asks before it names the room: a broken lane refuses the call, and the envelope
    // then decrypts in place.
    return this.bulk.worthIt(bytes) || this.quick.worthIt(bytes)
  }

  decode(request: DecodeRequest): DecodedEntries {
    return (request.room === MAIN_ROOM ? this.bulk : this.quick).decode(request)
  }

  nextSlice(): Promise<void> {
    return this.options.pause.next()
  }

  dispose(): void {
    this.bulk.dispose()
    this.quick.dispose()
    this.options.pause.dispose()
  }
}

/**
 * The app's decoder: two bundled workers, pausing for the window's input. Vite bundles
 * decode-worker.ts once; each lane starts its own instance.
 */
export function browserDecoder(): PracticeDecoder {
  return new DecoderLanes({
    createWorker: (lane) => new Worker(new URL('./decode-worker.ts', import.meta.url), { type: 'module', name: `tournee-decode-${lane}` }),
    pause: new InputPause({ target: window, now: () => performance.now() }),
  })
}
