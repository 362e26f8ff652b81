/**
 * The decode worker, in real Chromium: a tablet joins a practice whose directory is big enough
 * for the worker (over 64 KiB of ciphertext: 1,500 patients), so its entries are decrypted and
 * merged in the Web Worker the app bundles and applied in slices. The app still opens, shows a
 * patient's name on today's agenda, finds a patient, syncs both ways, and after a reload (a cold
 * start from IndexedDB) goes through the worker again.
 */
// The colleague's Node device keeps its storage in fake-indexeddb, as in the cross-part tests.
import 'fake-indexeddb/auto'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { createPractice as createNodePractice } from '../../client/src/sync/device/device'
import type { DeviceEnvironment, OpenPractice } from '../../client/src/sync/device/device'
import { DIRECTORY_DOC_ID, addAppointment, addPatient, agendaDocId, listPatients, listPractitioners, monthOf } from '../../shared/src/model'
import type { Actor } from '../../shared/src/model'
import { nodeDeviceEnvironment } from '../helpers/node-device'
import { TEST_TODAY, testClock } from '../helpers/test-clock'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { openDevice } from './helpers/browser'
import type { Device } from './helpers/browser'
import { addPatient as addPatientOnScreen, eventually, nav, pairFromNodeDevice } from './helpers/practice-steps'

const PRACTITIONER = 'Gwenola Kerhervé'
const PATIENTS = 1_500
/** Names nobody else types: a match can only be what this test wrote. */
const SEEN = { birthName: 'Quéméneur', firstNames: 'Anaïg' }
const ADDED = { birthName: 'Troadec', firstNames: 'Maëlys' }

function decodeWorkers(page: Page): string[] {
  return page.workers().map((worker) => worker.url()).filter((url) => /decode-worker/.test(url))
}

describe('the decode worker in Chromium', () => {
  const shared = useAppRelayAndBrowser()
  let tablet: Device
  let colleague: OpenPractice
  let admin: { spaceId: string; env: DeviceEnvironment }

  it("a colleague's device writes a directory of 1,500 patients and today's appointment", async () => {
    const env = nodeDeviceEnvironment('colleague')
    colleague = await createNodePractice(
      { relayUrl: shared.relay.url, practiceName: 'Cabinet de Plouguerneau', practitioner: { displayName: PRACTITIONER, profession: 'kine' } },
      env,
    )
    shared.closeAfter(colleague)
    admin = { spaceId: colleague.record.spaceId, env }
    const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
    const practitionerId = listPractitioners(directory).items[0]!.id
    const actor: Actor = { memberId: practitionerId, deviceId: colleague.record.deviceId }
    for (let i = 0; i < PATIENTS; i += 100) {
      directory.transact(() => {
        for (let j = i; j < i + 100; j++) addPatient(directory, { birthName: `Patient${String(j).padStart(4, '0')}`, firstNames: 'Yann', phones: ['06 12 34 56 78'] }, actor, testClock)
      })
    }
    const patientId = addPatient(directory, SEEN, actor, testClock)
    const month = await colleague.space.openDoc(agendaDocId(monthOf(TEST_TODAY)))
    addAppointment(month, { start: `${TEST_TODAY}T10:00`, durationMin: 45, practitionerId, patientId }, actor, testClock)
    await colleague.space.whenAcknowledged()
  })

  it('the tablet joins through the worker: names on the agenda, and a search finds a patient', async () => {
    tablet = await openDevice(shared.browser, shared.relay, 'tablette')
    await pairFromNodeDevice(admin, tablet.page, PRACTITIONER)
    await eventually(() => decodeWorkers(tablet.page).length, 'the decode worker started').toBe(1)
    await tablet.page.goto(`${shared.relay.url}/#/agenda/jour/${TEST_TODAY}`)
    await eventually(() => tablet.page.locator('ul.column__blocks > li').allTextContents(), "today's appointment with its patient").toEqual([
      expect.stringContaining(`${SEEN.birthName} ${SEEN.firstNames}`),
    ])
    await nav(tablet.page, 'Patients').click()
    await tablet.page.getByLabel('Rechercher un patient').fill('quemen')
    await tablet.page.getByRole('link', { name: new RegExp(`${SEEN.birthName} ${SEEN.firstNames}`) }).waitFor()
  })

  it('syncs both ways, and a reload opens from IndexedDB through the worker again', async () => {
    const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
    await addPatientOnScreen(tablet.page, ADDED)
    await eventually(() => listPatients(directory).items.some((p) => p.birthName === ADDED.birthName), 'the colleague sees the new patient').toBe(true)

    await tablet.page.reload()
    await tablet.page.goto(`${shared.relay.url}/#/agenda/jour/${TEST_TODAY}`)
    await eventually(() => tablet.page.locator('ul.column__blocks > li').allTextContents(), 'today after the reload').toEqual([
      expect.stringContaining(`${SEEN.birthName} ${SEEN.firstNames}`),
    ])
    expect(decodeWorkers(tablet.page)).toHaveLength(1)
    expect(tablet.pageErrors).toEqual([])
    expect(tablet.consoleErrors).toEqual([])
  })
})
