/**
 * Receiving devices of the edit-latency scenario, spread over child processes so that the figure
 * measures the relay (or the stock server, or the echo floor), not one Node process applying every
 * copy of every edit for 200 devices.
 *
 * Each child (latency-receivers-main.ts) holds up to DEVICES_PER_PROCESS devices of one kind (device
 * B has a child of its own):
 * Tournée devices joined with the pairing code, stock y-websocket providers, or plain Y.Docs on the
 * echo floor. Before each edit the parent tells every child which value to watch for; a child
 * stamps each of its devices when that device's doc first shows the value, and reports the stamps
 * once all its devices have it.
 *
 * Clock: stamps are `performance.timeOrigin + performance.now()` in each process, compared with the
 * parent's stamp taken the same way just before the edit. Both derive from the same system clock on
 * the same machine, and stamping at receipt (rather than timing IPC messages in the parent) keeps
 * the IPC queue, which is busy when 200 devices report, out of the figure. The residual error is
 * the difference between the processes' timeOrigin readings; `measureClockOffset` bounds it with
 * ping-pongs (offset ± half the shortest round trip), reported in the log and the results.
 */
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { forkBenchChild } from './bench-child'

const mainFile = fileURLToPath(new URL('./latency-receivers-main.ts', import.meta.url))

export const DEVICES_PER_PROCESS = 50

export type ReceiverKind = 'ours' | 'stock' | 'floor'

export interface ReceiverConfig {
  kind: ReceiverKind
  /** Relay, stock server or echo server URL. */
  url: string
  /** Pairing code (ours), room name (stock), unused for the floor. */
  code: string
  devices: number
  /** Y.encodeStateVector of the writer's doc: a device is ready once it holds exactly that. */
  stateVector: Uint8Array
  /** The floor's receivers start from this state (the floor has no server copy to sync from). */
  initialState: Uint8Array
  /** Prefix of the devices' IndexedDB names, unique per child. */
  name: string
}

/** Parent → child. */
export type ParentMessage =
  | { type: 'start'; config: ReceiverConfig }
  | { type: 'ping'; sentAt: number }
  | { type: 'watch'; patientId: string; value: string }
  | { type: 'stop' }

export const childMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), joinMs: z.number() }),
  z.object({ type: z.literal('pong'), sentAt: z.number(), at: z.number() }),
  z.object({ type: z.literal('watching'), value: z.string() }),
  z.object({ type: z.literal('seen'), value: z.string(), times: z.array(z.number()) }),
  z.object({ type: z.literal('stopped') }),
  z.object({ type: z.literal('failed'), message: z.string() }),
])
export type ChildMessage = z.infer<typeof childMessageSchema>

export class ReceiverProcessError extends Error {
  override name = 'ReceiverProcessError'
}

/** The shared clock of the parent and its receivers, in milliseconds since the epoch. */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now()
}

export interface ReceiverProcess {
  readonly devices: number
  /** Resolves with the stamps (shared clock) of every device of this process once all show `value`. */
  watch(patientId: string, value: string): Promise<{ seen: Promise<number[]> }>
  /** Estimated offset of the child's clock to the parent's, and its bound (half the best round trip). */
  measureClockOffset(pings?: number): Promise<{ offsetMs: number; boundMs: number }>
  close(): Promise<void>
}

async function startOne(config: ReceiverConfig, timeoutMs: number): Promise<ReceiverProcess> {
  const child: ChildProcess = forkBenchChild(mainFile)
  const waiters: Array<{ accepts: (m: ChildMessage) => boolean; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }> = []
  let exited: Error | null = null
  const failAll = (error: Error) => {
    for (const w of waiters.splice(0)) w.reject(error)
  }
  child.on('message', (raw: unknown) => {
    const parsed = childMessageSchema.safeParse(raw)
    if (!parsed.success) return failAll(new ReceiverProcessError(`Receiver ${config.name} sent an invalid message: ${parsed.error.message}`))
    const message = parsed.data
    if (message.type === 'failed') return failAll(new ReceiverProcessError(`Receiver ${config.name} failed: ${message.message}`))
    const index = waiters.findIndex((w) => w.accepts(message))
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message)
  })
  child.once('exit', (code, signal) => {
    exited = new ReceiverProcessError(`Receiver ${config.name} exited (${code ?? signal})`)
    failAll(exited)
  })
  const next = <T extends ChildMessage>(accepts: (m: ChildMessage) => m is T, ms = timeoutMs): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(exited)
      const timer = setTimeout(() => reject(new ReceiverProcessError(`Receiver ${config.name}: no answer in ${ms} ms`)), ms)
      waiters.push({
        accepts,
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m as T)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
    })
  const send = (message: ParentMessage) => child.send(message)

  const ready = next((m): m is Extract<ChildMessage, { type: 'ready' }> => m.type === 'ready', timeoutMs)
  send({ type: 'start', config })
  try {
    await ready
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return {
    devices: config.devices,
    async watch(patientId, value) {
      const seen = next((m): m is Extract<ChildMessage, { type: 'seen' }> => m.type === 'seen' && m.value === value, 180_000)
      const watching = next((m): m is Extract<ChildMessage, { type: 'watching' }> => m.type === 'watching' && m.value === value)
      send({ type: 'watch', patientId, value })
      await watching
      return { seen: seen.then((m) => m.times) }
    },
    async measureClockOffset(pings = 20) {
      let best = { offsetMs: 0, boundMs: Number.POSITIVE_INFINITY }
      for (let i = 0; i < pings; i++) {
        const sentAt = sharedNow()
        const pong = next((m): m is Extract<ChildMessage, { type: 'pong' }> => m.type === 'pong' && m.sentAt === sentAt)
        send({ type: 'ping', sentAt })
        const { at } = await pong
        const back = sharedNow()
        const half = (back - sentAt) / 2
        if (half < best.boundMs) best = { offsetMs: at - (sentAt + half), boundMs: half }
      }
      return best
    },
    async close() {
      if (exited) return
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      send({ type: 'stop' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await gone
      clearTimeout(timer)
    },
  }
}

/**
 * `devices` receivers: device B alone in the first child (so "A → B" is not queued behind other
 * devices decrypting in the same process), the others over ceil((devices − 1) / DEVICES_PER_PROCESS)
 * children; all started in parallel.
 */
export async function startReceivers(config: Omit<ReceiverConfig, 'devices' | 'name'>, devices: number, name: string, timeoutMs = 600_000): Promise<ReceiverProcess[]> {
  const others = devices - 1
  const groups = Math.ceil(others / DEVICES_PER_PROCESS)
  const counts = [1, ...Array.from({ length: groups }, (_, i) => Math.floor(others / groups) + (i < others % groups ? 1 : 0))]
  const started = await Promise.allSettled(counts.map((count, i) => startOne({ ...config, devices: count, name: `${name}-${i}` }, timeoutMs)))
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed) {
    await Promise.all(ok.map((p) => p.close()))
    throw failed.reason
  }
  return ok
}
