/**
 * (b) Edit latency: N devices connected to one relay (`--latency-devices`, 2 and 50 by default,
 * 200 with --full); sequential edits of a patient field on device A, each timed until device B's
 * directory shows it and until all N − 1 other devices do: p50/p95/p99.
 *
 * Device A (the writer) is in the bench process; device B runs alone in a child process and the
 * N − 2 others in children of up to 50 devices each (latency-receivers.ts, which also explains the
 * shared clock and its error), so that the figure measures the server, not one process applying
 * 200 copies. All still share the machine's cores: "A → all" includes the receivers' own work.
 *
 * Ours is pushed at once (flush right after the edit, what batchDelayMs 0 would do); with 2 devices
 * the app's batching (a change waits 250 ms to merge a burst of keystrokes) is measured too.
 * Baseline: stock y-websocket providers on one plaintext `directory` room of the stock server.
 * Floor: plain Y.Docs exchanging raw updates through an echo WebSocket server (in the bench
 * process, which is otherwise idle while an edit travels).
 *
 * The practice is a small one of its own (one practitioner, 200 patients, no agenda), on a relay of
 * its own.
 */
import * as Y from 'yjs'
import { createPractice, type OpenPractice } from '../../../client/src/sync/device/device'
import type { Actor } from '../../../shared/src/model/actor'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { updatePatient } from '../../../shared/src/model/patients'
import { startRelayProcess } from '../../helpers/relay-process'
import { benchEnvironment, deleteDeviceDatabases } from '../bench-device'
import { localToday } from '../fixture'
import { connect, startEchoServer } from '../floor-transport'
import { defaultSpec, planPractice, steppingClock, writePractice } from '../generate'
import { sharedNow, startReceivers, type ReceiverProcess } from '../latency-receivers'
import { round, type Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { percentile } from '../stats'
import { connectStockDoc, startStockServer } from '../stock-server'
import { grantCode } from '../../helpers/pairing-ticket'

const REMOTE = Symbol('bench.remote')
const PATIENTS = 200

interface EditSamples {
  /** Edit on A until device B (the first receiver) shows it. */
  toB: number[]
  /** Edit on A until the last of the N − 1 receivers shows it. */
  toAll: number[]
}

/** Sequential edits: the next starts once every receiver has shown the previous one. */
async function measureEdits(
  edits: number,
  label: string,
  patientIds: readonly string[],
  source: Y.Doc,
  receivers: readonly ReceiverProcess[],
  actor: Actor,
  afterEdit: () => void,
): Promise<EditSamples> {
  const samples: EditSamples = { toB: [], toAll: [] }
  for (let i = 0; i < edits; i++) {
    const patientId = patientIds[i % patientIds.length]!
    const value = `${label} ${i}`
    const seen = await Promise.all(receivers.map((r) => r.watch(patientId, value)))
    const started = sharedNow()
    updatePatient(source, patientId, { usualName: value }, actor, Date.now)
    afterEdit()
    const times = await Promise.all(seen.map((w) => w.seen))
    samples.toB.push(times[0]![0]! - started)
    samples.toAll.push(Math.max(...times.flat()) - started)
  }
  return samples
}

async function withReceivers<T>(start: () => Promise<ReceiverProcess[]>, run: (receivers: ReceiverProcess[]) => Promise<T>): Promise<T> {
  const receivers = await start()
  try {
    return await run(receivers)
  } finally {
    await Promise.all(receivers.map((r) => r.close()))
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

const p = (samples: number[], q: number) => percentile(samples, q).toFixed(1)

export const editLatency: Scenario = {
  id: 'edit-latency',
  async run({ options, log, detail }: BenchContext): Promise<Row[]> {
    const relay = await startRelayProcess()
    const stock = await startStockServer()
    const echo = await startEchoServer()
    const envA = benchEnvironment('latency-a')
    let a: OpenPractice | null = null
    const closers: Array<() => void> = []
    const rows: Row[] = []
    const clocks: Array<{ devices: number; offsetMs: number; boundMs: number }> = []
    try {
      a = await createPractice({ relayUrl: relay.url, practiceName: 'Cabinet des Brotteaux', practitioner: { displayName: 'Lucie Marchal', profession: 'kine' } }, envA)
      const space = a.space
      const actor: Actor = { deviceId: a.record.deviceId, memberId: a.record.memberId ?? 'setup' }
      const plan = planPractice(defaultSpec(localToday(), { seed: options.seed, practitioners: 1, patients: PATIENTS, months: 1 }))
      const written = await writePractice(
        { openDoc: (id) => space.openDoc(id), afterBatch: () => space.flush() },
        { ...plan, agenda: new Map(), notes: new Map() },
        actor,
        steppingClock(Date.now(), 1000),
      )
      await space.whenAcknowledged(60_000)
      const code = await grantCode(a.record.spaceId, envA)
      const source = await space.openDoc(DIRECTORY_DOC_ID)

      // The stock writer seeds the server's room and stays: the room lives as long as a client does.
      const stockWriter = new Y.Doc({ guid: DIRECTORY_DOC_ID })
      Y.applyUpdate(stockWriter, Y.encodeStateAsUpdate(source))
      const writerProvider = await connectStockDoc(stock, DIRECTORY_DOC_ID, stockWriter)
      closers.push(() => writerProvider.destroy())

      const floorWriter = new Y.Doc({ guid: DIRECTORY_DOC_ID })
      Y.applyUpdate(floorWriter, Y.encodeStateAsUpdate(source), REMOTE)
      const floorSocket = await connect(echo.url)
      closers.push(() => floorSocket.terminate())
      floorWriter.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin !== REMOTE) floorSocket.send(update)
      })

      for (const n of [...options.latencyDevices].sort((x, y) => x - y)) {
        if (n < 2) throw new Error(`--latency-devices: ${n} device(s) cannot measure A → B`)
        const scenario = `b. edit latency, ${n} devices on one relay`
        const receiving = n - 1
        const base = (doc: Y.Doc) => ({ stateVector: Y.encodeStateVector(doc), initialState: Y.encodeStateAsUpdate(doc) })

        const floor = await withReceivers(
          () => startReceivers({ kind: 'floor', url: echo.url, code: '', ...base(floorWriter) }, receiving, `floor-${n}`),
          (receivers) => measureEdits(options.edits, `Plancher ${n}`, written.patientIds, floorWriter, receivers, actor, () => undefined),
        )
        const plain = await withReceivers(
          () => startReceivers({ kind: 'stock', url: stock.url, code: DIRECTORY_DOC_ID, ...base(stockWriter) }, receiving, `stock-${n}`),
          (receivers) => measureEdits(options.edits, `Stock ${n}`, written.patientIds, stockWriter, receivers, actor, () => undefined),
        )
        const joinStarted = performance.now()
        await withReceivers(
          () => startReceivers({ kind: 'ours', url: relay.url, code, ...base(source) }, receiving, `ours-${n}`),
          async (receivers) => {
            log(`  (b) ${receiving} receiving devices joined in ${Math.round(performance.now() - joinStarted)} ms over ${receivers.length} process(es)`)
            for (const r of receivers) clocks.push({ devices: n, ...(await r.measureClockOffset()) })
            const immediate = await measureEdits(options.edits, `Direct ${n}`, written.patientIds, source, receivers, actor, () => void space.flush())
            log(
              `  (b) ${n} devices, to B p50/p95/p99: ours ${p(immediate.toB, 50)}/${p(immediate.toB, 95)}/${p(immediate.toB, 99)} ms, ` +
                `stock ${p(plain.toB, 50)}/${p(plain.toB, 95)}/${p(plain.toB, 99)} ms, floor ${p(floor.toB, 50)}/${p(floor.toB, 95)}/${p(floor.toB, 99)} ms; ` +
                `to all p99: ours ${p(immediate.toAll, 99)}, stock ${p(plain.toAll, 99)}, floor ${p(floor.toAll, 99)} ms`,
            )
            rows.push(...percentileRows(scenario, 'A → B, pushed at once', immediate.toB, floor.toB, plain.toB))
            if (n > 2) rows.push(...percentileRows(scenario, `A → all ${receiving}, pushed at once`, immediate.toAll, floor.toAll, plain.toAll))
            if (n === 2) {
              const batched = await measureEdits(options.edits, 'Lot', written.patientIds, source, receivers, actor, () => undefined)
              log(`  (b) 2 devices, app batching: p50 ${p(batched.toB, 50)} ms`)
              rows.push(...percentileRows(scenario, 'A → B, app batching (250 ms)', batched.toB, floor.toB, plain.toB))
            }
            await space.whenAcknowledged(60_000)
          },
        )
      }
      const worst = clocks.reduce((m, c) => Math.max(m, Math.abs(c.offsetMs) + c.boundMs), 0)
      log(`  (b) clock offset of the receiving processes: at most ${worst.toFixed(2)} ms (offset + bound)`)
      detail('edit-latency', { patients: PATIENTS, devices: options.latencyDevices, edits: options.edits, clocks: clocks.map((c) => ({ ...c, offsetMs: round(c.offsetMs, 3), boundMs: round(c.boundMs, 3) })) })
      return rows
    } finally {
      for (const close of closers) close()
      if (a) await a.space.destroy()
      await deleteDeviceDatabases(envA)
      await echo.close()
      await stock.close()
      await relay.dispose()
    }
  },
}
