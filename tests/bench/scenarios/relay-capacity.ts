/**
 * (f) Relay capacity, on a relay process of its own, read from /proc (RSS, user + system CPU time)
 * and its /metrics (updates made durable):
 *
 *   1. memory per loaded space: `--capacity-practices` practices created (one device each, a
 *      directory of 50 patients): relay RSS growth / practices;
 *   2. memory per idle connection: devices joined until `--capacity-devices` are connected, spread
 *      evenly over the practices: RSS growth / new devices, and / new sockets (a device holds one
 *      per open room: `main`, this month's, the neighbour months it prefetched…), since a device is
 *      several sockets (the idle-connections scenario measures sockets alone, 10,000 of them);
 *   3. updates per second under load: every device makes `UPDATES_PER_DEVICE` edits, each pushed at
 *      once, as fast as it can; from the first edit until every device has every edit of its
 *      practice; relay CPU time per update made durable.
 *   4. memory of one realistic space: the shared practice's relay restarted with no device, then
 *      device A reconnects and syncs: RSS growth for that envelope.
 *
 * There is no floor: the figures are the relay's own. All devices live in the bench's one Node
 * process, which decrypts every fan-out copy: on 2 cores the load generator, not the relay, is
 * the first limit, so the relay's CPU per update is the figure that carries to a bigger machine.
 */
import * as Y from 'yjs'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../../../client/src/sync/device/device'
import type { Actor } from '../../../shared/src/model/actor'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { DIRECTORY_MAPS } from '../../../shared/src/model/collections'
import { updatePatient } from '../../../shared/src/model/patients'
import { startRelayProcess, type RelayProcess } from '../../helpers/relay-process'
import { benchEnvironment, deleteDeviceDatabases, hasState, stateVectorOf, until, whenOnline } from '../bench-device'
import { localToday } from '../fixture'
import { defaultSpec, planPractice, steppingClock, writePractice } from '../generate'
import { sampleProcess, type ProcessSample } from '../process-stats'
import { round, type Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { grantCode, joinByCode } from '../../helpers/pairing-ticket'

const PATIENTS = 50
const UPDATES_PER_DEVICE = 20

interface CapacityPractice {
  devices: OpenPractice[]
  patientIds: string[]
  code: string
}

async function metric(relay: RelayProcess, name: string): Promise<number> {
  const response = await fetch(`${relay.url}/metrics`)
  const text = await response.text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  if (!line) throw new Error(`The relay's /metrics has no ${name}`)
  return Number(line.slice(line.lastIndexOf(' ') + 1))
}

async function createSmallPractice(relay: RelayProcess, index: number, seed: number, envs: DeviceEnvironment[]): Promise<CapacityPractice> {
  const env = benchEnvironment(`capacity-${index}-a`)
  envs.push(env)
  const a = await createPractice({ relayUrl: relay.url, practiceName: `Cabinet ${index + 1}`, practitioner: { displayName: 'Damien Roche', profession: 'kine' } }, env)
  const actor: Actor = { deviceId: a.record.deviceId, memberId: a.record.memberId ?? 'setup' }
  const plan = planPractice(defaultSpec(localToday(), { seed: seed + index, practitioners: 1, patients: PATIENTS, months: 1 }))
  const written = await writePractice(
    { openDoc: (id) => a.space.openDoc(id), afterBatch: () => a.space.flush() },
    { ...plan, agenda: new Map(), notes: new Map() },
    actor,
    steppingClock(Date.now(), 1000),
  )
  await a.space.whenAcknowledged(60_000)
  return { devices: [a], patientIds: written.patientIds, code: await grantCode(a.record.spaceId, env) }
}

/** Every device edits its practice's patients; resolves once every device shows every edit. */
async function load(practices: CapacityPractice[]): Promise<{ ms: number; updates: number }> {
  const started = performance.now()
  let updates = 0
  await Promise.all(
    practices.flatMap((practice) =>
      practice.devices.map(async (device, d) => {
        const directory = await device.space.openDoc(DIRECTORY_DOC_ID)
        const actor: Actor = { deviceId: device.record.deviceId, memberId: device.record.memberId ?? 'setup' }
        for (let i = 0; i < UPDATES_PER_DEVICE; i++) {
          // Each device its own patients, so the last value of each is known.
          const patientId = practice.patientIds[(d * UPDATES_PER_DEVICE + i) % practice.patientIds.length]!
          updatePatient(directory, patientId, { usualName: `Charge ${d} ${i}` }, actor, Date.now)
          await device.space.flush()
          updates++
        }
      }),
    ),
  )
  // Delivered: every device of a practice holds the same directory state as every other.
  await Promise.all(
    practices.map(async (practice) => {
      const docs = await Promise.all(practice.devices.map((d) => d.space.openDoc(DIRECTORY_DOC_ID)))
      for (const device of practice.devices) await device.space.whenAcknowledged(120_000)
      const merged = new Y.Doc()
      for (const doc of docs) Y.applyUpdate(merged, Y.encodeStateAsUpdate(doc))
      const expected = stateVectorOf(merged)
      await Promise.all(docs.map((doc) => until(doc, (x) => hasState(x, expected), 120_000)))
    }),
  )
  return { ms: performance.now() - started, updates }
}

/** RSS of one realistic space: the shared practice's relay restarted empty, then A syncs again. */
async function realisticSpace(context: BenchContext): Promise<{ before: ProcessSample; after: ProcessSample; envelopeBytes: number }> {
  const p = await context.practice()
  p.a.space.disconnect()
  await p.relay.restart()
  const before = sampleProcess(p.relay.pid)
  p.a.space.connect()
  // Online = the relay's step 2 arrived: it loaded the room from SQLite to answer A's step 1.
  await whenOnline(p.a.space)
  await p.a.space.whenAcknowledged(120_000)
  const directory = await p.a.space.openDoc(DIRECTORY_DOC_ID)
  if (directory.getMap(DIRECTORY_MAPS.patients).size !== p.written.patientIds.length) throw new Error('Device A lost patients across the relay restart')
  return { before, after: sampleProcess(p.relay.pid), envelopeBytes: p.a.space.inspect.envelopeStats().bytes }
}

export const relayCapacity: Scenario = {
  id: 'relay-capacity',
  async run(context: BenchContext): Promise<Row[]> {
    const { options, log, detail } = context
    const practicesWanted = Math.min(options.capacityPractices, options.capacityDevices)
    const relay = await startRelayProcess()
    const envs: DeviceEnvironment[] = []
    const practices: CapacityPractice[] = []
    try {
      const idle = sampleProcess(relay.pid)
      for (let i = 0; i < practicesWanted; i++) practices.push(await createSmallPractice(relay, i, options.seed, envs))
      const spaces = sampleProcess(relay.pid)
      const socketsBefore = await metric(relay, 'tournee_open_connections')
      log(`  (f) ${practicesWanted} spaces loaded: relay RSS ${round(idle.rssBytes / 2 ** 20, 1)} → ${round(spaces.rssBytes / 2 ** 20, 1)} MiB`)
      let connected = practices.length
      for (let round_ = 1; connected < options.capacityDevices; round_++) {
        for (const practice of practices) {
          if (connected >= options.capacityDevices) break
          const env = benchEnvironment(`capacity-${round_}`)
          envs.push(env)
          const device = await joinByCode(practice.code, env)
          practice.devices.push(device)
          await until(await device.space.openDoc(DIRECTORY_DOC_ID), (d) => d.getMap(DIRECTORY_MAPS.patients).size === PATIENTS, 60_000)
          connected++
        }
      }
      const connections = sampleProcess(relay.pid)
      const joined = connected - practices.length
      const newSockets = (await metric(relay, 'tournee_open_connections')) - socketsBefore
      log(`  (f) ${connected} devices connected: relay RSS ${round(connections.rssBytes / 2 ** 20, 1)} MiB`)
      const persistedBefore = await metric(relay, 'tournee_updates_persisted_total')
      const cpuBefore = sampleProcess(relay.pid)
      const bench = process.cpuUsage()
      const { ms, updates } = await load(practices)
      const cpuAfter = sampleProcess(relay.pid)
      const benchCpu = process.cpuUsage(bench)
      const persisted = (await metric(relay, 'tournee_updates_persisted_total')) - persistedBefore
      const relayCpuMs = cpuAfter.cpuMs - cpuBefore.cpuMs
      const benchCpuMs = (benchCpu.user + benchCpu.system) / 1000
      log(
        `  (f) load: ${updates} edits (${persisted} updates persisted) delivered in ${Math.round(ms)} ms; relay CPU ${Math.round(relayCpuMs)} ms, ` +
          `devices (bench process) CPU ${Math.round(benchCpuMs)} ms`,
      )
      const real = await realisticSpace(context)
      log(`  (f) one realistic space (${round(real.envelopeBytes / 2 ** 20, 2)} MiB envelope): relay RSS ${round(real.before.rssBytes / 2 ** 20, 1)} → ${round(real.after.rssBytes / 2 ** 20, 1)} MiB`)
      const figures = {
        practices: practices.length,
        devices: connected,
        idle,
        spaces,
        connections,
        newSockets,
        updates,
        persisted,
        loadMs: ms,
        relayCpuMs,
        benchCpuMs,
        realisticSpace: real,
      }
      detail('relay-capacity', figures)
      const scenario = `f. relay capacity (${connected} devices, ${practices.length} practices)`
      const single = 'single measurement'
      const row = (metric: string, unit: Row['unit'], ours: number, stat = single): Row => ({ scenario, metric, unit, ours, floor: null, stat })
      return [
        row('relay RSS, idle (no space, no connection)', 'bytes', idle.rssBytes),
        row(`memory per loaded space (directory of ${PATIENTS} patients, 1 device)`, 'bytes', (spaces.rssBytes - idle.rssBytes) / practices.length, `RSS growth / ${practices.length}`),
        row('memory per idle connection', 'bytes', joined > 0 ? (connections.rssBytes - spaces.rssBytes) / joined : Number.NaN, `RSS growth / ${joined} devices`),
        row('sync sockets per idle device', 'count', joined > 0 ? newSockets / joined : Number.NaN, `${newSockets} sockets / ${joined} devices`),
        row('memory per idle sync socket', 'bytes', newSockets > 0 ? (connections.rssBytes - spaces.rssBytes) / newSockets : Number.NaN, `RSS growth / ${newSockets}`),
        row(`memory of one loaded space of ${round(real.envelopeBytes / 2 ** 20, 1)} MiB (shared practice)`, 'bytes', real.after.rssBytes - real.before.rssBytes, 'RSS growth, 1 device'),
        row(`updates per second, every device editing (${updates} edits, ${persisted} persisted)`, 'count', (persisted / ms) * 1000, 'persisted / wall time until delivered'),
        row('relay CPU per update', 'ms', relayCpuMs / Math.max(1, persisted), '(user + system) / persisted'),
        row('relay CPU share of the load (of one core)', 'count', round((relayCpuMs / ms) * 100, 1), '% of wall time'),
        // What one relay core would sustain if the devices were elsewhere: the relay's own limit.
        row('updates per second one relay core allows (1000 / CPU per update)', 'count', relayCpuMs > 0 ? (1000 * persisted) / relayCpuMs : Number.NaN, 'derived'),
        row('devices CPU per update (bench process: encrypt, decrypt every fan-out copy)', 'ms', benchCpuMs / Math.max(1, updates), 'process.cpuUsage / edits'),
      ]
    } finally {
      for (const practice of practices) for (const device of practice.devices) await device.space.destroy()
      for (const env of envs) await deleteDeviceDatabases(env)
      await relay.dispose()
    }
  },
}
