/**
 * A local write that fails for real in Chromium: device A's origin gets a quota smaller than what
 * it already stores (CDP Storage.overrideQuotaForOrigin), so IndexedDB refuses A's next write. The
 * change must show an alert at once, still reach device B through the relay, and once the quota is
 * back, "Synchroniser maintenant" rewrites A's local state and the alert goes.
 */
import type { Browser, CDPSession } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, openDevice, startAppRelay } from './helpers/browser'
import type { Device } from './helpers/browser'
import type { RelayProcess } from '../helpers/relay-process'
import { addPatient, createPractice, eventually, nav, pairDevice, patientLinks, pendingChanges } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet du Quai', practitioner: 'Solène Marchadier' }
const PATIENT = { birthName: 'Vaucanson', firstNames: 'Aurèle', display: 'Vaucanson Aurèle' }
const AFTER = { birthName: 'Lhermitte', firstNames: 'Clotilde', display: 'Lhermitte Clotilde' }

const FILLER = 'filler-for-the-quota-test'
const QUOTA = 20_000_000

/**
 * Runs in the page: writes blobs to a database of its own, halving the size after each refusal,
 * until even 64 bytes do not fit. Returns the bytes written.
 */
function fillStorage(name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, 1)
    open.onupgradeneeded = () => open.result.createObjectStore('blobs', { autoIncrement: true })
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const db = open.result
      let size = 4_000_000
      let written = 0
      const step = () => {
        // The bound keeps a quota override that did not apply from filling the disk.
        if (size < 64 || written > 100_000_000) {
          db.close()
          resolve(written)
          return
        }
        const tx = db.transaction('blobs', 'readwrite')
        // Random bytes: Chromium compresses what IndexedDB stores, and counts it compressed.
        const blob = new Uint8Array(size)
        for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(blob.subarray(i, Math.min(size, i + 65_536)))
        tx.objectStore('blobs').add(blob)
        tx.oncomplete = () => {
          written += size
          step()
        }
        tx.onabort = () => {
          size = Math.floor(size / 2)
          step()
        }
      }
      step()
    }
  })
}

describe.sequential('a local write refused by a full quota, in Chromium', () => {
  let relay: RelayProcess
  let browser: Browser | null = null
  let a: Device
  let b: Device
  let cdp: CDPSession

  beforeAll(async () => {
    relay = await startAppRelay()
    browser = await launchChromium()
    const origin = new URL(relay.url).origin
    a = await openDevice(browser, relay, 'A', {
      // Chromium reads an origin's quota once its IndexedDB is in use, and a smaller override set
      // later does not fail small writes (checked on Chromium 156). So A gets a 20 MB quota before
      // the app first opens IndexedDB; the test then fills it, as a full tablet disk would be.
      beforeLoad: async (page, context) => {
        cdp = await context.newCDPSession(page)
        await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: QUOTA })
      },
    })
    b = await openDevice(browser, relay, 'B')
  })

  afterEach(() => {
    a.assertHealthy()
    b.assertHealthy()
  })

  afterAll(async () => {
    await browser?.close()
    await relay?.dispose()
  })

  it('shows the failure at once, sends the change anyway, and clears once storage works again', async () => {
    await createPractice(a.page, PRACTICE)
    await eventually(() => pendingChanges(a), 'the new practice reaches the relay').toBe(0)
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    await nav(a.page, 'Patients').click()
    await nav(b.page, 'Patients').click()

    const origin = new URL(relay.url).origin
    expect(await cdp.send('Storage.getUsageAndQuota', { origin })).toMatchObject({ quota: QUOTA, overrideActive: true })
    const filled = await a.page.evaluate(fillStorage, FILLER)
    expect(filled, 'the filler database took the room left').toBeGreaterThan(QUOTA / 2)

    await addPatient(a.page, PATIENT)
    const alert = a.page.getByRole('alert').filter({ hasText: "L'enregistrement sur cet appareil a échoué" })
    await alert.waitFor({ timeout: 10_000 })
    const text = (await alert.textContent()) ?? ''
    expect(text).toMatch(/QuotaExceededError/)
    expect(text).toMatch(/Rien n'est perdu/)
    expect(text).toMatch(/Libérez de l'espace sur l'appareil, ou installez l'application sur l'écran d'accueil/)

    // In memory, the change still went out: B shows it, and the relay acknowledged it.
    await eventually(() => patientLinks(b.page), 'the patient written during the failure reaches B').toContain(PATIENT.display)
    await eventually(() => pendingChanges(a), 'the relay acknowledged the change').toBe(0)
    expect(await b.page.getByRole('alert').count(), 'B, another context, is not affected').toBe(0)

    // Room again: the retry ("Synchroniser maintenant", or every 15 s) rewrites the local state.
    await a.page.evaluate(
      (name) =>
        new Promise((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name)
          request.onsuccess = resolve
          request.onerror = () => reject(request.error)
        }),
      FILLER,
    )
    await cdp.send('Storage.overrideQuotaForOrigin', { origin })
    await a.page.getByRole('button', { name: 'Synchroniser maintenant' }).click()
    await eventually(() => alert.count(), 'the alert clears once a full rewrite succeeded').toBe(0)

    await addPatient(a.page, AFTER)
    await eventually(() => patientLinks(b.page), 'writes go on as usual').toContain(AFTER.display)
    expect(await a.page.getByRole('alert').count()).toBe(0)

    // And the local copy is whole: reopened with the relay out of reach (sockets held by a route
    // that never answers, HTTP refused), A lists from IndexedDB alone what it wrote during the
    // failure. (context.setOffline would also block loading the page itself.)
    await a.context.routeWebSocket(/\/v1\/sync\//, () => undefined)
    await a.context.route(/\/v1\/spaces\//, (route) => route.abort())
    const page = await a.reopen('/#/patients')
    await eventually(() => patientLinks(page), 'what was written during the failure is on disk now').toEqual(
      expect.arrayContaining([PATIENT.display, AFTER.display]),
    )
    expect(await page.getByRole('alert').count()).toBe(0)
  })
})
