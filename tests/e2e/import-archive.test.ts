/**
 * « Réglages › Réimporter une exportation » in real Chromium: one device's practice (a patient, an
 * appointment) exported through the UI, its zip downloaded, then chosen on a second device that has
 * just created a new practice; the preview says what the archive holds, « Importer » writes it, and
 * the patient and the appointment are there, in the lists a person uses. A zip cut short is refused
 * by name, with nothing written. Then an .ics calendar imported on a third device: its events in
 * the agenda, the same file chosen again previewed as already imported (nothing new written), and
 * « Annuler cet import » taking them out of the agenda.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/import-archive.test.ts`.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { useBrowserDevices } from './helpers/browser-devices'
import { addAppointment, addPatient, agendaRows, createPractice, nav, patientLinks } from './helpers/practice-steps'

const PRACTITIONER = 'Solène Kerbrat'

describe.sequential('Réglages › Réimporter une exportation, in Chromium', () => {
  const shared = useAppRelayAndBrowser()
  const open = useBrowserDevices(shared)

  it("imports another device's export zip into a new practice through the UI", async () => {
    const from = (await open('A')).page
    await createPractice(from, { name: 'Cabinet des Tanneurs', practitioner: PRACTITIONER })
    await nav(from, 'Patients').click()
    await addPatient(from, { birthName: 'Quéméner', firstNames: 'Maëlle' })
    await nav(from, 'Agenda').click()
    await addAppointment(from, { start: '10:00', patient: 'Quéméner Maëlle' })
    await nav(from, 'Réglages').click()
    const exportSection = from.getByRole('region', { name: 'Exporter le cabinet', exact: true })
    const download = from.waitForEvent('download')
    await exportSection.getByRole('button', { name: 'Exporter le cabinet' }).click()
    const zip = join(tmpdir(), `tournee-import-e2e-${process.pid}.zip`)
    await (await download).saveAs(zip)

    const to = (await open('B')).page
    await createPractice(to, { name: 'Nouveau cabinet', practitioner: PRACTITIONER })
    await nav(to, 'Réglages').click()
    const section = to.getByRole('region', { name: 'Réimporter une exportation', exact: true })
    await section.scrollIntoViewIfNeeded()

    // A zip cut short: refused by name, nothing written.
    const whole = await readFile(zip)
    const cut = join(tmpdir(), `tournee-import-e2e-cut-${process.pid}.zip`)
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)))
    await section.getByLabel("Archive d'exportation (.zip)").setInputFiles(cut)
    await expect.poll(() => section.getByRole('alert').textContent()).toContain('Archive incomplète ou abîmée, rien importé')

    await section.getByLabel("Archive d'exportation (.zip)").setInputFiles(zip)
    const preview = section.getByRole('list', { name: "Contenu de l'archive" })
    await preview.waitFor()
    expect(await preview.getByRole('listitem').allTextContents()).toEqual(expect.arrayContaining(['1 praticien', '1 patient', '1 rendez-vous']))
    await section.getByRole('button', { name: 'Importer dans ce cabinet' }).click()
    await section.getByText('Import terminé : 1 patients, 1 rendez-vous.').waitFor()

    await nav(to, 'Patients').click()
    await expect.poll(() => patientLinks(to)).toEqual([expect.stringContaining('Quéméner Maëlle')])
    await nav(to, 'Agenda').click()
    await expect.poll(() => to.getByText('Quéméner Maëlle').count()).toBeGreaterThan(0)

  })

  it('imports an .ics calendar, skips it when chosen again, and « Annuler cet import » takes it out of the agenda', async () => {
    const page = (await open('C')).page
    await createPractice(page, { name: 'Cabinet des Lices', practitioner: PRACTITIONER })
    await nav(page, 'Patients').click()
    await addPatient(page, { birthName: 'Quéméner', firstNames: 'Maëlle' })

    // A calendar from another program: one event names the patient, one does not.
    const calendar = join(tmpdir(), `tournee-import-e2e-${process.pid}.ics`)
    const event = (uid: string, start: string, summary: string) => ['BEGIN:VEVENT', `UID:${uid}`, `DTSTART;TZID=Europe/Paris:${start}`, 'DURATION:PT45M', `SUMMARY:${summary}`, 'END:VEVENT']
    await writeFile(calendar, ['BEGIN:VCALENDAR', 'VERSION:2.0', ...event('a', '20270315T090000', 'Séance QUEMENER Maëlle'), ...event('b', '20270315T120000', 'Réunion'), 'END:VCALENDAR', ''].join('\r\n'))
    await nav(page, 'Réglages').click()
    const ics = page.getByRole('region', { name: 'Importer un agenda .ics', exact: true })
    await ics.scrollIntoViewIfNeeded()
    await ics.getByLabel('Agenda (.ics)').setInputFiles(calendar)
    const rows = ics.getByRole('list', { name: "Aperçu de l'import" }).getByRole('listitem')
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringMatching(/15 mars 2027, 9 h.*Quéméner Maëlle$/), expect.stringMatching(/15 mars 2027, 12 h.*Plage : Réunion$/)])
    await ics.getByRole('button', { name: 'Importer ces rendez-vous' }).click()
    await ics.getByText(/^Import terminé : 2 rendez-vous créés, 0 mis à jour, 0 déjà là\./).waitFor()

    // The same file again, in the same file input (a browser reports no change for the file it
    // already holds unless the input was emptied): the preview says both came in already, and
    // there is nothing to import.
    await ics.getByLabel('Agenda (.ics)').setInputFiles(calendar)
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringMatching(/9 h.*Quéméner Maëlle \(déjà importé\)$/), expect.stringMatching(/12 h.*Plage : Réunion \(déjà importé\)$/)])
    await ics.getByText(/^0 nouveau\(x\), 2 déjà importé\(s\), 0 modifié\(s\)/).waitFor()
    expect(await ics.getByRole('button', { name: 'Importer ces rendez-vous' }).isDisabled()).toBe(true)

    await openDay(page, CALENDAR_DAY, CALENDAR_DAY_LABEL)
    await expect.poll(async () => (await agendaRows(page, CALENDAR_DAY_LABEL)).join('\n')).toMatch(/9 h – 9 h 45 Quéméner Maëlle[\s\S]*12 h – 12 h 45 Réunion/)
    expect(await agendaRows(page, CALENDAR_DAY_LABEL)).toHaveLength(2)

    await nav(page, 'Réglages').click()

    // « Annuler cet import »: it says what it removes, then removes it.
    const history = page.getByRole('list', { name: 'Imports précédents' })
    const batch = history.getByRole('listitem', { name: basename(calendar), exact: true })
    await batch.scrollIntoViewIfNeeded()
    await batch.getByRole('button', { name: 'Annuler cet import' }).click()
    await batch.getByText(/seront supprimés.*2 rendez-vous/).waitFor()
    await batch.getByRole('button', { name: "Confirmer l'annulation" }).click()
    await batch.getByText(/^Import annulé, supprimés : 2 rendez-vous/).waitFor()

    await openDay(page, CALENDAR_DAY, CALENDAR_DAY_LABEL)
    await page.getByRole('list', { name: new RegExp(`^Rendez-vous de .+, ${CALENDAR_DAY_LABEL}$`) }).first().waitFor()
    await expect.poll(async () => (await agendaRows(page, CALENDAR_DAY_LABEL)).join('\n')).not.toMatch(/Quéméner|Réunion/)
  })
})

/** The day the calendar's events fall on, and its heading. */
const CALENDAR_DAY = '2027-03-15'
const CALENDAR_DAY_LABEL = 'lundi 15 mars'

async function openDay(page: Page, day: string, label: string): Promise<void> {
  await page.goto(new URL(`/#/agenda/jour/${day}`, page.url()).href)
  await page.getByRole('heading', { level: 1, name: label }).waitFor()
}
