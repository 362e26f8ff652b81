/**
 * Two devices in a real browser, driven as a practitioner would: Chromium with two contexts (each
 * its own IndexedDB), one relay process serving the built client and relaying the encrypted sync.
 *
 * The steps run in order and share one practice: each step names what it needs from the previous
 * ones, so that a failure early on reads as such rather than as a missing button later.
 *
 * Run with `npx vite build && npx vitest run --project e2e` (the relay serves dist/client).
 */
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { TEST_TODAY } from '../helpers/test-clock'
import type { Device } from './helpers/browser'
import { need, useTwoDevices } from './helpers/step-fixture'
import { acceptDevice, addAppointment, agendaRows, confirmationShown, showJoiningCode } from './helpers/practice-steps'

// The README's screenshots are refreshed on request (TOURNEE_SCREENSHOTS=1 npm run test:e2e); an
// ordinary test run writes them to a scratch folder, so `npm test` leaves the work tree clean.
const screenshotDir = process.env.TOURNEE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), 'tournee-e2e-screenshots/')

/** Sync through a real relay takes a moment; reconnection after the relay restarts, longer. */
const SYNC_TIMEOUT = 20_000
const RECONNECT_TIMEOUT = 45_000

const PRACTICE = { name: 'Cabinet des Tilleuls', practitioner: 'Camille Lefèvre' }
/** Names nobody else types, so that a match can only be the record this test wrote. */
const PATIENT = { birthName: 'Quintard', firstNames: 'Éloïse', display: 'Quintard Éloïse' }
const OFFLINE_PATIENT = { birthName: 'Ferrandou', firstNames: 'Odile', display: 'Ferrandou Odile' }
const NIR_PATIENT = { birthName: 'Berthelot', firstNames: 'Lucien', display: 'Berthelot Lucien' }
const FIRST_VISIT = 'Bilan initial'
const OFFLINE_EDIT_A = "Réunion d'équipe"
const OFFLINE_EDIT_B = 'Séance à domicile'

/** Retries until the value matches: sync is asynchronous, and tests never sleep. */
function eventually<T>(read: () => Promise<T> | T, message: string, timeout = SYNC_TIMEOUT) {
  return expect.poll(read, { timeout, interval: 50, message })
}

/** The NIR key: 97 − (the first 13 digits mod 97), two digits. */
function nirKey(first13: string): string {
  return String(97 - Number(BigInt(first13) % 97n)).padStart(2, '0')
}

async function statusText(device: Device): Promise<string> {
  return ((await device.status().textContent()) ?? '').replace(/\s+/g, ' ').trim()
}

/** 'En ligne', 'Hors ligne', …: the first words of the indicator, before the pending count. */
async function connection(device: Device): Promise<string> {
  return (await statusText(device)).replace(/ \d+ modifications? en attente.*$/, '')
}

async function pendingChanges(device: Device): Promise<number> {
  const match = /(\d+) modifications? en attente/.exec(await statusText(device))
  if (!match) throw new Error(`No pending count in the sync indicator of ${device.name}: "${await statusText(device)}"`)
  return Number(match[1])
}

function nav(page: Page, name: 'Agenda' | 'Patients' | 'Réglages'): Locator {
  return page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name, exact: true })
}

function patientLinks(page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Liste des patients' }).getByRole('link').allTextContents()
}

/** Text of the elements a control's aria-describedby points to. */
function description(control: Locator): Promise<string> {
  return control.evaluate((element) =>
    (element.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' ')
      .trim(),
  )
}

/** Resolves with navigator.onLine once the page receives `type`; start it before the switch. */
function nextNetworkEvent(page: Page, type: 'online' | 'offline'): Promise<boolean> {
  return page.evaluate(
    (eventType) =>
      new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no '${eventType}' event in 10 s`)), 10_000)
        window.addEventListener(
          eventType,
          () => {
            clearTimeout(timer)
            resolve(navigator.onLine)
          },
          { once: true },
        )
      }),
    type,
  )
}

async function addPatient(page: Page, patient: { birthName: string; firstNames: string }, nir?: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Nouveau patient' })
  await form.getByLabel('Nom de naissance').fill(patient.birthName)
  await form.getByLabel('Prénom(s)').fill(patient.firstNames)
  if (nir !== undefined) await form.getByLabel('NIR (numéro de sécurité sociale)').fill(nir)
  await form.getByRole('button', { name: 'Enregistrer le patient' }).click()
}

describe.sequential('two devices in Chromium, one relay', () => {
  /** What the steps hand to each other; null until the step that sets it has passed. */
  const shared: { day: string | null; joined: boolean; offlineEdits: boolean } = {
    day: null,
    joined: false,
    offlineEdits: false,
  }
  const today = TEST_TODAY

  const setup = useTwoDevices()

  it('1. creates a practice on device A, which shows the agenda and goes online', async () => {
    const { a, relay } = setup()
    const page = a.page
    await page.getByRole('heading', { level: 1, name: 'Bienvenue dans Tournée' }).waitFor()
    await page.getByRole('button', { name: 'Créer un cabinet' }).click()

    expect(await page.getByLabel('Adresse du relais').inputValue(), 'relay address prefilled with the page origin').toBe(relay.url)
    await page.getByLabel('Nom du cabinet').fill(PRACTICE.name)
    const practitioner = page.getByRole('group', { name: 'Premier praticien' })
    await practitioner.getByLabel('Nom affiché').fill(PRACTICE.practitioner)
    await practitioner.getByLabel('Profession').selectOption({ label: 'Masseur-kinésithérapeute' })
    await page.getByRole('button', { name: 'Créer le cabinet' }).click()

    await nav(page, 'Agenda').waitFor()
    expect(await nav(page, 'Agenda').getAttribute('aria-current')).toBe('page')
    const day = (await page.getByRole('heading', { level: 1 }).textContent()) ?? ''
    expect(day, 'the agenda opens on a day').toMatch(/^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d/)
    await eventually(() => connection(a), 'device A reaches the relay').toBe('En ligne')
    await eventually(() => pendingChanges(a), 'the new practice is acknowledged by the relay').toBe(0)
    shared.day = day
  })

  it('2. pairs device B: B shows a code, A types it, both show the same six digits, A accepts, and B says who holds it', async () => {
    const { a, b } = setup()
    const day = need(shared.day, 'a practice on A (step 1)')

    const code = await showJoiningCode(b.page)
    // Nothing on B's screen reads the practice: a code to type, then six digits to compare.
    expect(await b.page.locator('body').innerText()).not.toMatch(/TOURNEE1\./)
    await nav(a.page, 'Réglages').click()
    const adding = a.page.getByRole('region', { name: 'Ajouter un appareil' })
    await adding.getByLabel('Code affiché sur le nouvel appareil').fill(`${code.slice(0, 5).toLowerCase()} ${code.slice(5)}`)
    await adding.getByRole('button', { name: 'Continuer' }).click()
    const digits = await confirmationShown(a.page)
    expect(digits).toMatch(/^\d{6}$/)
    expect(await confirmationShown(b.page), 'both screens show the same confirmation code').toBe(digits)
    await adding.getByRole('button', { name: "Codes identiques : ajouter l'appareil" }).click()
    await adding.getByText('Appareil ajouté').waitFor()

    await b.page.getByRole('heading', { level: 1, name: 'Qui êtes-vous ?' }).waitFor()
    const choices = b.page.getByRole('list', { name: 'Praticiens du cabinet' })
    // The list fills in when the directory arrives from A through the relay.
    await choices.getByRole('button', { name: new RegExp(`^${PRACTICE.practitioner}`) }).click()

    await b.page.getByRole('heading', { level: 1, name: day }).waitFor()
    await nav(b.page, 'Agenda').waitFor()
    await eventually(() => connection(b), 'device B reaches the relay').toBe('En ligne')
    shared.joined = true
  })

  it('3. a patient and an appointment added on A appear on B without a reload', async () => {
    const { a, b, relay } = setup()
    const day = need(shared.day, 'a practice on A (step 1)')
    need(shared.joined, 'device B paired (step 2)')

    // B watches the patient list while A types.
    await nav(b.page, 'Patients').click()
    await b.page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor()
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await a.page.getByText('Patient enregistré.').waitFor()
    expect(await patientLinks(a.page)).toContain(PATIENT.display)
    await eventually(() => patientLinks(b.page), 'the new patient reaches B').toContain(PATIENT.display)

    // Both on today's agenda (addressed by date, so that both mean the same day).
    await b.page.goto(`${relay.url}/#/agenda/${today}`)
    await a.page.goto(`${relay.url}/#/agenda/${today}`)
    await a.page.getByRole('heading', { level: 1, name: day }).waitFor()
    await b.page.getByRole('heading', { level: 1, name: day }).waitFor()
    await addAppointment(a.page, { start: '09:00', patient: PATIENT.display, title: FIRST_VISIT })

    const visit = new RegExp(`${PATIENT.display} · ${FIRST_VISIT}`)
    await eventually(async () => (await agendaRows(a.page, day)).join('\n'), 'the appointment is listed on A').toMatch(visit)
    await eventually(async () => (await agendaRows(b.page, day)).join('\n'), 'the appointment reaches B').toMatch(visit)
    await eventually(() => pendingChanges(a), 'A has nothing left to send').toBe(0)
  })

  it('4. edits made on both sides while B is offline merge when B comes back', async () => {
    const { a, b } = setup()
    const day = need(shared.day, 'a practice on A (step 1)')
    need(shared.joined, 'device B paired (step 2)')

    const offlineEvent = nextNetworkEvent(b.page, 'offline')
    await b.context.setOffline(true)
    expect(await offlineEvent, "Chromium fires 'offline' on setOffline(true), with navigator.onLine false").toBe(false)
    await eventually(() => connection(b), 'B shows it is offline').toBe('Hors ligne')

    await addAppointment(a.page, { start: '12:00', title: OFFLINE_EDIT_A })
    await addAppointment(b.page, { start: '14:00', patient: PATIENT.display, title: OFFLINE_EDIT_B, place: 'Domicile' })
    await nav(b.page, 'Patients').click()
    await addPatient(b.page, OFFLINE_PATIENT)
    await b.page.getByText('Patient enregistré.').waitFor()

    await eventually(() => pendingChanges(b), 'B counts its offline edits as pending').toBeGreaterThanOrEqual(1)
    expect(await connection(b)).toBe('Hors ligne')
    // Once the relay holds A's edit, an online B would have it within moments: B must not.
    await eventually(() => pendingChanges(a), "the relay acknowledges A's edit").toBe(0)
    await nav(b.page, 'Agenda').click()
    await b.page.getByRole('heading', { level: 1, name: day }).waitFor()
    expect((await agendaRows(b.page, day)).join('\n'), 'offline B does not receive A’s edit').not.toContain(OFFLINE_EDIT_A)

    const onlineEvent = nextNetworkEvent(b.page, 'online')
    await b.context.setOffline(false)
    expect(await onlineEvent, "Chromium fires 'online' on setOffline(false)").toBe(true)

    await eventually(() => pendingChanges(b), "the relay acknowledges B's offline edits").toBe(0)
    await eventually(() => connection(b), 'B is back online').toBe('En ligne')
    for (const device of [a, b]) {
      await eventually(async () => (await agendaRows(device.page, day)).join('\n'), `both offline edits on ${device.name}`).toMatch(
        new RegExp(`${OFFLINE_EDIT_A}[\\s\\S]*${OFFLINE_EDIT_B}`),
      )
    }
    expect((await agendaRows(a.page, day)).join('\n'), 'B’s home visit keeps its place on A').toMatch(/À domicile/)
    await nav(a.page, 'Patients').click()
    await eventually(() => patientLinks(a.page), 'the patient B added offline reaches A').toContain(OFFLINE_PATIENT.display)
    shared.offlineEdits = true
  })

  it('5. with the relay down, a reopened device shows its data from IndexedDB and says it is offline', async () => {
    const { a, b, relay } = setup()
    const day = need(shared.day, 'a practice on A (step 1)')
    need(shared.offlineEdits, 'the edits of step 4')
    await eventually(() => pendingChanges(a), 'A has sent everything before the relay goes down').toBe(0)

    // The relay process is really stopped (blocking its routes with `context.route('**/v1/**')`
    // would not cut the sync: routes do not see WebSockets). The page itself comes from the
    // service worker's precache; whatever A shows must come from its IndexedDB.
    await relay.stop()
    try {
      const started = performance.now()
      const page = await a.reopen(`/#/agenda/${today}`)
      await page.getByRole('heading', { level: 1, name: day }).waitFor()
      console.log(`e2e-figure: reopen-relay-down-to-agenda-heading ${Math.round(performance.now() - started)}`)
      await page.getByRole('list', { name: new RegExp(`^Rendez-vous de .+, ${day}$`) }).first().waitFor()
      console.log(`e2e-figure: reopen-relay-down-to-appointments ${Math.round(performance.now() - started)}`)

      // The day's columns are drawn before its month doc has opened (the freshness line says it is
      // loading meanwhile): the rows are read until they are there, not at the columns' first frame.
      for (const expected of [FIRST_VISIT, OFFLINE_EDIT_A, OFFLINE_EDIT_B]) {
        await eventually(async () => (await agendaRows(page, day)).join('\n'), 'appointments read from IndexedDB').toContain(expected)
      }
      await eventually(() => connection(a), 'A knows the relay is unreachable').toBe('Hors ligne')
      // Not reached in this tab, yet A synced minutes ago: it says when (kept on the device), not « aucun échange ».
      expect(await statusText(a), 'the last exchange, from before the reload').toMatch(/Dernier échange : /)
      expect(await statusText(a)).not.toContain('Aucun échange avec le relais')
      // Everything was acknowledged before the tab closed: nothing may show as pending now.
      expect(await pendingChanges(a), 'acknowledged changes are not counted as pending after a reopen').toBe(0)
      await nav(page, 'Patients').click()
      await eventually(() => patientLinks(page), 'patients read from IndexedDB').toEqual(
        expect.arrayContaining([PATIENT.display, OFFLINE_PATIENT.display]),
      )
      expect(await connection(a)).toBe('Hors ligne')
    } finally {
      // The relay comes back on the same address, whatever happened above.
      await relay.restart()
    }

    // Both devices reconnect on their own, and A's count of unsent changes settles at 0.
    await eventually(() => connection(a), 'A reconnects once the relay is back', RECONNECT_TIMEOUT).toBe('En ligne')
    await eventually(() => pendingChanges(a), 'A has nothing pending once reconnected').toBe(0)
    await eventually(() => connection(b), 'B reconnects once the relay is back', RECONNECT_TIMEOUT).toBe('En ligne')

    // An ordinary reopen with the relay up, for comparison.
    const online = performance.now()
    const pageB = await b.reopen(`/#/agenda/${today}`)
    await pageB.getByRole('heading', { level: 1, name: day }).waitFor()
    console.log(`e2e-figure: reopen-online-to-agenda-heading ${Math.round(performance.now() - online)}`)
    await eventually(async () => (await agendaRows(pageB, day)).length, 'B lists the day after its reopen').toBe(3)
    await eventually(() => connection(b), 'B reopened online').toBe('En ligne')
  })

  it('6. a mistyped code is refused on A, a sealed pairing altered on the way is refused on C, and nothing is stored', async () => {
    const fixtureNow = setup()
    const { a } = fixtureNow
    need(shared.joined, 'device B paired (step 2)')
    const c = await fixtureNow.openDevice('C')
    try {
      const page = c.page
      // The relay's answer that carries the sealed keys is altered on its way to C: one bit.
      await page.route(/\/v1\/pairings\/[0-9A-Z]{10}$/, async (route) => {
        const response = await route.fetch()
        const state = (await response.json()) as { state: string; sealed?: string }
        if (state.state === 'sealed' && state.sealed) {
          const last = state.sealed.at(-2) === 'A' ? 'B' : 'A'
          state.sealed = state.sealed.slice(0, -2) + last + state.sealed.slice(-1)
        }
        await route.fulfill({ response, json: state })
      })
      const code = await showJoiningCode(page)

      await nav(a.page, 'Réglages').click()
      const adding = a.page.getByRole('region', { name: 'Ajouter un appareil' })
      const field = adding.getByLabel('Code affiché sur le nouvel appareil')
      const wrong = (code[0] === '7' ? '8' : '7') + code.slice(1)
      await field.fill(wrong)
      await adding.getByRole('button', { name: 'Continuer' }).click()
      const unknown = "Aucun appareil n'attend sous ce code"
      await adding.getByText(unknown).first().waitFor()
      expect(await field.getAttribute('aria-invalid')).toBe('true')
      expect(await description(field)).toContain(unknown)

      await acceptDevice(a.page, code, page)
      const reason = "L'appairage a été altéré en chemin : rien n'a été enregistré."
      await page.getByRole('alert').filter({ hasText: reason }).waitFor()

      const stored = await page.evaluate(async () => {
        const names = (await indexedDB.databases()).map((d) => d.name ?? '')
        const practices = await new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('tournee-device')
          open.onerror = () => reject(open.error)
          open.onsuccess = () => {
            const db = open.result
            if (!db.objectStoreNames.contains('practices')) return resolve(0)
            const count = db.transaction('practices').objectStore('practices').count()
            count.onsuccess = () => resolve(count.result)
            count.onerror = () => reject(count.error)
          }
        })
        return { spaces: names.filter((n) => n.startsWith('tournee-space-')), practices }
      })
      expect(stored, 'no practice record and no space database').toEqual({ spaces: [], practices: 0 })
      await page.reload()
      await page.getByRole('heading', { level: 1, name: 'Bienvenue dans Tournée' }).waitFor()
    } finally {
      await c.context.close()
    }
  })

  it('7. a NIR with a wrong key is flagged on its field, then saved once corrected', async () => {
    const { a } = setup()
    need(shared.joined, 'a practice (steps 1–2)')
    const page = a.page
    await nav(page, 'Patients').click()

    const first13 = '1580375123456'
    const key = nirKey(first13)
    const wrongKey = String(((Number(key) + 1) % 97) + 1).padStart(2, '0')
    expect(wrongKey).not.toBe(key)
    const spaced = (k: string) => `1 58 03 75 123 456 ${k}`

    await addPatient(page, NIR_PATIENT, spaced(wrongKey))
    const nir = page.getByLabel('NIR (numéro de sécurité sociale)')
    await eventually(() => nir.getAttribute('aria-invalid'), 'the NIR field is flagged').toBe('true')
    expect(await description(nir)).toBe('Clé du NIR incorrecte : vérifiez les chiffres saisis.')
    expect(await page.getByText('Patient enregistré.').count()).toBe(0)
    expect(await patientLinks(page)).not.toContain(NIR_PATIENT.display)

    await nir.fill(spaced(key))
    await page.getByRole('form', { name: 'Nouveau patient' }).getByRole('button', { name: 'Enregistrer le patient' }).click()
    await page.getByText('Patient enregistré.').waitFor()
    expect(await nir.getAttribute('aria-invalid')).toBeNull()
    await eventually(() => patientLinks(page), 'the corrected patient is listed').toContain(NIR_PATIENT.display)
  })

  it('8. screenshots of the agenda and the patient list for the README (no pairing code)', async () => {
    const { a } = setup()
    const day = need(shared.day, 'a practice on A (step 1)')
    mkdirSync(screenshotDir, { recursive: true })
    const page = a.page
    await nav(page, 'Agenda').click()
    await page.getByRole('list', { name: new RegExp(`^Rendez-vous de .+, ${day}$`) }).first().waitFor()
    await eventually(() => connection(a), 'A online for the screenshot').toBe('En ligne')
    await page.screenshot({ path: `${screenshotDir}agenda-today.png`, animations: 'disabled' })

    await nav(page, 'Patients').click()
    await page.getByRole('list', { name: 'Liste des patients' }).waitFor()
    await page.screenshot({ path: `${screenshotDir}patients.png`, animations: 'disabled' })
  })
})
