/**
 * The clinical file in a real browser, two devices (two Chromium contexts) and one relay process:
 * two practitioners typing in the same session note at once (both online, then one offline), an
 * ordonnance recorded with a field error first, an attachment added offline that uploads when the
 * device is back online and opens on the other device as the same image, an attachment that
 * cannot be fetched offline, and a byte search of the relay's data folder for the file.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/patient-file.test.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodePng } from '../helpers/png'
import { shownImage } from './helpers/attachment-tab'
import { startTwoDevices } from './helpers/browser'
import type { Device, TwoDevices } from './helpers/browser'
import { addAppointment, addPatient, createPractice, eventually, nav, pairDevice, statusText } from './helpers/practice-steps'

const screenshotDir = process.env.TOURNEE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), 'tournee-e2e-screenshots/')

const PRACTICE = { name: 'Cabinet du Vieux Port', practitioner: 'Romane Delacroix' }
const PATIENT = { birthName: 'Zéphyrinovska', firstNames: 'Odalrique', display: 'Zéphyrinovska Odalrique' }
const SEED = 'Séance du jour.'
const FROM_A = 'Alpha: douleur lombaire en baisse. '
const FROM_B = ' Bravo: exercices de gainage à domicile.'
const OFFLINE_A = 'Reprise le matin. '
const OFFLINE_B = ' Charlie: revoir dans 8 jours.'
const FILE_NAME = 'ordonnance-Zephyrinovska-scan.png'
/** A real 3×2 PNG whose text chunk is a marker: distinctive bytes to search for in the relay's folder. */
const FILE_IMAGE = {
  width: 3,
  height: 2,
  rgba: [200, 30, 40, 255, 20, 180, 60, 255, 10, 20, 220, 255, 250, 250, 250, 255, 0, 0, 0, 255, 128, 64, 32, 255],
  text: { keyword: 'Comment', value: 'PLAINTEXT-SCAN-MARKER '.repeat(300) },
}
const FILE_BYTES = encodePng(FILE_IMAGE)
const SECOND_FILE = { name: 'bilan-radio-genou.pdf', bytes: Buffer.from('%PDF-1.4 RADIO-GENOU-MARKER '.repeat(50)) }

function noteBox(page: Page): Locator {
  return page.getByRole('textbox', { name: /^Texte : Séance du / })
}

async function connection(device: Device): Promise<string> {
  return (await statusText(device)).replace(/ \d+ modifications? en attente.*$/, '')
}

async function goOffline(device: Device): Promise<void> {
  await device.context.setOffline(true)
  await eventually(() => connection(device), `${device.name} shows it is offline`).toBe('Hors ligne')
}

async function goOnline(device: Device): Promise<void> {
  await device.context.setOffline(false)
  await eventually(() => connection(device), `${device.name} is back online`).toBe('En ligne')
}

/** Types `text` with the caret first put at the start or the end of the note, key by key. */
async function typeInNote(page: Page, where: 'start' | 'end', text: string): Promise<void> {
  await noteBox(page).click()
  await page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End')
  await page.keyboard.type(text, { delay: 25 })
}

function attachmentButton(page: Page, name: string): Locator {
  return page.getByRole('button', { name: `Ouvrir ${name}` })
}

function attachmentItem(page: Page, name: string): Locator {
  return page.getByRole('listitem').filter({ has: attachmentButton(page, name) })
}

/** Bytes of a file the data folder holds anywhere (database, WAL). */
function relayFolderContains(dataDir: string, needle: Buffer): boolean {
  return readdirSync(dataDir).some((name) => readFileSync(join(dataDir, name)).includes(needle))
}

describe.sequential('the clinical file on two devices', () => {
  let env: TwoDevices
  let a: Device
  let b: Device
  const shared = { ready: false, attachment: false }

  beforeAll(async () => {
    env = await startTwoDevices()
    a = env.a
    b = env.b
  })

  afterEach(() => env.assertHealthy())

  afterAll(async () => {
    await env?.dispose()
  })

  it('1. both devices open the same patient file', async () => {
    await createPractice(a.page, PRACTICE)
    await pairDevice(a.page, b.page, PRACTICE.practitioner)
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    for (const device of [a, b]) {
      await nav(device.page, 'Patients').click()
      const link = device.page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(PATIENT.display) })
      await link.click({ timeout: 20_000 })
      await device.page.getByRole('heading', { level: 2, name: 'Dossier clinique' }).waitFor()
    }
    shared.ready = true
  })

  it('2. two practitioners type in the same session note at once, and both texts survive on both', async () => {
    expect(shared.ready, 'needs the patient file open on both devices (step 1)').toBe(true)
    await a.page.getByRole('button', { name: 'Nouvelle note de séance' }).click()
    await typeInNote(a.page, 'end', SEED)
    await eventually(() => noteBox(b.page).inputValue(), 'the note reaches B').toBe(SEED)

    // At the same time: A at the start of the note, B at its end. Every keystroke of A lands
    // before B's caret, which must stay where B is typing.
    await Promise.all([typeInNote(a.page, 'start', FROM_A), typeInNote(b.page, 'end', FROM_B)])
    const merged = FROM_A + SEED + FROM_B
    for (const device of [a, b]) {
      await eventually(() => noteBox(device.page).inputValue(), `both texts, in place, on ${device.name}`).toBe(merged)
    }
  })

  it('3. the same, with B offline while both type: merged when B is back', async () => {
    const before = await noteBox(a.page).inputValue()
    await goOffline(b)
    await Promise.all([typeInNote(a.page, 'start', OFFLINE_A), typeInNote(b.page, 'end', OFFLINE_B)])
    expect(await noteBox(b.page).inputValue(), 'offline B has only its own text').toBe(before + OFFLINE_B)
    await goOnline(b)
    const merged = OFFLINE_A + before + OFFLINE_B
    for (const device of [a, b]) {
      await eventually(() => noteBox(device.page).inputValue(), `both offline texts on ${device.name}`).toBe(merged)
    }
  })

  it('3b. two practitioners type at the same place at the same time: each one’s text stays in one piece, on both', async () => {
    // Issue 20: « [Camille: RAS] » and « [Julien: ok] » typed at the end of the same note became
    // « [ [CaJumilillene::  RokAS]] ». Both carets at the very end, both typing key by key at once.
    const before = await noteBox(a.page).inputValue()
    const SAME_A = ' [Camille: RAS, genou souple]'
    const SAME_B = ' [Julien: ok, revoir jeudi]'
    await Promise.all([typeInNote(a.page, 'end', SAME_A), typeInNote(b.page, 'end', SAME_B)])
    const results: string[] = []
    for (const device of [a, b]) {
      await eventually(() => noteBox(device.page).inputValue(), `both texts on ${device.name}`).toHaveLength(before.length + SAME_A.length + SAME_B.length)
      results.push(await noteBox(device.page).inputValue())
    }
    expect(results[0], 'both devices show the same note').toBe(results[1])
    const merged = results[0]!
    expect(merged.startsWith(before), 'the text before the carets is untouched').toBe(true)
    const tail = merged.slice(before.length)
    expect([SAME_A + SAME_B, SAME_B + SAME_A], `each device's run of letters is contiguous: ${JSON.stringify(tail)}`).toContain(tail)

    // Undo on A takes back A's own typing, never B's.
    await noteBox(a.page).focus()
    await a.page.keyboard.press('Control+z')
    for (const device of [a, b]) {
      await eventually(() => noteBox(device.page).inputValue(), `A's words undone, B's kept, on ${device.name}`).toBe(before + SAME_B)
    }
  })

  it('4. an ordonnance with a wrong RPPS says which field, and is saved once fixed', async () => {
    const form = a.page.getByRole('form', { name: 'Nouvelle ordonnance' })
    await form.getByLabel('Prescripteur', { exact: true }).fill('Dr Hortense Vidal')
    await form.getByLabel('RPPS du prescripteur').fill('1000123456')
    await form.getByLabel('Indication').fill('Rééducation lombaire')
    await form.getByLabel('Nombre de séances prescrites').fill('10')
    await form.getByRole('button', { name: "Enregistrer l'ordonnance" }).click()
    const rpps = form.getByRole('textbox', { name: 'RPPS du prescripteur' })
    await expect.poll(() => rpps.getAttribute('aria-invalid')).toBe('true')
    await expect.poll(() => form.getByText('Numéro RPPS invalide : 11 chiffres.').count()).toBeGreaterThan(0)
    await rpps.fill('10001234567')
    await form.getByRole('button', { name: "Enregistrer l'ordonnance" }).click()
    await form.getByText('Ordonnance enregistrée.').waitFor()
    const card = b.page.getByRole('article', { name: /^Ordonnance du .* — Dr Hortense Vidal$/ })
    await eventually(() => card.getByText(/Séances faites/).textContent(), 'the ordonnance and its counts on B').toBe(
      'Séances faites : 0 · prévues : 0 · restantes : 10 sur 10',
    )
  })

  it('4b. a session booked in the agenda is linked to the ordonnance, and both devices count it', async () => {
    // Booked through the agenda's editor, on the last slot of the day: still ahead unless the test
    // runs in the evening, when the session counts apart as past (both outcomes are checked below).
    await nav(a.page, 'Agenda').click()
    await addAppointment(a.page, { start: '20:30', patient: PATIENT.display })
    await nav(a.page, 'Patients').click()
    await a.page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(PATIENT.display) }).click()

    const cardOn = (page: Page) => page.getByRole('article', { name: /^Ordonnance du .* — Dr Hortense Vidal$/ })
    await cardOn(a.page).getByRole('button', { name: 'Lier les séances' }).click()
    const session = cardOn(a.page).getByRole('checkbox', { name: /à 20 h 30 \(prévu\)/ })
    await session.check()
    for (const device of [a, b]) {
      await eventually(
        async () => `${await cardOn(device.page).textContent()}`,
        `the linked session counted on ${device.name}`,
      ).toMatch(/prévues : 1 · restantes : 10 sur 10|1 séance passée ni faite ni annulée/)
    }
    await session.uncheck()
    await eventually(() => cardOn(b.page).getByText(/Séances faites/).textContent(), 'unlinked on B').toBe(
      'Séances faites : 0 · prévues : 0 · restantes : 10 sur 10',
    )
  })

  it('5. an attachment added offline uploads when back online and opens on the other device as the same image', async () => {
    await goOffline(a)
    await a.page.getByLabel('Ajouter une photo ou un fichier').setInputFiles({ name: FILE_NAME, mimeType: 'image/png', buffer: FILE_BYTES })
    await expect.poll(() => attachmentItem(a.page, FILE_NAME).textContent(), { timeout: 20_000 }).toContain("en attente d'envoi")
    // Still offline: B cannot know of it.
    expect(await attachmentButton(b.page, FILE_NAME).count()).toBe(0)

    await goOnline(a)
    await eventually(() => attachmentItem(a.page, FILE_NAME).textContent(), 'the upload leaves the queue').not.toContain("en attente d'envoi")
    await attachmentButton(b.page, FILE_NAME).waitFor({ timeout: 20_000 })
    const popupOpened = b.context.waitForEvent('page')
    await attachmentButton(b.page, FILE_NAME).click()
    const popup = await popupOpened
    // The image shows in the new tab from its decrypted blob; the tab inherits the app's
    // Content-Security-Policy, which refuses a fetch of the blob: its pixels tell what B decoded.
    const shown = await shownImage(popup)
    expect(shown.src).toMatch(/^blob:/)
    expect(shown, 'B shows exactly the image A added').toMatchObject({ width: FILE_IMAGE.width, height: FILE_IMAGE.height, rgba: FILE_IMAGE.rgba })
    await popup.close()
    shared.attachment = true
  })

  it("6. the relay's data folder holds the ciphertext, never the file's bytes or its name", async () => {
    expect(shared.attachment, 'needs the uploaded attachment (step 5)').toBe(true)
    // Positive control: a slice of the ciphertext A keeps in its attachment cache is found.
    const cipher = await a.page.evaluate(async () => {
      const name = (await indexedDB.databases()).map((d) => d.name ?? '').find((n) => n.startsWith('tournee-attachments-'))
      if (!name) throw new Error('no attachment cache database')
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      const blobs = await new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction('blobs').objectStore('blobs').getAll()
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      db.close()
      return blobs.map((blob) => Array.from(blob as Uint8Array))
    })
    expect(cipher).toHaveLength(1)
    const dataDir = env.relay.dataDir
    expect(relayFolderContains(dataDir, Buffer.from(cipher[0]!.slice(200, 264))), 'the search finds the stored ciphertext').toBe(true)
    expect(relayFolderContains(dataDir, FILE_BYTES.subarray(8, 72))).toBe(false)
    expect(relayFolderContains(dataDir, Buffer.from('PLAINTEXT-SCAN-MARKER'))).toBe(false)
    expect(relayFolderContains(dataDir, Buffer.from(FILE_NAME))).toBe(false)
    expect(relayFolderContains(dataDir, Buffer.from('Zephyrinovska'))).toBe(false)
    expect(relayFolderContains(dataDir, Buffer.from(FROM_A.trim()))).toBe(false)
  })

  it('7. offline, an attachment this device never fetched says so, and the file still renders', async () => {
    await a.page.getByLabel('Ajouter une photo ou un fichier').setInputFiles({
      name: SECOND_FILE.name,
      mimeType: 'application/pdf',
      buffer: SECOND_FILE.bytes,
    })
    await eventually(async () => (await attachmentItem(a.page, SECOND_FILE.name).textContent()) ?? '', 'uploaded').not.toContain(
      "en attente d'envoi",
    )
    await attachmentButton(b.page, SECOND_FILE.name).waitFor({ timeout: 20_000 })
    await goOffline(b)
    // Said before anyone taps it; the file B fetched before is not flagged.
    await attachmentItem(b.page, SECOND_FILE.name).getByText('Pièce jointe indisponible hors ligne').waitFor({ timeout: 20_000 })
    expect(await attachmentItem(b.page, FILE_NAME).getByText('Pièce jointe indisponible hors ligne').count()).toBe(0)
    await attachmentButton(b.page, SECOND_FILE.name).click()
    await attachmentItem(b.page, SECOND_FILE.name).getByText('Pièce jointe indisponible hors ligne').waitFor({ timeout: 20_000 })
    // The rest of the file is still there, and the attachment fetched before still opens offline.
    expect(await noteBox(b.page).inputValue()).toContain(FROM_B.trim())
    const popupOpened = b.context.waitForEvent('page')
    await attachmentButton(b.page, FILE_NAME).click()
    const popup = await popupOpened
    expect((await shownImage(popup)).rgba).toEqual(FILE_IMAGE.rgba)
    await popup.close()
    await goOnline(b)
    await eventually(() => attachmentItem(b.page, SECOND_FILE.name).getByText('Pièce jointe indisponible hors ligne').count(), 'online again: no longer flagged').toBe(0)
  })

  it('8. screenshots of a patient file on a tablet, landscape and portrait', async () => {
    mkdirSync(screenshotDir, { recursive: true })
    // The whole clinical file (notes, ordonnance, attachments), as wide as the tablet shows it.
    const file = a.page.getByRole('region', { name: 'Dossier clinique' })
    await file.screenshot({ path: join(screenshotDir, 'patient-file-1024x768.png') })
    await a.page.setViewportSize({ width: 768, height: 1024 })
    await file.screenshot({ path: join(screenshotDir, 'patient-file-768x1024.png') })
    await a.page.setViewportSize({ width: 1024, height: 768 })
  })
})
