/**
 * Steps a practitioner takes on the first-run and patient screens, shared by the storage tests
 * (two-devices.test.ts keeps its own, which it asserts on step by step).
 */
import type { Locator, Page } from 'playwright-core'
import { expect } from 'vitest'
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

export async function addAppointment(page: Page, entry: { start: string; title: string }): Promise<void> {
  const form = page.getByRole('form', { name: 'Nouveau rendez-vous' })
  await form.getByLabel('Heure de début').fill(entry.start)
  await form.getByLabel('Titre', { exact: true }).fill(entry.title)
  await form.getByRole('button', { name: 'Ajouter le rendez-vous' }).click()
  await form.getByText('Rendez-vous ajouté.').waitFor()
}
