/**
 * Fills a running practice with a demo data set: a Node device joins (`join`: through the pairing
 * mailbox for `npm run seed-demo`, seed-demo-main.ts; with a payload the bench holds for its own
 * practices), waits for the practice's directory, and writes generated practitioners, patients,
 * appointments (with series, home visits, cancellations) and clinical notes through the model
 * API, encrypted, to the real relay. What is printed is counts, never patient data.
 */
import type * as Y from 'yjs'
import type { DeviceEnvironment, OpenPractice } from '../../client/src/sync/device/device'
import type { Practice } from '../../client/src/sync/practice/practice'
import type { DocLease } from '../../client/src/sync/practice/practice-handle'
import type { Actor } from '../../shared/src/model/actor'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { listAppointmentKinds } from '../../shared/src/model/appointment-kinds'
import { listPractitioners } from '../../shared/src/model/practitioners'
import { until } from './bench-device'
import { localToday } from './fixture'
import { demoSpec, planPractice, writePractice, type DocSink, type WrittenPractice } from './generate'

export interface DemoSize {
  practitioners: number
  patients: number
  months: number
  seed: number
}

export const DEFAULT_DEMO_SIZE: DemoSize = { practitioners: 2, patients: 300, months: 3, seed: 20_261_123 }

export interface DemoResult {
  written: WrittenPractice
  practiceName: string
  spaceId: string
  firstMonth: string
  months: number
}

/** The directory a device needs before writing: practitioners and appointment kinds are there. */
function practiceArrived(directory: Y.Doc): boolean {
  return listPractitioners(directory).items.length > 0 && listAppointmentKinds(directory).items.length > 0
}

/**
 * Where the generator writes: the directory (pinned: every batch of the seed touches it) and one
 * other room at a time. Opening a doc of another room first waits until the relay holds what was
 * written into the rooms in memory, then lets the previous room's docs go, so the room leaves
 * memory (the seeder runs with no grace period). A seeder that kept every room it wrote to held
 * ~40 rooms loaded and connected at once, each with its socket and its y-websocket provider (one
 * process 'exit' listener each: Node's MaxListenersExceededWarning past 10).
 */
class OneRoomAtATime implements DocSink {
  private room: string | null = null
  private leases: DocLease[] = []

  constructor(
    private readonly space: Practice,
    private readonly directory: Y.Doc,
  ) {}

  // Arrow functions: the generator calls them unbound.
  openDoc = async (docId: string): Promise<Y.Doc> => {
    if (docId === DIRECTORY_DOC_ID) return this.directory
    const room = await this.space.roomOfDoc(docId)
    if (room !== this.room) {
      await this.letGo()
      this.room = room
    }
    const lease = await this.space.acquireDoc(docId, 'view')
    this.leases.push(lease)
    return lease.doc
  }

  afterBatch = (): Promise<void> => this.space.flush()

  /** The relay holds everything written so far; the current room's docs are let go. */
  async letGo(): Promise<void> {
    await this.space.whenAcknowledged(300_000)
    for (const lease of this.leases.splice(0)) lease.release()
  }
}

export async function seedDemo(
  join: (env: DeviceEnvironment) => Promise<OpenPractice>,
  size: DemoSize,
  env: DeviceEnvironment,
  log: (line: string) => void,
): Promise<DemoResult> {
  // A writer, not a reader: no background pass fetching every room, and rooms go once let go.
  const practice = await join({ ...env, practice: { ...env.practice, background: false, graceMs: 0 } })
  const { space } = practice
  try {
    log(`Joined practice ${practice.record.spaceId} on ${practice.record.relayUrl}; waiting for its directory…`)
    const directory = await space.openDoc(DIRECTORY_DOC_ID)
    await until(directory, practiceArrived, 60_000)
    // The demo is written in the name of the practice's first practitioner, from this device.
    const actor: Actor = { deviceId: practice.record.deviceId, memberId: listPractitioners(directory).items[0]!.id }
    const spec = demoSpec(localToday(), { seed: size.seed, practitioners: size.practitioners, patients: size.patients, months: size.months })
    const plan = planPractice(spec)
    // Each patient's page lists their appointments: the months are noted as the app would.
    const sink = new OneRoomAtATime(space, directory)
    const written = await writePractice(sink, plan, actor, Date.now, { indexPatientMonths: true, groupFilesBy: (docId) => space.roomOfDoc(docId) })
    log(`Written locally; waiting until the relay has stored everything…`)
    await sink.letGo()
    await space.whenAcknowledged(300_000)
    await space.settle()
    await space.whenAcknowledged(300_000)
    return { written, practiceName: practice.record.practiceName, spaceId: practice.record.spaceId, firstMonth: spec.firstMonth, months: spec.months }
  } finally {
    await space.destroy()
  }
}
