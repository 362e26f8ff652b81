/**
 * Steps a practitioner takes on the first-run and patient screens, shared by the storage tests
 * (two-devices.test.ts keeps its own, which it asserts on step by step).
 */
import type { Locator, Page } from 'playwright-core'
import { expect } from 'vitest'
import { DEFAULT_FRAME, minuteOfDay } from '../../../client/src/views/agenda/grid-layout'
import { formatTimeFr } from '../../../shared/src/model/dates'
import type { Device } from './browser'
import type { DeviceEnvironment, OpenPractice } from '../../../client/src/sync/device/device'
import { claimPairing, JoiningPairing } from '../../../client/src/sync/device/pairing'

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

/** The joining page: « Rejoindre un cabinet » → « Afficher un code d'appairage »; the code it shows, ungrouped. */
export async function showJoiningCode(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Rejoindre un cabinet' }).click()
  await page.getByRole('button', { name: "Afficher un code d'appairage" }).click()
  const shown = page.getByRole('status', { name: "Code d'appairage" })
  await expect.poll(async () => ((await shown.textContent()) ?? '').replace('-', ''), { timeout: SYNC_TIMEOUT }).toMatch(/^[0-9A-Z]{10}$/)
  return ((await shown.textContent()) ?? '').replace('-', '')
}

/** The six digits a page shows as « Code de confirmation » (joining or administrator side), without the space. */
export async function confirmationShown(page: Page): Promise<string> {
  const shown = page.getByRole('status', { name: 'Code de confirmation' })
  await shown.waitFor({ timeout: SYNC_TIMEOUT })
  return ((await shown.textContent()) ?? '').replace(/\s/g, '')
}

/** The roles « Ajouter un appareil » offers, as the radio buttons name them; a locum's last day as typed ('31/12/2099'). */
export type DeviceGrant = { role: 'Praticien' | 'Secrétariat' } | { role: 'Remplaçant'; lastDay: string }

/**
 * The administrator's page types `code` in Réglages › Ajouter un appareil and reads the six digits;
 * when the joining page is a browser page too, they must be the ones it shows, as a person checks
 * before accepting; it chooses the role of `grant` (Praticien by default: the form's default).
 * Returns the digits.
 */
export async function acceptDevice(adminPage: Page, code: string, joiningPage?: Page, grant?: DeviceGrant): Promise<string> {
  await nav(adminPage, 'Réglages').click()
  const section = adminPage.getByRole('region', { name: 'Ajouter un appareil' })
  await section.getByLabel('Code affiché sur le nouvel appareil').fill(code)
  await section.getByRole('button', { name: 'Continuer' }).click()
  const digits = await confirmationShown(adminPage)
  if (joiningPage) expect(await confirmationShown(joiningPage)).toBe(digits)
  if (grant) await section.getByRole('radiogroup', { name: 'Rôle de cet appareil' }).getByLabel(grant.role, { exact: true }).check()
  if (grant?.role === 'Remplaçant') await section.getByLabel('Dernier jour du remplacement').fill(grant.lastDay)
  await section.getByRole('button', { name: "Codes identiques : ajouter l'appareil" }).click()
  await section.getByText('Appareil ajouté').waitFor({ timeout: SYNC_TIMEOUT })
  return digits
}

/** Once paired, the joining page says who holds it. */
export async function chooseMember(page: Page, practitioner: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name: 'Qui êtes-vous ?' }).waitFor({ timeout: SYNC_TIMEOUT })
  await page
    .getByRole('list', { name: 'Praticiens du cabinet' })
    .getByRole('button', { name: new RegExp(`^${practitioner}`) })
    .click()
  await nav(page, 'Agenda').waitFor()
}

/** A device added as a person does it: code on the new page, typed and accepted on the administrator's. */
export async function pairDevice(adminPage: Page, joiningPage: Page, practitioner: string): Promise<void> {
  const code = await showJoiningCode(joiningPage)
  await acceptDevice(adminPage, code, joiningPage)
  await chooseMember(joiningPage, practitioner)
}

export async function addPatient(page: Page, patient: { birthName: string; firstNames: string; birthDate?: string }): Promise<void> {
  const form = page.getByRole('form', { name: 'Nouveau patient' })
  await form.getByLabel('Nom de naissance').fill(patient.birthName)
  await form.getByLabel('Prénom(s)').fill(patient.firstNames)
  if (patient.birthDate !== undefined) await form.getByLabel('Date de naissance').fill(patient.birthDate)
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

/** A simulated (Node) device added from the administrator's browser page; the app's relay serves the page. */
export async function pairNodeDevice(adminPage: Page, env: DeviceEnvironment): Promise<OpenPractice> {
  const pairing = await JoiningPairing.open(new URL(adminPage.url()).origin, env)
  const joined = pairing.wait({ pollMs: 50 })
  await acceptDevice(adminPage, pairing.code)
  return joined
}

/** A browser page added from a simulated (Node) administrator device of `spaceId`. */
export async function pairFromNodeDevice(admin: { spaceId: string; env: DeviceEnvironment }, page: Page, practitioner: string): Promise<void> {
  const code = await showJoiningCode(page)
  const claimed = await claimPairing(admin.spaceId, code, admin.env)
  expect(await confirmationShown(page)).toBe(claimed.confirmation)
  await claimed.accept()
  await chooseMember(page, practitioner)
}

/**
 * The space id and root secret a browser device holds (its device registry in IndexedDB): what a
 * test that plays the relay's part needs to name a room. Nothing on screen shows them any more.
 */
export async function practiceSecretsOf(page: Page): Promise<{ spaceId: string; rootSecret: Uint8Array }> {
  const read = await page.evaluate(
    () =>
      new Promise<{ spaceId: string; rootSecret: number[] }>((resolve, reject) => {
        const open = indexedDB.open('tournee-device')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const request = open.result.transaction('pairing').objectStore('pairing').getAll()
          request.onerror = () => reject(request.error)
          request.onsuccess = () => {
            const [record] = request.result as Array<{ spaceId: string; rootSecret: Uint8Array }>
            if (!record) return reject(new Error('No practice on this device'))
            resolve({ spaceId: record.spaceId, rootSecret: [...record.rootSecret] })
          }
        }
      }),
  )
  return { spaceId: read.spaceId, rootSecret: Uint8Array.from(read.rootSecret) }
}
