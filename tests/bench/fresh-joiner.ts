/**
 * One sample of the fresh-device scenario in a child process of its own (fresh-joiner-main.ts):
 * the floor client, the stock client or a Tournée device joins, syncs, measures, reports one
 * JoinSample and its own peak RSS, and exits. Each full copy of the practice (several GiB at
 * 10 × 10 years) is freed with its process, and no sample runs in a heap an earlier one left to
 * collect (the bench process slowed down run after run, all three sides, when they ran in it).
 *
 * Protocol: the parent forks, sends one `start` with the job; the child answers `done` or
 * `failed`, then exits. The parent resolves once the child has exited after `done`.
 *
 * The expected state vectors travel as one lib0 buffer (state-vectors.ts) in the IPC message
 * (advanced serialization): ≈0.2 MB for 5,199 docs, a single structured-clone copy, nothing to
 * write or clean up, where a temp file would add a path to pass and delete on every exit path.
 */
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { START_FETCHES } from '../../client/src/sync/digests/digest-sync'
import { forkBenchChild } from './bench-child'
import type { JoinSample } from './join-measures'

const mainFile = fileURLToPath(new URL('./fresh-joiner-main.ts', import.meta.url))

export type JoinerKind = 'floor' | 'stock' | 'ours'

/** What usable means: this month listed, and this many patients. */
interface UsableJob {
  currentMonthDocId: string
  patients: number
}

/** The docs to sync in order (directory, this month, the rest) and their expected state vectors. */
interface SyncJob extends UsableJob {
  docOrder: string[]
  /** encodeStateVectors(A's state vectors of the docs in docOrder). */
  expected: Uint8Array
}

export type JoinerJob =
  /** The bytes server's URL; the directory doc is DIRECTORY_DOC_ID, the usable check's other doc this month. */
  | ({ kind: 'floor'; url: string; docCount: number } & UsableJob)
  | ({ kind: 'stock'; url: string } & SyncJob)
  | ({ kind: 'ours'; code: string; usableOnly: boolean; name: string } & SyncJob)

/** Parent → child. */
export interface JoinerStart {
  type: 'start'
  job: JoinerJob
}

const sampleSchema = z.object({
  usableMs: z.number(),
  // NaN when only usable was measured: structured clone keeps it.
  syncedMs: z.number().or(z.nan()),
  bytesReceived: z.number(),
  roomsAtUsable: z.number().optional(),
  roomsAtEnd: z.number().optional(),
  directoryMs: z.number(),
  patientsFrom: z.enum(['digest', 'directory']).optional(),
  weekDigest: z.enum([...START_FETCHES, 'not-needed']).optional(),
})

export const joinerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('done'),
    sample: sampleSchema,
    /** The child's VmHWM at the end: its whole life, setup of the client included. */
    peakRssBytes: z.number(),
    /** V8's heap limit in the child, to check which --max-old-space-size it runs with. */
    heapLimitBytes: z.number(),
    /** Ours, fully synced: the device's envelope state, bytes. */
    envelopeBytes: z.number().optional(),
  }),
  z.object({ type: z.literal('failed'), message: z.string() }),
])
export type JoinerMessage = z.infer<typeof joinerMessageSchema>
export type JoinerResult = Omit<Extract<JoinerMessage, { type: 'done' }>, 'type' | 'sample'> & { sample: JoinSample }

export class JoinerProcessError extends Error {
  override name = 'JoinerProcessError'
}

export interface JoinerOptions {
  /** Names the sample in errors, e.g. "run 2/5". */
  label: string
  timeoutMs: number
  /** The child's --max-old-space-size (MiB); unset, it inherits the bench's NODE_OPTIONS. */
  maxOldSpaceMb?: number
}

/** Runs one sample in a child and resolves with its result once the child has exited. */
export function runJoiner(job: JoinerJob, options: JoinerOptions): Promise<JoinerResult> {
  const child: ChildProcess = forkBenchChild(mainFile, { maxOldSpaceMb: options.maxOldSpaceMb })
  const name = `Fresh joiner (${job.kind}, ${options.label})`
  return new Promise<JoinerResult>((resolve, reject) => {
    let result: JoinerResult | null = null
    let failure: JoinerProcessError | null = null
    const timer = setTimeout(() => {
      failure = new JoinerProcessError(`${name} did not finish in ${options.timeoutMs} ms`)
      child.kill('SIGKILL')
    }, options.timeoutMs)
    child.on('message', (raw: unknown) => {
      const parsed = joinerMessageSchema.safeParse(raw)
      if (!parsed.success) failure ??= new JoinerProcessError(`${name} sent an invalid message: ${parsed.error.message}`)
      else if (parsed.data.type === 'failed') failure ??= new JoinerProcessError(`${name} failed: ${parsed.data.message}`)
      else result = { sample: parsed.data.sample, peakRssBytes: parsed.data.peakRssBytes, heapLimitBytes: parsed.data.heapLimitBytes, envelopeBytes: parsed.data.envelopeBytes }
    })
    child.once('error', (error) => {
      failure ??= new JoinerProcessError(`${name} could not run: ${error.message}`)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (failure) return reject(failure)
      if (result && code === 0) return resolve(result)
      reject(new JoinerProcessError(`${name} exited (${signal ?? `code ${code}`}) ${result ? 'after its sample' : 'without a sample'}`))
    })
    child.send({ type: 'start', job } satisfies JoinerStart)
  })
}
