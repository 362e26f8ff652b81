/**
 * Réglages › Appareils in real Chromium, two devices and one relay (issue 19): A lists both
 * devices from the practice's registry (verified in the page), with « Cet appareil » and who holds
 * each; A names B; A makes B secretary (« Modifier », a confirmation saying what it does), and B
 * learns it: it drops its clinical keys and databases and says so once; A makes B praticien again
 * (the change goes with a key grant: the confirmation says B will read past clinical files), and B,
 * left open, takes the grant at once, says so once and shows a note written while it was secretary; A
 * revokes B, confirming first; the relay closes B's sockets at once, and B
 * erases its copy of the practice and says why, while A goes on.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/devices.test.ts`.
 */
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { need, useTwoDevices } from './helpers/step-fixture'
import { addPatient, chooseMember, confirmationShown, createPractice, eventually, nav, pairDevice, patientLinks, pendingChanges, showJoiningCode, statusText } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Saules', practitioner: 'Camille Kerouac' }

function devicesSection(page: Page): Locator {
  return page.getByRole('region', { name: 'Appareils', exact: true })
}

/**
 * What B's IndexedDB holds of the clinical tier, read raw in the page: the clinical rooms' and
 * attachments' databases, and the clinical keys of its record and held epochs; its role and the
 * root secret (an administrator's) kept beside them.
 */
function clinicalOnDevice(page: Page) {
  return page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name ?? '')
    const all = (db: IDBDatabase, store: string) =>
      new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction(store).objectStore(store).getAll()
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tournee-device')
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    const [practices, epochs, pairing] = await Promise.all([all(db, 'practices'), all(db, 'epochs'), all(db, 'pairing')])
    db.close()
    const record = practices[0] as { role: string; keys: { clinical: unknown; attachment: unknown } }
    const held = epochs.flatMap((e) => (e as { keys: { clinical: unknown; attachment?: unknown }[] }).keys)
    return {
      // A clinical room's database: `tournee-space-<space>-c<21 characters>` (shared/src/space/room-keys.ts).
      databases: names.filter((name) => /^tournee-space-[A-Za-z0-9_-]+-c[A-Za-z0-9_-]{21}$/.test(name) || name.startsWith('tournee-attachments-')).length,
      role: record.role,
      keys: [record.keys.clinical, record.keys.attachment, ...held.flatMap((h) => [h.clinical, h.attachment ?? null])].filter((k) => k !== null).length,
      rootSecrets: pairing.length,
    }
  })
}

const NOTE_WHILE_SECRETARY = 'Note-Pendant-Le-Secretariat'

function noteBox(page: Page): Locator {
  return page.getByRole('textbox', { name: /^Texte : Séance du / })
}

/** Opens the patient file whose link matches `name`, up to its clinical part (or what stands for it). */
async function openPatient(page: Page, name: RegExp): Promise<void> {
  await page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name }).click({ timeout: 20_000 })
  await page.getByRole('heading', { level: 2, name: 'Dossier clinique' }).waitFor({ timeout: 20_000 })
}

function deviceRows(page: Page): Promise<string[]> {
  return devicesSection(page)
    .getByRole('list', { name: 'Appareils du cabinet' })
    .getByRole('listitem')
    .evaluateAll((items) => items.map((item) => (item.querySelector('.settings-list__main')?.textContent ?? '').replace(/\s+/g, ' ').trim()))
}

describe.sequential('devices of a practice, in Chromium', () => {
  const setup = useTwoDevices()
  const done = { paired: false, named: false, secretary: false }

  it('1. A lists both devices after pairing B: this device, the administrator, who holds each', async () => {
    const { a, b } = setup()
    await createPractice(a.page, PRACTICE)
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    await nav(a.page, 'Réglages').click()
    await eventually(() => deviceRows(a.page), 'both devices, from the verified registry').toHaveLength(2)
    const rows = await deviceRows(a.page)
    expect(rows.filter((row) => row.includes('Cet appareil'))).toHaveLength(1)
    expect(rows.every((row) => row.includes('Administrateur'))).toBe(true)
    // Who holds each device comes from the encrypted directory: both chose Camille.
    await eventually(async () => (await deviceRows(a.page)).filter((row) => row.includes(PRACTICE.practitioner)).length, 'who holds each device').toBe(2)
    done.paired = true
  })

  it('2. A names B « Téléphone de Camille », and the name reaches B', async () => {
    const { a, b } = setup()
    need(done.paired, 'two paired devices (step 1)')
    const other = devicesSection(a.page).getByRole('listitem').filter({ hasNotText: 'Cet appareil' })
    await other.getByRole('button', { name: 'Renommer' }).click()
    await other.getByLabel("Nom de l'appareil").fill('Téléphone de Camille')
    await other.getByRole('button', { name: 'Enregistrer' }).click()
    await eventually(() => deviceRows(a.page), 'the new name on A').toContainEqual(expect.stringContaining('Téléphone de Camille'))
    await nav(b.page, 'Réglages').click()
    await eventually(() => deviceRows(b.page), 'the name on B').toContainEqual(expect.stringMatching(/^Téléphone de Camille.*Cet appareil/))
    // The relay's word on when it last saw each device (its clock, not the pinned test day): both
    // have had sockets open since the pairing.
    const rows = await deviceRows(b.page)
    expect(rows.every((row) => /vu par le relais le \d+ \S+ \d{4} à \d+ h/.test(row)), rows.join('\n')).toBe(true)
    done.named = true
  })

  it('2b. A makes B secretary after a confirmation that says what it does; the verified registry says so', async () => {
    const { a, b } = setup()
    need(done.named, 'B named (step 2)')
    // Before: B, a praticien administrator, holds the clinical tier's keys and the root secret.
    const before = await clinicalOnDevice(b.page)
    expect(before).toMatchObject({ role: 'praticien', rootSecrets: 1 })
    expect(before.keys).toBeGreaterThan(0)
    const row = devicesSection(a.page).getByRole('listitem').filter({ hasText: 'Téléphone de Camille' })
    await row.getByRole('button', { name: 'Modifier' }).click()
    const form = row.getByRole('group', { name: 'Modifier le rôle de Téléphone de Camille' })
    await form.getByRole('radio', { name: 'Secrétariat' }).check()
    await form.getByRole('button', { name: 'Continuer' }).click()
    const said = await form.textContent()
    expect(said).toMatch(/Cet appareil ne recevra plus les dossiers cliniques/)
    expect(said).toMatch(/Il ne sera plus administrateur/)
    await form.getByRole('button', { name: 'Confirmer la modification' }).click()
    await eventually(() => deviceRows(a.page), 'B as secretary on A').toContainEqual(expect.stringMatching(/^Téléphone de Camille.*Secrétariat/))
    const changed = (await deviceRows(a.page)).find((r) => r.startsWith('Téléphone de Camille'))!
    expect(changed).not.toContain('Administrateur')
    // A secretary may be changed back (with a key grant), and sent the keys of its role again.
    expect(await row.getByRole('button', { name: 'Modifier' }).count()).toBe(1)
    expect(await row.getByRole('button', { name: 'Renvoyer les clés' }).count()).toBe(1)
    done.secretary = true
  })

  it('2c. B learns it is secretary: it says so once, with who and when; no clinical key or database is left; Réglages says so', async () => {
    const { a, b } = setup()
    need(done.secretary, 'B made secretary (step 2b)')
    // A's next entry is under the key epoch the change called for: B fetches it and reads the registry again.
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, { birthName: 'Apres', firstNames: 'Changement' })
    const notice = b.page.getByRole('status', { name: 'Rôle de cet appareil' })
    await notice.waitFor({ timeout: 20_000 })
    const said = ((await notice.textContent()) ?? '').replace(/\s+/g, ' ')
    expect(said).toContain('Cet appareil est désormais « secrétariat » : les dossiers cliniques ont été retirés de cet appareil.')
    expect(said).toMatch(/Modifié par .+ le \d+ \S+ \d{4}\./)
    expect(await clinicalOnDevice(b.page)).toEqual({ databases: 0, role: 'secretariat', keys: 0, rootSecrets: 0 })
    // The practice tier syncs on: A's new patient reaches B.
    await nav(b.page, 'Patients').click()
    await eventually(async () => (await patientLinks(b.page)).some((name) => /Apres/i.test(name)), 'A’s new patient on B').toBe(true)
    await notice.getByRole('button', { name: 'Compris' }).click()
    await notice.waitFor({ state: 'detached' })
    await nav(b.page, 'Réglages').click()
    await eventually(() => deviceRows(b.page), 'B says it is secretary').toContainEqual(expect.stringMatching(/^Téléphone de Camille.*Cet appareil.*Secrétariat/))
    // Read once: not shown again, and no clinical room came back.
    expect(await b.page.getByRole('status', { name: 'Rôle de cet appareil' }).count()).toBe(0)
    expect((await clinicalOnDevice(b.page)).databases).toBe(0)
    await nav(a.page, 'Réglages').click()
  })

  it('2d. A makes B praticien again, after a confirmation that says it will read past clinical files; the grant goes with the change; B, open, shows the clinical file at once', async () => {
    const { a, b } = setup()
    need(done.secretary, 'B made secretary (step 2b)')
    // A clinical note written while B is secretary, under the key epoch whose clinical key B was never sealed.
    await nav(a.page, 'Patients').click()
    await openPatient(a.page, /Apres/i)
    await a.page.getByRole('button', { name: 'Nouvelle note de séance' }).click()
    await noteBox(a.page).fill(NOTE_WHILE_SECRETARY)
    await eventually(() => pendingChanges(a), 'the note reaches the relay').toBe(0)
    await nav(a.page, 'Réglages').click()
    const row = devicesSection(a.page).getByRole('listitem').filter({ hasText: 'Téléphone de Camille' })
    await row.getByRole('button', { name: 'Modifier' }).click()
    const form = row.getByRole('group', { name: 'Modifier le rôle de Téléphone de Camille' })
    await form.getByRole('radio', { name: 'Praticien' }).check()
    await form.getByRole('button', { name: 'Continuer' }).click()
    expect(await form.textContent()).toMatch(/y compris de tout ce qui a été écrit avant ce changement : il pourra lire les dossiers passés/)
    await form.getByRole('button', { name: 'Confirmer la modification' }).click()
    await eventually(() => deviceRows(a.page), 'B as praticien on A').toContainEqual(expect.stringMatching(/^Téléphone de Camille.*Praticien/))
    // B, left open on Réglages, takes its grant without a reload and says so once.
    const notice = b.page.getByRole('status', { name: 'Rôle de cet appareil' })
    await notice.waitFor({ timeout: 20_000 })
    const said = ((await notice.textContent()) ?? '').replace(/\s+/g, ' ')
    expect(said).toContain('Cet appareil est désormais « praticien » : les dossiers cliniques sont de nouveau disponibles.')
    expect(said).toMatch(/Modifié par .+ le \d+ \S+ \d{4}\./)
    await nav(b.page, 'Patients').click()
    await openPatient(b.page, /Apres/i)
    await eventually(() => noteBox(b.page).inputValue(), 'the note written while B was secretary, on B').toBe(NOTE_WHILE_SECRETARY)
    await notice.getByRole('button', { name: 'Compris' }).click()
    await notice.waitFor({ state: 'detached' })
    for (const page of [a.page, b.page]) await nav(page, 'Réglages').click()
  })

  it('3. A revokes B after confirming: B is refused at once, erases its copy and says why; A goes on', async () => {
    const { a, b } = setup()
    need(done.named, 'B named (step 2)')
    const row = devicesSection(a.page).getByRole('listitem', { name: 'Téléphone de Camille' })
    await row.getByRole('button', { name: 'Révoquer' }).click()
    const confirmation = row.getByRole('group', { name: 'Révoquer Téléphone de Camille' })
    expect(await confirmation.textContent()).toMatch(/ne peut pas être repris s'il ne se reconnecte jamais/)
    await confirmation.getByRole('button', { name: 'Confirmer la révocation' }).click()
    await eventually(() => deviceRows(a.page), 'B shown revoked on A').toContainEqual(expect.stringMatching(/^Téléphone de Camille.*révoqué le/))
    // B learns it at once (its sockets closed with 4410), erases its copy and says why.
    await b.page.getByRole('heading', { level: 1, name: 'Bienvenue dans Tournée' }).waitFor()
    expect(await b.page.getByRole('alert').textContent()).toContain('Cet appareil a été révoqué du cabinet « Cabinet des Saules »')
    await eventually(
      () => b.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? '').filter((name) => name.startsWith('tournee-space-') || name === 'tournee-device')),
      "B's copy of the practice erased",
    ).toEqual([])

    await nav(a.page, 'Patients').click()
    await addPatient(a.page, { birthName: 'Apres', firstNames: 'Revocation' })
    await eventually(() => statusText(a), 'A still online').toMatch(/En ligne/)
  })

  it('4. a device added without the administrator role lists the devices but may neither add nor revoke', async () => {
    const fixture = setup()
    const { a } = fixture
    need(done.named, 'the practice of steps 1–2')
    const c = await fixture.openDevice('C')
    const code = await showJoiningCode(c.page)
    await nav(a.page, 'Réglages').click()
    const adding = a.page.getByRole('region', { name: 'Ajouter un appareil' })
    await adding.getByLabel('Code affiché sur le nouvel appareil').fill(code)
    await adding.getByRole('button', { name: 'Continuer' }).click()
    expect(await confirmationShown(c.page)).toBe(await confirmationShown(a.page))
    await adding.getByLabel(/^Administrateur/).uncheck()
    await adding.getByRole('button', { name: "Codes identiques : ajouter l'appareil" }).click()
    await chooseMember(c.page, PRACTICE.practitioner)

    await nav(c.page, 'Réglages').click()
    await eventually(() => deviceRows(c.page), 'three devices on C').toHaveLength(3)
    const own = (await deviceRows(c.page)).find((row) => row.includes('Cet appareil'))
    expect(own).not.toContain('Administrateur')
    expect(await c.page.getByRole('region', { name: 'Ajouter un appareil' }).textContent()).toContain('Seul un appareil administrateur')
    expect(await devicesSection(c.page).getByRole('button', { name: 'Révoquer' }).count()).toBe(0)
  })
})
