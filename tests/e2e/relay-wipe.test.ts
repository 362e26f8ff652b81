/**
 * Issue 18, attack 1, in Chromium: whoever holds the relay's disk deletes every entry of the
 * practice and folds the rows (the ciphertext is gone from the relay for good). The device that
 * holds the practice refuses the deletion — no snapshot it can read covers it — writes its entries
 * back, and says so in the sync indicator's alarm line; a new device then gets everything from the
 * relay. (Judging deletions: shared/src/envelope/envelope.ts; the same attack in Node, with an
 * offline reload and a forged compaction: tests/wipe-guard.test.ts.)
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/relay-wipe.test.ts`.
 */
import { describe, expect, it } from 'vitest'
import { wipeStoredRelay } from '../helpers/hostile-storage'
import { useTwoDevices } from './helpers/step-fixture'
import { addAppointment, addPatient, createPractice, eventually, nav, pairDevice, patientLinks, pendingChanges, statusText } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Saules', practitioner: 'Maëlys Kerbrat' }
const PATIENT = { birthName: 'Quéméner', firstNames: 'Armel', display: 'Quéméner Armel' }
const VISIT = 'Drainage lymphatique'
/** The relay restarts and the device reconnects with backoff: allow for the longest wait. */
const RECONNECT_TIMEOUT = 45_000

describe.sequential('a relay whose disk was wiped, in Chromium', () => {
  const setup = useTwoDevices()

  it('the device keeps its data, shows the alarm, gives the relay its entries back, and a new device gets everything', async () => {
    const { a, b, relay } = setup()
    await createPractice(a.page, PRACTICE)
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await nav(a.page, 'Agenda').click()
    await addAppointment(a.page, { start: '09:30', title: VISIT })
    await eventually(() => pendingChanges(a), 'everything reached the relay').toBe(0)
    expect(await statusText(a)).not.toMatch(/rétabli/)

    await relay.stop()
    expect(await wipeStoredRelay(relay.dataDir)).toBeGreaterThan(0)
    await relay.restart()

    // Back online, the device receives the deletions, judges them uncovered and writes back.
    await eventually(() => statusText(a), 'the alarm line says what was written back', RECONNECT_TIMEOUT).toMatch(
      /\d+ entrées? supprimées? sans instantané couvrant : rétablies?/,
    )
    await eventually(() => pendingChanges(a), 'what it wrote back reached the relay', RECONNECT_TIMEOUT).toBe(0)
    await nav(a.page, 'Patients').click()
    expect(await patientLinks(a.page)).toContain(PATIENT.display)

    // A new device joins from the relay alone: the practice is whole again.
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    await eventually(async () => (await b.page.getByRole('list', { name: /^Rendez-vous de / }).first().textContent()) ?? '', 'the appointment, from the relay').toContain(VISIT)
    await nav(b.page, 'Patients').click()
    await eventually(() => patientLinks(b.page), 'the patient, from the relay').toContain(PATIENT.display)
    expect(await statusText(b)).not.toMatch(/rétabli/)
  })
})
