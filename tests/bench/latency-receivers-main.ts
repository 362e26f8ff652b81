/**
 * One child process of receiving devices for the edit-latency scenario (see latency-receivers.ts
 * for the protocol and the clock). Talks to its parent over the IPC channel only.
 */
import 'fake-indexeddb/auto'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { type OpenPractice } from '../../client/src/sync/device/device'
import { RelayError, RelayFailure } from '../../client/src/sync/errors'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { DIRECTORY_MAPS } from '../../shared/src/model/collections'
import { benchEnvironment, deleteDeviceDatabases, hasState, until } from './bench-device'
import { connect } from './floor-transport'
import { connectStockDoc } from './stock-server'
import { sharedNow, type ChildMessage, type ParentMessage, type ReceiverConfig } from './latency-receivers'
import { joinByCode } from '../helpers/pairing-ticket'

const REMOTE = Symbol('bench.remote')

interface Receiver {
  doc: Y.Doc
  close(): Promise<void>
}

function reply(message: ChildMessage): void {
  // The parent may be gone (it failed or timed out): nothing is left to tell, and 'disconnect' exits.
  if (!process.connected) return
  process.send!(message, undefined, {}, () => undefined)
}

function shows(doc: Y.Doc, patientId: string, value: string): boolean {
  const record = doc.getMap<unknown>(DIRECTORY_MAPS.patients).get(patientId)
  return record instanceof Y.Map && record.get('usualName') === value
}

/**
 * Joining probes the relay over HTTP first; with 200 devices joining on a loaded 2-core machine
 * that probe has failed as "unreachable" (the relay busy sending whole states to the devices
 * joined before). The scenario measures edits, not joins: try again, a few times.
 */
async function joinWithRetry(code: string, env: ReturnType<typeof benchEnvironment>, attempts = 4): Promise<OpenPractice> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await joinByCode(code, env)
    } catch (error) {
      const unreachable = error instanceof RelayError && error.reason === RelayFailure.Unreachable
      if (!unreachable || attempt >= attempts) throw error
      await deleteDeviceDatabases(env)
    }
  }
}

async function openReceiver(config: ReceiverConfig, index: number): Promise<Receiver> {
  const expected = Y.decodeStateVector(config.stateVector)
  if (config.kind === 'ours') {
    const env = benchEnvironment(`${config.name}-${index}`)
    const device: OpenPractice = await joinWithRetry(config.code, env)
    const doc = await device.space.openDoc(DIRECTORY_DOC_ID)
    await until(doc, (d) => hasState(d, expected), 300_000)
    return {
      doc,
      close: async () => {
        await device.space.destroy()
        await deleteDeviceDatabases(env)
      },
    }
  }
  if (config.kind === 'stock') {
    const doc = new Y.Doc({ guid: DIRECTORY_DOC_ID })
    const provider = await connectStockDoc({ url: config.url }, config.code, doc)
    await until(doc, (d) => hasState(d, expected), 300_000)
    return { doc, close: async () => provider.destroy() }
  }
  const doc = new Y.Doc({ guid: DIRECTORY_DOC_ID })
  Y.applyUpdate(doc, config.initialState, REMOTE)
  const socket: WebSocket = await connect(config.url)
  socket.on('message', (data: ArrayBuffer) => Y.applyUpdate(doc, new Uint8Array(data), REMOTE))
  return { doc, close: async () => socket.terminate() }
}

async function serve(): Promise<void> {
  // Every y-websocket provider adds a process 'exit' listener: 50 here are expected.
  process.setMaxListeners(0)
  let receivers: Receiver[] = []
  // The value being watched, and when each device first showed it (0: not yet).
  let watched: { patientId: string; value: string; times: number[]; left: number } | null = null

  const onMessage = async (message: ParentMessage) => {
    if (message.type === 'start') {
      const started = performance.now()
      const { config } = message
      // Sequential joins: the relay and pairing see the load a practice's devices would, one by one.
      for (let i = 0; i < config.devices; i++) receivers.push(await openReceiver(config, i))
      receivers.forEach(({ doc }, i) =>
        doc.on('update', () => {
          const w = watched
          if (!w || w.times[i] !== 0 || !shows(doc, w.patientId, w.value)) return
          w.times[i] = sharedNow()
          w.left--
          if (w.left === 0) {
            watched = null
            reply({ type: 'seen', value: w.value, times: w.times })
          }
        }),
      )
      reply({ type: 'ready', joinMs: performance.now() - started })
    } else if (message.type === 'ping') {
      reply({ type: 'pong', sentAt: message.sentAt, at: sharedNow() })
    } else if (message.type === 'watch') {
      watched = { patientId: message.patientId, value: message.value, times: receivers.map(() => 0), left: receivers.length }
      reply({ type: 'watching', value: message.value })
    } else {
      for (const r of receivers) await r.close()
      receivers = []
      reply({ type: 'stopped' })
      process.disconnect()
      process.exit(0)
    }
  }
  process.on('message', (message: ParentMessage) => {
    onMessage(message).catch((error: unknown) => {
      reply({ type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
    })
  })
  process.on('disconnect', () => process.exit(0))
}

void serve()
