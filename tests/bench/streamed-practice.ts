/**
 * A practice set up without any device or plan holding all of it, for the fresh-device scenario
 * on ten years of ten practitioners (550,000 appointments): the whole-practice setup
 * (fixture.ts, device A writing everything and keeping every doc open) needs ≈25 GiB there.
 *
 * Short-lived writer devices, one after the other, each on its own fake IndexedDB:
 *
 *   A             creates the practice, writes the directory (practitioners, patients) and the
 *                 clinical files;
 *   one per year  joins with the pairing code and writes that year's months (a room each), each
 *                 month planned from the outline only when it is written;
 *
 * and each writer flushes, waits for the relay's ACK of every entry, lets its compactions run and
 * reach the relay, keeps what the floors and the checks need of its docs as bytes (the plaintext
 * state and the state vector), then is destroyed and its IndexedDB deleted. No writer runs in the
 * background: it opens only the rooms it writes (and its start-up rooms), never the others.
 *
 * The directory gets a write from every writer (each lists the rooms it writes to, for other
 * devices' background pass), so its expected state is the union of every writer's copy, applied
 * to one doc once all are acknowledged: what the relay holds.
 *
 * The year of today is written last: it holds the start-up rooms (this week's months), so a writer
 * after it would download them.
 */
import * as Y from 'yjs'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../../client/src/sync/device/device'
import { grantCode, joinByCode } from '../helpers/pairing-ticket'
import type { Actor } from '../../shared/src/model/actor'
import { DIRECTORY_DOC_ID, agendaDocId } from '../../shared/src/model/doc-ids'
import { startRelayProcess } from '../helpers/relay-process'
import { benchEnvironment, deleteDeviceDatabases, stateVectorOf } from './bench-device'
import type { BenchPractice } from './fixture'
import { outlinePractice, planMonth, steppingClock, writeDirectory, writeFiles, writeMonth, type DocSink, type PracticeIds, type PracticeSpec, type WrittenPractice } from './generate'
import { peakRssBytes, resetPeakRss } from './process-stats'

/** What the fresh-device measurements need of a practice: its relay, its code, and A's states as bytes. */
export type SyncedPractice = Pick<BenchPractice, 'relay' | 'code' | 'written' | 'currentMonthDocId' | 'plaintext' | 'expected' | 'setupMs'> & {
  spec: PracticeSpec
  /** Streamed setups only: how the setup went, for the scenario's JSON details. */
  setup?: StreamedSetupStats
}

export interface StreamedSetupStats {
  writers: number
  /** Peak RSS of the bench process during the setup (VmHWM, reset when the setup starts). */
  peakRssBytes: number
  /** Peak RSS of the relay process by the end of the setup. */
  relayPeakRssBytes: number
  /** Seconds each writer took, in the order they wrote ('A', then the years). */
  writerSeconds: Record<string, number>
}

const ACK_TIMEOUT_MS = 300_000

/** A writer device: the app's envelope defaults, no background opening of the other rooms. */
function writerEnvironment(name: string): DeviceEnvironment {
  const env = benchEnvironment(`stream-${name}`)
  return { ...env, practice: { ...env.practice, background: false } }
}

/** The months each writer after A writes: one year (twelve month rooms) each, today's year last. */
export function writerGroups(months: readonly string[], today: string): string[][] {
  const byYear = new Map<string, string[]>()
  for (const month of months) byYear.set(month.slice(0, 4), [...(byYear.get(month.slice(0, 4)) ?? []), month])
  const current = today.slice(0, 4)
  return [...byYear.entries()].sort(([a], [b]) => (a === current ? 1 : b === current ? -1 : a.localeCompare(b))).map(([, list]) => list)
}

interface Collected {
  plaintext: Map<string, Uint8Array>
  expected: Map<string, Map<number, number>>
  directoryStates: Uint8Array[]
}

/**
 * Runs `write` on a device, then waits until the relay holds all of it, keeps the written docs'
 * states as bytes, and destroys the device and its IndexedDB.
 */
async function withWriter(
  device: OpenPractice,
  env: DeviceEnvironment,
  collected: Collected,
  write: (sink: DocSink) => Promise<string[]>,
  { publishDigest = false } = {},
): Promise<void> {
  const { space } = device
  try {
    const docIds = await write({ openDoc: (id) => space.openDoc(id), afterBatch: () => space.flush() })
    await space.flush()
    await space.whenAcknowledged(ACK_TIMEOUT_MS)
    // Compactions the writes triggered run after a delay: let them run, and reach the relay.
    await space.settle()
    await space.whenAcknowledged(ACK_TIMEOUT_MS)
    // What the practice's devices do within their publish interval (digest-sync.ts).
    if (publishDigest) await space.publishDirectoryDigest()
    for (const id of docIds) {
      const doc = await space.openDoc(id)
      collected.plaintext.set(id, Y.encodeStateAsUpdate(doc))
      collected.expected.set(id, stateVectorOf(doc))
    }
    collected.directoryStates.push(Y.encodeStateAsUpdate(await space.openDoc(DIRECTORY_DOC_ID)))
  } finally {
    await space.destroy()
    await deleteDeviceDatabases(env)
  }
}

/** Joins, publishes the week digest (week-digest.ts) from the rooms of its window, and leaves. */
async function publishWeekDigest(code: string): Promise<void> {
  const env = writerEnvironment('week')
  const device = await joinByCode(code, env)
  try {
    await device.space.publishWeekDigest()
  } finally {
    await device.space.destroy()
    await deleteDeviceDatabases(env)
  }
}

export async function setUpStreamedPractice(
  spec: PracticeSpec,
  log: (line: string) => void,
  relayEnv: Record<string, string> = {},
): Promise<SyncedPractice> {
  const started = performance.now()
  resetPeakRss()
  const relay = await startRelayProcess({ env: relayEnv })
  try {
    const outline = outlinePractice(spec)
    const [y, m] = spec.firstMonth.split('-').map(Number) as [number, number]
    const clock = steppingClock(Date.UTC(y, m - 1, 1), 60_000)
    const collected: Collected = { plaintext: new Map(), expected: new Map(), directoryStates: [] }
    const writerSeconds: Record<string, number> = {}
    const timed = async (name: string, run: () => Promise<void>) => {
      const from = performance.now()
      await run()
      writerSeconds[name] = Math.round((performance.now() - from) / 100) / 10
      const { heapUsed, rss } = process.memoryUsage()
      log(`  (a) writer ${name} done in ${writerSeconds[name]} s; heap ${Math.round(heapUsed / 2 ** 20)} MiB, RSS ${Math.round(rss / 2 ** 20)} MiB`)
    }

    const envA = writerEnvironment('a')
    const a = await createPractice(
      { relayUrl: relay.url, practiceName: 'Cabinet de kinésithérapie des Pentes', practitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } },
      envA,
    )
    const memberId = a.record.memberId ?? 'setup'
    const groups = writerGroups(outline.months, spec.today)
    // Every writer is a device of the practice's registry (its entries signed by it), granted by A
    // while A is still there: one per year, one for the week digest, and one for the devices that
    // join afterwards (the measured fresh devices, one after the other: the same device paired again).
    const writerCodes: string[] = []
    for (let i = 0; i < groups.length + 2; i++) writerCodes.push(await grantCode(a.record.spaceId, envA))
    const [weekCode, code] = writerCodes.splice(groups.length, 2) as [string, string]
    let ids: PracticeIds | undefined
    let files: { patientDocIds: string[]; notes: number } | undefined
    await timed('A', () =>
      withWriter(a, envA, collected, async (sink) => {
        const actor: Actor = { deviceId: a.record.deviceId, memberId }
        ids = await writeDirectory(sink, outline, actor, clock)
        files = await writeFiles(sink, outline.notes, ids, actor, clock)
        return files.patientDocIds
      }, { publishDigest: true }),
    )
    const practiceIds = ids!
    let appointments = 0
    let seriesAppointments = 0
    for (const [index, months] of groups.entries()) {
      const env = writerEnvironment(months[0]!.slice(0, 4))
      const writer = await joinByCode(writerCodes[index]!, env)
      const actor: Actor = { deviceId: writer.record.deviceId, memberId }
      await timed(months.length === 1 ? months[0]! : `${months[0]}…${months.at(-1)}`, () =>
        withWriter(writer, env, collected, async (sink) => {
          const docIds: string[] = []
          for (const month of months) {
            const written = await writeMonth(sink, month, planMonth(outline, month), outline.patients, practiceIds, actor, clock)
            docIds.push(written.docId)
            appointments += written.appointments
            seriesAppointments += written.seriesAppointments
          }
          return docIds
        }),
      )
    }

    // The week digest spans this week's and next week's months, which two writers may hold: a
    // device that opens just those rooms publishes it, as any device of the practice does.
    await timed('week digest', () => publishWeekDigest(weekCode))

    const directory = new Y.Doc({ guid: DIRECTORY_DOC_ID })
    for (const state of collected.directoryStates) Y.applyUpdate(directory, state)
    collected.plaintext.set(DIRECTORY_DOC_ID, Y.encodeStateAsUpdate(directory))
    collected.expected.set(DIRECTORY_DOC_ID, stateVectorOf(directory))
    directory.destroy()

    const agendaDocIds = outline.months.map(agendaDocId)
    const patientDocIds = files!.patientDocIds
    const written: WrittenPractice = {
      practitionerIds: practiceIds.practitionerIds,
      patientIds: practiceIds.patientIds,
      docIds: [DIRECTORY_DOC_ID, ...agendaDocIds, ...patientDocIds],
      agendaDocIds,
      patientDocIds,
      appointments,
      seriesAppointments,
      series: outline.series,
      notes: files!.notes,
    }
    const currentMonthDocId = agendaDocId(spec.today.slice(0, 7))
    if (!collected.plaintext.has(currentMonthDocId)) throw new Error(`The generated agenda has no ${currentMonthDocId}`)
    return {
      relay,
      code,
      spec,
      written,
      currentMonthDocId,
      plaintext: collected.plaintext,
      expected: collected.expected,
      setupMs: performance.now() - started,
      setup: { writers: 1 + groups.length, peakRssBytes: peakRssBytes(), relayPeakRssBytes: peakRssBytes(relay.pid), writerSeconds },
    }
  } catch (error) {
    await relay.dispose()
    throw error
  }
}
