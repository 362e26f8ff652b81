/**
 * Issue 19, « A lock », in Chromium with a real relay: a PIN chosen from the offer after creating
 * the practice, a lock on demand, a wrong PIN refused with the count, the right one giving the
 * practice back; the lock at launch; the lock after the practice's idle time (the page's clock
 * moved by Playwright, not waited for); five wrong PINs, the waits between them, and the device
 * forgetting the practice (its databases gone, the first-run screen saying so, the practice back
 * with the pairing code); a passkey through Chromium's virtual authenticator (CDP WebAuthn)
 * without the PRF extension (the keys stay as they were), and one with it, whose PRF secret wraps
 * the device's keys at rest: after a reload a copy of the whole profile's IndexedDB, read from the
 * page, holds no CryptoKey at all (working keys, held epochs, the held state's key, the device's
 * own key pairs), no secret and no relay credential, and the held state's rows open under nothing
 * it holds; the same copy before the passkey opens them. Whenever locked, no patient's name is anywhere in the page's DOM.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/lock.test.ts`.
 */
// Node's side of the test (the practice's other device) keeps its databases in fake IndexedDB.
import 'fake-indexeddb/auto'
import type { CDPSession, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import type { Device } from './helpers/browser'
import { useBrowserDevices } from './helpers/browser-devices'
import {
  addAppointment,
  addPatient,
  createPractice,
  eventually,
  nav,
  pairFromNodeDevice,
  pairNodeDevice,
  patientLinks,
  pendingChanges,
  practiceSecretsOf,
} from './helpers/practice-steps'
import { nodeDeviceEnvironment } from '../helpers/node-device'

const PIN = '482915'
/** A platform authenticator that verifies the person (face, finger), with the PRF extension. */
const AUTHENTICATOR = {
  protocol: 'ctap2',
  ctap2Version: 'ctap2_1',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  hasPrf: true,
} as const
/** The same authenticator where the platform gives no PRF secret. */
const WITHOUT_PRF = { ...AUTHENTICATOR, hasPrf: false } as const
const PATIENT = { birthName: 'Fontaine-Garrigue', firstNames: 'Hélène', display: 'Fontaine-Garrigue Hélène' }

function lockScreen(page: Page) {
  return page.getByRole('heading', { level: 1, name: 'Tournée est verrouillé' })
}

function lockSection(page: Page) {
  return page.getByRole('region', { name: 'Verrouillage', exact: true })
}

/** Whether the patient's name is anywhere in the page's DOM (text, attributes, input values). */
async function nameInPage(page: Page): Promise<boolean> {
  const html = await page.content()
  const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea')].map((e) => (e as HTMLInputElement).value).join(' '))
  return [html, values].some((text) => text.includes(PATIENT.birthName) || text.includes(PATIENT.firstNames))
}

/**
 * The strings of the page's JavaScript heap (after a garbage collection) that hold `text` and that
 * something retains other than weakly: what the page still holds. (A string the engine has not
 * reclaimed yet, reachable by no one, is left: no script can read it.)
 */
async function heldInHeap(page: Page, text: string): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('HeapProfiler.enable')
    await cdp.send('HeapProfiler.collectGarbage')
    const chunks: string[] = []
    cdp.on('HeapProfiler.addHeapSnapshotChunk', (event) => chunks.push(event.chunk))
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
    const snapshot = JSON.parse(chunks.join('')) as {
      snapshot: { meta: { node_fields: string[]; edge_fields: string[]; edge_types: [string[]] } }
      nodes: number[]
      edges: number[]
      strings: string[]
    }
    const { node_fields: nodeFields, edge_fields: edgeFields, edge_types: [edgeTypes] } = snapshot.snapshot.meta
    const [NF, EF] = [nodeFields.length, edgeFields.length]
    const [nName, nEdges] = [nodeFields.indexOf('name'), nodeFields.indexOf('edge_count')]
    const [eType, eTo] = [edgeFields.indexOf('type'), edgeFields.indexOf('to_node')]
    const weak = edgeTypes.indexOf('weak')
    const matching = new Set<number>()
    for (let node = 0; node < snapshot.nodes.length; node += NF) {
      if (String(snapshot.strings[snapshot.nodes[node + nName]!]).includes(text)) matching.add(node)
    }
    const held = new Set<number>()
    let edge = 0
    for (let node = 0; node < snapshot.nodes.length; node += NF) {
      for (let i = 0; i < snapshot.nodes[node + nEdges]!; i++, edge += EF) {
        const to = snapshot.edges[edge + eTo]!
        if (matching.has(to) && snapshot.edges[edge + eType] !== weak) held.add(to)
      }
    }
    return [...held].map((node) => String(snapshot.strings[snapshot.nodes[node + nName]!]).slice(0, 80))
  } finally {
    await cdp.detach()
  }
}

/** Names of the app's IndexedDB databases on this device. */
function databases(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Promise.race([
      indexedDB.databases().then((list) => list.map((d) => d.name ?? '').filter((name) => name.startsWith('tournee-'))),
      new Promise<string[]>((resolve) => setTimeout(() => resolve(['no answer in 2 s']), 2_000)),
    ]),
  )
}

/** The text of the agenda's appointment lists on screen. */
async function appointmentsShown(page: Page): Promise<string> {
  return (await page.getByRole('list', { name: /^Rendez-vous de / }).allTextContents()).join(' ')
}

/**
 * What a copy of the profile finds in the device's registry database, read raw from the page
 * through `indexedDB`: the CryptoKeys stored outside the device's own key pairs (`identity`, not
 * wrapped yet: docs/threat-model.md), whether any stored byte string holds `secret`, the practices
 * wrapped, how many practice records still carry keys, and the pairing store's records.
 */
function profileAtRest(page: Page, secret: number[]) {
  return page.evaluate(
    (needle) =>
      new Promise<{ keysOutsideIdentity: string[]; secretFound: boolean; wrapped: string[]; practicesWithKeys: number; pairing: number }>((resolve, reject) => {
        const request = indexedDB.open('tournee-device')
        request.onerror = () => reject(request.error)
        request.onsuccess = () => {
          const db = request.result
          const names = [...db.objectStoreNames]
          const tx = db.transaction(names)
          const all: Record<string, unknown[]> = {}
          for (const name of names) {
            const read = tx.objectStore(name).getAll()
            read.onsuccess = () => (all[name] = read.result)
          }
          tx.oncomplete = () => {
            db.close()
            const keys: string[] = []
            let secretFound = false
            const holds = (bytes: Uint8Array) => {
              outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
                for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer
                return true
              }
              return false
            }
            const walk = (value: unknown, path: string) => {
              if (value instanceof CryptoKey) {
                if (!path.includes('.identity.')) keys.push(path)
              } else if (value instanceof Uint8Array) {
                secretFound ||= holds(value)
              } else if (Array.isArray(value)) {
                value.forEach((v) => walk(v, path))
              } else if (typeof value === 'object' && value !== null) {
                for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`)
              }
            }
            for (const [name, values] of Object.entries(all)) walk(values, name)
            const practices = (all['practices'] ?? []) as Array<Record<string, unknown>>
            resolve({
              keysOutsideIdentity: keys,
              secretFound,
              wrapped: ((all['wrapped'] ?? []) as Array<{ spaceId: string }>).map((w) => w.spaceId),
              practicesWithKeys: practices.filter((p) => p['keys'] !== undefined).length,
              pairing: (all['pairing'] ?? []).length,
            })
          }
          tx.onerror = () => reject(tx.error)
        }
      }),
    secret,
  )
}

/**
 * A copy of the whole profile's IndexedDB, read raw from the page: every `tournee-*` database,
 * every store. Where its CryptoKeys are (database/store/path: each one a key a copier can use,
 * the device's own key pairs included), whether any byte string holds `secret` and any string
 * holds `credential`, and whether the device-held state's rows open under any AES-GCM key it
 * holds with every additional data of the held rows' format for the practice's docs tried.
 */
function profileCopy(page: Page, secret: number[], credential: string) {
  return page.evaluate(
    async ({ needle, credential }) => {
      const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter((name) => name.startsWith('tournee-'))
      const keys: { path: string; key: CryptoKey }[] = []
      const heldRows: Uint8Array[] = []
      let secretFound = false
      let credentialFound = false
      const holds = (bytes: Uint8Array) => {
        outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
          for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer
          return true
        }
        return false
      }
      const walk = (value: unknown, path: string, held: boolean) => {
        if (value instanceof CryptoKey) keys.push({ path, key: value })
        else if (value instanceof Uint8Array) {
          secretFound ||= holds(value)
          if (held) heldRows.push(value)
        } else if (typeof value === 'string') credentialFound ||= credential.length > 0 && value.includes(credential)
        else if (Array.isArray(value)) value.forEach((v) => walk(v, path, held))
        else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, held)
      }
      for (const name of names) {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(name)
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(request.error)
        })
        for (const store of [...db.objectStoreNames]) {
          const values = await new Promise<unknown[]>((resolve, reject) => {
            const request = db.transaction(store).objectStore(store).getAll()
            request.onsuccess = () => resolve(request.result)
            request.onerror = () => reject(request.error)
          })
          walk(values, `${name}/${store}`, name.endsWith('-held') && store === 'rows')
        }
        db.close()
      }
      // A held row is iv(12) ‖ AES-GCM; its additional data names the practice, room and doc: a
      // copier who holds the key finds them by trying (here: does any key open the tag at all).
      let heldRowsOpened = 0
      for (const row of heldRows) {
        for (const { key } of keys) {
          if (key.algorithm.name !== 'AES-GCM' || !key.usages.includes('decrypt')) continue
          const spaceId = names.find((n) => n.endsWith('-held'))!.replace(/^tournee-space-/, '').replace(/-held$/, '')
          // The directory, which every device opens (shared/src/envelope/entry-cipher.ts's format, held: prefix).
          const aad = `tournee/v1|held:${spaceId}|room:main|directory`
          try {
            await crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.slice(0, 12), additionalData: new TextEncoder().encode(aad) }, key, row.slice(12))
            heldRowsOpened++
          } catch {
            // Not this key, or not this doc.
          }
        }
      }
      return { keys: keys.map((k) => k.path), heldRows: heldRows.length, heldRowsOpened, secretFound, credentialFound }
    },
    { needle: secret, credential },
  )
}

async function choosePin(page: Page, pin: string): Promise<void> {
  const section = lockSection(page)
  await section.getByLabel('Nouveau code PIN').fill(pin)
  await section.getByLabel('Confirmer le code PIN').fill(pin)
  await section.getByRole('button', { name: 'Enregistrer le code PIN' }).click()
  await section.getByText('Code PIN enregistré : Tournée se verrouille désormais sur cet appareil.').waitFor()
}

async function lockNow(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Verrouiller', exact: true }).click()
  await lockScreen(page).waitFor()
}

async function unlockWithPin(page: Page, pin: string): Promise<void> {
  await page.getByLabel('Code PIN', { exact: true }).fill(pin)
  await page.getByRole('button', { name: 'Déverrouiller' }).click()
}

/** A practice with one patient, on a device just opened; back on the patient list. */
async function practiceWithPatient(device: Device, name: string): Promise<void> {
  await createPractice(device.page, { name, practitioner: 'Maëlle Quéméner' })
  await nav(device.page, 'Patients').click()
  await addPatient(device.page, PATIENT)
  await eventually(() => patientLinks(device.page), 'the patient is listed').toContain(PATIENT.display)
}

describe.sequential('the lock in Chromium', () => {
  const shared = useAppRelayAndBrowser()
  const open = useBrowserDevices(shared)

  it('1. a PIN chosen from the offer; locked on demand, a wrong PIN refused with the count, the right one gives the practice back; locked at launch', async () => {
    const device = await open('A')
    const { page } = device
    await createPractice(page, { name: 'Cabinet du Port', practitioner: 'Maëlle Quéméner' })

    // The offer, once, blocking nothing: the agenda is there under it.
    const offer = page.getByRole('region', { name: 'Verrouillage de cet appareil' })
    await offer.waitFor()
    await page.getByRole('heading', { level: 1 }).first().waitFor()
    await offer.getByRole('link', { name: 'Choisir un verrouillage' }).click()

    // Réglages › Verrouillage, brought into view: the warning first, and what a PIN does not protect.
    const section = lockSection(page)
    await eventually(() => page.evaluate(() => document.activeElement?.textContent ?? ''), 'the section has the focus').toBe('Verrouillage')
    await section.getByText(/^⚠ Aucun verrouillage n'est choisi : Tournée ne se verrouille jamais sur cet appareil/).waitFor()
    expect(await section.textContent()).toContain("Il ne chiffre pas ce que le navigateur garde sur l'appareil : une copie du profil du navigateur")
    expect(await section.textContent()).toContain('PBKDF2, 600 000 itérations')
    expect(await offer.count(), 'the offer is gone once taken').toBe(0)

    // The form says which field is wrong and why, the limit included.
    const pinField = section.getByLabel('Nouveau code PIN')
    expect(await pinField.getAttribute('maxlength')).toBe('8')
    await pinField.fill('482')
    await section.getByLabel('Confirmer le code PIN').fill('482')
    await section.getByRole('button', { name: 'Enregistrer le code PIN' }).click()
    await section.getByText('Trop court : 4 chiffres au moins.').waitFor()
    expect(await pinField.getAttribute('aria-invalid')).toBe('true')
    await pinField.fill(PIN)
    await section.getByLabel('Confirmer le code PIN').fill('482916')
    await section.getByRole('button', { name: 'Enregistrer le code PIN' }).click()
    await section.getByText('Les deux codes ne sont pas les mêmes.').waitFor()
    await choosePin(page, PIN)
    await section.getByText('Cet appareil se déverrouille avec un code PIN.').waitFor()

    await nav(page, 'Patients').click()
    await addPatient(page, PATIENT)
    await eventually(() => patientLinks(page), 'the patient is listed').toContain(PATIENT.display)
    expect(await heldInHeap(page, PATIENT.birthName), 'open, the page holds the name (the check sees it)').not.toEqual([])

    await lockNow(page)
    expect(await nameInPage(page), 'locked: no patient name in the DOM').toBe(false)
    await eventually(() => heldInHeap(page, PATIENT.birthName), 'locked: nothing in the page holds the name any more').toEqual([])
    await page.getByText('Cabinet : Cabinet du Port').waitFor()
    expect(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'the PIN field has the focus').toBe('password')

    await unlockWithPin(page, '111111')
    await page.getByRole('alert').getByText('Code PIN incorrect. Encore 4 essais avant que cet appareil oublie le cabinet.').waitFor()
    await page.getByText('Codes faux : 1 sur 5.').waitFor()
    expect(await nameInPage(page)).toBe(false)

    await unlockWithPin(page, PIN)
    await eventually(() => patientLinks(page), 'unlocked: the same screen, the patient there').toContain(PATIENT.display)
    await eventually(() => pendingChanges(device), 'nothing lost: every change reaches the relay').toBe(0)

    // The app locks at launch: nothing of the practice opens before the PIN.
    const reopened = await device.reopen('/#/patients')
    await lockScreen(reopened).waitFor()
    expect(await nameInPage(reopened)).toBe(false)
    expect(await reopened.getByText('Codes faux').count(), 'the right PIN cleared the count').toBe(0)
    await unlockWithPin(reopened, PIN)
    await eventually(() => patientLinks(reopened), 'unlocked after a launch').toContain(PATIENT.display)
  })

  it('2. the practice locks after its idle time without input, and input keeps it open', async () => {
    const device = await open('B')
    const { page } = device
    await practiceWithPatient(device, 'Cabinet des Halles')
    await page.getByRole('region', { name: 'Verrouillage de cet appareil' }).getByRole('button', { name: 'Plus tard' }).click()
    expect(await page.getByRole('region', { name: 'Verrouillage de cet appareil' }).count(), '« Plus tard »: the offer is gone').toBe(0)
    // « Verrouiller » without a method cannot lock: it says so, and opens Réglages › Verrouillage.
    const lockButton = page.getByRole('button', { name: 'Verrouiller', exact: true })
    expect(await lockButton.getAttribute('title')).toBe("Aucun verrouillage n'est choisi : choisissez-en un dans les Réglages.")
    await lockButton.click()
    await eventually(() => page.evaluate(() => document.activeElement?.textContent ?? ''), 'Réglages › Verrouillage has the focus').toBe('Verrouillage')
    expect(await lockScreen(page).count()).toBe(0)
    // The idle time is the practice's (5 minutes by default).
    const idle = lockSection(page).getByLabel('Verrouiller après')
    expect(await idle.inputValue()).toBe('5')
    await choosePin(page, PIN)
    await nav(page, 'Patients').click()
    await eventually(() => patientLinks(page), 'the list').toContain(PATIENT.display)

    await page.clock.fastForward('04:00')
    await page.mouse.move(200, 300)
    await page.mouse.move(210, 310)
    await page.clock.fastForward('04:00')
    expect(await lockScreen(page).count(), 'eight minutes, but input after four: still open').toBe(0)
    await page.clock.fastForward('01:05')
    await lockScreen(page).waitFor()
    expect(await nameInPage(page)).toBe(false)
    await eventually(() => heldInHeap(page, PATIENT.birthName), 'locked by the idle time: nothing holds the name').toEqual([])

    // A shorter idle time, set in Réglages: a practice setting, written to the directory.
    await unlockWithPin(page, PIN)
    await eventually(() => patientLinks(page), 'unlocked').toContain(PATIENT.display)
    await nav(page, 'Réglages').click()
    await lockSection(page).getByLabel('Verrouiller après').selectOption('1')
    await eventually(() => lockSection(page).getByLabel('Verrouiller après').inputValue(), 'the setting holds').toBe('1')
    await page.clock.fastForward('01:05')
    await lockScreen(page).waitFor()
    await unlockWithPin(page, PIN)
    await nav(page, 'Réglages').waitFor()
    // (The directory's digest may show first, from before the change: the directory then.)
    await eventually(() => lockSection(page).getByLabel('Verrouiller après').inputValue(), 'reopened from the directory').toBe('1')
  })

  it('3. five wrong PINs, with waits after the third: the device forgets the practice and must be paired again', async () => {
    const device = await open('C')
    const { page } = device
    await practiceWithPatient(device, 'Cabinet de la Gare')
    await eventually(() => pendingChanges(device), 'the patient is on the relay').toBe(0)
    // Another device of the practice, to add this one back once it has forgotten everything.
    const otherEnv = nodeDeviceEnvironment('tablette-du-cabinet')
    const other = await pairNodeDevice(page, otherEnv)
    await choosePin(page, PIN)
    const before = await databases(page)
    expect(before).toEqual(expect.arrayContaining(['tournee-device', 'tournee-lock']))
    expect(before.filter((name) => name.startsWith('tournee-space-')).length).toBeGreaterThanOrEqual(3)
    await lockNow(page)

    const alert = page.getByRole('alert')
    await unlockWithPin(page, '000000')
    await alert.getByText('Encore 4 essais').waitFor()
    await unlockWithPin(page, '000001')
    await alert.getByText('Encore 3 essais').waitFor()
    await unlockWithPin(page, '000002')
    await alert.getByText('Encore 2 essais').waitFor()
    await page.getByText('Codes faux : 3 sur 5. Prochain essai possible dans 30 s.').waitFor()
    expect(await page.getByRole('button', { name: 'Déverrouiller' }).isDisabled(), 'the fourth attempt waits').toBe(true)

    // A reload neither resets the count nor skips the wait.
    const reloaded = await device.reopen('/')
    await reloaded.getByText(/Codes faux : 3 sur 5\. Prochain essai possible dans \d+ s\./).waitFor()
    await reloaded.clock.fastForward('00:31')
    await unlockWithPin(reloaded, '000003')
    await reloaded.getByRole('alert').getByText("Code PIN incorrect. Encore 1 essai : s'il est faux, cet appareil oubliera le cabinet et devra être relié à nouveau.").waitFor()
    await reloaded.getByText(/Prochain essai possible dans (60|59) s\./).waitFor()
    await reloaded.clock.fastForward('01:01')
    await unlockWithPin(reloaded, '000004')

    await reloaded.getByRole('heading', { level: 1, name: 'Bienvenue dans Tournée' }).waitFor()
    const message = reloaded.getByRole('alert').filter({ hasText: 'Cet appareil a oublié le cabinet « Cabinet de la Gare »' })
    expect(await message.textContent()).toContain('Il doit être relié à nouveau')
    await eventually(() => databases(reloaded), "every database of the practice is deleted, keys first").toEqual([])
    expect(await nameInPage(reloaded)).toBe(false)

    // Still said after a reload, until the device is paired again — which brings everything back.
    const again = await device.reopen('/')
    await again.getByText('Cet appareil a oublié le cabinet « Cabinet de la Gare »', { exact: false }).waitFor()
    try {
      await pairFromNodeDevice({ spaceId: other.record.spaceId, env: otherEnv }, again, 'Maëlle Quéméner')
      await nav(again, 'Patients').click()
      await eventually(() => patientLinks(again), 'the practice is back from the relay').toContain(PATIENT.display)
    } finally {
      await other.space.destroy()
    }
  })

  it('4. a passkey through the virtual authenticator without PRF: created in Réglages, locked, refused unverified, unlocked; the keys stay as they were', async () => {
    // WebAuthn refuses IP addresses as relying party ids: this device opens the app at localhost.
    const webauthn: { cdp: CDPSession | null; authenticatorId: string } = { cdp: null, authenticatorId: '' }
    const device = await open('D', {
      beforeLoad: async (page, context) => {
        const cdp = await context.newCDPSession(page)
        webauthn.cdp = cdp
        await cdp.send('WebAuthn.enable')
        const added = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: WITHOUT_PRF })
        webauthn.authenticatorId = added.authenticatorId
      },
    })
    const { page } = device
    const cdp = webauthn.cdp!
    const { authenticatorId } = webauthn
    await page.goto(`http://localhost:${shared.relay.port}/`)
    await practiceWithPatient(device, 'Cabinet des Capucines')
    await nav(page, 'Réglages').click()
    const section = lockSection(page)
    // Where a passkey is possible, it is the method offered first.
    const passkeyChoice = section.getByRole('radio', { name: /^Clé d'accès/ })
    await passkeyChoice.waitFor()
    expect(await passkeyChoice.isChecked()).toBe(true)
    await section.getByRole('button', { name: "Créer la clé d'accès" }).click()
    await section.getByText("Clé d'accès créée : Tournée se verrouille désormais sur cet appareil.").waitFor()
    await section.getByText("Cet appareil se déverrouille avec une clé d'accès.").waitFor()
    // No PRF secret: nothing is wrapped, and Réglages says so (test 5 has the PRF passkey).
    await section.getByText("Sur cet appareil, la clé d'accès ne fournit pas de secret propre (extension PRF) : les clés du cabinet que le navigateur garde ne sont pas chiffrées par elle.").waitFor()
    expect((await profileAtRest(page, [0])).practicesWithKeys).toBe(1)
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
    expect(credentials.map((c) => c.rpId)).toEqual(['localhost'])

    await nav(page, 'Patients').click()
    await eventually(() => patientLinks(page), 'the list').toContain(PATIENT.display)
    await lockNow(page)
    expect(await nameInPage(page)).toBe(false)
    const unlock = page.getByRole('button', { name: "Déverrouiller avec la clé d'accès" })
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Déverrouiller avec la clé d'accès")

    // The platform does not verify the person: no unlock.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false })
    await unlock.click()
    await page.getByRole('alert').getByText("La clé d'accès n'a pas été présentée (annulé ou délai dépassé). Réessayez.").waitFor()
    expect(await lockScreen(page).count()).toBe(1)
    expect(await nameInPage(page)).toBe(false)

    // Verified again. (Chromium's virtual authenticator keeps refusing once a verification failed,
    // whatever setUserVerified says after: the same credential moves to a fresh one.)
    const held = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId })
    const fresh = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: WITHOUT_PRF })
    for (const credential of held.credentials) await cdp.send('WebAuthn.addCredential', { authenticatorId: fresh.authenticatorId, credential })
    await unlock.click()
    try {
      await eventually(() => patientLinks(page), 'unlocked with the passkey').toContain(PATIENT.display)
    } catch (error) {
      throw new Error(`Not unlocked. The page showed:\n${await page.locator('body').innerText()}\n${device.consoleErrors.join('\n')}`, { cause: error })
    }

    // Locked at launch too (a reload keeps the page, and its virtual authenticator).
    await page.reload()
    await lockScreen(page).waitFor()
    expect(await nameInPage(page)).toBe(false)
    await page.getByRole('button', { name: "Déverrouiller avec la clé d'accès" }).click()
    await eventually(() => patientLinks(page), 'unlocked after a launch').toContain(PATIENT.display)
  })

  it("5. the passkey's PRF secret wraps the keys at rest: after a reload a copy of the profile holds no key at all, no secret, no credential, and opens no held row; the passkey opens them, the agenda shows its data, the lock drops it", async () => {
    const webauthn: { cdp: CDPSession | null; authenticatorId: string } = { cdp: null, authenticatorId: '' }
    const device = await open('E', {
      beforeLoad: async (page, context) => {
        const cdp = await context.newCDPSession(page)
        webauthn.cdp = cdp
        await cdp.send('WebAuthn.enable')
        webauthn.authenticatorId = (await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR })).authenticatorId
      },
    })
    const { page } = device
    await page.goto(`http://localhost:${shared.relay.port}/`)
    await practiceWithPatient(device, 'Cabinet des Tilleuls')
    await nav(page, 'Agenda').click()
    await addAppointment(page, { start: '10:00', patient: PATIENT.display, title: 'Bilan' })
    await eventually(() => appointmentsShown(page), 'the appointment is in the agenda').toContain(PATIENT.birthName)
    // What a copy of the profile holds before the passkey: the keys, and the root secret in the clear.
    const { spaceId, rootSecret } = await practiceSecretsOf(page)
    const before = await profileAtRest(page, [...rootSecret])
    expect(before, 'the same reading finds them before the wrap').toMatchObject({ keysOutsideIdentity: expect.arrayContaining(['practices.keys.aead']), secretFound: true })
    const credential = await page.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const request = indexedDB.open('tournee-device')
          request.onerror = () => reject(request.error)
          request.onsuccess = () => {
            const read = request.result.transaction('practices').objectStore('practices').getAll()
            read.onsuccess = () => resolve(String((read.result[0] as { credential: unknown }).credential))
          }
        }),
    )
    // The whole profile copied before the passkey: the held state's key, the epochs', the key pairs; the directory's held rows open.
    const copyBefore = await profileCopy(page, [...rootSecret], credential)
    expect(copyBefore, 'the copy reads the held state before the wrap').toMatchObject({ secretFound: true, credentialFound: true })
    expect(copyBefore.keys).toEqual(expect.arrayContaining([expect.stringMatching(/-held\/key$/), expect.stringMatching(/^tournee-device\/practices\.identity\./)]))
    expect(copyBefore.heldRowsOpened).toBeGreaterThan(0)

    await nav(page, 'Réglages').click()
    const section = lockSection(page)
    await section.getByRole('button', { name: "Créer la clé d'accès" }).click()
    await section.getByText("Clé d'accès créée : Tournée se verrouille désormais sur cet appareil.").waitFor()
    await section.getByText(/^Sur cet appareil, les clés qui lisent le cabinet .* sont chiffrées par le secret propre de cette clé d'accès/).waitFor()
    await section.getByText(/Perdre cette clé d'accès .* oblige à relier cet appareil à nouveau/).waitFor()

    await page.reload()
    await lockScreen(page).waitFor()
    // Locked, nothing syncs (the keys are not in memory): the lock screen says it, in the sync indicator's stead.
    await page.getByRole('status').getByText('Verrouillé, Tournée ne synchronise pas : les modifications de cet appareil partent au déverrouillage.').waitFor()
    const after = await profileAtRest(page, [...rootSecret])
    expect(after).toEqual({ keysOutsideIdentity: [], secretFound: false, wrapped: [spaceId], practicesWithKeys: 0, pairing: 0 })
    // The whole profile copied while locked: not one key (the device's own key pairs, made in this
    // session, wrapped too), no credential, no root secret; the held rows written before went with their key.
    const copyLocked = await profileCopy(page, [...rootSecret], credential)
    expect(copyLocked).toMatchObject({ keys: [], secretFound: false, credentialFound: false, heldRowsOpened: 0 })
    expect(await nameInPage(page)).toBe(false)

    await page.getByRole('button', { name: "Déverrouiller avec la clé d'accès" }).click()
    await nav(page, 'Agenda').click()
    try {
      await eventually(() => appointmentsShown(page), 'the agenda shows its data once the passkey opened the keys').toContain(PATIENT.birthName)
    } catch (error) {
      throw new Error(`Not unlocked. The page showed:\n${await page.locator('body').innerText()}\n${device.consoleErrors.join('\n')}`, { cause: error })
    }
    // Unlocked, still nothing in the clear at rest: the keys are in the page's memory only.
    expect(await profileAtRest(page, [...rootSecret])).toMatchObject({ keysOutsideIdentity: [], secretFound: false, practicesWithKeys: 0 })
    // The held state now keeps rows under the wrapped key: a copy taken now holds them, and no key that opens them.
    await eventually(async () => (await profileCopy(page, [...rootSecret], credential)).heldRows, 'the directory is held again').toBeGreaterThan(0)
    expect(await profileCopy(page, [...rootSecret], credential)).toMatchObject({ keys: [], credentialFound: false, heldRowsOpened: 0 })

    await lockNow(page)
    await eventually(() => nameInPage(page), 'locked: the patient is gone from the DOM').toBe(false)
    expect(await profileCopy(page, [...rootSecret], credential)).toMatchObject({ keys: [], secretFound: false, credentialFound: false, heldRowsOpened: 0 })
  })
})
