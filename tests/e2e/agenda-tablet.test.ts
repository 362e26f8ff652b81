/**
 * The agenda under a finger, all day (issue 20), in real Chromium on a touch tablet (a context
 * with `hasTouch`, fingers through CDP touch events) against a real relay process. A colleague's
 * Node device, joined with the pairing code, books a full week for three practitioners through
 * the model and is the second device that must see every change and every undo.
 *
 * Dates are fixed (the week of Easter Monday 2027), never read from the wall clock: the browser's
 * clock runs at the test's day (tests/helpers/test-clock.ts) and none of this depends on it.
 */
import 'fake-indexeddb/auto'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { OpenPractice } from '../../client/src/sync/device/device'
import type { Actor, AppointmentStatus } from '../../shared/src/model'
import {
  DIRECTORY_DOC_ID,
  addAppointment,
  addDays,
  addPatient,
  addPractitioner,
  addPrescription,
  agendaDocId,
  getAppointment,
  listAbsences,
  listAppointmentKinds,
  listAppointments,
  listPractitioners,
  patientDocId,
  reminderOptOutOf,
} from '../../shared/src/model'
import { nodeDeviceEnvironment } from '../helpers/node-device'
import { testClock } from '../helpers/test-clock'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { openDevice } from './helpers/browser'
import type { Device } from './helpers/browser'
import { createPractice, editor, eventually, nav, pairNodeDevice, statusText as statusTextOf, tapGrid } from './helpers/practice-steps'
import { longPressDrag, swipe, tap } from './helpers/touch'

const screenshotDir = process.env.TOURNEE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), 'tournee-e2e-screenshots/')

/** A long name, as practices have: the header gives way to the sync state, never the reverse. */
const PRACTICE = { name: 'Cabinet de kinésithérapie des Tilleuls', practitioner: 'Camille Rousseau' }
const COLLEAGUES = ['Julien Marchand', 'Sophie Lefèvre-Bonnet']
/** Monday 29 March 2027 is Easter Monday: the week shows a public holiday. */
const MONDAY = '2027-03-29'
const TUESDAY = '2027-03-30'
const WEDNESDAY = '2027-03-31'
const SERIES_THURSDAY = '2027-03-25'

/** Names of the kind that do not fit a narrow column: the week must still name each patient. */
const FAMILY = ['Vaucanson-Delaunay', 'Nguyen', 'Lefèvre', 'Trichardière', 'Escoffrey', 'Mandrillon', 'Pélissonnier', 'Dupont', 'Bertrand-Lacoste', 'Ozturk']
const FIRST = ['Marie-Aurélienne', 'Zoé', 'Paul', 'Basile', 'Cunégonde', 'Désiré', 'Edmée', 'Jeanne', 'Jean-Baptiste', 'Ayşe']

type Booked = { id: string; start: string; practitionerId: string; patient: string; month: string; home: boolean; status: AppointmentStatus }

function text(locator: Locator): Promise<string> {
  return locator.textContent().then((t) => (t ?? '').replace(/\s+/g, ' ').trim())
}

/** Morning 8 h – 12 h 30 and afternoon 13 h 30 – 19 h in 30-minute sessions: a full day. */
const SLOTS = [
  ...Array.from({ length: 9 }, (_, i) => 8 * 60 + i * 30),
  ...Array.from({ length: 11 }, (_, i) => 13 * 60 + 30 + i * 30),
].map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`)

/** Waits until the grid has stopped scrolling (a swipe ends in a fling that goes on a moment). */
async function scrollSettled(page: Page): Promise<void> {
  const position = () => page.locator('.grid').evaluate((el) => el.scrollTop)
  let last = await position()
  await eventually(async () => {
    const now = await position()
    const still = now === last
    last = now
    return still
  }, 'the grid stops scrolling').toBe(true)
}

/**
 * A point of `target` (at `dy` px from its top, or its middle) that the browser's hit test gives to
 * it now: after a swipe's fling the grid may still move, and a box read too early is elsewhere.
 */
async function pointOn(target: Locator, dy?: number): Promise<{ x: number; y: number }> {
  let point = { x: 0, y: 0 }
  await eventually(async () => {
    await target.scrollIntoViewIfNeeded()
    const box = await target.boundingBox()
    if (!box) return false
    point = { x: box.x + box.width / 2, y: box.y + (dy ?? box.height / 2) }
    return target.evaluate((el, p) => el.contains(document.elementFromPoint(p.x, p.y)), point)
  }, 'the element is where the finger goes').toBe(true)
  return point
}

function columnList(page: Page, practitioner: string, day: string): Locator {
  return page.getByRole('list', { name: `Rendez-vous de ${practitioner}, ${day}` })
}

describe('the agenda on a touch tablet, a full week of three practitioners', () => {
  const shared = useAppRelayAndBrowser()
  let tablet: Device
  let colleague: OpenPractice
  let actor: Actor
  const practitioners: Record<string, string> = {}
  const booked: Booked[] = []
  const patientIds: string[] = []

  const colleagueAppointment = async (b: Booked) => getAppointment(await colleague.space.openDoc(agendaDocId(b.month)), b.id)
  const at = (practitioner: string, start: string) => booked.find((b) => b.practitionerId === practitioners[practitioner] && b.start === start)!

  it('0. a practice on the tablet; a colleague’s device adds two practitioners, 100 patients and a full week', async () => {
    tablet = await openDevice(shared.browser, shared.relay, 'tablette', { touch: true })
    await createPractice(tablet.page, PRACTICE)
    colleague = await pairNodeDevice(tablet.page, nodeDeviceEnvironment('collegue'))
    shared.closeAfter(colleague)
    const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
    await eventually(() => listPractitioners(directory).items.length, 'the directory reaches the colleague').toBe(1)
    practitioners[PRACTICE.practitioner] = listPractitioners(directory).items[0]!.id
    actor = { memberId: practitioners[PRACTICE.practitioner]!, deviceId: colleague.record.deviceId }
    const clock = testClock
    for (const name of COLLEAGUES) practitioners[name] = addPractitioner(directory, { displayName: name, profession: 'kine' }, actor, clock)
    for (let i = 0; i < 100; i++) {
      patientIds.push(
        addPatient(
          directory,
          { birthName: FAMILY[i % 10]!, firstNames: FIRST[Math.floor(i / 10)]!, phones: [`06${String(12345600 + i).padStart(8, '0')}`] },
          actor,
          clock,
        ),
      )
    }
    const kinds = listAppointmentKinds(directory).items
    const seance = kinds.find((k) => k.label === 'Séance')!.id
    const bilan = kinds.find((k) => k.label === 'Bilan')!.id
    const months = new Map<string, Awaited<ReturnType<typeof colleague.space.openDoc>>>()
    let n = 0
    const statuses: AppointmentStatus[] = ['booked', 'booked', 'booked', 'fulfilled', 'booked', 'arrived', 'booked', 'noshow', 'booked', 'booked', 'booked', 'cancelled']
    for (let d = 0; d < 5; d++) {
      const day = addDays(MONDAY, d)
      const month = day.slice(0, 7)
      if (!months.has(month)) months.set(month, await colleague.space.openDoc(agendaDocId(month)))
      const doc = months.get(month)!
      for (const practitionerId of Object.values(practitioners)) {
        for (const slot of SLOTS) {
          const patientIndex = (n * 7) % 100
          const start = `${day}T${slot}`
          // Tuesday stays « Prévu » for the gestures below; other days carry every status.
          const status = day === TUESDAY ? 'booked' : statuses[n % statuses.length]!
          const id = addAppointment(
            doc,
            {
              start,
              durationMin: 30,
              practitionerId,
              patientId: patientIds[patientIndex]!,
              kindId: n % 9 === 0 ? bilan : seance,
              place: n % 11 === 0 ? 'home' : 'practice',
              status,
              ...(status === 'cancelled' ? { cancelReason: 'Patient hospitalisé' } : {}),
            },
            actor,
            clock,
          )
          booked.push({
            id,
            start,
            practitionerId,
            patient: `${FAMILY[patientIndex % 10]} ${FIRST[Math.floor(patientIndex / 10)]}`,
            month,
            home: n % 11 === 0,
            status,
          })
          n++
        }
      }
    }
    await colleague.space.whenAcknowledged()
    expect(booked).toHaveLength(300)
  })

  it('1. the week at 1024×768: one-line toolbar, the grid over two thirds of the height, every block names its patient unclipped', async () => {
    const { page } = tablet
    await page.goto(`${shared.relay.url}/#/agenda/semaine/${MONDAY}`)
    await page.getByRole('heading', { level: 1, name: /^Semaine du lundi 29 mars/ }).waitFor()
    await eventually(() => page.locator('.block').count(), 'the whole week is drawn').toBe(300)

    const toolbar = await page.locator('.agenda__toolbar').boundingBox()
    const grid = await page.locator('.grid').boundingBox()
    expect(toolbar!.height, 'the toolbar is one line').toBeLessThanOrEqual(56)
    expect(grid!.height, 'the hour grid gets at least two thirds of 768 px').toBeGreaterThanOrEqual(512)

    // Checked from the boxes the browser laid out, block by block, each scrolled into view.
    const report = await page.evaluate(() => {
      const scroller = document.querySelector<HTMLElement>('.grid')!
      const head = document.querySelector<HTMLElement>('.grid__head')!
      const problems: string[] = []
      const names = new Set<string>()
      for (const block of document.querySelectorAll<HTMLElement>('.block')) {
        block.scrollIntoView({ block: 'center', inline: 'center' })
        const who = block.querySelector<HTMLElement>('.block__who')!
        const b = block.getBoundingClientRect()
        const w = who.getBoundingClientRect()
        const g = scroller.getBoundingClientRect()
        const h = head.getBoundingClientRect()
        const label = who.textContent ?? ''
        names.add(block.querySelector('.visually-hidden')?.textContent ?? '')
        const inside = w.left >= b.left - 0.5 && w.right <= b.right + 0.5 && w.top >= b.top - 0.5 && w.bottom <= b.bottom + 0.5
        const onScreen = w.top >= h.bottom - 0.5 && w.bottom <= g.bottom + 0.5 && w.left >= g.left && w.right <= g.right
        if (label.trim().length < 2 || w.width < 8 || !inside || !onScreen || who.scrollWidth > who.clientWidth + 0.5) {
          problems.push(`${block.getAttribute('title')}: « ${label} » ${JSON.stringify({ inside, onScreen, scroll: who.scrollWidth, client: who.clientWidth })}`)
        }
      }
      const heads = [...document.querySelectorAll<HTMLElement>('.grid__practitioner')].filter((el) => el.scrollWidth > el.clientWidth + 0.5)
      return { problems, blocks: document.querySelectorAll('.block').length, headsCut: heads.map((el) => el.textContent), fullNames: [...names] }
    })
    expect(report.problems, 'blocks whose name is cut or hidden').toEqual([])
    expect(report.headsCut, 'practitioner heads cut').toEqual([])
    // The full names are in each block's text (its accessible name) whatever the face shows.
    for (const b of booked.filter((x) => x.start.startsWith(TUESDAY))) {
      expect(report.fullNames.some((n) => n.includes(b.patient)), b.patient).toBe(true)
    }
    // Easter Monday is marked on its day.
    expect(await page.getByRole('link', { name: 'lundi 29 mars, Lundi de Pâques' }).count()).toBe(1)

    mkdirSync(screenshotDir, { recursive: true })
    await page.locator('.grid').evaluate((el) => (el.scrollTop = 80))
    await page.screenshot({ path: join(screenshotDir, 'agenda-week-1024x768.png') })
    await page.setViewportSize({ width: 768, height: 1024 })
    await page.locator('.grid').evaluate((el) => (el.scrollTop = 80))
    expect(
      await page.locator('.grid__practitioner').evaluateAll((els) => els.filter((el) => el.scrollWidth > el.clientWidth + 0.5).length),
      'practitioner heads readable in portrait',
    ).toBe(0)
    await page.screenshot({ path: join(screenshotDir, 'agenda-week-768x1024.png') })
    await page.setViewportSize({ width: 1024, height: 768 })
    tablet.assertHealthy()
  })

  it('2. a swipe over a full day scrolls it and moves nothing', async () => {
    const { page } = tablet
    await page.goto(`${shared.relay.url}/#/agenda/jour/${TUESDAY}`)
    const target = at(PRACTICE.practitioner, `${TUESDAY}T11:00`)
    const block = columnList(page, PRACTICE.practitioner, 'mardi 30 mars').getByRole('button', { name: new RegExp(`^11 h – 11 h 30 ${target.patient}`) })
    await block.waitFor()
    const scroller = page.locator('.grid')
    const before = await scroller.evaluate((el) => el.scrollTop)
    const box = (await block.boundingBox())!
    await swipe(page, { x: box.x + box.width / 2, y: box.y + box.height / 2 }, -250)
    await eventually(() => scroller.evaluate((el) => el.scrollTop), 'the day scrolled under the finger').toBeGreaterThan(before + 100)
    // Nothing moved: the block is still at 11 h on the tablet and on the colleague's device.
    expect(await block.count()).toBe(1)
    expect((await colleagueAppointment(target))?.start).toBe(`${TUESDAY}T11:00`)
    expect(await editor(page).count(), 'a swipe opens nothing').toBe(0)
    const tuesday = listAppointments(await colleague.space.openDoc(agendaDocId('2027-03')), { day: TUESDAY }).items
    expect(tuesday.map((a) => a.start).sort(), 'no appointment of the day changed').toEqual(
      booked.filter((b) => b.start.startsWith(TUESDAY)).map((b) => b.start).sort(),
    )
    tablet.assertHealthy()
  })

  it('3. a long press lifts a block, a drag moves it 1 h 30 later; « Annuler » puts it back on both devices', async () => {
    const { page } = tablet
    const target = at(PRACTICE.practitioner, `${TUESDAY}T10:00`)
    const column = columnList(page, PRACTICE.practitioner, 'mardi 30 mars')
    const block = column.getByRole('button', { name: new RegExp(`^10 h – 10 h 30 ${target.patient}`) })
    await scrollSettled(page)
    let lifted = false
    await longPressDrag(page, await pointOn(block, 12), 135, 800, async () => {
      lifted = await block.evaluate((el) => el.classList.contains('block--lifted'))
    })
    expect(lifted, 'the block is lifted before it moves').toBe(true)
    await eventually(async () => (await colleagueAppointment(target))?.start, 'the move reaches the colleague').toBe(`${TUESDAY}T11:30`)
    await eventually(() => column.getByRole('button', { name: new RegExp(`^11 h 30 – 12 h ${target.patient}`) }).count(), 'moved on the tablet').toBe(1)

    const toast = page.locator('.toast')
    expect(await text(toast)).toContain('Rendez-vous déplacé.')
    await toast.getByRole('button', { name: 'Annuler', exact: true }).click()
    await eventually(async () => (await colleagueAppointment(target))?.start, 'the undo reaches the colleague').toBe(`${TUESDAY}T10:00`)
    await eventually(() => column.getByRole('button', { name: new RegExp(`^10 h – 10 h 30 ${target.patient}`) }).count(), 'back on the tablet').toBe(1)
    tablet.assertHealthy()
  })

  it('3b. a long press on the bottom edge (24 px) resizes a block to 1 h; « Annuler » puts its 30 min back', async () => {
    const { page } = tablet
    const target = at(COLLEAGUES[0]!, `${TUESDAY}T16:00`)
    const column = columnList(page, COLLEAGUES[0]!, 'mardi 30 mars')
    const block = column.getByRole('button', { name: new RegExp(`^16 h – 16 h 30 ${target.patient}`) })
    await scrollSettled(page)
    const grip = block.locator('.block__resize')
    expect((await grip.boundingBox())!.height, 'the resize target is at least 24 px tall').toBeGreaterThanOrEqual(24)
    // 45 px is 30 minutes on the grid (90 px an hour).
    await longPressDrag(page, await pointOn(grip), 45, 800)
    await eventually(async () => (await colleagueAppointment(target))?.durationMin, 'the new length reaches the colleague').toBe(60)
    expect((await colleagueAppointment(target))?.start, 'a resize keeps the start').toBe(`${TUESDAY}T16:00`)
    const toast = page.locator('.toast')
    expect(await text(toast)).toContain('Durée modifiée.')
    await toast.getByRole('button', { name: 'Annuler', exact: true }).click()
    await eventually(async () => (await colleagueAppointment(target))?.durationMin, 'the undo reaches the colleague').toBe(30)
    tablet.assertHealthy()
  })

  it('4. a tap opens the appointment: one-tap « Arrivé », undone; the call and the file are there', async () => {
    const { page } = tablet
    const target = at(PRACTICE.practitioner, `${TUESDAY}T14:00`)
    const block = columnList(page, PRACTICE.practitioner, 'mardi 30 mars').getByRole('button', { name: new RegExp(`^14 h – 14 h 30 ${target.patient}`) })
    await block.scrollIntoViewIfNeeded()
    const box = (await block.boundingBox())!
    await tap(page, { x: box.x + box.width / 2, y: box.y + box.height / 2 })
    const sheet = page.getByRole('dialog', { name: target.patient })
    await sheet.waitFor()
    expect(await sheet.getByRole('link', { name: /^Appeler / }).getAttribute('href')).toMatch(/^tel:06\d{8}$/)
    expect(await sheet.getByRole('link', { name: 'Dossier du patient' }).getAttribute('href')).toMatch(/^#\/patients\/[\w-]+$/)
    await page.screenshot({ path: join(tmpdir(), 'tournee-e2e-screenshots/agenda-sheet-1024x768.png') })
    await sheet.getByRole('button', { name: 'Arrivé' }).click()
    await sheet.waitFor({ state: 'detached' })
    await eventually(() => block.getAttribute('data-status'), 'arrived on the tablet').toBe('arrived')
    await eventually(async () => (await colleagueAppointment(target))?.status, 'arrived on the colleague’s device').toBe('arrived')
    await page.locator('.toast').getByRole('button', { name: 'Annuler', exact: true }).click()
    await eventually(async () => (await colleagueAppointment(target))?.status, 'undone on the colleague’s device').toBe('booked')
    await eventually(() => block.getAttribute('data-status'), 'undone on the tablet').toBe('booked')
    tablet.assertHealthy()
  })

  it('5. a cancellation reason shows its limit, stops at it, and a longer one is refused with the limit said', async () => {
    const { page } = tablet
    const target = at(PRACTICE.practitioner, `${TUESDAY}T15:00`)
    const block = columnList(page, PRACTICE.practitioner, 'mardi 30 mars').getByRole('button', { name: new RegExp(`^15 h – 15 h 30 ${target.patient}`) })
    await block.scrollIntoViewIfNeeded()
    await block.click()
    await page.getByRole('dialog', { name: target.patient }).getByRole('button', { name: 'Modifier' }).click()
    const dialog = editor(page)
    await dialog.getByRole('heading', { name: 'Modifier le rendez-vous' }).waitFor()
    const reason = dialog.getByLabel("Motif d'annulation")
    expect(await reason.getAttribute('maxlength')).toBe('200')
    expect(await text(dialog.locator('.field__counter'))).toBe('0 / 200 caractères')

    // A text longer than the field takes (set as a script or an old browser would): refused, with the limit.
    await reason.evaluate((input: HTMLInputElement, value) => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value)
      input.dispatchEvent(new Event('input', { bubbles: true }))
    }, 'Trop long. '.repeat(25))
    await dialog.getByRole('button', { name: 'Annuler le rendez-vous' }).click()
    expect(await text(dialog.locator('.editor__cancel .field__error'))).toBe('Motif trop long : 274 caractères, 200 au plus.')
    expect((await colleagueAppointment(target))?.status).toBe('booked')

    // Typed by a person: the field stops at 200, the counter says so, the cancellation goes through.
    await reason.fill('')
    await reason.pressSequentially('Hospitalisation imprévue, rappeler la famille. '.repeat(5))
    expect((await reason.inputValue()).length).toBe(200)
    expect(await text(dialog.locator('.field__counter'))).toBe('200 / 200 caractères')
    await dialog.getByRole('button', { name: 'Annuler le rendez-vous' }).click()
    await dialog.waitFor({ state: 'detached' })
    await eventually(async () => (await colleagueAppointment(target))?.cancelReason?.length, 'cancelled with its reason').toBe(200)
    await eventually(() => block.getAttribute('data-status'), 'cancelled on the tablet').toBe('cancelled')
    expect(await text(block.locator('.block__reason'))).toMatch(/^· Hospitalisation imprévue/)
    tablet.assertHealthy()
  })

  it('6. absences are entered in Réglages (an end before the start is refused), shown on the grid, and reach the colleague', async () => {
    const { page } = tablet
    await nav(page, 'Réglages').click()
    const form = page.getByRole('form', { name: 'Nouvelle absence' })
    await form.getByLabel('Praticien').selectOption({ label: PRACTICE.practitioner })
    await form.getByLabel('Du').fill('2027-04-16')
    await form.getByLabel('Au (inclus)').fill('2027-04-12')
    await form.getByRole('button', { name: "Enregistrer l'absence" }).click()
    expect(await text(form.locator('.field--invalid .field__error'))).toBe('La fin doit être le jour du début ou après, et au plus un an plus tard.')
    await form.getByLabel('Du').fill('2027-04-12')
    await form.getByLabel('Au (inclus)').fill('2027-04-16')
    await form.getByLabel('Motif').fill('Congés')
    await form.getByRole('button', { name: "Enregistrer l'absence" }).click()
    await form.getByText('Absence enregistrée.').waitFor()
    const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
    await eventually(() => listAbsences(directory).items.map((a) => [a.from, a.to, a.label]), 'the colleague has the absence').toEqual([
      ['2027-04-12', '2027-04-16', 'Congés'],
    ])
    await page.goto(`${shared.relay.url}/#/agenda/semaine/2027-04-12`)
    await page.getByRole('group', { name: `${PRACTICE.practitioner}, mercredi 14 avril, Congés` }).waitFor()
    tablet.assertHealthy()
  })

  it('7. a series shows its dates before saving: clashes, Easter Monday and the absence flagged; it counts against an ordonnance', async () => {
    const { page } = tablet
    // Nguyen Zoé's ordonnance, written in her file by the colleague's device.
    const zoe = patientIds[11]!
    const file = await colleague.space.openDoc(patientDocId(zoe))
    const prescriptionId = addPrescription(
      file,
      { prescriberName: 'Dr Hortense Vidal', date: '2027-03-15', indication: 'Rééducation du genou', sessionsPrescribed: 10 },
      actor,
      testClock,
    )
    await colleague.space.whenAcknowledged()
    await page.goto(`${shared.relay.url}/#/agenda/jour/${SERIES_THURSDAY}`)
    await page.getByRole('heading', { level: 1, name: 'jeudi 25 mars' }).waitFor()
    await tapGrid(page, '09:00', { practitioner: PRACTICE.practitioner, date: 'jeudi 25 mars' })
    const dialog = editor(page)
    await dialog.getByRole('heading', { name: 'Nouveau rendez-vous' }).waitFor()
    expect(await dialog.getByLabel('Type de rendez-vous').locator('option:checked').textContent(), 'a new appointment is a « Séance »').toBe('Séance')
    // Ten Nguyen: the search narrows to the one.
    await dialog.getByLabel('Rechercher un patient').fill('Nguyen Zoé')
    await dialog.getByRole('list', { name: 'Patients trouvés' }).getByRole('button', { name: /^Nguyen Zoé/ }).click()
    await dialog.getByText('Patient : Nguyen Zoé').waitFor()
    await dialog.getByLabel('Ordonnance').selectOption({ label: 'Du 15 mars 2027, Dr Hortense Vidal (10 séances)' })
    await dialog.getByLabel('Répéter (série de séances)').check()
    await dialog.getByRole('group', { name: 'Jours' }).getByLabel('lundi').check()
    await dialog.getByLabel('Nombre de séances', { exact: true }).fill('8')
    const preview = dialog.getByRole('region', { name: 'Dates de la série' })
    await eventually(() => preview.getByRole('listitem').count(), 'eight dates shown').toBe(8)
    const rows = await preview.getByRole('listitem').allTextContents()
    expect(rows[0]).toBe('1. jeudi 25 mars, 9 h')
    expect(rows[1]).toContain('2. lundi 29 mars, 9 h')
    expect(rows[1]).toContain('Férié : Lundi de Pâques')
    expect(rows[1]).toMatch(/Chevauche .+ \(9 h – 9 h 30\)/)
    expect(rows[2]).toMatch(/^3\. jeudi 1er avril, 9 h.*Chevauche/)
    expect(rows[5]).toContain('Praticien absent : Congés')
    expect(rows[6]).toContain('Praticien absent : Congés')
    expect(rows[7]).toBe('8. lundi 19 avril, 9 h')
    expect(await text(preview.getByRole('heading'))).toBe('Dates de la série : 8 séances · 4 à vérifier')
    await preview.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(tmpdir(), 'tournee-e2e-screenshots/agenda-series-preview-1024x768.png') })
    await dialog.getByRole('button', { name: 'Enregistrer le rendez-vous' }).click()
    await dialog.waitFor({ state: 'detached' })
    const april = await colleague.space.openDoc(agendaDocId('2027-04'))
    // 1, 5, 8, 12, 15 and 19 April (25 and 29 March are in March's doc), each counted against the ordonnance.
    await eventually(() => listAppointments(april).items.filter((a) => a.seriesId).length, 'the series reaches the colleague').toBe(6)
    expect(listAppointments(april).items.filter((a) => a.seriesId).map((a) => a.prescriptionId)).toEqual(Array(6).fill(prescriptionId))
    tablet.assertHealthy()
  })

  it('8. the printed day holds every appointment of the day, within the page width', async () => {
    const { page } = tablet
    await page.goto(`${shared.relay.url}/#/impression/jour/${WEDNESDAY}`)
    await page.getByRole('heading', { level: 1, name: 'Journée du mercredi 31 mars' }).waitFor()
    const day = booked.filter((b) => b.start.startsWith(WEDNESDAY))
    await eventually(() => page.locator('.print__table tbody tr').count(), 'every appointment in the tables').toBe(day.length)
    await page.emulateMedia({ media: 'print' })
    await page.screenshot({ path: join(tmpdir(), 'tournee-e2e-screenshots/print-day.png'), fullPage: true })
    expect(await page.getByRole('button', { name: 'Imprimer' }).isVisible(), 'the buttons stay off the paper').toBe(false)
    const pdf = await page.pdf({ format: 'A4', printBackground: true })
    await page.emulateMedia({ media: 'screen' })

    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs')
    const document = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: true }).promise
    let all = ''
    const outside: string[] = []
    for (let n = 1; n <= document.numPages; n++) {
      const pdfPage = await document.getPage(n)
      const { width } = pdfPage.getViewport({ scale: 1 })
      const content = await pdfPage.getTextContent()
      for (const item of content.items) {
        if (!('str' in item)) continue
        all += `${item.str}${item.hasEOL ? '\n' : ' '}`
        const x = item.transform[4] as number
        if (item.str.trim() !== '' && (x < 0 || x + item.width > width + 0.5)) outside.push(item.str)
      }
    }
    const flat = all.replace(/\s+/g, ' ')
    for (const name of [PRACTICE.practitioner, ...COLLEAGUES]) expect(flat).toContain(name)
    // Every appointment: its patient, as many times as booked that day (a name may wrap: compare without spaces).
    const squeezed = flat.replace(/\s/g, '')
    for (const b of day) {
      const times = day.filter((x) => x.patient === b.patient).length
      expect(squeezed.split(b.patient.replace(/\s/g, '')).length - 1, `${b.patient} in the PDF`).toBeGreaterThanOrEqual(times)
    }
    expect(squeezed).toContain('8h–8h30')
    expect(squeezed).toContain('18h30–19h')
    expect(outside, 'text beyond the page width').toEqual([])

    // The round of one practitioner (feuille de route): the home visits only, in order, with phones.
    await page.goto(`${shared.relay.url}/#/impression/tournee/${WEDNESDAY}/${practitioners[COLLEAGUES[0]!]}`)
    await page.getByRole('heading', { level: 1, name: `Feuille de route de ${COLLEAGUES[0]}, mercredi 31 mars` }).waitFor()
    const visits = booked.filter((b) => b.start.startsWith(WEDNESDAY) && b.home && b.status !== 'cancelled' && b.practitionerId === practitioners[COLLEAGUES[0]!])
    expect(visits.length).toBeGreaterThan(0)
    const rows = page.locator('.print__table tbody tr')
    await eventually(() => rows.count(), 'one row per home visit').toBe(visits.length)
    for (const [i, visit] of visits.entries()) {
      const row = await text(rows.nth(i))
      expect(row).toContain(visit.patient)
      expect(row).toMatch(/06 \d{2} \d{2} \d{2} \d{2}/)
    }
    tablet.assertHealthy()
  })

  it('9. tomorrow’s reminders: a prefilled SMS per patient in the device’s app, and an opt-out kept on the patient', async () => {
    const { page } = tablet
    await page.goto(`${shared.relay.url}/#/rappels/${WEDNESDAY}`)
    await page.getByRole('heading', { level: 1, name: 'Rappels du mercredi 31 mars' }).waitFor()
    await page.screenshot({ path: join(tmpdir(), 'tournee-e2e-screenshots/reminders.png') })
    const list = page.getByRole('list', { name: 'Patients du mercredi 31 mars' })
    const first = booked.filter((b) => b.start === `${WEDNESDAY}T08:00`).find((b) => b.practitionerId === practitioners[PRACTICE.practitioner])!
    const row = list.getByRole('listitem', { name: first.patient }).first()
    const sms = row.getByRole('link', { name: `Envoyer un SMS de rappel à ${first.patient}` })
    const href = (await sms.getAttribute('href'))!
    // Chromium on Linux is neither Apple nor Android: the RFC 5724 form.
    expect(href).toMatch(/^sms:06\d{8}\?body=/)
    const body = decodeURIComponent(href.slice(href.indexOf('body=') + 5))
    expect(body).toContain('mercredi 31 mars à 8 h')
    expect(body).toContain(first.patient.split(' ').slice(1).join(' '))
    // The page's address names a date only.
    expect(new URL(page.url()).hash).toBe(`#/rappels/${WEDNESDAY}`)

    await row.getByLabel('Ne souhaite pas de rappel').check()
    const patientId = (await colleagueAppointment(first))!.patientId!
    const directory = await colleague.space.openDoc(DIRECTORY_DOC_ID)
    await eventually(() => reminderOptOutOf(directory, patientId), 'the opt-out reaches the colleague').toBe(true)
    expect(await sms.count(), 'no reminder link for a patient who refused them').toBe(0)
    tablet.assertHealthy()
  })

  it('10. the day at 1024×768 and 768×1024 for the README', async () => {
    const { page } = tablet
    await page.goto(`${shared.relay.url}/#/agenda/jour/${WEDNESDAY}`)
    await eventually(() => page.locator('.block').count(), 'the day is drawn').toBe(60)
    await page.locator('.grid').evaluate((el) => (el.scrollTop = 80))
    const hourLabel = await page.locator('.grid__hour', { hasText: /^8 h$/ }).boundingBox()
    const head = await page.locator('.grid__head').boundingBox()
    expect(hourLabel!.y, 'the first hour shown is not cut under the column heads').toBeGreaterThanOrEqual(head!.y + head!.height - 0.5)
    await page.screenshot({ path: join(screenshotDir, 'agenda-day-1024x768.png') })
    await page.setViewportSize({ width: 768, height: 1024 })
    await page.locator('.grid').evaluate((el) => (el.scrollTop = 80))
    // The portrait header: the sync state's lines are whole (« 0 modification en attente »).
    const cut = await tablet.status().evaluate((status) =>
      [...status.children].filter((line) => line instanceof HTMLElement && line.scrollWidth > line.clientWidth + 0.5).map((line) => line.textContent),
    )
    expect(cut, 'sync lines cut at 768 px').toEqual([])
    expect(await statusTextOf(tablet)).toMatch(/modifications? en attente/)
    await page.screenshot({ path: join(screenshotDir, 'agenda-day-768x1024.png') })
    await page.setViewportSize({ width: 1024, height: 768 })
    tablet.assertHealthy()
  })
})
