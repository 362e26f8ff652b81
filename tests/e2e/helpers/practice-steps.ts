/**
 * Steps a practitioner takes on the first-run and patient screens, shared by the storage tests
 * (two-devices.test.ts keeps its own, which it asserts on step by step).
 */
import type { Locator, Page } from 'playwright-core'
import { expect } from 'vitest'
import { DEFAULT_FRAME, minuteOfDay } from '../../../client/src/views/agenda/grid-layout'
import { formatTimeFr } from '../../../shared/src/model/dates'
import type { Device } from './browser'

export const SYNC_TIMEOUT = 20_000

export function eventually<T>(read: () => Promise<T> | T, message: string, timeout = SYNC_TIMEOUT) {
  return expect.poll(read, { timeout, interval: 50, message })
}

export async function statusText(device: Device): Promise<string> {
  return ((await device.status().textContent()) ?? '').replace(/\s+/g, ' ').trim()
}

export async function pendingChanges(device: Device): Promise<number> {
  const match = /(\d+) modifications? en attente/.exec(await statusText(device))
  if (!match) throw new Error(`No pending count in the sync indicator of ${device.name}: "${await statusText(device)}"`)
  return Number(match[1])
}

export function nav(page: Page, name: 'Agenda' | 'Tournée' | 'Patients' | 'Réglages'): Locator {
  return page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name, exact: true })
}

export function patientLinks(page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Liste des patients' }).getByRole('link').allTextContents()
}

export async function createPractice(page: Page, practice: { name: string; practitioner: string }): Promise<void> {
  await page.getByRole('button', { name: 'Créer un cabinet' }).click()
  await page.getByLabel('Nom du cabinet').fill(practice.name)
  const practitioner = page.getByRole('group', { name: 'Premier praticien' })
  await practitioner.getByLabel('Nom affiché').fill(practice.practitioner)
  await page.getByRole('button', { name: 'Créer le cabinet' }).click()
  await nav(page, 'Agenda').waitFor()
}

export async function readPairingCode(page: Page): Promise<string> {
  await nav(page, 'Réglages').click()
  const codeField = page.getByLabel("Code d'appairage")
  await expect.poll(() => codeField.inputValue(), { timeout: SYNC_TIMEOUT }).toMatch(/^TOURNEE1\./)
  return codeField.inputValue()
}

export async function joinPractice(page: Page, pairingCode: string, practitioner: string): Promise<void> {
  await page.getByRole('button', { name: 'Rejoindre un cabinet' }).click()
  await page.getByLabel("Code d'appairage").fill(pairingCode)
  await page.getByRole('button', { name: 'Rejoindre le cabinet' }).click()
  await page.getByRole('heading', { level: 1, name: 'Qui êtes-vous ?' }).waitFor()
  await page
    .getByRole('list', { name: 'Praticiens du cabinet' })
    .getByRole('button', { name: new RegExp(`^${practitioner}`) })
    .click()
  await nav(page, 'Agenda').waitFor()
}

export async function addPatient(page: Page, patient: { birthName: string; firstNames: string }): Promise<void> {
  const form = page.getByRole('form', { name: 'Nouveau patient' })
  await form.getByLabel('Nom de naissance').fill(patient.birthName)
  await form.getByLabel('Prénom(s)').fill(patient.firstNames)
  await form.getByRole('button', { name: 'Enregistrer le patient' }).click()
  await form.getByText('Patient enregistré.').waitFor()
}

/**
 * Taps the grid as a finger does: in the column of `practitioner` on `date` (as the column's tap
 * target names them; the first column when absent), 4 px below the line of `time` ('HH:mm'), so
 * the editor opens at `time` (a tap picks the quarter hour it lands in).
 */
export async function tapGrid(page: Page, time: string, where: { practitioner?: string; date?: string } = {}): Promise<void> {
  const name = new RegExp(`^Nouveau rendez-vous, ${where.practitioner ?? '[^,]+'}, ${where.date ?? '.+'}$`)
  const y = (minuteOfDay(time) - minuteOfDay(DEFAULT_FRAME.from)) * DEFAULT_FRAME.pxPerMinute + 4
  await page.getByRole('button', { name }).first().click({ position: { x: 8, y } })
}

/** The editor dialog (new or existing appointment). */
export function editor(page: Page): Locator {
  return page.getByRole('dialog')
}

export interface AppointmentEntry {
  /** 'HH:mm' on a quarter hour: where the grid is tapped. */
  start: string
  patient?: string
  title?: string
  place?: 'Cabinet' | 'Domicile'
  /** The practitioner whose column is tapped (the first column when absent). */
  practitioner?: string
}

/**
 * Books an appointment on the day shown, as a person does: taps the grid at `start`, fills the
 * editor, saves, and waits for it to close.
 */
export async function addAppointment(page: Page, entry: AppointmentEntry): Promise<void> {
  await tapGrid(page, entry.start, entry.practitioner ? { practitioner: entry.practitioner } : {})
  const dialog = editor(page)
  await dialog.getByRole('heading', { name: 'Nouveau rendez-vous' }).waitFor()
  // The time field shows French time (« 14 h »), whatever the browser's language.
  await expect.poll(() => dialog.getByLabel('Heure de début').inputValue()).toBe(formatTimeFr(entry.start))
  if (entry.patient) await choosePatient(page, entry.patient)
  if (entry.title) await dialog.getByLabel('Titre', { exact: true }).fill(entry.title)
  if (entry.place) await dialog.getByRole('radiogroup', { name: 'Lieu' }).getByLabel(entry.place, { exact: true }).check()
  await dialog.getByRole('button', { name: 'Enregistrer le rendez-vous' }).click()
  await dialog.waitFor({ state: 'detached', timeout: SYNC_TIMEOUT })
}

/** Searches the patient by the first word of `display` in the open editor and picks it. */
export async function choosePatient(page: Page, display: string): Promise<void> {
  const dialog = editor(page)
  await dialog.getByLabel('Rechercher un patient').fill(display.split(' ')[0] ?? display)
  await dialog.getByRole('list', { name: 'Patients trouvés' }).getByRole('button', { name: new RegExp(`^${display}`) }).click()
  await dialog.getByText(`Patient : ${display}`).waitFor()
}

/** The blocks of a day ('lundi 4 janvier', every practitioner's column), as text; empty when none. */
export async function agendaRows(page: Page, dayLabel: string): Promise<string[]> {
  const lists = page.getByRole('list', { name: new RegExp(`^Rendez-vous de .+, ${dayLabel}$`) })
  const rows: string[] = []
  for (const list of await lists.all()) rows.push(...(await list.getByRole('listitem').allTextContents()))
  return rows
}
