/**
 * Fills a running practice with a demo data set: a Node device joins with the pairing code, waits
 * for the practice's directory, and writes generated practitioners, patients, appointments (with
 * series, home visits, cancellations) and clinical notes through the model API, encrypted, to the
 * real relay. `npm run seed-demo` is its command line (seed-demo-main.ts).
 *
 * The pairing code holds the space key: it is taken from the caller (environment or stdin),
 * never from the command line, and never printed. What is printed is counts, never patient data.
 */
import type * as Y from 'yjs'
import { joinPractice, type DeviceEnvironment } from '../../client/src/sync/device/device'
import type { Actor } from '../../shared/src/model/actor'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { listAppointmentKinds } from '../../shared/src/model/appointment-kinds'
import { listPractitioners } from '../../shared/src/model/practitioners'
import { until } from './bench-device'
import { localToday } from './fixture'
import { demoSpec, planPractice, writePractice, type WrittenPractice } from './generate'

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

export async function seedDemo(pairingCode: string, size: DemoSize, env: DeviceEnvironment, log: (line: string) => void): Promise<DemoResult> {
  const practice = await joinPractice(pairingCode, env)
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
    const sink = { openDoc: (id: string) => space.openDoc(id), afterBatch: () => space.flush() }
    const written = await writePractice(sink, plan, actor, Date.now, { indexPatientMonths: true })
    log(`Written locally; waiting until the relay has stored everything…`)
    await space.whenAcknowledged(300_000)
    await space.settle()
    await space.whenAcknowledged(300_000)
    return { written, practiceName: practice.record.practiceName, spaceId: practice.record.spaceId, firstMonth: spec.firstMonth, months: spec.months }
  } finally {
    await space.destroy()
  }
}
