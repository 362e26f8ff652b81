/**
 * (b) Edit latency: N devices connected to one relay (`--latency-devices`, 2 and 50 by default,
 * 200 with --full); sequential edits of a patient field on device A, each timed until device B's
 * directory shows it, while the N − 2 others receive it too: p50/p95/p99.
 *
 * Ours is pushed at once (flush right after the edit, what batchDelayMs 0 would do); with 2 devices
 * the app's batching (a change waits 250 ms to merge a burst of keystrokes) is measured too.
 * Baseline: N stock y-websocket providers on one plaintext `directory` room of the stock server.
 * Floor: N plain Y.Docs exchanging raw updates through an echo WebSocket server.
 *
 * The practice is a small one of its own (one practitioner, 200 patients, no agenda), on a relay of
 * its own: every device holds the whole space, and 200 of them share this one Node process.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import { createPractice, getPairingCode, joinPractice, type DeviceEnvironment, type OpenPractice } from '../../../client/src/sync/device'
import type { Actor } from '../../../shared/src/model/actor'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { DIRECTORY_MAPS } from '../../../shared/src/model/collections'
import { updatePatient } from '../../../shared/src/model/patients'
import { startRelayProcess } from '../../helpers/relay-process'
import { benchEnvironment, deleteDeviceDatabases, hasState, stateVectorOf, until } from '../bench-device'
import { localToday } from '../fixture'
import { connect, startEchoServer } from '../floor-transport'
import { defaultSpec, planPractice, steppingClock, writePractice } from '../generate'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { percentile } from '../stats'
import { connectStockDoc, startStockServer } from '../stock-server'

const REMOTE = Symbol('bench.remote')
const PATIENTS = 200

function shows(doc: Y.Doc, patientId: string, value: string): boolean {
  const record = doc.getMap<unknown>(DIRECTORY_MAPS.patients).get(patientId)
  return record instanceof Y.Map && record.get('usualName') === value
}

async function measureEdits(
  edits: number,
  label: string,
  patientIds: readonly string[],
  source: Y.Doc,
  target: Y.Doc,
  actor: Actor,
  afterEdit: () => void,
): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < edits; i++) {
    const patientId = patientIds[i % patientIds.length]!
    const value = `${label} ${i}`
    const started = performance.now()
    updatePatient(source, patientId, { usualName: value }, actor, Date.now)
    afterEdit()
    await until(target, (d) => shows(d, patientId, value), 30_000)
    samples.push(performance.now() - started)
  }
  return samples
}

/** N plain docs on an echo server: what the network and Yjs alone cost for this fan-out. */
async function floorEdits(directory: Uint8Array, devices: number, edits: number, patientIds: readonly string[], actor: Actor): Promise<number[]> {
  const server = await startEchoServer()
  const docs: Y.Doc[] = []
  const sockets: WebSocket[] = []
  try {
    for (let i = 0; i < devices; i++) {
      const doc = new Y.Doc({ guid: DIRECTORY_DOC_ID })
      Y.applyUpdate(doc, directory, REMOTE)
      const socket = await connect(server.url)
      docs.push(doc)
      sockets.push(socket)
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin !== REMOTE) socket.send(update)
      })
      socket.on('message', (data: ArrayBuffer) => Y.applyUpdate(doc, new Uint8Array(data), REMOTE))
    }
    return await measureEdits(edits, 'Plancher', patientIds, docs[0]!, docs[1]!, actor, () => undefined)
  } finally {
    for (const s of sockets) s.terminate()
    await server.close()
  }
}

function percentileRows(scenario: string, metric: string, ours: number[], floor: number[], baseline: number[] | null): Row[] {
  return ([50, 95, 99] as const).map((p) => ({
    scenario,
    metric: `${metric}, p${p}`,
    unit: 'ms' as const,
    ours: percentile(ours, p),
    floor: percentile(floor, p),
    baseline: baseline ? percentile(baseline, p) : null,
    stat: `p${p} of ${ours.length} edits`,
    ...(p === 50 ? { samples: { ours, floor, ...(baseline ? { baseline } : {}) } } : {}),
  }))
}

export const editLatency: Scenario = {
  id: 'edit-latency',
  async run({ options, log, detail }: BenchContext): Promise<Row[]> {
    const relay = await startRelayProcess()
    const stock = await startStockServer()
    const envs: DeviceEnvironment[] = []
    const devices: OpenPractice[] = []
    const stockDocs: Y.Doc[] = []
    const stockProviders: Array<{ destroy(): void }> = []
    const rows: Row[] = []
    try {
      const envA = benchEnvironment('latency-a')
      envs.push(envA)
      const a = await createPractice({ relayUrl: relay.url, practiceName: 'Cabinet des Brotteaux', practitioner: { displayName: 'Lucie Marchal', profession: 'kine' } }, envA)
      devices.push(a)
      const actor: Actor = { deviceId: a.record.deviceId, memberId: a.record.memberId ?? 'setup' }
      const plan = planPractice(defaultSpec(localToday(), { seed: options.seed, practitioners: 1, patients: PATIENTS, months: 1 }))
      const written = await writePractice(
        { openDoc: (id) => a.space.openDoc(id), afterBatch: () => a.space.flush() },
        { ...plan, agenda: new Map(), notes: new Map() },
        actor,
        steppingClock(Date.now(), 1000),
      )
      await a.space.whenAcknowledged(60_000)
      const code = await getPairingCode(a.record.spaceId, envA)
      const source = await a.space.openDoc(DIRECTORY_DOC_ID)

      const stockSeed = new Y.Doc({ guid: DIRECTORY_DOC_ID })
      Y.applyUpdate(stockSeed, Y.encodeStateAsUpdate(source))
      let seeder: { destroy(): void } | null = await connectStockDoc(stock, DIRECTORY_DOC_ID, stockSeed)

      for (const n of [...options.latencyDevices].sort((x, y) => x - y)) {
        if (n < 2) throw new Error(`--latency-devices: ${n} device(s) cannot measure A → B`)
        const joinStarted = performance.now()
        const expected = stateVectorOf(source)
        while (devices.length < n) {
          const env = benchEnvironment(`latency-${devices.length}`)
          envs.push(env)
          const device = await joinPractice(code, env)
          devices.push(device)
          await until(await device.space.openDoc(DIRECTORY_DOC_ID), (d) => hasState(d, expected), 60_000)
        }
        // Stock clients: a doc each; client 0 writes, client 1 is watched (the seed is the server's copy).
        while (stockDocs.length < n) {
          const doc = new Y.Doc({ guid: DIRECTORY_DOC_ID })
          stockProviders.push(await connectStockDoc(stock, DIRECTORY_DOC_ID, doc))
          await until(doc, (d) => d.getMap(DIRECTORY_MAPS.patients).size === PATIENTS, 60_000)
          stockDocs.push(doc)
          // The server keeps a room's doc without persistence: the seeder leaves, so N clients are N.
          seeder?.destroy()
          seeder = null
        }
        log(`  (b) ${n} devices connected in ${Math.round(performance.now() - joinStarted)} ms (ours and stock)`)
        const target = await devices[1]!.space.openDoc(DIRECTORY_DOC_ID)
        const floor = await floorEdits(Y.encodeStateAsUpdate(source), n, options.edits, written.patientIds, actor)
        const plain = await measureEdits(options.edits, `Stock ${n}`, written.patientIds, stockDocs[0]!, stockDocs[1]!, actor, () => undefined)
        const immediate = await measureEdits(options.edits, `Direct ${n}`, written.patientIds, source, target, actor, () => void a.space.flush())
        log(`  (b) ${n} devices, p50/p99: ours ${percentile(immediate, 50).toFixed(1)}/${percentile(immediate, 99).toFixed(1)} ms, stock ${percentile(plain, 50).toFixed(1)}/${percentile(plain, 99).toFixed(1)} ms, floor ${percentile(floor, 50).toFixed(1)}/${percentile(floor, 99).toFixed(1)} ms`)
        const scenario = `b. edit latency, ${n} devices on one relay`
        rows.push(...percentileRows(scenario, 'A → B, pushed at once', immediate, floor, plain))
        if (n === 2) {
          const batched = await measureEdits(options.edits, 'Lot', written.patientIds, source, target, actor, () => undefined)
          log(`  (b) 2 devices, app batching: p50 ${percentile(batched, 50).toFixed(1)} ms`)
          rows.push(...percentileRows(scenario, 'A → B, app batching (250 ms)', batched, floor, plain))
        }
        await a.space.whenAcknowledged(60_000)
      }
      detail('edit-latency', { patients: PATIENTS, devices: options.latencyDevices, edits: options.edits })
      return rows
    } finally {
      for (const provider of stockProviders) provider.destroy()
      for (const device of devices) await device.space.destroy()
      for (const env of envs) await deleteDeviceDatabases(env)
      await stock.close()
      await relay.dispose()
    }
  },
}
