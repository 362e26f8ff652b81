/**
 * « Consultations du dossier » in a real browser: two devices (two Chromium contexts) of two
 * practitioners and one relay process. A opens a patient's file; B's page of that patient shows
 * A's practitioner, A's device and the date; A's re-opening within minutes adds no line; a file
 * opened on A while offline shows on B once A is back.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/access-log.test.ts`.
 */
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { parseLocalDate } from '../../shared/src/model/dates'
import { TEST_TODAY } from '../helpers/test-clock'
import type { Device } from './helpers/browser'
import { acceptDevice, addPatient, createPractice, eventually, nav, pendingChanges, showJoiningCode, statusText } from './helpers/practice-steps'
import { need, useTwoDevices } from './helpers/step-fixture'

const PRACTICE = { name: 'Cabinet des Embruns', practitioner: 'Romane Delacroix' }
const SECOND = 'Hugo Marchetti'
const PATIENT = { birthName: 'Vaillancourt', firstNames: 'Anselme', display: 'Vaillancourt Anselme' }
const OFFLINE_PATIENT = { birthName: 'Keraudren', firstNames: 'Maïwenn', display: 'Keraudren Maïwenn' }

/** '18 novembre 2026': the test day as a French long date (the practice's zone is the test's). */
function frenchDate(day: string): string {
  const { year, month, day: dayOfMonth } = parseLocalDate(day)
  return new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    Date.UTC(year, month - 1, dayOfMonth, 12),
  )
}
const DATE = frenchDate(TEST_TODAY)
/** The devices' clocks start at 10:00 on the test day and flow with real time. */
const WHEN = `${DATE} à 10 h( \\d{2})?`

function openings(page: Page): Locator {
  return page.getByRole('list', { name: 'Consultations du dossier' }).getByRole('listitem')
}

async function openingLines(page: Page): Promise<string[]> {
  return (await openings(page).allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim())
}

async function openPatient(page: Page, display: string): Promise<void> {
  await nav(page, 'Patients').click()
  await page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(display) }).click({ timeout: 20_000 })
  await page.getByRole('heading', { level: 3, name: 'Consultations du dossier' }).waitFor()
}

async function connection(device: Device): Promise<string> {
  return (await statusText(device)).replace(/ \d+ modifications? en attente.*$/, '')
}

describe.sequential('the access log of a patient file, two devices', () => {
  const setup = useTwoDevices()
  const shared: { ready: boolean; deviceA: string | null } = { ready: false, deviceA: null }

  it('1. a practice on A, joined on B by a second practitioner, with two patients', async () => {
    const { a, b } = setup()
    await createPractice(a.page, PRACTICE)
    await acceptDevice(a.page, await showJoiningCode(b.page), b.page)
    await b.page.getByRole('heading', { level: 1, name: 'Qui êtes-vous ?' }).waitFor()
    // The directory has arrived once A's practitioner is listed: B then adds its own.
    await b.page.getByRole('list', { name: 'Praticiens du cabinet' }).getByRole('button', { name: new RegExp(`^${PRACTICE.practitioner}`) }).waitFor({ timeout: 20_000 })
    await b.page.getByLabel('Nom affiché').fill(SECOND)
    await b.page.getByRole('button', { name: 'Ajouter et continuer' }).click()
    await nav(b.page, 'Agenda').waitFor()

    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await addPatient(a.page, OFFLINE_PATIENT)
    shared.ready = true
  })

  it('2. A opens the file: its page lists the opening, by its practitioner on this device', async () => {
    const { a } = setup()
    need(shared.ready, 'the practice on both devices (step 1)')
    await openPatient(a.page, PATIENT.display)
    await eventually(() => openingLines(a.page), 'A lists its own opening').toHaveLength(1)
    const [line] = await openingLines(a.page)
    const match = new RegExp(`^${WHEN} · ${PRACTICE.practitioner} · cet appareil \\((.+…)\\)$`).exec(line ?? '')
    expect(match, `A's line: "${line}"`).not.toBeNull()
    shared.deviceA = match![2]!
    await eventually(() => pendingChanges(a), 'the opening reaches the relay').toBe(0)
  })

  it('3. B’s page of the patient shows « Consultations du dossier » with A’s practitioner, device and date', async () => {
    const { a, b } = setup()
    const deviceA = need(shared.deviceA, "A's opening (step 2)")
    await openPatient(b.page, PATIENT.display)
    const fromA = new RegExp(`^${WHEN} · ${PRACTICE.practitioner} · appareil ${deviceA.replace('…', '\\u2026')}$`)
    await eventually(async () => (await openingLines(b.page)).some((line) => fromA.test(line)), "A's opening shows on B").toBe(true)
    // Newest first: B's own opening, then A's.
    const lines = await openingLines(b.page)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^${WHEN} · ${SECOND} · cet appareil \\(`))
    expect(lines[1]).toMatch(fromA)

    // A leaves the page and comes back within minutes: no new line, and B's opening has arrived.
    await nav(a.page, 'Agenda').click()
    await openPatient(a.page, PATIENT.display)
    await eventually(() => openingLines(a.page), 'A lists B’s opening and its own, once').toHaveLength(2)
    expect((await openingLines(a.page))[0]).toMatch(new RegExp(` · ${SECOND} · appareil `))
  })

  it('4. a file opened on A while offline shows on B once A is back online', async () => {
    const { a, b } = setup()
    need(shared.deviceA, "A's opening (step 2)")
    await a.context.setOffline(true)
    await eventually(() => connection(a), 'A shows it is offline').toBe('Hors ligne')
    await openPatient(a.page, OFFLINE_PATIENT.display)
    await eventually(() => openingLines(a.page), 'A records the opening offline').toHaveLength(1)
    await a.context.setOffline(false)
    await eventually(() => pendingChanges(a), 'A sends the opening once back').toBe(0)

    await openPatient(b.page, OFFLINE_PATIENT.display)
    await eventually(() => openingLines(b.page), 'the offline opening reaches B').toHaveLength(2)
    expect((await openingLines(b.page))[1]).toMatch(new RegExp(`^${WHEN} · ${PRACTICE.practitioner} · appareil `))
  })
})
