/**
 * The patient forms in real Chromium set to British English (`locale: 'en-GB'`, whose own date
 * inputs would show 12 March as « 12/03/1958 » but read « 07/12 » month first in en-US and show
 * times as « 10:00 AM »): French dates and times are shown and read whatever the browser's
 * language; an impossible birth date says why; a NIR whose key is wrong is flagged as soon as the
 * person leaves the field and the error goes once fixed; a NIR that disagrees with the sex and
 * birth date is a warning the person may override; limits are shown before they are hit; and a
 * patient created from the agenda's search takes the name typed there, asks for the birth date,
 * and offers the patient already recorded rather than a duplicate.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/patient-forms.test.ts`.
 */
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { openDevice } from './helpers/browser'
import type { Device } from './helpers/browser'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { createPractice, editor, eventually, nav, tapGrid } from './helpers/practice-steps'

const screenshotDir = process.env.TOURNEE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), 'tournee-e2e-screenshots/')

const PRACTICE = { name: 'Cabinet des Minimes', practitioner: 'Aurore Lambert' }
// A woman born in March 1958 (2 58 03 …); the key of its first 13 digits is 37.
const NIR_RIGHT = '2 58 03 17 300 123 37'
const NIR_WRONG_KEY = '2 58 03 17 300 123 38'

function patientForm(page: Page): Locator {
  return page.getByRole('form', { name: 'Nouveau patient' })
}

/** The words a field's aria-describedby points at: its hint, limit, warning and error. */
async function description(page: Page, field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean)
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()))
  return texts.join(' ')
}

/** Leaves the field as a person does, with the Tab key. */
async function leave(field: Locator): Promise<void> {
  await field.press('Tab')
}

describe.sequential('patient forms in an English Chromium', () => {
  const env = useAppRelayAndBrowser()
  let device: Device | null = null
  const page = () => {
    if (!device) throw new Error('The device opens in the first test')
    return device.page
  }

  it('1. an en-GB browser still shows and reads French dates and times', async () => {
    device = await openDevice(env.browser, env.relay, 'A', { locale: 'en-GB' })
    expect(await page().evaluate(() => navigator.language)).toBe('en-GB')
    await createPractice(page(), PRACTICE)
    await nav(page(), 'Patients').click()
    const form = patientForm(page())
    await form.getByLabel('Nom de naissance').fill('Martin')
    await form.getByLabel('Prénom(s)').fill('Léa')
    const birthDate = form.getByRole('textbox', { name: 'Date de naissance' })
    // Digits only, as a phone's number pad types them; shown back day first once left.
    await birthDate.fill('12031958')
    await leave(birthDate)
    expect(await birthDate.inputValue()).toBe('12/03/1958')
    await form.getByRole('button', { name: 'Enregistrer le patient' }).click()
    await form.getByText('Patient enregistré.').waitFor()

    await page().getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: /Martin Léa/ }).click()
    await page().getByRole('heading', { level: 1, name: 'Martin Léa' }).waitFor()
    expect(await page().getByRole('article').textContent()).toContain('12 mars 1958')
    await page().getByRole('button', { name: 'Modifier', exact: true }).click()
    const edit = page().getByRole('form', { name: 'Modifier' })
    expect(await edit.getByRole('textbox', { name: 'Date de naissance' }).inputValue()).toBe('12/03/1958')
    await edit.getByRole('button', { name: 'Annuler' }).click()

    // Times too: the working hours of Réglages read « 14h30 » and show « 14 h 30 », never « 2:30 PM ».
    await nav(page(), 'Réglages').click()
    const hours = page().getByRole('form', { name: 'Horaires de travail' })
    const start = hours.getByLabel('Après-midi — Début (mardi)')
    await start.fill('14h30')
    await leave(start)
    expect(await start.inputValue()).toBe('14 h 30')
    await hours.getByRole('button', { name: 'Enregistrer les horaires' }).click()
    await hours.getByText('Horaires enregistrés.').waitFor()
    await eventually(() => hours.getByLabel('Après-midi — Début (mardi)').inputValue(), 'the stored time, in French').toBe('14 h 30')
  })

  it('2. an impossible birth date says why, when the field is left, and the reason goes once fixed', async () => {
    await nav(page(), 'Patients').click()
    const form = patientForm(page())
    const birthDate = form.getByRole('textbox', { name: 'Date de naissance' })
    for (const [typed, reason] of [
      ['05/05/2090', "Date de naissance dans le futur : elle ne peut pas être après aujourd'hui."],
      ['01/01/1800', "Date de naissance il y a plus de 130 ans : vérifiez l'année."],
      // Year 1 is year 1, not 1901: refused for the same reason.
      ['01/01/0001', "Date de naissance il y a plus de 130 ans : vérifiez l'année."],
      ['31/02/1990', "Cette date n'existe pas dans le calendrier."],
      ['hier', "Date illisible : saisissez le jour, le mois et l'année, par exemple 12/03/1958."],
    ] as const) {
      await birthDate.fill(typed)
      await leave(birthDate)
      await eventually(() => birthDate.getAttribute('aria-invalid'), `${typed} is refused`).toBe('true')
      expect(await description(page(), birthDate), typed).toContain(reason)
    }
    await birthDate.fill('01/02/1960')
    await eventually(() => birthDate.getAttribute('aria-invalid'), 'fixed, the error goes while typing').toBeNull()
    expect(await description(page(), birthDate)).not.toContain('Date de naissance')
  })

  it('3. a wrong NIR key is flagged on leaving the field, and the error goes once fixed', async () => {
    const form = patientForm(page())
    await form.getByLabel('Nom de naissance').fill('Lefèvre')
    await form.getByLabel('Prénom(s)').fill('Zoé')
    await form.getByRole('textbox', { name: 'Date de naissance' }).fill('12/03/1958')
    await form.getByLabel('Sexe').selectOption({ label: 'Femme' })
    const nir = form.getByLabel('NIR (numéro de sécurité sociale)')
    await nir.fill(NIR_WRONG_KEY)
    expect(await nir.getAttribute('aria-invalid'), 'not while typing').toBeNull()
    await leave(nir)
    await eventually(() => nir.getAttribute('aria-invalid'), 'flagged on leaving the NIR, before any save').toBe('true')
    expect(await description(page(), nir)).toContain('Clé du NIR incorrecte : vérifiez les chiffres saisis.')
    expect(await form.locator('[aria-invalid="true"]').count(), 'no other field is blamed').toBe(1)
    await nir.fill(NIR_RIGHT)
    await eventually(() => nir.getAttribute('aria-invalid'), 'the old error goes once the key is right').toBeNull()
    expect(await description(page(), nir)).not.toContain('Clé du NIR')
    await form.getByRole('button', { name: 'Enregistrer le patient' }).click()
    await form.getByText('Patient enregistré.').waitFor()
  })

  it('4. a NIR that disagrees with the sex and birth date is a warning the person may override', async () => {
    const form = patientForm(page())
    await form.getByLabel('Nom de naissance').fill('Roux')
    await form.getByLabel('Prénom(s)').fill('Lou')
    await form.getByLabel('Sexe').selectOption({ label: 'Homme' })
    await form.getByRole('textbox', { name: 'Date de naissance' }).fill('14/07/1984')
    const nir = form.getByLabel('NIR (numéro de sécurité sociale)')
    await nir.fill(NIR_RIGHT)
    await leave(nir)
    const warning = "Le NIR ne correspond pas au sexe, à l'année de naissance et au mois de naissance : vérifiez ces champs. Si tout est juste, enregistrez quand même."
    await eventually(() => description(page(), nir), 'the warning is read with the NIR field').toContain(warning)
    expect(await nir.getAttribute('aria-invalid'), 'a warning, not an error').toBeNull()

    await form.getByRole('button', { name: 'Enregistrer le patient' }).click()
    await form.getByRole('alert').getByText("Le NIR ne correspond pas à l'identité saisie : vérifiez, ou enregistrez quand même.").waitFor()
    expect(await form.getByText('Patient enregistré.').count(), 'not saved yet').toBe(0)

    mkdirSync(screenshotDir, { recursive: true })
    await form.screenshot({ path: join(screenshotDir, 'patient-form-1024x768.png') })
    await page().setViewportSize({ width: 768, height: 1024 })
    await form.screenshot({ path: join(screenshotDir, 'patient-form-768x1024.png') })
    await page().setViewportSize({ width: 1024, height: 768 })

    await form.getByRole('button', { name: 'Enregistrer quand même' }).click()
    await form.getByText('Patient enregistré.').waitFor()
  })

  it('5. text limits are shown before they are hit, and the browser stops at them', async () => {
    const form = patientForm(page())
    const name = form.getByLabel('Nom de naissance')
    const counter = form.locator('.field', { has: page().getByLabel('Nom de naissance') }).locator('.field__counter')
    expect(await counter.textContent()).toBe('0 / 100')
    expect(await description(page(), name)).toContain('100 caractères au plus.')
    await name.fill('Abcdefghij'.repeat(15))
    expect((await name.inputValue()).length).toBe(100)
    expect(await counter.textContent()).toBe('100 / 100')
    await name.fill('')
  })

  it('6. a patient created from the agenda takes the name typed, asks for the birth date, and offers the one already there', async () => {
    await nav(page(), 'Agenda').click()
    await tapGrid(page(), '10:00')
    const dialog = editor(page())
    await dialog.getByRole('heading', { name: 'Nouveau rendez-vous' }).waitFor()
    await dialog.getByLabel('Rechercher un patient').fill('garnier paul')
    await dialog.getByText('Aucun patient trouvé.').waitFor()
    await dialog.getByRole('button', { name: 'Nouveau patient' }).click()
    const creation = dialog.getByRole('group', { name: 'Nouveau patient' })
    expect(await creation.getByLabel('Nom de naissance').inputValue()).toBe('Garnier')
    expect(await creation.getByLabel('Prénom(s)').inputValue()).toBe('Paul')
    await creation.getByRole('button', { name: 'Créer le patient' }).click()
    const birthDate = creation.getByRole('textbox', { name: 'Date de naissance' })
    await eventually(() => birthDate.getAttribute('aria-invalid'), 'the birth date is asked for').toBe('true')
    expect(await description(page(), birthDate)).toContain('Champ obligatoire.')
    await birthDate.fill('01/02/60')
    await leave(birthDate)
    expect(await birthDate.inputValue(), 'a two-digit year is a past year').toBe('01/02/1960')
    await creation.getByRole('button', { name: 'Créer le patient' }).click()
    await dialog.getByText('Patient : Garnier Paul').waitFor()

    // The same person again: offered, not created a second time.
    await dialog.getByRole('button', { name: 'Changer de patient' }).click()
    await dialog.getByLabel('Rechercher un patient').fill('Martin Léa 12/03/58')
    await dialog.getByRole('button', { name: 'Nouveau patient' }).click()
    expect(await creation.getByLabel('Nom de naissance').inputValue()).toBe('Martin')
    expect(await creation.getByLabel('Prénom(s)').inputValue()).toBe('Léa')
    expect(await creation.getByRole('textbox', { name: 'Date de naissance' }).inputValue()).toBe('12/03/1958')
    const existing = creation.getByRole('list', { name: 'Patients déjà enregistrés' })
    await existing.waitFor()
    expect(await creation.getByRole('button', { name: 'Créer le patient' }).isDisabled(), 'no duplicate without saying so').toBe(true)
    await existing.getByRole('button', { name: 'Choisir Martin Léa, né(e) le 12/03/1958' }).click()
    await dialog.getByText('Patient : Martin Léa').waitFor()
    await dialog.getByRole('button', { name: 'Fermer' }).click()
    await nav(page(), 'Patients').click()
    await eventually(
      () => page().getByRole('list', { name: 'Liste des patients' }).getByRole('link').allTextContents(),
      'one Martin Léa, and Garnier Paul',
    ).toEqual([expect.stringMatching(/^Garnier Paul/), expect.stringMatching(/^Lefèvre Zoé/), expect.stringMatching(/^Martin Léa/), expect.stringMatching(/^Roux Lou/)])
    device?.assertHealthy()
  })
})
