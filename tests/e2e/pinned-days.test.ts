/**
 * The agenda, the week digest and the home-visit round on the days that break calendar code
 * (tests/helpers/pinned-days.ts: a year's last and first day, both DST changes in Paris, a week
 * across two months, a 29 February), in real Chromium against a real relay: for each day, a
 * colleague's device books Monday, today and Sunday of today's week and publishes the digests; a
 * new tablet whose clock says that day joins, shows today, this week with all three (from the
 * week digest, then from the months' rooms, which may be two and in two years), and today's round.
 *
 * One relay and one Chromium for every day: each day is its own practice and its own tablet.
 */
import 'fake-indexeddb/auto'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { createPractice as createNodePractice } from '../../client/src/sync/device/device'
import { DIRECTORY_DOC_ID, addAppointment, addDays, addPatient, agendaDocId, formatDayFr, listPractitioners, monthOf, startOfWeek } from '../../shared/src/model'
import { nodeDeviceEnvironment } from '../helpers/node-device'
import { PINNED_TEST_DAYS } from '../helpers/pinned-days'
import { clockOn } from '../helpers/test-clock'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { openDevice } from './helpers/browser'
import { eventually, nav, pairFromNodeDevice } from './helpers/practice-steps'

const PRACTITIONER = 'Armelle Kerbrat'
const PATIENT = { birthName: 'Tréguier', firstNames: 'Maëlys', address: { line1: '4 rue des Dames', postalCode: '29000', city: 'Quimper' } }

/** The texts of the blocks in a day's columns, every practitioner's. */
async function blocksOn(page: Page, day: string): Promise<string[]> {
  const texts = await page.locator(`[data-column-day="${day}"]`).getByRole('listitem').allTextContents()
  return texts.map((text) => text.replace(/\s+/g, ' ').trim())
}

describe('the agenda on the days that break calendars', () => {
  const shared = useAppRelayAndBrowser()

  for (const day of PINNED_TEST_DAYS) {
    it(`on ${day}: today, this week (digest, then its month rooms) and today's round`, async () => {
      const clock = clockOn(day)
      const monday = startOfWeek(day)
      const sunday = addDays(monday, 6)
      const env = { ...nodeDeviceEnvironment(`collegue-${day}`), now: clock }
      const colleague = await createNodePractice(
        { relayUrl: shared.relay.url, practiceName: `Cabinet du ${day}`, practitioner: { displayName: PRACTITIONER, profession: 'kine' } },
        env,
      )
      shared.closeAfter(colleague)
      const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
      const practitionerId = listPractitioners(directory).items[0]!.id
      const actor = { memberId: practitionerId, deviceId: colleague.record.deviceId }
      const patientId = addPatient(directory, PATIENT, actor, clock)
      const book = async (date: string, time: string, more: { title: string } | { patientId: string; place: 'home' }) =>
        addAppointment(await colleague.space.openDoc(agendaDocId(monthOf(date))), { start: `${date}T${time}`, durationMin: 30, practitionerId, ...more }, actor, clock)
      await book(monday, '09:00', { title: 'Réunion du lundi' })
      await book(day, '10:00', { patientId, place: 'home' })
      await book(sunday, '11:00', { title: 'Garde du dimanche' })
      // What each day's columns show, in time order (today may be that Monday or that Sunday).
      const expected = new Map<string, string[]>()
      for (const [date, text] of [[monday, 'Réunion du lundi'], [day, 'Tréguier Maëlys'], [sunday, 'Garde du dimanche']] as const) {
        expected.set(date, [...(expected.get(date) ?? []), text])
      }
      const shows = (date: string) => expected.get(date)!.map((text) => expect.stringContaining(text))
      await colleague.space.whenAcknowledged()
      expect(await colleague.space.publishDirectoryDigest()).toBe('published')
      expect(await colleague.space.publishWeekDigest()).toBe('published')

      const tablet = await openDevice(shared.browser, shared.relay, `tablette-${day}`, { clock })
      try {
        const { page } = tablet
        await pairFromNodeDevice({ spaceId: colleague.record.spaceId, env }, page, PRACTITIONER)
        // Today, by the tablet's clock, in the practice's zone.
        await page.getByRole('heading', { level: 1, name: new RegExp(`^${formatDayFr(day)}`) }).waitFor()
        await eventually(() => blocksOn(page, day), 'today shows the home visit').toEqual(shows(day))

        await page.goto(`${shared.relay.url}/#/agenda/semaine`)
        const week = async () => Promise.all([...expected.keys()].map((date) => blocksOn(page, date)))
        const all = [...expected.keys()].map(shows)
        await eventually(week, "Monday, today and Sunday of today's week").toEqual(all)
        // The week shows from the docs once its months (one or two rooms) have synced: the same.
        await eventually(() => page.getByText(/— synchronisation en cours$/).count(), 'the week from its month rooms').toBe(0)
        expect(await week()).toEqual(all)

        await nav(page, 'Tournée').click()
        await page.getByRole('heading', { level: 1, name: new RegExp(`^Tournée du ${formatDayFr(day)}`) }).waitFor()
        await eventually(() => page.getByRole('heading', { level: 2 }).allTextContents(), "today's round").toEqual(['Tréguier Maëlys'])
        tablet.assertHealthy()
      } finally {
        await tablet.context.close()
      }
    })
  }
})
