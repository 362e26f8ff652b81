/**
 * Issue 18, « Device-held state », in Chromium: the relay's disk is wiped and folded, and the
 * device's own envelope databases are gone too (evicted, or holding a deletion stored before it
 * was judged) while the app is closed. What the device decrypted, kept apart under its
 * device-local key (client/src/sync/device/held-state.ts: a non-extractable key made by WebCrypto
 * in the page, rows read back through the decode worker past 64 KiB), is all that is left: the
 * reopened app shows the practice, says « … rétablis depuis cet appareil », writes it out again,
 * and a new device gets it from the relay. (In Node, against a real relay, with the deletion
 * itself stored: tests/held-state.test.ts.)
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/held-state.test.ts`.
 */
import { describe, expect, it } from 'vitest'
import { wipeStoredRelay } from '../helpers/hostile-storage'
import { useTwoDevices } from './helpers/step-fixture'
import { addAppointment, addPatient, createPractice, eventually, nav, pairDevice, patientLinks, pendingChanges, statusText } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Tilleuls', practitioner: 'Solène Kervella' }
const PATIENT = { birthName: 'Lagadec', firstNames: 'Yvon', display: 'Lagadec Yvon' }
const VISIT = 'Rééducation de l’épaule'
const RECONNECT_TIMEOUT = 45_000
/** The databases of a practice that are not a room's envelope. */
const OWN = /-(held|first-screen|unacknowledged)$/

describe.sequential('device-held state in Chromium', () => {
  const setup = useTwoDevices()

  it('the app reopened with no envelope left, here or on the relay, shows everything, says so, and gives it back', async () => {
    const { a, b, relay } = setup()
    await createPractice(a.page, PRACTICE)
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await nav(a.page, 'Agenda').click()
    await addAppointment(a.page, { start: '11:00', title: VISIT })
    await eventually(() => pendingChanges(a), 'everything reached the relay').toBe(0)
    // The held state is written beside the envelopes, shortly after the docs open: the directory,
    // the manifest and the month each have their summary.
    const heldDocs = () =>
      a.page.evaluate(async () => {
        const name = (await indexedDB.databases()).map((d) => d.name ?? '').find((n) => n.endsWith('-held'))
        if (!name) return 0
        return new Promise<number>((resolve, reject) => {
          const open = indexedDB.open(name)
          open.onerror = () => reject(open.error)
          open.onsuccess = () => {
            const count = open.result.transaction('docs').objectStore('docs').count()
            count.onsuccess = () => {
              resolve(count.result)
              open.result.close()
            }
            count.onerror = () => reject(count.error)
          }
        })
      })
    await eventually(heldDocs, 'the device-held state holds the docs').toBeGreaterThanOrEqual(3)

    // The app closed (a page of the relay's that is not the app: /healthz, same origin, which the
    // service worker leaves to the network); the rooms' envelope databases deleted there (the held
    // state and the registry stay).
    await a.page.goto(`${relay.url}/healthz`)
    const deleted = await a.page.evaluate(async (own) => {
      const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter((name) => name.startsWith('tournee-space-') && !new RegExp(own).test(name))
      for (const name of names) {
        await new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name)
          request.onsuccess = () => resolve()
          request.onerror = () => reject(request.error)
          request.onblocked = () => reject(new Error(`${name} is still open`))
        })
      }
      return names.length
    }, OWN.source)
    expect(deleted).toBeGreaterThanOrEqual(2) // main, the month
    // And the relay's disk wiped and folded: no copy of any entry anywhere but the held state.
    await relay.stop()
    expect(await wipeStoredRelay(relay.dataDir)).toBeGreaterThan(0)
    await relay.restart()

    const page = await a.reopen('/#/patients')
    await eventually(() => patientLinks(page), 'the patient, from the held state').toContain(PATIENT.display)
    await eventually(() => statusText(a), 'the alarm line says what came back', RECONNECT_TIMEOUT).toMatch(/\d+ documents? perdus? sur le relais rétablis? depuis cet appareil/)
    await eventually(() => pendingChanges(a), 'what it brought back reached the relay', RECONNECT_TIMEOUT).toBe(0)

    // A new device joins from the relay alone.
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    await eventually(async () => (await b.page.getByRole('list', { name: /^Rendez-vous de / }).first().textContent()) ?? '', 'the appointment, from the relay').toContain(VISIT)
    await nav(b.page, 'Patients').click()
    await eventually(() => patientLinks(b.page), 'the patient, from the relay').toContain(PATIENT.display)
    expect(await statusText(b)).not.toMatch(/rétabli|illisible/)
  })
})
