/**
 * A patient's page lists their upcoming and past appointments (date, time, kind, status,
 * practitioner) and calls them (`tel:`), in real Chromium. A colleague's Node device, joined with
 * the pairing code through the real relay, books the appointments over fourteen months with the
 * model API and keeps the directory's index of each patient's months as the app does
 * (bindPatientMonthIndex); the browser opens only the months the index lists, shows the recent
 * past first and the older on demand, and follows a booking made in its own agenda. A new session
 * note is dated and linked to the session it documents.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/patient-appointments.test.ts`.
 */
// The colleague's Node device keeps its storage in fake-indexeddb, as in the cross-part tests.
import 'fake-indexeddb/auto'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { OpenPractice } from '../../client/src/sync/device/device'
import type { Actor } from '../../shared/src/model'
import {
  DIRECTORY_DOC_ID,
  addAppointment,
  addDays,
  addPatient,
  agendaDocId,
  bindPatientMonthIndex,
  formatDayFr,
  listAppointmentKinds,
  listPractitioners,
  monthOf,
  patientMonths,
} from '../../shared/src/model'
import { nodeDeviceEnvironment } from '../helpers/node-device'
import { TEST_TODAY, testClock } from '../helpers/test-clock'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { openDevice } from './helpers/browser'
import type { Device } from './helpers/browser'
import { addAppointment as bookInBrowser, createPractice, eventually, nav, pairNodeDevice } from './helpers/practice-steps'

const screenshotDir = process.env.TOURNEE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), 'tournee-e2e-screenshots/')

const PRACTICE = { name: 'Cabinet du Prieuré', practitioner: 'Margaux Vernhes' }
const PATIENT = { birthName: 'Castelbajac', firstNames: 'Ermengarde', phones: ['06 12 34 56 78'], birthDate: '1948-06-21' }
const DISPLAY = 'Castelbajac Ermengarde'

/** 'lundi 23 novembre 2026 à 9 h' as the page writes a date and a time. */
function when(date: string, time: string): string {
  const [hour, minute] = time.split(':')
  return `${formatDayFr(date)} ${date.slice(0, 4)} à ${Number(hour)} h${minute === '00' ? '' : ` ${minute}`}`
}

function list(page: Page, name: 'À venir' | 'Passés'): Locator {
  return page.getByRole('list', { name })
}

function rows(page: Page, name: 'À venir' | 'Passés'): Promise<string[]> {
  return list(page, name)
    .getByRole('listitem')
    .allTextContents()
    .catch(() => [])
}

describe('a patient’s appointments on their page', () => {
  const shared = useAppRelayAndBrowser()
  let device: Device
  let colleague: OpenPractice
  let patientId = ''
  // Fixed offsets from the test's day, whatever day the suite runs at.
  const nextWeek = addDays(TEST_TODAY, 7)
  const inTwoMonths = addDays(TEST_TODAY, 61)
  const lastMonth = addDays(TEST_TODAY, -31)
  const threeMonthsAgo = addDays(TEST_TODAY, -95)
  const longAgo = addDays(TEST_TODAY, -430)

  it('1. a colleague books the patient over fourteen months; the index lists those months only', async () => {
    device = await openDevice(shared.browser, shared.relay, 'tablette')
    await createPractice(device.page, PRACTICE)
    colleague = await pairNodeDevice(device.page, nodeDeviceEnvironment('collegue'))
    shared.closeAfter(colleague)
    const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
    await eventually(() => listPractitioners(directory).items.length, 'the directory reaches the colleague').toBe(1)
    const practitionerId = listPractitioners(directory).items[0]!.id
    const actor: Actor = { memberId: practitionerId, deviceId: colleague.record.deviceId }
    const kinds = new Map(listAppointmentKinds(directory).items.map((k) => [k.label, k.id]))
    patientId = addPatient(directory, PATIENT, actor, testClock)
    const other = addPatient(directory, { birthName: 'Aubertin', firstNames: 'Odon' }, actor, testClock)

    const book = async (date: string, time: string, kind: string, more: { status?: 'cancelled'; patientId?: string } = {}) => {
      const month = await colleague.space.openDoc(agendaDocId(monthOf(date)))
      const unbind = bindPatientMonthIndex(directory, month)
      addAppointment(
        month,
        { start: `${date}T${time}`, durationMin: 30, practitionerId, patientId, kindId: kinds.get(kind), ...more },
        actor,
        testClock,
      )
      unbind()
    }
    await book(longAgo, '09:00', 'Bilan')
    await book(threeMonthsAgo, '14:00', 'Séance')
    await book(lastMonth, '10:30', 'Séance')
    await book(lastMonth, '11:00', 'Séance', { status: 'cancelled' })
    await book(nextWeek, '08:45', 'Séance')
    await book(inTwoMonths, '17:15', 'Bilan')
    await book(nextWeek, '09:30', 'Séance', { patientId: other })
    expect(patientMonths(directory, patientId)).toEqual({
      months: [...new Set([longAgo, threeMonthsAgo, lastMonth, nextWeek, inTwoMonths].map(monthOf))].sort(),
      complete: true,
    })
    await colleague.space.whenAcknowledged()
  })

  it('2. the page lists upcoming and recent past appointments, the older ones on demand, and calls the patient', async () => {
    const { page } = device
    await nav(page, 'Patients').click()
    await page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(DISPLAY) }).click({ timeout: 20_000 })
    await page.getByRole('heading', { level: 1, name: DISPLAY }).waitFor()

    await eventually(() => rows(page, 'À venir'), 'upcoming, soonest first').toEqual([
      `${when(nextWeek, '08:45')}Séance · prévu · ${PRACTICE.practitioner}`,
      `${when(inTwoMonths, '17:15')}Bilan · prévu · ${PRACTICE.practitioner}`,
    ])
    // The two most recent past months with appointments, newest first; the month of fourteen
    // months ago is not opened until asked for.
    expect(await rows(page, 'Passés')).toEqual([
      `${when(lastMonth, '11:00')}Séance · annulé · ${PRACTICE.practitioner}`,
      `${when(lastMonth, '10:30')}Séance · prévu · ${PRACTICE.practitioner}`,
      `${when(threeMonthsAgo, '14:00')}Séance · prévu · ${PRACTICE.practitioner}`,
    ])
    await page.getByRole('button', { name: 'Afficher les rendez-vous plus anciens (1 mois de plus)' }).click()
    await eventually(() => rows(page, 'Passés'), 'the older month opened on demand').toHaveLength(4)
    expect((await rows(page, 'Passés')).at(-1)).toBe(`${when(longAgo, '09:00')}Bilan · prévu · ${PRACTICE.practitioner}`)
    expect(await page.getByRole('button', { name: /plus anciens/ }).count()).toBe(0)

    const call = page.getByRole('link', { name: 'Appeler le 06 12 34 56 78' })
    expect(await call.getAttribute('href')).toBe('tel:0612345678')
    // Each appointment leads to its day in the agenda.
    expect(await list(page, 'À venir').getByRole('link').first().getAttribute('href')).toBe(`#/agenda/jour/${nextWeek}`)

    mkdirSync(screenshotDir, { recursive: true })
    await page.mouse.move(0, 0)
    const section = page.getByRole('region', { name: 'Rendez-vous' })
    await section.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(screenshotDir, 'patient-appointments-1024x768.png'), animations: 'disabled' })
    await page.setViewportSize({ width: 768, height: 1024 })
    await section.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(screenshotDir, 'patient-appointments-768x1024.png'), animations: 'disabled' })
    await page.setViewportSize({ width: 1024, height: 768 })
  })

  it('3. a session booked in this browser’s agenda today shows on the page, and a new note is dated and linked to it', async () => {
    const { page } = device
    await nav(page, 'Agenda').click()
    // 08:00 today: before the test clock's 10:00, so it has started when the note is written.
    await bookInBrowser(page, { start: '08:00', patient: DISPLAY })
    await nav(page, 'Patients').click()
    await page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(DISPLAY) }).click()
    await eventually(() => rows(page, 'Passés'), "today's session, first of the past ones").toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${when(TEST_TODAY, '08:00')}`))]),
    )
    expect((await rows(page, 'Passés'))[0]).toMatch(new RegExp(`^${when(TEST_TODAY, '08:00')}`))

    await page.getByRole('button', { name: 'Nouvelle note de séance' }).click()
    const note = page.getByRole('article', { name: /^Séance du / }).first()
    await note.waitFor()
    expect(await note.getByRole('textbox', { name: 'Date' }).inputValue()).toBe(TEST_TODAY.split('-').reverse().join('/'))
    expect(await note.getByLabel('Rendez-vous lié').locator('option:checked').textContent()).toMatch(/à 8 h$/)
    device.assertHealthy()
  })
})
