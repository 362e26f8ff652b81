/**
 * A device whose site data the browser erased (Safari's 7-day rule, "clear site data", eviction):
 * in Chromium, CDP Storage.clearDataForOrigin with every storage type, then the app reopened. The
 * first-run screen explains that pairing it again from another device of the practice brings
 * everything back, and it does.
 */
import { describe, expect, it } from 'vitest'
import { useTwoDevices } from './helpers/step-fixture'
import { addAppointment, addPatient, createPractice, eventually, nav, pairDevice, patientLinks, pendingChanges } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Glycines', practitioner: 'Armelle Dufresnoy' }
const PATIENT = { birthName: 'Pradeilles', firstNames: 'Gaspard', display: 'Pradeilles Gaspard' }
const VISIT = 'Pansement à domicile'

describe.sequential('site data erased, in Chromium', () => {
  const setup = useTwoDevices()

  it('explains on the first-run screen how to get everything back, and pairing it again from another device does it', async () => {
    const { a, b, relay } = setup()
    await createPractice(a.page, PRACTICE)
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await nav(a.page, 'Agenda').click()
    await addAppointment(a.page, { start: '10:30', title: VISIT })
    await eventually(() => pendingChanges(a), 'everything reached the relay').toBe(0)
    // A second device of the practice, which will add this one back.
    await pairDevice(a.page, b.page, PRACTICE.practitioner)

    // With the app installed, the origin's data includes the service worker and its cache of the
    // app shell: "clear site data" erases them too, and the reopen below loads from the relay.
    await eventually(() => a.page.evaluate(async () => (await caches.keys()).length), 'the service worker cached the app shell').toBeGreaterThan(0)

    const cdp = await a.context.newCDPSession(a.page)
    await cdp.send('Storage.clearDataForOrigin', { origin: new URL(relay.url).origin, storageTypes: 'all' })
    // Chromium finishes deleting IndexedDB after the CDP call returns: reopening before that would
    // let the deletion remove the databases the reopened app is creating. A databases() call made
    // while the deletion runs may never answer (seen about one run in five, with the service
    // worker's data to clear as well); the next one does, so each call is given 2 s and asked again.
    await eventually(
      () =>
        a.page.evaluate(() =>
          Promise.race([
            indexedDB.databases().then((list) => list.map((d) => d.name)),
            new Promise<string>((resolve) => setTimeout(() => resolve('no answer in 2 s'), 2_000)),
          ]),
        ),
      'the browser erased every database',
    ).toEqual([])
    await eventually(
      () =>
        a.page.evaluate(() =>
          Promise.race([
            caches.keys().then((keys) => keys.length),
            new Promise<string>((resolve) => setTimeout(() => resolve('no answer in 2 s'), 2_000)),
          ]),
        ),
      "the browser erased the service worker's cache",
    ).toBe(0)
    const page = await a.reopen('/')

    await page.getByRole('heading', { level: 1, name: 'Bienvenue dans Tournée' }).waitFor()
    const explanation = page.getByText(/le navigateur a effacé ses données/)
    expect(await explanation.textContent()).toMatch(/choisissez « Rejoindre un cabinet » et faites-le ajouter depuis un autre appareil du cabinet/)

    await pairDevice(b.page, page, PRACTICE.practitioner)
    try {
      await eventually(async () => (await page.getByRole('list', { name: /^Rendez-vous de / }).first().textContent()) ?? '', 'the appointment is back').toContain(VISIT)
    } catch (error) {
      // Say what the person would have seen instead: the status bar and the screen.
      throw new Error(`The appointment did not come back. The page showed:\n${await page.locator('body').innerText()}`, { cause: error })
    }
    await nav(page, 'Patients').click()
    await eventually(() => patientLinks(page), 'the patient is back').toContain(PATIENT.display)
  })
})
