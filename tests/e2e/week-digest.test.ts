/**
 * A new tablet shows this week from the digests alone, in real Chromium. A colleague's device (a
 * Node device on the same relay process) books this week and publishes the directory and week
 * digests, as every synced device does within its publish interval. The tablet joins with the
 * pairing code while no WebSocket of it can reach the relay (a route that never answers): its
 * month has not synced, and the week still shows, with the patients' names. Once the sockets go
 * through, the week reads the month itself and a colleague's new booking shows.
 */
// The colleague's Node device keeps its storage in fake-indexeddb, as in the cross-part tests.
import 'fake-indexeddb/auto'
import type { Locator, Page, WebSocketRoute } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { createPractice as createNodePractice } from '../../client/src/sync/device/device'
import type { DeviceEnvironment, OpenPractice } from '../../client/src/sync/device/device'
import { DIRECTORY_DOC_ID, addAppointment, addPatient, agendaDocId, listPractitioners, monthOf } from '../../shared/src/model'
import type { Actor } from '../../shared/src/model'
import { nodeDeviceEnvironment } from '../helpers/node-device'
import { TEST_TODAY, testClock } from '../helpers/test-clock'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { openDevice } from './helpers/browser'
import type { Device } from './helpers/browser'
import { eventually, pairFromNodeDevice } from './helpers/practice-steps'

const PRACTITIONER = 'Romane Castagnède'
/** Names nobody else types, so that a match can only be what this test wrote. */
const PATIENT = { birthName: 'Quintrec', firstNames: 'Aldegonde' }
const LATER = { birthName: 'Pontcallec', firstNames: 'Ivoine' }

function blocks(page: Page): Locator {
  return page.locator('ul.column__blocks > li')
}

async function blockTexts(page: Page): Promise<string[]> {
  return (await blocks(page).allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim())
}

describe('a new tablet and the week digest', () => {
  const shared = useAppRelayAndBrowser()
  let tablet: Device
  let colleague: OpenPractice
  let actor: Actor
  let practitionerId: string
  let admin: { spaceId: string; env: DeviceEnvironment }
  let held: WebSocketRoute[] | null = []
  const today = TEST_TODAY

  it("a colleague's device books this week and publishes the digests", async () => {
    const env = nodeDeviceEnvironment('secretariat')
    colleague = await createNodePractice(
      { relayUrl: shared.relay.url, practiceName: 'Cabinet de Locronan', practitioner: { displayName: PRACTITIONER, profession: 'kine' } },
      env,
    )
    shared.closeAfter(colleague)
    admin = { spaceId: colleague.record.spaceId, env }
    const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
    practitionerId = listPractitioners(directory).items[0]!.id
    actor = { memberId: practitionerId, deviceId: colleague.record.deviceId }
    const patientId = addPatient(directory, PATIENT, actor, testClock)
    const month = await colleague.space.openDoc(agendaDocId(monthOf(today)))
    addAppointment(month, { start: `${today}T10:00`, durationMin: 45, practitionerId, patientId }, actor, testClock)
    addAppointment(month, { start: `${today}T14:30`, durationMin: 30, practitionerId, title: 'Réunion de cabinet' }, actor, testClock)
    await colleague.space.whenAcknowledged()
    expect(await colleague.space.publishDirectoryDigest()).toBe('published')
    expect(await colleague.space.publishWeekDigest()).toBe('published')
  })

  it('the tablet shows the week while none of its sockets reaches the relay', async () => {
    tablet = await openDevice(shared.browser, shared.relay, 'tablette')
    // A held socket opens on the page's side and nothing ever answers; once released, they close
    // and the device's reconnections go through to the relay (Playwright cannot remove a
    // WebSocket route).
    await tablet.context.routeWebSocket(/\/v1\/sync\//, (socket) => {
      if (held === null) socket.connectToServer()
      else held.push(socket)
    })
    await pairFromNodeDevice(admin, tablet.page, PRACTITIONER)
    await eventually(() => blockTexts(tablet.page), 'the week from the digest').toEqual([
      expect.stringContaining(`${PATIENT.birthName} ${PATIENT.firstNames}`),
      expect.stringContaining('Réunion de cabinet'),
    ])
    // Nothing came through a socket: the practice is still connecting, and the agenda says whence its week is.
    expect(await tablet.page.getByText('Connexion…').count()).toBeGreaterThan(0)
    await tablet.page.getByRole('status').filter({ hasText: /^Agenda du .* — synchronisation en cours$/ }).waitFor()
  })

  it('once the sockets go through, the week reads the month and shows a new booking', async () => {
    const month = await colleague.space.openDoc(agendaDocId(monthOf(today)))
    addAppointment(month, { start: `${today}T16:00`, durationMin: 30, practitionerId, title: LATER.birthName }, actor, testClock)
    const sockets = held ?? []
    held = null
    await Promise.all(sockets.map((socket) => socket.close()))
    await eventually(() => blockTexts(tablet.page), 'the month synced').toHaveLength(3)
    expect((await blockTexts(tablet.page))[2]).toContain(LATER.birthName)
    expect(await tablet.page.getByText(/— synchronisation en cours$/).count()).toBe(0)
    expect(tablet.pageErrors).toEqual([])
    expect(tablet.consoleErrors).toEqual([])
  })
})
