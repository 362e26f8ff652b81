/**
 * The agenda as a practitioner uses it, in real Chromium against a real relay process, with two
 * devices (browser contexts): book by tapping a slot, move by dragging with a finger, create a
 * 10-session series and cancel one session, and two offline bookings of one slot that both survive
 * and are flagged on both devices; headings that say another year, and the day kept from view to
 * view. Also takes the README's agenda screenshots at tablet sizes.
 *
 * The finger drag goes through CDP `Input.dispatchTouchEvent`: Chromium turns those touches into
 * the pointer events a real touchscreen produces (pointerType 'touch', with touch-action and
 * implicit capture applied by the browser), so the app's handlers, `touch-action: none` and
 * pointer capture are exercised as on a tablet. `page.mouse` would send pointerType 'mouse', and a
 * synthetic `dispatchEvent` would bypass the browser's gesture handling altogether.
 */
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { formatDayFr } from '../../shared/src/model/dates'
import { shiftDay, weekOf } from '../helpers/calendar-oracle'
import { TEST_TODAY } from '../helpers/test-clock'
import { VIEWPORT } from './helpers/browser'
import { longPressDrag } from './helpers/touch'
import { need, useTwoDevices } from './helpers/step-fixture'
import {
  acceptDevice,
  addAppointment,
  addPatient,
  agendaRows,
  choosePatient,
  createPractice,
  editor,
  eventually,
  nav,
  pendingChanges,
  showJoiningCode,
  tapGrid,
} from './helpers/practice-steps'

// The README's agenda screenshots come from agenda-tablet.test.ts (a full week of three
// practitioners); these, of a nearly empty agenda, go to a scratch folder for a look.
const screenshotDir = join(tmpdir(), 'tournee-e2e-screenshots/agenda-basic/')

const PRACTITIONER = 'Claire Martin'
/** B's holder, added on B when it joins: the practice then has two columns. */
const SECOND = 'Marc Petit'
const PATIENT = { birthName: 'Dupont', firstNames: 'Jeanne', display: 'Dupont Jeanne' }
/** A Monday, so that the series starting a week later falls on lundi / jeudi. */
const DAY = '2027-01-04'
const DAY_LABEL = 'lundi 4 janvier'
const SERIES_MONDAY = '2027-01-11'

async function openDay(page: Page, url: string, day: string, label: string): Promise<void> {
  await page.goto(`${url}/#/agenda/jour/${day}`)
  await page.getByRole('heading', { level: 1, name: label }).waitFor()
}

function column(page: Page, dayLabel: string) {
  return page.getByRole('list', { name: `Rendez-vous de ${PRACTITIONER}, ${dayLabel}` })
}

/** A finger's long press near the top of `block`, then a drag by `dy` pixels (a finger moves a block only after a long press). */
async function touchDrag(page: Page, box: { x: number; y: number; width: number; height: number }, dy: number) {
  await longPressDrag(page, { x: box.x + box.width / 2, y: box.y + Math.min(box.height / 2, 12) }, dy, 650)
}

/** A tap on a block opens its detail; « Modifier » opens the editor. */
async function openInEditor(page: Page, block: Locator): Promise<void> {
  await block.click()
  await page.getByRole('dialog').getByRole('button', { name: 'Modifier', exact: true }).click()
}

describe.sequential('the agenda in Chromium, two devices, one relay', () => {
  const done = { practice: false, booked: false, series: false }
  const setup = useTwoDevices()

  it('0. a practice on A with one patient, B paired by a second practitioner', async () => {
    const { a, b } = setup()
    await createPractice(a.page, { name: 'Cabinet des Lilas', practitioner: PRACTITIONER })
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await acceptDevice(a.page, await showJoiningCode(b.page), b.page)
    await b.page.getByRole('heading', { level: 1, name: 'Qui êtes-vous ?' }).waitFor()
    await b.page.getByLabel('Nom affiché').fill(SECOND)
    await b.page.getByRole('button', { name: 'Ajouter et continuer' }).click()
    await nav(b.page, 'Agenda').waitFor()
    done.practice = true
  })

  it('0b. the header keeps its height whatever the sync indicator says, so nothing jumps under a finger', async () => {
    const { a } = setup()
    need(done.practice, 'the practice of step 0')
    const headerHeight = () => a.page.locator('.frame__header').evaluate((header) => header.getBoundingClientRect().height)
    for (const width of [1024, 768, 390]) {
      await a.page.setViewportSize({ width, height: 800 })
      const idle = await headerHeight()
      // What the indicator says while a background pass moves a backlog, in the app's own words,
      // put where the app puts them (a pass flips between this and « En ligne » many times).
      await a.page.locator('.sync__status').evaluate((status) => {
        status.querySelector('.sync__connection')!.textContent = 'Synchronisation…'
        status.querySelector('.sync__pending')!.textContent = '1 234 modifications en attente'
        const last = status.querySelector('.sync__last')!
        last.className = 'sync__progress'
        last.textContent = 'Synchronisation : 12 345 modifications à recevoir, 1 234 à envoyer'
      })
      expect(await headerHeight(), `the header at ${width} px wide`).toBe(idle)
      // The texts were set behind React's back: a reload gives the page back to the app.
      await a.page.reload()
      await nav(a.page, 'Agenda').waitFor()
    }
    await a.page.setViewportSize(VIEWPORT)
  })

  it('1. tapping a free slot opens the editor at that time and practitioner; saving books it, and B sees it live', async () => {
    const { a, b, relay } = setup()
    need(done.practice, 'the practice of step 0')
    await openDay(b.page, relay.url, DAY, DAY_LABEL)
    await openDay(a.page, relay.url, DAY, DAY_LABEL)

    await tapGrid(a.page, '09:00', { practitioner: PRACTITIONER, date: DAY_LABEL })
    const dialog = editor(a.page)
    await dialog.getByRole('heading', { name: 'Nouveau rendez-vous' }).waitFor()
    // French date and time fields (« 9 h », « 04/01/2027 ») whatever the browser's language.
    expect(await dialog.getByLabel('Heure de début').inputValue(), 'prefilled with the slot tapped').toBe('9 h')
    expect(await dialog.getByLabel('Date', { exact: true }).inputValue()).toBe('04/01/2027')
    expect(await dialog.getByLabel('Praticien').locator('option:checked').textContent()).toBe(PRACTITIONER)
    await choosePatient(a.page, PATIENT.display)
    await dialog.getByLabel('Type de rendez-vous').selectOption({ label: 'Bilan' })
    expect(await dialog.getByLabel('Durée (min)').inputValue(), "the kind's default duration").toBe('45')
    await dialog.getByRole('button', { name: 'Enregistrer le rendez-vous' }).click()
    await dialog.waitFor({ state: 'detached' })

    await eventually(async () => (await agendaRows(a.page, DAY_LABEL)).join('\n'), 'booked on A').toContain(`9 h – 9 h 45 ${PATIENT.display} · Bilan`)
    await eventually(async () => (await agendaRows(b.page, DAY_LABEL)).join('\n'), 'B shows it without a reload').toContain(
      `9 h – 9 h 45 ${PATIENT.display} · Bilan`,
    )
    done.booked = true
  })

  it('1b. from the keyboard, a column opens the editor on its first free half hour of working hours', async () => {
    const { a } = setup()
    need(done.booked, 'the booking of step 1')
    // The column's one tap target, reached and pressed without a pointer: no position to read.
    await a.page.getByRole('button', { name: `Nouveau rendez-vous, ${PRACTITIONER}, ${DAY_LABEL}` }).focus()
    await a.page.keyboard.press('Enter')
    const dialog = editor(a.page)
    await dialog.getByRole('heading', { name: 'Nouveau rendez-vous' }).waitFor()
    // Working hours start at 8 h and 9 h – 9 h 45 is booked: 8 h is the first free half hour.
    expect(await dialog.getByLabel('Heure de début').inputValue()).toBe('8 h')
    expect(await dialog.getByLabel('Praticien').locator('option:checked').textContent()).toBe(PRACTITIONER)
    await a.page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
  })

  it('2. a finger, after a long press, drags the block 1 h 30 later (15-minute snapping); B shows the new time', async () => {
    const { a, b } = setup()
    need(done.booked, 'the appointment of step 1')
    await a.page.evaluate(() => {
      const seen: string[] = []
      Object.assign(window, { pointerTypesSeen: seen })
      document.addEventListener('pointerdown', (event) => seen.push(event.pointerType), true)
    })
    const block = column(a.page, DAY_LABEL).getByRole('button', { name: new RegExp(PATIENT.display) })
    await block.scrollIntoViewIfNeeded()
    const box = await block.boundingBox()
    if (!box) throw new Error('The block has no box on screen')
    // 90 px an hour: 135 px is 1 h 30; 5 px more (3 min) must snap back to the quarter hour.
    await touchDrag(a.page, box, 140)
    expect(await a.page.evaluate(() => (window as unknown as { pointerTypesSeen: string[] }).pointerTypesSeen)).toContain('touch')

    const moved = `10 h 30 – 11 h 15 ${PATIENT.display}`
    await eventually(async () => (await agendaRows(a.page, DAY_LABEL)).join('\n'), 'moved on A').toContain(moved)
    await eventually(async () => (await agendaRows(b.page, DAY_LABEL)).join('\n'), 'the move reaches B').toContain(moved)
    expect((await agendaRows(b.page, DAY_LABEL)).join('\n')).not.toContain('9 h – 9 h 45')
    expect(await editor(a.page).count(), 'a drag does not open the editor').toBe(0)
  })

  it('2b. a mouse drags it in the week view to Tuesday, in the other practitioner\'s column; the editor puts it back precisely', async () => {
    const { a, b, relay } = setup()
    need(done.booked, 'the appointment of step 1')
    await a.page.goto(`${relay.url}/#/agenda/semaine/${DAY}`)
    await b.page.goto(`${relay.url}/#/agenda/semaine/${DAY}`)
    const block = column(a.page, DAY_LABEL).getByRole('button', { name: new RegExp(PATIENT.display) })
    await block.scrollIntoViewIfNeeded()
    const from = await block.boundingBox()
    const target = await a.page.getByRole('group', { name: `${SECOND}, mardi 5 janvier` }).boundingBox()
    if (!from || !target) throw new Error('The block or the target column has no box on screen')
    await a.page.mouse.move(from.x + 10, from.y + 10)
    await a.page.mouse.down()
    await a.page.mouse.move(target.x + target.width / 2, from.y + 10, { steps: 12 })
    await a.page.mouse.up()

    const tuesday = (page: Page) => page.getByRole('list', { name: `Rendez-vous de ${SECOND}, mardi 5 janvier` })
    await eventually(() => tuesday(b.page).textContent(), "on B, in Marc's column on Tuesday, same time").toContain(`10 h 30 – 11 h 15 ${PATIENT.display}`)
    expect(await column(b.page, DAY_LABEL).textContent()).not.toContain(PATIENT.display)

    // Back with the editor, as a keyboard user would: date and practitioner fields.
    await openInEditor(a.page, tuesday(a.page).getByRole('button', { name: new RegExp(PATIENT.display) }))
    const dialog = editor(a.page)
    await dialog.getByRole('heading', { name: 'Modifier le rendez-vous' }).waitFor()
    await dialog.getByLabel('Date', { exact: true }).fill('04/01/2027')
    await dialog.getByLabel('Praticien').selectOption({ label: PRACTITIONER })
    await dialog.getByRole('button', { name: 'Enregistrer le rendez-vous' }).click()
    await dialog.waitFor({ state: 'detached' })
    await eventually(() => column(b.page, DAY_LABEL).textContent(), 'back on Monday on B').toContain(`10 h 30 – 11 h 15 ${PATIENT.display}`)
  })

  it('3. a 10-session series, lundi et jeudi à 9 h; one session cancelled alone, the others stay', async () => {
    const { a, relay } = setup()
    need(done.practice, 'the practice of step 0')
    await openDay(a.page, relay.url, SERIES_MONDAY, 'lundi 11 janvier')
    await tapGrid(a.page, '09:00', { practitioner: PRACTITIONER, date: 'lundi 11 janvier' })
    const dialog = editor(a.page)
    await choosePatient(a.page, PATIENT.display)
    await dialog.getByLabel('Type de rendez-vous').selectOption({ label: 'Séance' })
    await dialog.getByLabel('Répéter (série de séances)').check()
    const days = dialog.getByRole('group', { name: 'Jours' })
    expect(await days.getByLabel('lundi').isChecked(), "the slot's weekday is ticked").toBe(true)
    await days.getByLabel('jeudi').check()
    await dialog.getByLabel('Nombre de séances', { exact: true }).fill('10')
    await dialog.getByRole('button', { name: 'Enregistrer le rendez-vous' }).click()
    await dialog.waitFor({ state: 'detached' })

    await a.page.goto(`${relay.url}/#/agenda/semaine/${SERIES_MONDAY}`)
    await eventually(() => column(a.page, 'lundi 11 janvier').textContent(), 'first session').toContain('séance 1 / 10')
    await eventually(() => column(a.page, 'jeudi 14 janvier').textContent(), 'second session').toContain('séance 2 / 10')

    await openInEditor(a.page, column(a.page, 'jeudi 14 janvier').getByRole('button', { name: /séance 2 \/ 10/ }))
    await dialog.getByRole('heading', { name: 'Modifier le rendez-vous' }).waitFor()
    await dialog.getByRole('radiogroup', { name: 'Appliquer à' }).getByLabel('Cette séance', { exact: true }).check()
    await dialog.getByLabel("Motif d'annulation").fill('Patiente malade')
    await dialog.getByRole('button', { name: 'Annuler le rendez-vous' }).click()
    await dialog.waitFor({ state: 'detached' })

    await eventually(() => column(a.page, 'jeudi 14 janvier').textContent(), 'the session shows cancelled').toMatch(/séance 2 \/ 10.*Annulé/)
    expect(await column(a.page, 'lundi 11 janvier').textContent(), 'the one before stays').not.toContain('Annulé')
    await a.page.getByRole('button', { name: 'Semaine suivante' }).click()
    await eventually(() => column(a.page, 'lundi 18 janvier').textContent(), 'the following sessions stay').toContain('séance 3 / 10')
    expect(await column(a.page, 'jeudi 21 janvier').textContent()).not.toContain('Annulé')
    // The last session landed in February's doc.
    await openDay(a.page, relay.url, '2027-02-11', 'jeudi 11 février')
    await eventually(async () => (await agendaRows(a.page, 'jeudi 11 février')).join('\n'), 'the tenth session, next month').toContain('séance 10 / 10')
    done.series = true
  })

  it('4. both devices book 14 h while B is offline: after reconnection both are kept and flagged on both', async () => {
    const { a, b, relay } = setup()
    need(done.practice, 'the practice of step 0')
    await openDay(a.page, relay.url, DAY, DAY_LABEL)
    await openDay(b.page, relay.url, DAY, DAY_LABEL)
    await b.context.setOffline(true)
    await addAppointment(a.page, { start: '14:00', title: 'Réunion d’équipe' })
    await addAppointment(b.page, { start: '14:00', patient: PATIENT.display, title: 'Bilan à domicile', place: 'Domicile' })
    await eventually(() => pendingChanges(b), 'B holds its booking as pending').toBeGreaterThanOrEqual(1)
    await eventually(() => pendingChanges(a), "the relay has A's booking").toBe(0)
    expect((await agendaRows(b.page, DAY_LABEL)).join('\n'), 'offline B has not seen A’s booking').not.toContain('Réunion')

    await b.context.setOffline(false)
    await eventually(() => pendingChanges(b), 'B sends its booking').toBe(0)
    for (const device of [a, b]) {
      await eventually(async () => {
        const rows = await agendaRows(device.page, DAY_LABEL)
        return rows.filter((row) => /^14 h – /.test(row) && row.includes('Chevauche un autre rendez-vous')).length
      }, `both 14 h bookings flagged on ${device.name}`).toBe(2)
      const text = (await agendaRows(device.page, DAY_LABEL)).join('\n')
      expect(text).toContain('Réunion d’équipe')
      expect(text).toContain(`${PATIENT.display} · Bilan à domicile`)
      expect(await device.page.locator('.agenda__summary').textContent()).toContain('2 rendez-vous en chevauchement')
    }
  })

  it('4b. the month overview counts each day and flags the overlapping one', async () => {
    const { a, relay } = setup()
    need(done.series, 'the series of step 3')
    await a.page.goto(`${relay.url}/#/agenda/mois/2027-01`)
    await a.page.getByRole('heading', { level: 1, name: 'janvier 2027' }).waitFor()
    await eventually(
      () => a.page.getByRole('link', { name: /^lundi 4 janvier, / }).getAttribute('aria-label'),
      'the 4th: three appointments, overlapping',
    ).toBe('lundi 4 janvier, 3 rendez-vous, Chevauche un autre rendez-vous')
    expect(await a.page.getByRole('link', { name: /^jeudi 14 janvier, / }).getAttribute('aria-label'), 'a cancelled session frees the day').toBe(
      'jeudi 14 janvier, aucun rendez-vous',
    )
    expect(await a.page.getByRole('link', { name: /^lundi 18 janvier, / }).getAttribute('aria-label')).toBe('lundi 18 janvier, 1 rendez-vous')
    await a.page.getByRole('button', { name: 'Mois suivant' }).click()
    await a.page.getByRole('heading', { level: 1, name: 'février 2027' }).waitFor()
    await a.page.getByRole('link', { name: /^lundi 4 janvier/ }).waitFor({ state: 'detached' })
  })

  it('4c. working hours set in Réglages on A shade the grid on B: Marc works Monday afternoons only', async () => {
    const { a, b, relay } = setup()
    need(done.practice, 'the practice of step 0')
    await nav(a.page, 'Réglages').click()
    const form = a.page.getByRole('form', { name: 'Horaires de travail' })
    await form.getByLabel('Praticien').selectOption({ label: SECOND })
    await form.getByLabel('Matin — Début (lundi)').fill('')
    await form.getByLabel('Matin — Fin (lundi)').fill('')
    await form.getByLabel('Après-midi — Fin (lundi)').fill('12:00')
    await form.getByRole('button', { name: 'Enregistrer les horaires' }).click()
    expect(await form.getByLabel('Après-midi — Fin (lundi)').getAttribute('aria-invalid'), 'an afternoon ending before it starts is refused').toBe('true')
    expect(await form.getByLabel('Après-midi — Fin (lundi)').evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')?.split(' ').at(-1) ?? '')?.textContent)).toBe(
      'Valeur non autorisée.',
    )
    await form.getByLabel('Après-midi — Fin (lundi)').fill('19:00')
    await form.getByRole('button', { name: 'Enregistrer les horaires' }).click()
    await form.getByText('Horaires enregistrés.').waitFor()

    await openDay(b.page, relay.url, DAY, DAY_LABEL)
    const shadedMorning = (name: string) =>
      b.page.getByRole('group', { name: `${name}, ${DAY_LABEL}` }).evaluate((column) => {
        // The first shaded band starts at 7:00; its height says where work begins (90 px an hour).
        const band = column.querySelector<HTMLElement>('.column__off')
        return band ? Math.round(band.getBoundingClientRect().height / 90 * 60) : 0
      })
    await eventually(() => shadedMorning(SECOND), "Marc's morning is shaded until 13:30 on B").toBe(390)
    expect(await shadedMorning(PRACTITIONER), 'Claire keeps the default 8:00 start').toBe(60)
  })

  it('4d. headings of another year say it; Jour → Mois → Jour comes back to the day, and paging a month keeps its number', async () => {
    const { a, relay } = setup()
    need(done.practice, 'the practice of step 0')
    const page = a.page
    const modes = page.getByRole('navigation', { name: "Vue de l'agenda" })
    const title = (name: string) => page.getByRole('heading', { level: 1, name, exact: true })
    // The year is said when it is not the app's current one (its clock is the test clock).
    const thisYear = TEST_TODAY.slice(0, 4)
    const heading = (day: string) => formatDayFr(day, { withYear: day.slice(0, 4) !== thisYear })

    await openDay(page, relay.url, '2027-01-14', heading('2027-01-14'))
    await title(heading('2027-01-14')).waitFor()
    await modes.getByRole('link', { name: 'Mois' }).click()
    await title('janvier 2027').waitFor()
    await modes.getByRole('link', { name: 'Jour' }).click()
    await title(heading('2027-01-14')).waitFor()
    await modes.getByRole('link', { name: 'Semaine' }).click()
    await page.getByRole('heading', { level: 1, name: /^Semaine du lundi 11 janvier/ }).waitFor()
    await modes.getByRole('link', { name: 'Mois' }).click()
    await page.getByRole('button', { name: 'Mois suivant' }).click()
    await title('février 2027').waitFor()
    await modes.getByRole('link', { name: 'Jour' }).click()
    await title(heading('2027-02-14')).waitFor()
    // The 31st of a month has no February twin: the last day of February instead.
    await openDay(page, relay.url, '2027-01-31', heading('2027-01-31'))
    await modes.getByRole('link', { name: 'Mois' }).click()
    await page.getByRole('button', { name: 'Mois suivant' }).click()
    await title('février 2027').waitFor()
    await modes.getByRole('link', { name: 'Jour' }).click()
    await title(heading('2027-02-28')).waitFor()

    // A week a year back names its year; this week names a year only when it runs into another.
    const back = weekOf(shiftDay(TEST_TODAY, -366))
    const across = (week: string[]) => week[0]!.slice(0, 4) !== week[6]!.slice(0, 4)
    const weekName = (week: string[]) =>
      `Semaine du ${formatDayFr(week[0]!, { withYear: across(week) })} au ${formatDayFr(week[6]!, { withYear: true })}`
    await page.goto(`${relay.url}/#/agenda/semaine/${back[2]}`)
    await title(weekName(back)).waitFor()
    const now = weekOf(TEST_TODAY)
    await page.goto(`${relay.url}/#/agenda/semaine`)
    await title(across(now) ? weekName(now) : `Semaine du ${formatDayFr(now[0]!)} au ${formatDayFr(now[6]!)}`).waitFor()
  })

  it('5. screenshots of the day and week views at 1024×768 and 768×1024', async () => {
    const { a, relay } = setup()
    need(done.series, 'the series of step 3')
    mkdirSync(screenshotDir, { recursive: true })
    const page = a.page
    for (const size of [
      { width: 1024, height: 768 },
      { width: 768, height: 1024 },
    ]) {
      await page.setViewportSize(size)
      const suffix = `${size.width}x${size.height}`
      await openDay(page, relay.url, DAY, DAY_LABEL)
      await eventually(async () => (await agendaRows(page, DAY_LABEL)).length, 'the day is drawn').toBe(3)
      // The window keeps the scroll of the screen before (hash navigation): show the page's top.
      await page.evaluate(() => window.scrollTo(0, 0))
      await page.screenshot({ path: `${screenshotDir}agenda-day-${suffix}.png`, animations: 'disabled' })
      await page.goto(`${relay.url}/#/agenda/semaine/${SERIES_MONDAY}`)
      await eventually(() => column(page, 'jeudi 14 janvier').textContent(), 'the week is drawn').toContain('séance 2 / 10')
      await page.evaluate(() => window.scrollTo(0, 0))
      await page.screenshot({ path: `${screenshotDir}agenda-week-${suffix}.png`, animations: 'disabled' })
    }
  })
})
