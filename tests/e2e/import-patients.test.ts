/**
 * « Réglages › Importer des patients » in real Chromium: a Windows-1252 CSV from another program
 * chosen through the file input; a truncated file refused with its line and field; the mapping
 * screen (one header nobody listed, mapped by hand); the dry run naming a wrong NIR key and a
 * patient already there; the import; the patients listed; and « Annuler cet import » removing
 * exactly what it created.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/import-patients.test.ts`.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { nirKey } from '../../shared/src/model/nir'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { useBrowserDevices } from './helpers/browser-devices'
import { addPatient, createPractice, eventually, nav, patientLinks } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet du Port', practitioner: 'Yannick Le Goff' }
const NIR_BODY = '2580375056123'
const NIR = `${NIR_BODY}${String(nirKey(NIR_BODY)).padStart(2, '0')}`
const WRONG_NIR = `${NIR_BODY}${String((nirKey(NIR_BODY) % 97) + 1).padStart(2, '0')}`

/** Windows-1252 as Excel writes it on a French Windows (every character here is below 0x100). */
const cp1252 = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1')

const FILE = cp1252([
  'Patronyme;Prénom;Né(e) le;N° SS;Tél. portable;Adresse;CP;Ville',
  `Lefèvre;Zoë;12/03/1958;${NIR};06 12 34 56 78;"3, quai de la Douane";29200;Brest`,
  'Garçon;Noël;1990-07-05;;+33 6 12 34 56 80;12 rue Kéréon;29000;Quimper',
  '',
  `Martin;Léa;01/01/1980;${WRONG_NIR};;;;`,
  'DURAND;paul;14/07/1950;;06.12.34.56.81;;;',
])

/** A patient link reads « Durand Paul14 juillet 1950 … »: its name is what comes before the birth date. */
const nameOf = (link: string) => (/^\D+/.exec(link)?.[0] ?? link).trim()

async function importSection(page: Page) {
  await nav(page, 'Réglages').click()
  const section = page.getByRole('region', { name: 'Importer des patients', exact: true })
  await section.scrollIntoViewIfNeeded()
  return section
}

describe.sequential('Réglages › Importer des patients, in Chromium', () => {
  const shared = useAppRelayAndBrowser()
  const open = useBrowserDevices(shared)

  it('imports a CSV through the mapping screen and the dry run, then undoes exactly that import', async () => {
    const { page } = await open('A')
    await createPractice(page, PRACTICE)
    await nav(page, 'Patients').click()
    await addPatient(page, { birthName: 'Durand', firstNames: 'Paul', birthDate: '14/07/1950' })

    let section = await importSection(page)
    const input = section.getByLabel('Fichier de patients (CSV)')
    // A file cut short: nothing is read, and the message says where.
    await input.setInputFiles({ name: 'coupé.csv', mimeType: 'text/csv', buffer: cp1252(['Nom;Prénom;Ville', 'Roy;Jean;Brest', 'Roy;Ja']) })
    await section.getByRole('alert').getByText("Fichier incomplet, ligne 3 : le champ « Ville » manque. Rien n'a été importé.").waitFor()

    await input.setInputFiles({ name: 'patients.csv', mimeType: 'text/csv', buffer: FILE })
    await section.getByText('4 lignes lues (Windows-1252, séparateur point-virgule).').waitFor()
    const check = section.getByRole('button', { name: "Vérifier l'import" })
    // « Patronyme » is nobody's header: until it is mapped, the patient has no name.
    await section.getByText('Choisissez une colonne pour : Nom de naissance.').waitFor()
    expect(await check.isDisabled()).toBe(true)
    expect(await section.getByLabel('Champ pour « Né(e) le »').inputValue()).toBe('birthDate')
    expect(await section.getByLabel('Champ pour « N° SS »').inputValue()).toBe('nir')
    await section.getByLabel('Champ pour « Patronyme »').selectOption({ label: 'Nom de naissance' })
    await check.click()

    const summary = section.getByRole('list', { name: "Ce que l'import fera" })
    await summary.waitFor()
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      '2 patients seront créés',
      '1 ligne invalide, ignorée',
      '1 patient déjà présent',
    ])
    expect(await section.getByRole('list', { name: 'Lignes non importées' }).getByRole('listitem').allTextContents()).toEqual([
      'Ligne 5 — Martin Léa : invalide — NIR (numéro de sécurité sociale) : Clé du NIR incorrecte : vérifiez les chiffres saisis.',
      'Ligne 6 — DURAND paul : déjà présent (Durand Paul), ne sera pas créé.',
    ])
    expect(await section.getByRole('list', { name: 'Patients à créer' }).getByRole('listitem').allTextContents()).toEqual([
      'Ligne 2 — Lefèvre Zoë : sera créé.',
      'Ligne 3 — Garçon Noël : sera créé.',
    ])
    await section.getByRole('button', { name: 'Importer 2 patients' }).click()
    await section.getByText('2 patients importés.').waitFor()

    await nav(page, 'Patients').click()
    await eventually(async () => (await patientLinks(page)).map(nameOf).sort(), 'the imported patients listed').toEqual([
      'Durand Paul',
      'Garçon Noël',
      'Lefèvre Zoë',
    ])

    section = await importSection(page)
    const item = section.getByRole('listitem', { name: 'patients.csv' })
    await item.getByRole('button', { name: 'Annuler cet import' }).click()
    await item.getByText("2 patients créés par cet import seront supprimés (ils restent restaurables depuis l'historique).").waitFor()
    await item.getByRole('button', { name: "Confirmer l'annulation" }).click()
    await item.getByText('Import annulé : 2 patients supprimés.').waitFor()
    await item.getByText(/annulé le/).waitFor()

    await nav(page, 'Patients').click()
    await eventually(async () => (await patientLinks(page)).map(nameOf), 'only the patient typed by hand').toEqual(['Durand Paul'])
  })
})
