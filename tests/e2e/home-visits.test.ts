/**
 * The home-visit list (« Tournée ») in real Chromium. The practice is created in the browser; a
 * colleague's device — a Node device joined with the pairing code through the real relay — books
 * the patients and the visits with the model API (so this test does not depend on the appointment
 * editor). The browser shows the round in order with working phone and maps links, and a visit
 * marked « Fait » while offline reaches the colleague's device after reconnection.
 */
// The colleague's Node device keeps its storage in fake-indexeddb, as in the cross-part tests.
import 'fake-indexeddb/auto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { routeHref } from '../../client/src/app/route'
import type { OpenPractice } from '../../client/src/sync/device/device'
import type { Actor, AppointmentInput, PatientInput } from '../../shared/src/model'
import {
  DIRECTORY_DOC_ID,
  addAppointment,
  addPatient,
  addPractitioner,
  agendaDocId,
  getAppointment,
  listPractitioners,
  monthOf,
} from '../../shared/src/model'
import { nodeDeviceEnvironment } from '../helpers/node-device'
import { TEST_TODAY, testClock } from '../helpers/test-clock'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { openDevice } from './helpers/browser'
import type { Device } from './helpers/browser'
import { createPractice, eventually, nav, pairNodeDevice, pendingChanges, statusText } from './helpers/practice-steps'

// The README's screenshots are refreshed on request (TOURNEE_SCREENSHOTS=1 npm run test:e2e); an
// ordinary run writes them to a scratch folder, so the work tree stays clean.
const screenshotDir = process.env.TOURNEE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), 'tournee-e2e-screenshots/')

const PRACTICE = { name: 'Cabinet de la Croix-Rousse', practitioner: 'Mathilde Rocheblave' }
const DAY = '2026-11-23'
const MONTH = monthOf(DAY)

/**
 * The address the screen writes for DAY's round: routeHref's, with no date when DAY is today in
 * the practice's zone (the test's, which the browser's clock shares: the app names no date for
 * today, so the address then follows the days).
 */
function dayRoundHref(practitionerId: string | null): string {
  return routeHref({ view: 'tournee', date: DAY === TEST_TODAY ? null : DAY, practitionerId })
}

/** Names nobody else types, so that a match can only be what this test wrote. */
const PATIENTS = {
  first: {
    birthName: 'Vaucanson',
    firstNames: 'Aurélienne',
    phones: ['06 12 34 56 78'],
    address: { line1: '12 rue des Fantasques', postalCode: '69004', city: 'Lyon', accessNotes: 'Code 4821B, 3e étage sans ascenseur' },
  },
  second: {
    birthName: 'Trichardière',
    firstNames: 'Basile',
    phones: ['+33 6 98 76 54 32'],
    address: { line1: '3 montée de la Grande-Côte', postalCode: '69001', city: 'Lyon' },
  },
  third: { birthName: 'Escoffrey', firstNames: 'Cunégonde', address: { line1: '8 place Colbert', postalCode: '69001', city: 'Lyon' } },
  fourth: { birthName: 'Mandrillon', firstNames: 'Désiré', phones: ['04 78 00 11 22'], address: { line1: '40 boulevard des Canuts', postalCode: '69004', city: 'Lyon' } },
  colleagues: { birthName: 'Pélissonnier', firstNames: 'Edmée', address: { line1: '5 rue Dumenge', postalCode: '69004', city: 'Lyon' } },
} satisfies Record<string, PatientInput>

/** The second visit goes to the patient's daughter's flat this time: the appointment's address. */
const SECOND_VISIT_ADDRESS = { line1: '27 rue Belfort', postalCode: '69004', city: 'Lyon', accessNotes: 'Interphone « Trichardière-Roux »' }

function display(p: { birthName: string; firstNames: string }): string {
  return `${p.birthName} ${p.firstNames}`
}

function round(page: Page): Locator {
  return page.getByRole('list', { name: `Visites à domicile du lundi 23 novembre` })
}

function visitRow(page: Page, patient: { birthName: string; firstNames: string }): Locator {
  return round(page).getByRole('listitem', { name: display(patient) })
}

function text(locator: Locator): Promise<string> {
  return locator.textContent().then((t) => (t ?? '').replace(/\s+/g, ' ').trim())
}

describe('the home-visit round', () => {
  const shared = useAppRelayAndBrowser()
  let device: Device
  let colleague: OpenPractice
  let colleagueActor: Actor
  const ids: Record<string, string> = {}
  let practitionerId: string
  let otherPractitionerId: string

  it('a colleague’s device joins the practice created in the browser and books the day’s visits', async () => {
    device = await openDevice(shared.browser, shared.relay, 'tablette')
    await createPractice(device.page, PRACTICE)
    colleague = await pairNodeDevice(device.page, nodeDeviceEnvironment('collegue'))
    shared.closeAfter(colleague)
    const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
    await eventually(() => listPractitioners(directory).items.map((p) => p.displayName), 'the directory reaches the colleague').toEqual([
      PRACTICE.practitioner,
    ])
    practitionerId = listPractitioners(directory).items[0]!.id
    colleagueActor = { memberId: practitionerId, deviceId: colleague.record.deviceId }
    const clock = testClock
    otherPractitionerId = addPractitioner(directory, { displayName: 'Hugo Marchetti', profession: 'infirmier' }, colleagueActor, clock)
    for (const [key, patient] of Object.entries(PATIENTS)) ids[key] = addPatient(directory, patient, colleagueActor, clock)

    const agenda = await colleague.space.openDoc(agendaDocId(MONTH))
    const book = (key: keyof typeof PATIENTS, start: string, durationMin: number, more: Partial<AppointmentInput> = {}) => {
      ids[`visit-${key}`] = addAppointment(
        agenda,
        { start: `${DAY}T${start}`, durationMin, practitionerId, patientId: ids[key]!, place: 'home', ...more },
        colleagueActor,
        clock,
      )
    }
    // Booked out of order on purpose; the round sorts them.
    book('fourth', '11:00', 30)
    book('second', '09:15', 45, { address: SECOND_VISIT_ADDRESS, note: 'Apporter le tensiomètre' })
    book('first', '08:30', 30)
    book('third', '10:20', 60)
    // Not on this round: at the practice, cancelled, another day, another practitioner.
    book('colleagues', '08:00', 30, { place: 'practice' })
    book('colleagues', '12:00', 30, { status: 'cancelled', cancelReason: 'Hospitalisée' })
    ids['visit-colleagues'] = addAppointment(
      agenda,
      { start: `${DAY}T14:00`, durationMin: 30, practitionerId: otherPractitionerId, patientId: ids.colleagues!, place: 'home' },
      colleagueActor,
      clock,
    )
    addAppointment(agenda, { start: '2026-11-24T09:00', durationMin: 30, practitionerId, patientId: ids.first!, place: 'home' }, colleagueActor, clock)
    await colleague.space.whenAcknowledged()
  })

  it('shows the day’s visits in order with address, access notes, phone and maps links, and the gaps', async () => {
    const { page } = device
    await nav(page, 'Tournée').click()
    await page.getByRole('heading', { level: 1, name: /^Tournée du / }).waitFor()
    await page.goto(`${shared.relay.url}/#/tournee/${DAY}`)
    await page.getByRole('heading', { level: 1, name: 'Tournée du lundi 23 novembre' }).waitFor()
    expect(await page.getByLabel('Praticien').inputValue()).toBe(practitionerId)

    const names = () => round(page).getByRole('heading', { level: 2 }).allTextContents()
    await eventually(names, 'the round lists the home visits in time order').toEqual([
      display(PATIENTS.first),
      display(PATIENTS.second),
      display(PATIENTS.third),
      display(PATIENTS.fourth),
    ])
    expect(await text(page.getByText(/visites à domicile ·/))).toBe('4 visites à domicile · 2 visites se chevauchent')

    const first = visitRow(page, PATIENTS.first)
    expect(await text(first.locator('address'))).toBe('12 rue des Fantasques, 69004 Lyon')
    expect(await text(first.locator('p', { hasText: 'Accès :' }))).toBe('Accès : Code 4821B, 3e étage sans ascenseur')
    const call = first.getByRole('link', { name: 'Appeler Vaucanson Aurélienne au 06 12 34 56 78' })
    expect(await call.getAttribute('href')).toBe('tel:0612345678')
    const maps = first.getByRole('link', { name: "Ouvrir l'adresse de Vaucanson Aurélienne dans les plans" })
    // Chromium on Linux is neither Apple nor Android: the address opens on OpenStreetMap.
    expect(await maps.getAttribute('href')).toBe('https://www.openstreetmap.org/search?query=12%20rue%20des%20Fantasques%2C%2069004%20Lyon')
    expect(await text(first)).toContain('8 h 30')
    expect(await text(first)).toContain("jusqu'à 9 h")
    // « jusqu'à … » stays in its column: it never runs into the address beside it.
    const until = await first.getByText(/^jusqu'à/).boundingBox()
    const address = await first.locator('address').boundingBox()
    expect(until!.x + until!.width, "« jusqu'à » ends before the address starts").toBeLessThanOrEqual(address!.x)
    expect(await text(first)).toContain('15 min libres avant la visite suivante')

    const second = visitRow(page, PATIENTS.second)
    expect(await text(second.locator('address'))).toBe('27 rue Belfort, 69004 Lyon · adresse de la visite')
    expect(await text(second.locator('p', { hasText: 'Accès :' }))).toBe('Accès : Interphone « Trichardière-Roux »')
    expect(await second.getByRole('link', { name: /^Appeler Trichardière Basile/ }).getAttribute('href')).toBe('tel:+33698765432')
    expect(await text(second)).toContain('Apporter le tensiomètre')
    expect(await text(second)).toContain('20 min libres avant la visite suivante')

    // 10:20 + 60 min runs to 11:20, the next starts at 11:00.
    const third = visitRow(page, PATIENTS.third)
    expect(await text(third)).toContain('La visite suivante commence 20 min avant la fin de celle-ci')
    expect(await text(third)).toContain('Chevauche une autre visite')
    expect(await third.getByRole('link', { name: /^Appeler/ }).count()).toBe(0)
    expect(await text(third)).toContain('Pas de téléphone')
    const fourth = visitRow(page, PATIENTS.fourth)
    expect(await text(fourth)).toContain('Chevauche une autre visite')
    expect(await text(fourth)).not.toContain('libres avant')

    // Tapping the maps link opens the address in a new tab (answered locally: no internet here).
    await device.context.route('https://www.openstreetmap.org/**', (route) => route.fulfill({ contentType: 'text/html', body: '<title>Carte</title>' }))
    const [popup] = await Promise.all([device.context.waitForEvent('page'), maps.click()])
    await popup.waitForLoadState()
    expect(new URL(popup.url()).searchParams.get('query')).toBe('12 rue des Fantasques, 69004 Lyon')
    await popup.close()

    // The hash names the day only: no patient data in the URL.
    expect(new URL(page.url()).hash).toBe(`#/tournee/${DAY}`)
    device.assertHealthy()
  })

  it('shows another practitioner’s round when chosen, by id in the address', async () => {
    const { page } = device
    await page.getByLabel('Praticien').selectOption({ label: 'Hugo Marchetti' })
    await eventually(() => round(page).getByRole('heading', { level: 2 }).allTextContents(), 'Hugo’s round').toEqual([display(PATIENTS.colleagues)])
    expect(new URL(page.url()).hash).toBe(dayRoundHref(otherPractitionerId))
    await page.getByLabel('Praticien').selectOption({ label: PRACTICE.practitioner })
    await eventually(() => round(page).getByRole('listitem').count(), 'back to one’s own round').toBe(4)
    expect(new URL(page.url()).hash).toBe(dayRoundHref(null))
  })

  it('is photographed on a tablet, landscape and portrait', async () => {
    const { page } = device
    await page.setViewportSize({ width: 1024, height: 768 })
    await visitRow(page, PATIENTS.first).waitFor()
    await page.screenshot({ path: join(screenshotDir, 'tournee-1024x768.png') })
    await page.setViewportSize({ width: 768, height: 1024 })
    await visitRow(page, PATIENTS.first).getByRole('button', { name: 'Fait', exact: true }).waitFor()
    await page.screenshot({ path: join(screenshotDir, 'tournee-768x1024.png') })
    await page.setViewportSize({ width: 1024, height: 768 })
  })

  it('« Fait » tapped offline is kept, and reaches the colleague’s device after reconnection', async () => {
    const { page } = device
    await device.context.setOffline(true)
    await eventually(() => statusText(device), 'the tablet shows it is offline').toMatch(/^Hors ligne/)

    const first = visitRow(page, PATIENTS.first)
    await first.getByRole('button', { name: 'Fait', exact: true }).click()
    await first.getByText('Visite faite').waitFor()
    expect(await first.getByRole('button', { name: 'Fait', exact: true }).count()).toBe(0)
    await eventually(() => pendingChanges(device), 'the tablet counts the change as pending').toBeGreaterThanOrEqual(1)
    const agenda = await colleague.space.openDoc(agendaDocId(MONTH))
    expect(getAppointment(agenda, ids['visit-first']!)?.status, 'offline: the colleague has not got it').toBe('booked')

    await device.context.setOffline(false)
    await eventually(() => getAppointment(agenda, ids['visit-first']!)?.status, 'the colleague gets « fait » after reconnection').toBe('fulfilled')
    expect(getAppointment(agenda, ids['visit-first']!)?.updatedBy.memberId).toBe(practitionerId)
    // The other visits are untouched.
    expect(getAppointment(agenda, ids['visit-second']!)?.status).toBe('booked')
    await eventually(() => pendingChanges(device), 'the tablet has nothing left to send').toBe(0)
    device.assertHealthy()
  })
})
