/**
 * (e) Long offline: device B goes offline and makes `local` changes (one entry each, as changes
 * spread over days would be) while A, online, makes `remote` changes. B reconnects: time until its
 * changes are acknowledged and A's last change shows, bytes exchanged both ways, and frames B sent
 * (the y-websocket handshake is one round trip: B's step 1, then its step 2 answering the relay's;
 * with rooms, B reconnects each of its start-up rooms on a socket of its own, in parallel, so one
 * round trip is 2 frames on each socket).
 * Floor: the size of the changes themselves, as plaintext Yjs updates of the inner doc.
 *
 * Run twice: with the app's compaction (a doc's entries are folded once they outweigh its snapshot),
 * and with compaction held back on both devices during the offline period. A compaction replaces
 * entries B already had by a snapshot of the whole doc, which B must then fetch: that is the cost
 * this scenario makes visible.
 */
import * as Y from 'yjs'
import { type DeviceEnvironment, type OpenPractice } from '../../../client/src/sync/device/device'
import type { EnvelopeOptions } from '../../../shared/src/envelope/envelope'
import { DECRYPTED_ORIGIN } from '../../../shared/src/envelope/envelope'
import { DIRECTORY_MAPS } from '../../../shared/src/model/collections'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { updatePatient } from '../../../shared/src/model/patients'
import type { Actor } from '../../../shared/src/model/actor'
import { benchEnvironment, deleteDeviceDatabases, until, whenOnline, type ByteCounter } from '../bench-device'
import type { BenchPractice } from '../fixture'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { median } from '../stats'
import { joinWith, pairingTicket } from '../../helpers/pairing-ticket'

interface Sample {
  ms: number
  bytesExchanged: number
  framesSentByB: number
  /** Sockets (rooms) B reconnected, and the most frames it sent on one: 2 = one round trip. */
  socketsOfB: number
  mostFramesOnOneSocket: number
  plaintextChangeBytes: number
  envelopeChangeBytes: number
}

interface Variant {
  label: string
  envelope: EnvelopeOptions
}

const VARIANTS: Variant[] = [
  { label: 'app compaction (weight rule, cap 1000 entries)', envelope: {} },
  { label: 'compaction held back', envelope: { compactAfterEntries: Number.MAX_SAFE_INTEGER } },
]

/** Counts the bytes of local inner-doc updates, and of the envelope updates they became. */
function changeMeter(device: OpenPractice, directory: Y.Doc): { plaintext: () => number; envelope: () => number; stop: () => void } {
  let plaintext = 0
  let envelope = 0
  const onInner = (update: Uint8Array, origin: unknown) => {
    if (origin !== DECRYPTED_ORIGIN) plaintext += update.byteLength
  }
  const envelopeDoc = device.space.inspect.mainEnvelope.doc
  const onEnvelope = (update: Uint8Array, origin: unknown) => {
    // Remote updates arrive with the provider as origin; local ones with the envelope's.
    if (typeof origin === 'symbol') envelope += update.byteLength
  }
  directory.on('update', onInner)
  envelopeDoc.on('update', onEnvelope)
  return {
    plaintext: () => plaintext,
    envelope: () => envelope,
    stop: () => {
      directory.off('update', onInner)
      envelopeDoc.off('update', onEnvelope)
    },
  }
}

async function edit(device: OpenPractice, directory: Y.Doc, patientIds: readonly string[], count: number, label: string, actor: Actor): Promise<string> {
  let last = ''
  for (let i = 0; i < count; i++) {
    last = `${label} ${i}`
    updatePatient(directory, patientIds[i % patientIds.length]!, { usualName: last }, actor, Date.now)
    await device.space.flush()
  }
  return last
}

async function once(p: BenchPractice, variant: Variant, local: number, remote: number, run: number): Promise<Sample> {
  const counterB: ByteCounter & { framesSent: number; framesBySocket: Map<string, number> } = {
    sent: 0,
    received: 0,
    framesSent: 0,
    framesBySocket: new Map(),
  }
  const envs: DeviceEnvironment[] = ['long-a', 'long-b'].map((name, i) => {
    const env = benchEnvironment(name, i === 1 ? counterB : undefined)
    return { ...env, room: { ...env.room, envelope: variant.envelope } }
  })
  // Two devices of their own (each its writer id), as two colleagues' tablets.
  const ticket = await pairingTicket(p.a.record.spaceId, p.envA)
  const [a, b] = [await joinWith(ticket, envs[0]!), await joinWith(ticket, envs[1]!)]
  try {
    const [dirA, dirB] = [await a.space.openDoc(DIRECTORY_DOC_ID), await b.space.openDoc(DIRECTORY_DOC_ID)]
    await Promise.all([whenOnline(a.space), whenOnline(b.space)])
    await until(dirB, (d) => d.getMap(DIRECTORY_MAPS.patients).size === p.written.patientIds.length)
    const actorB: Actor = { ...p.actorA, deviceId: b.record.deviceId }
    const actorA: Actor = { ...p.actorA, deviceId: a.record.deviceId }

    b.space.disconnect()
    const meterB = changeMeter(b, dirB)
    const meterA = changeMeter(a, dirA)
    // B edits the first half of the patients, A the second: different records, as two people would.
    const half = Math.floor(p.written.patientIds.length / 2)
    const [mine, theirs] = [p.written.patientIds.slice(0, half), p.written.patientIds.slice(half)]
    await edit(b, dirB, mine, local, `B${run}`, actorB)
    const lastA = await edit(a, dirA, theirs, remote, `A${run}`, actorA)
    const lastPatient = theirs[(remote - 1) % theirs.length]!
    await a.space.whenAcknowledged(120_000)
    await a.space.inspect.mainEnvelope.settle()
    await a.space.whenAcknowledged(120_000)
    await b.space.inspect.mainEnvelope.settle()
    const plaintextChangeBytes = meterA.plaintext() + meterB.plaintext()
    const envelopeChangeBytes = meterA.envelope() + meterB.envelope()
    meterA.stop()
    meterB.stop()

    counterB.sent = 0
    counterB.received = 0
    counterB.framesSent = 0
    counterB.framesBySocket.clear()
    const started = performance.now()
    b.space.connect()
    await b.space.whenAcknowledged(120_000)
    await until(dirB, (d) => (d.getMap(DIRECTORY_MAPS.patients).get(lastPatient) as Y.Map<unknown> | undefined)?.get('usualName') === lastA)
    return {
      ms: performance.now() - started,
      bytesExchanged: counterB.sent + counterB.received,
      framesSentByB: counterB.framesSent,
      socketsOfB: counterB.framesBySocket.size,
      mostFramesOnOneSocket: Math.max(0, ...counterB.framesBySocket.values()),
      plaintextChangeBytes,
      envelopeChangeBytes,
    }
  } finally {
    await a.space.destroy()
    await b.space.destroy()
    for (const env of envs) await deleteDeviceDatabases(env)
  }
}

async function runLongOffline(
  p: BenchPractice,
  options: { runs: number; local: number; remote: number },
  log: (line: string) => void,
): Promise<Row[]> {
  const rows: Row[] = []
  for (const variant of VARIANTS) {
    const samples: Sample[] = []
    for (let run = 1; run <= options.runs; run++) {
      const s = await once(p, variant, options.local, options.remote, run)
      samples.push(s)
      log(
        `  (e) ${variant.label}, run ${run}/${options.runs}: ${Math.round(s.ms)} ms, ${s.bytesExchanged} B exchanged, ` +
          `${s.framesSentByB} frames sent by B over ${s.socketsOfB} room socket(s), at most ${s.mostFramesOnOneSocket} on one; changes ${s.plaintextChangeBytes} B plaintext, ${s.envelopeChangeBytes} B as entries`,
      )
    }
    const m = (f: (s: Sample) => number) => median(samples.map(f))
    const scenario = `e. long offline (${options.local} local, ${options.remote} remote), ${variant.label}`
    const stat = `median of ${samples.length}`
    rows.push(
      { scenario, metric: 'reconnect until all exchanged', unit: 'ms', ours: m((s) => s.ms), floor: null, stat },
      { scenario, metric: 'bytes exchanged vs plaintext changes', unit: 'bytes', ours: m((s) => s.bytesExchanged), floor: m((s) => s.plaintextChangeBytes), stat },
      { scenario, metric: 'changes as encrypted entries vs plaintext', unit: 'bytes', ours: m((s) => s.envelopeChangeBytes), floor: m((s) => s.plaintextChangeBytes), stat },
      // Each room B reconnects is its own socket, all in parallel: one round trip is 2 frames on each.
      { scenario, metric: 'frames sent by B on one room socket, at most (2 = one round trip)', unit: 'count', ours: m((s) => s.mostFramesOnOneSocket), floor: 2, stat },
      { scenario, metric: 'frames sent by B, all room sockets', unit: 'count', ours: m((s) => s.framesSentByB), floor: null, stat },
    )
  }
  return rows
}

export const longOffline: Scenario = {
  id: 'long-offline',
  async run({ options, log, practice }: BenchContext): Promise<Row[]> {
    const p = await practice()
    return runLongOffline(p, { runs: Math.min(options.runs, 3), local: options.quick ? 100 : 500, remote: options.quick ? 400 : 2000 }, log)
  },
}
