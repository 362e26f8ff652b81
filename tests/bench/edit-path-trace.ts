/**
 * Where one live edit spends its time, stage by stage: device A and device B in this process, the
 * relay in its own (`tests/helpers/relay-process.ts`). Not a scenario of `npm run bench` (which
 * measures A → B across processes, beside the stock server): a breakdown to find what to remove.
 *
 *   npx tsx tests/bench/edit-path-trace.ts [edits=200]
 *
 * Stages, each from the edit's start (before `updatePatient` on A), median and p95:
 *   edited      the model call returned (the Yjs transaction on A's inner doc)
 *   A sent      A's socket sent the encrypted entry (flush → encrypt → envelope → provider)
 *   B received  B's socket got the relay's forward (relay: check, fan out)
 *   B shows     B's directory shows the value (envelope, IndexedDB, decrypt, apply)
 *   A acked     A's socket got the relay's ACK (relay: durable write, then ACK)
 *
 * One process for both devices keeps the stamps on one clock; the edits are sequential and spaced
 * so that no stage overlaps the next edit.
 */
import 'fake-indexeddb/auto'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { createPractice } from '../../client/src/sync/device/device'
import { DIRECTORY_MAPS } from '../../shared/src/model/collections'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { addPatient, updatePatient } from '../../shared/src/model/patients'
import { MessageType } from '../../shared/src/protocol/constants'
import { startRelayProcess } from '../helpers/relay-process'
import { benchEnvironment, deleteDeviceDatabases } from './bench-device'
import { percentile } from './stats'
import { joinWith, pairingTicket } from '../helpers/pairing-ticket'

type Stage = 'edited' | 'A sent' | 'B received' | 'B shows' | 'A acked'
const STAGES: readonly Stage[] = ['edited', 'A sent', 'B received', 'B shows', 'A acked']

interface Trace {
  start: number
  stamps: Partial<Record<Stage, number>>
}

/** A WebSocket that stamps, for the edit being traced, the first frame of a kind it sends or receives. */
function tracingWebSocket(current: () => Trace | null, sent: Stage | null, received: Partial<Record<number, Stage>>): typeof globalThis.WebSocket {
  const stamp = (stage: Stage) => {
    const trace = current()
    if (trace && trace.stamps[stage] === undefined) trace.stamps[stage] = performance.now() - trace.start
  }
  class TracingWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      this.on('message', (data: ArrayBuffer | Buffer) => {
        const stage = received[new Uint8Array(data)[0]!]
        if (stage) stamp(stage)
      })
    }

    override send(data: unknown, ...rest: unknown[]): void {
      if (sent) stamp(sent)
      ;(super.send as (...args: unknown[]) => void)(data, ...rest)
    }
  }
  return TracingWebSocket as unknown as typeof globalThis.WebSocket
}

async function main(edits: number): Promise<void> {
  const relay = await startRelayProcess()
  let trace: Trace | null = null
  const current = () => trace
  const envA = { ...benchEnvironment('trace-a'), WebSocketImpl: tracingWebSocket(current, 'A sent', { [MessageType.Ack]: 'A acked' }) }
  const envB = { ...benchEnvironment('trace-b'), WebSocketImpl: tracingWebSocket(current, null, { [MessageType.Sync]: 'B received' }) }
  try {
    const a = await createPractice({ relayUrl: relay.url, practiceName: 'Cabinet du Parc', practitioner: { displayName: 'Lucie Marchal', profession: 'kine' } }, envA)
    const actor = { deviceId: a.record.deviceId, memberId: a.record.memberId ?? 'setup' }
    const docA = await a.space.openDoc(DIRECTORY_DOC_ID)
    const ids = Array.from({ length: 50 }, (_, i) => addPatient(docA, { firstNames: 'Jean', birthName: `Durand${i}` }, actor, Date.now))
    await a.space.whenAcknowledged()
    const b = await joinWith(await pairingTicket(a.record.spaceId, envA), envB)
    const docB = await b.space.openDoc(DIRECTORY_DOC_ID)
    const shows = (id: string, value: string) => {
      const record = docB.getMap<unknown>(DIRECTORY_MAPS.patients).get(id)
      return record instanceof Y.Map && record.get('usualName') === value
    }
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!ids.every((id) => docB.getMap(DIRECTORY_MAPS.patients).has(id))) return
        docB.off('update', check)
        resolve()
      }
      docB.on('update', check)
      check()
    })

    const traces: Trace[] = []
    for (let i = 0; i < edits; i++) {
      const id = ids[i % ids.length]!
      const value = `Trace ${i}`
      const t: Trace = { start: performance.now(), stamps: {} }
      const seen = new Promise<void>((resolve) => {
        const check = () => {
          if (!shows(id, value)) return
          t.stamps['B shows'] = performance.now() - t.start
          docB.off('update', check)
          resolve()
        }
        docB.on('update', check)
      })
      trace = t
      updatePatient(docA, id, { usualName: value }, actor, Date.now)
      t.stamps.edited = performance.now() - t.start
      void a.space.flush()
      await seen
      await a.space.whenAcknowledged()
      trace = null
      traces.push(t)
    }
    console.log(`edit path, ${edits} edits (ms from the start of the edit): stage, median, p95`)
    for (const stage of STAGES) {
      const values = traces.map((t) => t.stamps[stage]).filter((v): v is number => v !== undefined)
      console.log(`  ${stage.padEnd(11)} ${percentile(values, 50).toFixed(2).padStart(7)} ${percentile(values, 95).toFixed(2).padStart(7)}   (${values.length})`)
    }
    await a.space.destroy()
    await b.space.destroy()
  } finally {
    await deleteDeviceDatabases(envA)
    await deleteDeviceDatabases(envB)
    await relay.dispose()
  }
}

const edits = Number(process.argv[2] ?? 200)
if (!Number.isInteger(edits) || edits < 1) throw new Error(`edits must be a positive integer, got ${process.argv[2]}`)
await main(edits)
