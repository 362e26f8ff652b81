/**
 * One fresh-device sample in a process of its own (see fresh-joiner.ts for the protocol): the
 * same measuring functions as in-process (join-measures.ts), the byte counter with the client.
 */
import 'fake-indexeddb/auto'
import { getHeapStatistics } from 'node:v8'
import { benchEnvironment, type ByteCounter } from './bench-device'
import { floorOnce, joinSynced, stockOnce, SYNC_TIMEOUT_MS, type JoinSample } from './join-measures'
import type { JoinerJob, JoinerMessage, JoinerStart } from './fresh-joiner'
import { peakRssBytes } from './process-stats'
import { decodeStateVectors } from './state-vectors'

async function measure(job: JoinerJob): Promise<{ sample: JoinSample; envelopeBytes?: number }> {
  if (job.kind === 'floor') return { sample: await floorOnce(job.url, job, job.docCount) }
  const target = { currentMonthDocId: job.currentMonthDocId, patients: job.patients, docOrder: job.docOrder, expected: decodeStateVectors(job.expected) }
  if (job.kind === 'stock') return { sample: await stockOnce(job.url, target) }
  const counter: ByteCounter = { sent: 0, received: 0 }
  const env = benchEnvironment(job.name, counter)
  const { sample, practice } = await joinSynced({ ...target, code: job.code }, env, counter, SYNC_TIMEOUT_MS, job.usableOnly)
  const envelopeBytes = job.usableOnly ? undefined : practice.space.inspect.envelopeStats().bytes
  // Closed as in-process, so the relay sees the device leave rather than its sockets drop.
  // Its fake IndexedDB goes with the process.
  await practice.space.destroy()
  return { sample, envelopeBytes }
}

function failure(error: unknown): JoinerMessage {
  return { type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
}

/**
 * Sends, then exits once the message is out (the parent awaits the exit, not only the message).
 * The first outcome only: an uncaught error may come while the sample's own is being sent.
 */
const finish = (() => {
  let finished = false
  return (message: JoinerMessage, code: number): void => {
    if (finished) return
    finished = true
    if (!process.connected) process.exit(code)
    process.send!(message, undefined, {}, () => process.exit(code))
  }
})()

// A stock client holds one provider per doc, and each adds a process 'exit' listener.
process.setMaxListeners(0)
process.once('message', (message: JoinerStart) => {
  measure(message.job).then(
    ({ sample, envelopeBytes }) =>
      finish({ type: 'done', sample, peakRssBytes: peakRssBytes(), heapLimitBytes: getHeapStatistics().heap_size_limit, ...(envelopeBytes === undefined ? {} : { envelopeBytes }) }, 0),
    (error: unknown) => finish(failure(error), 1),
  )
})
// A throw in some client's event listener escapes the sample's promise: report it, not a bare exit.
process.on('uncaughtException', (error) => finish(failure(error), 1))
// The parent gave up (timeout, failure): nothing is left to report to.
process.on('disconnect', () => process.exit(1))
