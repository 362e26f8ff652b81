/**
 * A secretary's device in real Chromium (issue 19, « People and roles »): A, an administrator
 * praticien, books an appointment for a patient and opens the patient's file; B is added from A's
 * Réglages as « Secrétariat ». B shows the agenda and the patient's identity, and the clinical
 * file as « Réservé aux praticiens » (never an error); B's IndexedDB holds no clinical key — none
 * of the keys stored anywhere in its origin opens what the clinical keys seal, and no byte string
 * in it is the root secret or the clinical tier's — and a raw WebSocket with B's credential to the
 * patient's file room is closed by the relay with 4403, while the main room opens. Then a third
 * device, added as « Remplaçant » with its last day, reads the file; Réglages › Appareils shows each
 * role. (A locum refused after its last day needs the relay's clock: tests/locum-end.test.ts.)
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/secretary-device.test.ts`.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { asBuffer, deriveSpaceKeys, deriveTierSecrets } from '../../shared/src/crypto/space-keys'
import { deriveAttachmentKey } from '../../shared/src/attachments/attachment-cipher'
import { randomBytes, toBase64Url } from '../../shared/src/crypto/base64url'
import { formatDayFr } from '../../shared/src/model/dates'
import { patientDocId } from '../../shared/src/model/doc-ids'
import { AUTH_SUBPROTOCOL_PREFIX, CloseCode, SUBPROTOCOL } from '../../shared/src/protocol/constants'
import { blindRoomName, keysOfRoom } from '../../shared/src/space/room-keys'
import { MAIN_ROOM, roomOf } from '../../shared/src/space/rooms'
import { TEST_TODAY } from '../helpers/test-clock'
import {
  acceptDevice,
  addAppointment,
  addPatient,
  agendaRows,
  chooseMember,
  createPractice,
  eventually,
  nav,
  practiceSecretsOf,
  showJoiningCode,
} from './helpers/practice-steps'
import { need, useTwoDevices } from './helpers/step-fixture'

const PRACTICE = { name: 'Cabinet des Glycines', practitioner: 'Solène Ravel' }
const PATIENT = { birthName: 'Quéré', firstNames: 'Armelle', display: 'Quéré Armelle' }
const DAY_LABEL = formatDayFr(TEST_TODAY)

/** AES-GCM probes sealed in Node with a key, for the page to try every key it stores on. */
interface Probe {
  readonly iv: string
  readonly sealed: string
}

async function probe(key: CryptoKey): Promise<Probe> {
  const iv = asBuffer(randomBytes(12))
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode('bilan')))
  return { iv: toBase64Url(iv), sealed: toBase64Url(sealed) }
}

/**
 * Every value of every object store of every IndexedDB database of the page's origin, walked:
 * how many CryptoKeys it holds, how many of them open each probe, and whether any byte string
 * equals one of `secrets` (base64url).
 */
function readStorage(page: Page, probes: Record<string, Probe>, secrets: Record<string, string>) {
  return page.evaluate(
    async ({ probes, secrets }) => {
      const bytes = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0))
      const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])
      const keys: CryptoKey[] = []
      const found: string[] = []
      const seen = new Set<unknown>()
      const walk = (value: unknown) => {
        if (value === null || typeof value !== 'object' || seen.has(value)) return
        seen.add(value)
        if (value instanceof CryptoKey) return void keys.push(value)
        const view = value instanceof ArrayBuffer ? new Uint8Array(value) : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : null
        if (view) {
          for (const [name, secret] of Object.entries(secrets)) if (same(view, bytes(secret))) found.push(name)
          return
        }
        for (const inner of value instanceof Map ? value.values() : Object.values(value)) walk(inner)
      }
      const databases = (await indexedDB.databases()).map((d) => d.name!).filter(Boolean)
      for (const name of databases) {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open(name)
          open.onsuccess = () => resolve(open.result)
          open.onerror = () => reject(open.error)
        })
        for (const store of [...db.objectStoreNames]) {
          const values = await new Promise<unknown[]>((resolve, reject) => {
            const request = db.transaction(store).objectStore(store).getAll()
            request.onsuccess = () => resolve(request.result)
            request.onerror = () => reject(request.error)
          })
          values.forEach(walk)
        }
        db.close()
      }
      const opened: Record<string, number> = {}
      for (const [name, p] of Object.entries(probes)) {
        opened[name] = 0
        for (const key of keys) {
          if (key.algorithm.name !== 'AES-GCM' || !key.usages.includes('decrypt')) continue
          const ok = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(p.iv) }, key, bytes(p.sealed)).then(
            () => true,
            () => false,
          )
          if (ok) opened[name]!++
        }
      }
      return { databases, keys: keys.length, opened, found }
    },
    { probes, secrets },
  )
}

/** The credential B's device registry holds (what its sockets carry). */
function credentialOf(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('tournee-device')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const request = open.result.transaction('practices').objectStore('practices').getAll()
          request.onsuccess = () => resolve((request.result as Array<{ credential: string }>)[0]!.credential)
          request.onerror = () => reject(request.error)
        }
      }),
  )
}

/** How a raw WebSocket from the page, with `credential`, to `roomId` ends: opened and closed with a code, or still open. */
function rawSocket(page: Page, url: string, credential: string): Promise<{ opened: boolean; code: number | null }> {
  return page.evaluate(
    ({ url, protocols }) =>
      new Promise<{ opened: boolean; code: number | null }>((resolve) => {
        const socket = new WebSocket(url, protocols)
        let opened = false
        socket.binaryType = 'arraybuffer'
        socket.onopen = () => {
          opened = true
        }
        // The relay sends its sync step 1 at once on a room it admits: a message means admitted.
        socket.onmessage = () => {
          socket.close()
          resolve({ opened, code: null })
        }
        socket.onclose = (event) => resolve({ opened, code: event.code })
      }),
    { url, protocols: [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + credential] },
  )
}

describe.sequential('a secretary’s device, in Chromium', () => {
  const setup = useTwoDevices()
  const shared: { patientId: string | null; paired: boolean } = { patientId: null, paired: false }

  function deviceRows(page: Page): Promise<string[]> {
    return page
      .getByRole('list', { name: 'Appareils du cabinet' })
      .getByRole('listitem')
      .evaluateAll((items) => items.map((item) => (item.querySelector('.settings-list__main')?.textContent ?? '').replace(/\s+/g, ' ').trim()))
  }

  it('1. A books the patient today and opens the file; B is added as « Secrétariat »', async () => {
    const { a, b } = setup()
    await createPractice(a.page, PRACTICE)
    await nav(a.page, 'Patients').click()
    await addPatient(a.page, PATIENT)
    await a.page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(PATIENT.display) }).click()
    // The file opens on a praticien's device: its room holds entries (this opening, at least).
    await a.page.getByRole('heading', { level: 3, name: 'Consultations du dossier' }).waitFor()
    shared.patientId = /#\/patients\/([^/?]+)/.exec(a.page.url())![1]!
    await nav(a.page, 'Agenda').click()
    await addAppointment(a.page, { start: '10:00', patient: PATIENT.display })

    await acceptDevice(a.page, await showJoiningCode(b.page), b.page, { role: 'Secrétariat' })
    await chooseMember(b.page, PRACTICE.practitioner)
    shared.paired = true
  })

  it('2. B shows the agenda and the patient’s identity, and the file as « Réservé aux praticiens », never an error', async () => {
    const { b } = setup()
    need(shared.paired, 'B paired as a secretary (step 1)')
    await eventually(async () => (await agendaRows(b.page, DAY_LABEL)).join('\n'), 'the appointment on B').toContain(PATIENT.display)
    await nav(b.page, 'Patients').click()
    await b.page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(PATIENT.display) }).click({ timeout: 20_000 })
    await b.page.getByRole('heading', { level: 1, name: PATIENT.display }).waitFor()
    const file = b.page.getByRole('region', { name: 'Dossier clinique' })
    await file.getByText('Réservé aux praticiens', { exact: true }).waitFor()
    expect(await file.getByRole('note').textContent()).toContain('Notes, bilans, ordonnances, pièces jointes et consultations du dossier')
    // None of the file's parts, nor a wait for them.
    for (const heading of ['Séances et bilans', 'Ordonnances', 'Pièces jointes', 'Consultations du dossier']) {
      expect(await b.page.getByRole('heading', { name: heading, exact: true }).count(), heading).toBe(0)
    }
    expect(await file.getByText('Chargement').count()).toBe(0)
    expect(await b.page.getByRole('alert').count()).toBe(0)
  })

  it('3. B’s IndexedDB holds no clinical key: none of its keys opens what the clinical keys seal, no root nor clinical secret', async () => {
    const { a, b } = setup()
    need(shared.paired, 'B paired as a secretary (step 1)')
    const { spaceId, rootSecret } = await practiceSecretsOf(a.page)
    const tiers = await deriveTierSecrets(spaceId, rootSecret)
    const keys = await deriveSpaceKeys(spaceId, rootSecret)
    const probes = {
      clinical: await probe(keys.clinical!),
      attachment: await probe(await deriveAttachmentKey(spaceId, tiers.clinical)),
      practice: await probe(keys.aead),
    }
    const secrets = { root: toBase64Url(rootSecret), clinical: toBase64Url(tiers.clinical), practice: toBase64Url(tiers.practice) }
    const onB = await readStorage(b.page, probes, secrets)
    expect(onB.databases).toContain('tournee-device')
    expect(onB.opened, `${onB.keys} keys in ${onB.databases.length} databases`).toEqual({ clinical: 0, attachment: 0, practice: 1 })
    expect(onB.found, 'no secret stored as bytes').toEqual([])
    // The same walk on A, a praticien administrator: it finds what B lacks (the walk can fail).
    const onA = await readStorage(a.page, probes, secrets)
    expect(onA.opened.clinical).toBe(1)
    expect(onA.opened.attachment).toBe(1)
    expect(onA.found).toEqual(['root'])
  })

  it('4. the relay refuses B’s credential on the patient’s file room (4403) and lets it into the main room', async () => {
    const { a, b, relay } = setup()
    need(shared.patientId, 'the patient of step 1')
    const { spaceId, rootSecret } = await practiceSecretsOf(a.page)
    const keys = await deriveSpaceKeys(spaceId, rootSecret)
    const fileRoom = await roomOf(patientDocId(shared.patientId!))
    const wsBase = `${relay.url.replace(/^http/, 'ws')}/v1/sync/${spaceId}`
    const secretary = await credentialOf(b.page)
    const refused = await rawSocket(b.page, `${wsBase}/${await blindRoomName(keysOfRoom(keys, fileRoom), fileRoom)}`, secretary)
    expect(refused).toEqual({ opened: true, code: CloseCode.RoleForbidden.code })
    expect(await rawSocket(b.page, `${wsBase}/${await blindRoomName(keys, MAIN_ROOM)}`, secretary)).toEqual({ opened: true, code: null })
    // A praticien's credential on the same file room is let in.
    expect(await rawSocket(a.page, `${wsBase}/${await blindRoomName(keysOfRoom(keys, fileRoom), fileRoom)}`, await credentialOf(a.page))).toEqual({ opened: true, code: null })
  })

  it('5. a third device added as « Remplaçant » (its last day asked first) reads the file; Réglages lists each role', async () => {
    const { a, openDevice } = setup()
    need(shared.paired, 'B paired as a secretary (step 1)')
    const c = await openDevice('C')
    const code = await showJoiningCode(c.page)
    // Without its last day, a locum is not added: the form says what is missing, nothing is sealed.
    await nav(a.page, 'Réglages').click()
    const section = a.page.getByRole('region', { name: 'Ajouter un appareil' })
    await section.getByLabel('Code affiché sur le nouvel appareil').fill(code)
    await section.getByRole('button', { name: 'Continuer' }).click()
    await section.getByRole('radiogroup', { name: 'Rôle de cet appareil' }).getByLabel('Remplaçant', { exact: true }).check()
    expect(await section.getByLabel(/^Administrateur/).count(), 'a locum is never an administrator').toBe(0)
    await section.getByRole('button', { name: "Codes identiques : ajouter l'appareil" }).click()
    await section.getByText('Indiquez le dernier jour du remplacement.').waitFor()
    // A last day far ahead: the relay's clock is the machine's, never before it on any day the suite runs.
    await section.getByLabel('Dernier jour du remplacement').fill('31/12/2099')
    await section.getByRole('button', { name: "Codes identiques : ajouter l'appareil" }).click()
    await section.getByText('Appareil ajouté').waitFor({ timeout: 20_000 })
    await chooseMember(c.page, PRACTICE.practitioner)

    await nav(c.page, 'Patients').click()
    await c.page.getByRole('list', { name: 'Liste des patients' }).getByRole('link', { name: new RegExp(PATIENT.display) }).click({ timeout: 20_000 })
    await c.page.getByRole('heading', { level: 3, name: 'Consultations du dossier' }).waitFor({ timeout: 20_000 })
    expect(await c.page.getByText('Réservé aux praticiens', { exact: true }).count()).toBe(0)

    await eventually(() => deviceRows(a.page), 'three devices on A').toHaveLength(3)
    const rows = await deviceRows(a.page)
    expect(rows.filter((row) => row.includes('Secrétariat'))).toHaveLength(1)
    expect(rows.filter((row) => row.includes('Remplaçant') && row.includes("jusqu'au 31 décembre 2099 inclus"))).toHaveLength(1)
    expect(rows.filter((row) => row.includes('Cet appareil') && row.includes('Praticien') && row.includes('Administrateur'))).toHaveLength(1)
  })
})
