/**
 * (b) Edit latency: 2 connected devices; sequential edits of a patient field on A, each timed
 * until B's directory shows it. Two ways to push: the app's batching (a change waits
 * `batchDelayMs`, 250 ms, to merge a burst of keystrokes) and pushed at once (flush right after
 * the edit, what batchDelayMs 0 would do). Floor: two plain Y.Docs holding the same directory,
 * exchanging raw updates through an echo WebSocket server on loopback.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import type { OpenPractice } from '../../../client/src/sync/device'
import type { Actor } from '../../../shared/src/model/actor'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { DIRECTORY_MAPS } from '../../../shared/src/model/collections'
import { updatePatient } from '../../../shared/src/model/patients'
import { until } from '../bench-device'
import type { BenchPractice } from '../fixture'
import { connect, startEchoServer } from '../floor-transport'
import type { Row } from '../report'
import { percentile } from '../stats'

const REMOTE = Symbol('bench.remote')

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

async function floorEdits(p: BenchPractice, edits: number): Promise<number[]> {
  const server = await startEchoServer()
  const docs = [new Y.Doc({ guid: DIRECTORY_DOC_ID }), new Y.Doc({ guid: DIRECTORY_DOC_ID })] as const
  const sockets: WebSocket[] = []
  try {
    for (const doc of docs) {
      Y.applyUpdate(doc, p.plaintext.get(DIRECTORY_DOC_ID)!, REMOTE)
      const socket = await connect(server.url)
      sockets.push(socket)
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin !== REMOTE) socket.send(update)
      })
      socket.on('message', (data: ArrayBuffer) => Y.applyUpdate(doc, new Uint8Array(data), REMOTE))
    }
    return await measureEdits(edits, 'Plancher', p.written.patientIds, docs[0], docs[1], p.actorA, () => undefined)
  } finally {
    for (const s of sockets) s.terminate()
    await server.close()
  }
}

function percentileRows(metric: string, ours: number[], floor: number[]): Row[] {
  return ([50, 95, 99] as const).map((p) => ({
    scenario: 'b. edit latency',
    metric: `${metric}, p${p}`,
    unit: 'ms' as const,
    ours: percentile(ours, p),
    floor: percentile(floor, p),
    stat: `p${p} of ${ours.length} edits`,
    ...(p === 50 ? { samples: { ours, floor } } : {}),
  }))
}

export async function runEditLatency(p: BenchPractice, b: OpenPractice, edits: number, log: (line: string) => void): Promise<Row[]> {
  const source = await p.a.space.openDoc(DIRECTORY_DOC_ID)
  const target = await b.space.openDoc(DIRECTORY_DOC_ID)
  const floor = await floorEdits(p, edits)
  log(`  (b) floor: p50 ${percentile(floor, 50).toFixed(1)} ms`)
  const batched = await measureEdits(edits, 'Lot', p.written.patientIds, source, target, p.actorA, () => undefined)
  log(`  (b) app batching: p50 ${percentile(batched, 50).toFixed(1)} ms`)
  const immediate = await measureEdits(edits, 'Direct', p.written.patientIds, source, target, p.actorA, () => void p.a.space.flush())
  log(`  (b) pushed at once: p50 ${percentile(immediate, 50).toFixed(1)} ms`)
  await p.a.space.whenAcknowledged()
  return [...percentileRows('A → B, app batching (250 ms)', batched, floor), ...percentileRows('A → B, pushed at once', immediate, floor)]
}
