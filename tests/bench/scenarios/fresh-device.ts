/**
 * (a) A fresh device joins the practice: time until usable (directory with every patient listed,
 * and this month's agenda listed) and until fully synced (every doc opened and matching A's state
 * vector). Floor: the plaintext inner-doc states over a raw WebSocket, applied to fresh Y.Docs.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import { joinPractice, type DeviceEnvironment, type OpenPractice } from '../../../client/src/sync/device'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { listPatients } from '../../../shared/src/model/patients'
import { listAppointments } from '../../../shared/src/model/agenda'
import { benchEnvironment, deleteDeviceDatabases, hasState, until, type ByteCounter } from '../bench-device'
import type { BenchPractice } from '../fixture'
import { decodeDocFrame, encodeDocFrame, startBytesServer } from '../floor-transport'
import type { Row } from '../report'
import { median } from '../stats'

interface JoinSample {
  usableMs: number
  syncedMs: number
  bytesReceived: number
}

function listUsable(directory: Y.Doc, month: Y.Doc, patients: number): void {
  const listed = listPatients(directory).items.length
  if (listed !== patients) throw new Error(`Listed ${listed} patients, expected ${patients}`)
  listAppointments(month)
}

async function joinOnce(p: BenchPractice, env: DeviceEnvironment, counter: ByteCounter): Promise<{ sample: JoinSample; practice: OpenPractice }> {
  const started = performance.now()
  const practice = await joinPractice(p.code, env)
  const { space } = practice
  const directory = await space.openDoc(DIRECTORY_DOC_ID)
  const month = await space.openDoc(p.currentMonthDocId)
  await Promise.all([
    until(directory, (d) => hasState(d, p.expected.get(DIRECTORY_DOC_ID)!)),
    until(month, (d) => hasState(d, p.expected.get(p.currentMonthDocId)!)),
  ])
  listUsable(directory, month, p.written.patientIds.length)
  const usableMs = performance.now() - started
  const rest = p.written.docIds.filter((id) => id !== DIRECTORY_DOC_ID && id !== p.currentMonthDocId)
  await Promise.all(rest.map(async (id) => until(await space.openDoc(id), (d) => hasState(d, p.expected.get(id)!))))
  const syncedMs = performance.now() - started
  return { sample: { usableMs, syncedMs, bytesReceived: counter.received }, practice }
}

async function floorOnce(url: string, p: BenchPractice): Promise<JoinSample> {
  const started = performance.now()
  let bytesReceived = 0
  let usableMs = 0
  const docs = new Map<string, Y.Doc>()
  const socket = new WebSocket(url)
  socket.binaryType = 'arraybuffer'
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject)
    socket.on('message', (data: ArrayBuffer) => {
      bytesReceived += data.byteLength
      const { docId, update } = decodeDocFrame(new Uint8Array(data))
      const doc = new Y.Doc({ guid: docId, gc: true })
      Y.applyUpdate(doc, update)
      docs.set(docId, doc)
      if (usableMs === 0 && docs.has(DIRECTORY_DOC_ID) && docs.has(p.currentMonthDocId)) {
        listUsable(docs.get(DIRECTORY_DOC_ID)!, docs.get(p.currentMonthDocId)!, p.written.patientIds.length)
        usableMs = performance.now() - started
      }
      if (docs.size === p.plaintext.size) resolve()
    })
  })
  const syncedMs = performance.now() - started
  socket.terminate()
  return { usableMs, syncedMs, bytesReceived }
}

export interface FreshDeviceResult {
  rows: Row[]
  /** The last joined device, left connected and synced for the next scenarios. */
  device: OpenPractice
  env: DeviceEnvironment
}

export async function runFreshDevice(p: BenchPractice, runs: number, log: (line: string) => void): Promise<FreshDeviceResult> {
  // Directory and this month first, as a relay that knew what matters would send them.
  const order = [DIRECTORY_DOC_ID, p.currentMonthDocId, ...p.written.docIds.filter((id) => id !== DIRECTORY_DOC_ID && id !== p.currentMonthDocId)]
  const server = await startBytesServer(order.map((id) => encodeDocFrame(id, p.plaintext.get(id)!)))
  const floor: JoinSample[] = []
  const ours: JoinSample[] = []
  let kept: { device: OpenPractice; env: DeviceEnvironment } | null = null
  try {
    // Interleaved, so a burst of noise on the machine hits both sides.
    for (let run = 0; run < runs; run++) {
      floor.push(await floorOnce(server.url, p))
      const counter: ByteCounter = { sent: 0, received: 0 }
      const env = benchEnvironment(`fresh-${run}`, counter)
      const { sample, practice } = await joinOnce(p, env, counter)
      ours.push(sample)
      log(`  (a) run ${run + 1}/${runs}: usable ${Math.round(sample.usableMs)} ms, synced ${Math.round(sample.syncedMs)} ms (floor ${Math.round(floor.at(-1)!.syncedMs)} ms)`)
      if (run < runs - 1) {
        await practice.space.destroy()
        await deleteDeviceDatabases(env)
      } else {
        kept = { device: practice, env }
      }
    }
  } finally {
    await server.close()
  }
  const pick = (list: JoinSample[], key: keyof JoinSample) => list.map((s) => s[key])
  const plaintextBytes = [...p.plaintext.values()].reduce((n, u) => n + u.byteLength, 0)
  const envelopeBytes = Y.encodeStateAsUpdate(kept!.device.space.envelope.doc).byteLength
  const stat = `median of ${runs}`
  const rows: Row[] = [
    { scenario: 'a. fresh device', metric: 'usable (directory + this month listed)', unit: 'ms', ours: median(pick(ours, 'usableMs')), floor: median(pick(floor, 'usableMs')), stat, samples: { ours: pick(ours, 'usableMs'), floor: pick(floor, 'usableMs') } },
    { scenario: 'a. fresh device', metric: `fully synced (${p.written.docIds.length} docs match)`, unit: 'ms', ours: median(pick(ours, 'syncedMs')), floor: median(pick(floor, 'syncedMs')), stat, samples: { ours: pick(ours, 'syncedMs'), floor: pick(floor, 'syncedMs') } },
    { scenario: 'a. fresh device', metric: 'bytes received on the socket', unit: 'bytes', ours: median(pick(ours, 'bytesReceived')), floor: median(pick(floor, 'bytesReceived')), stat },
    { scenario: 'a. fresh device', metric: 'envelope state vs plaintext states', unit: 'bytes', ours: envelopeBytes, floor: plaintextBytes, stat: 'single measurement' },
  ]
  return { rows, device: kept!.device, env: kept!.env }
}
