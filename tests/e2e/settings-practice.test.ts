/**
 * Réglages in real Chromium, two devices and one relay: the practitioners (add with a field
 * error first, edit name and colour, deactivate and reactivate, never the last active one) and
 * the appointment kinds (add one offered by one practitioner, a name already used and a duration
 * out of bounds refused with their reasons, retire and offer again), each change reaching the
 * other device.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/settings-practice.test.ts`.
 */
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { need, useTwoDevices } from './helpers/step-fixture'
import { createPractice, eventually, nav, pairDevice } from './helpers/practice-steps'

const screenshotDir = process.env.TOURNEE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), 'tournee-e2e-screenshots/')

const PRACTICE = { name: 'Cabinet des Capucins', practitioner: 'Aurore Lambert' }

function section(page: Page, name: 'Praticiens' | 'Types de rendez-vous'): Locator {
  return page.getByRole('region', { name, exact: true })
}

function rows(page: Page, list: string): Promise<string[]> {
  return page
    .getByRole('list', { name: list, exact: true })
    .getByRole('listitem')
    .evaluateAll((items) =>
      items.map((item) => [...(item.querySelector('.settings-list__main')?.children ?? [])].map((part) => (part.textContent ?? '').trim()).join(' ')),
    )
}

/** The words a field's aria-describedby points at. */
async function description(page: Page, field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean)
  return (await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()))).join(' ')
}

describe.sequential('Réglages: practitioners and appointment kinds, on two devices', () => {
  const setup = useTwoDevices()
  const done = { joined: false }

  it('1. a practice on A, joined by B; both open Réglages', async () => {
    const { a, b } = setup()
    await createPractice(a.page, PRACTICE)
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    await nav(b.page, 'Réglages').click()
    await section(a.page, 'Praticiens').waitFor()
    expect(await rows(a.page, 'Praticiens actifs')).toEqual([`${PRACTICE.practitioner} Masseur-kinésithérapeute · cet appareil`])
    done.joined = true
  })

  it('2. practitioners: the last active one stays, a new one is added once its RPPS is fixed, edited, deactivated and back', async () => {
    const { a, b } = setup()
    need(done.joined, 'the practice on both devices (step 1)')
    const practitioners = section(a.page, 'Praticiens')
    await practitioners.getByRole('button', { name: `Désactiver ${PRACTICE.practitioner}` }).click()
    await practitioners.getByRole('alert').getByText('Impossible de désactiver le dernier praticien actif').waitFor()

    await practitioners.getByRole('button', { name: 'Ajouter un praticien' }).click()
    const form = practitioners.getByRole('form', { name: 'Ajouter un praticien' })
    await form.getByLabel('Nom affiché').fill('Hugo Marchetti')
    await form.getByLabel('Profession').selectOption({ label: 'Infirmier ou infirmière' })
    const rpps = form.getByLabel('Numéro RPPS')
    await rpps.fill('1000123456')
    await form.getByRole('button', { name: 'Ajouter le praticien' }).click()
    await eventually(() => rpps.getAttribute('aria-invalid'), 'a 10-digit RPPS is refused on its field').toBe('true')
    expect(await description(a.page, rpps)).toContain('Numéro RPPS invalide : 11 chiffres.')
    await rpps.fill('10001234567')
    await form.getByRole('button', { name: 'Ajouter le praticien' }).click()
    await practitioners.getByText('Hugo Marchetti ajouté(e) au cabinet.').waitFor()

    await practitioners.getByRole('button', { name: 'Modifier Hugo Marchetti' }).click()
    const edit = practitioners.getByRole('form', { name: 'Modifier Hugo Marchetti' })
    await edit.getByLabel('Nom affiché').fill('Hugo Marchetti-Roux')
    await edit.getByRole('radiogroup', { name: 'Couleur' }).getByLabel('Rose', { exact: true }).check()
    await edit.getByRole('button', { name: 'Enregistrer' }).click()
    await practitioners.getByText('Praticien Hugo Marchetti-Roux enregistré.').waitFor()
    const hugo = 'Hugo Marchetti-Roux Infirmier ou infirmière · RPPS 10001234567'
    for (const device of [a, b]) {
      await eventually(() => rows(device.page, 'Praticiens actifs'), `both practitioners on ${device.name}`).toEqual([
        // Both devices are Aurore's: each says « cet appareil » of her.
        `${PRACTICE.practitioner} Masseur-kinésithérapeute · cet appareil`,
        hugo,
      ])
    }
    expect(
      await practitioners.getByRole('listitem').filter({ hasText: 'Hugo Marchetti-Roux' }).locator('.settings-list__swatch').evaluate((el) => getComputedStyle(el).backgroundColor),
    ).toBe('rgb(219, 39, 119)')

    await practitioners.getByRole('button', { name: 'Désactiver Hugo Marchetti-Roux' }).click()
    await eventually(() => rows(b.page, 'Praticiens désactivés'), 'deactivated on B').toEqual([hugo])
    await practitioners.getByRole('button', { name: 'Réactiver Hugo Marchetti-Roux' }).click()
    await eventually(() => rows(b.page, 'Praticiens actifs'), 'back on B').toHaveLength(2)
  })

  it('3. appointment kinds: one offered by one practitioner, reasons for a taken name and a bad duration, retired and offered again', async () => {
    const { a, b } = setup()
    need(done.joined, 'the practice on both devices (step 1)')
    const kinds = section(a.page, 'Types de rendez-vous')
    expect(await rows(a.page, 'Types de rendez-vous proposés')).toEqual(
      expect.arrayContaining(['Séance 30 min · Tous les praticiens', 'Bilan 45 min · Tous les praticiens']),
    )
    await kinds.getByRole('button', { name: 'Nouveau type de rendez-vous' }).click()
    const form = kinds.getByRole('form', { name: 'Nouveau type de rendez-vous' })
    const label = form.getByLabel('Nom du type')
    const duration = form.getByLabel('Durée par défaut (min)')
    await label.fill('séance')
    await duration.fill('4')
    await form.getByRole('radiogroup', { name: 'Proposé par' }).getByLabel('Certains praticiens seulement').check()
    await form.getByRole('group', { name: 'Praticiens qui le proposent' }).getByLabel('Hugo Marchetti-Roux').check()
    await form.getByRole('button', { name: 'Ajouter le type' }).click()
    await eventually(() => duration.getAttribute('aria-invalid'), 'a 4-minute kind is refused').toBe('true')
    expect(await description(a.page, duration)).toContain('Entre 5 et 720 minutes. Valeur hors des limites autorisées (limite dépassée : 5).')
    await duration.fill('45')
    await form.getByRole('button', { name: 'Ajouter le type' }).click()
    await eventually(() => label.getAttribute('aria-invalid'), 'the name of « Séance » is taken').toBe('true')
    expect(await description(a.page, label)).toContain('Ce nom est déjà pris.')
    await label.fill('Drainage lymphatique')
    await form.getByRole('radiogroup', { name: 'Couleur' }).getByLabel('Violet', { exact: true }).check()
    await form.getByRole('button', { name: 'Ajouter le type' }).click()
    await kinds.getByText('Type « Drainage lymphatique » ajouté.').waitFor()
    for (const device of [a, b]) {
      await eventually(() => rows(device.page, 'Types de rendez-vous proposés'), `the new kind on ${device.name}`).toContain(
        'Drainage lymphatique 45 min · Hugo Marchetti-Roux',
      )
    }

    await kinds.getByRole('button', { name: 'Retirer le type Bilan' }).click()
    await eventually(() => rows(b.page, 'Types retirés'), 'retired on B').toEqual(['Bilan 45 min · Tous les praticiens'])
    expect(await rows(b.page, 'Types de rendez-vous proposés')).not.toContain('Bilan 45 min · Tous les praticiens')

    mkdirSync(screenshotDir, { recursive: true })
    await a.page.mouse.move(0, 0)
    await section(a.page, 'Praticiens').scrollIntoViewIfNeeded()
    await a.page.screenshot({ path: join(screenshotDir, 'settings-practitioners-1024x768.png'), animations: 'disabled' })
    await kinds.scrollIntoViewIfNeeded()
    await a.page.screenshot({ path: join(screenshotDir, 'settings-kinds-1024x768.png'), animations: 'disabled' })
    await a.page.setViewportSize({ width: 768, height: 1024 })
    await section(a.page, 'Praticiens').scrollIntoViewIfNeeded()
    await a.page.screenshot({ path: join(screenshotDir, 'settings-practitioners-768x1024.png'), animations: 'disabled' })
    await kinds.scrollIntoViewIfNeeded()
    await a.page.screenshot({ path: join(screenshotDir, 'settings-kinds-768x1024.png'), animations: 'disabled' })
    await a.page.setViewportSize({ width: 1024, height: 768 })

    await kinds.getByRole('button', { name: 'Proposer à nouveau le type Bilan' }).click()
    await eventually(() => rows(b.page, 'Types de rendez-vous proposés'), 'offered again on B').toContain('Bilan 45 min · Tous les praticiens')
  })
})
