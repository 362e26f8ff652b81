/**
 * Issue 18, « Device-held state », against a real relay process: the relay's disk is wiped and
 * folded (its operator, or whoever holds it) while the device is closed, and the device's own
 * envelope databases took the same deletion before judging it (« a tab closed in that instant »,
 * docs/sync-protocol.md: the envelope's judgment runs after y-indexeddb stored the deletion).
 * Neither the relay nor the device's envelopes hold an entry any more; what the device decrypted,
 * kept apart under its device-local key (client/src/sync/device/held-state.ts), is all that is left:
 *   - reloaded with no relay at all, the device shows everything, and says it brought it back;
 *   - once the relay is up, the device has written it out again, and a fresh device gets it all.
 * Without the held state (PracticeOptions.held off), the same sequence loses the practice on the
 * device: the last test shows it, so the first cannot pass for another reason.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { createTranslator } from '../client/src/i18n'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import type { EnvelopeEntry } from '../shared/src/envelope/envelope'
import { wipeStoredRelay } from './helpers/hostile-storage'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { useRelayFixture } from './helpers/relay-fixture'
import { waitFor } from './helpers/wait-for'
import { shown, wholePractice, writeTestPractice } from './helpers/practice-shown'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'

const fixture = useRelayFixture()
const fr = createTranslator('fr', 'Europe/Paris')

const NAMES = ['Quenouille', 'Vaucanson', 'Éparvier'] as const

function device(name: string, held = true): DeviceEnvironment {
  return { ...nodeDeviceEnvironment(name), practice: { background: false, held } }
}


const EVERYTHING = wholePractice(NAMES)

function requested<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

/**
 * What a wipe stored before it was judged leaves in a device's envelope databases (the rooms'
 * `<idbName>-<roomId>`, y-indexeddb's `updates` rows): a row deleting every entry. Returns how many
 * entries it deleted.
 */
async function wipeStoredEnvelopes(env: DeviceEnvironment, spaceId: string): Promise<number> {
  const prefix = `${env.idbPrefix}tournee-space-${spaceId}-`
  const own = new Set(['held', 'first-screen', 'unacknowledged'])
  const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter((name) => name.startsWith(prefix) && !own.has(name.slice(prefix.length)))
  let deleted = 0
  for (const name of names) {
    const db = await requested(indexedDB.open(name))
    const rows = (await requested(db.transaction('updates').objectStore('updates').getAll())) as Uint8Array[]
    const doc = new Y.Doc({ gc: true })
    for (const row of rows) Y.applyUpdate(doc, row)
    const entries = doc.getArray<EnvelopeEntry>('entries')
    deleted += entries.length
    const before = Y.encodeStateVector(doc)
    entries.delete(0, entries.length)
    const tx = db.transaction('updates', 'readwrite')
    tx.objectStore('updates').add(Y.encodeStateAsUpdate(doc, before))
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
    })
    db.close()
  }
  return deleted
}

/** Device A's practice: three patients, two appointments today, a note; every doc opened and acknowledged. */
async function practiceOnOneDevice(env: DeviceEnvironment): Promise<{ a: OpenPractice; patientId: string; noteId: string; code: PairingTicket }> {
  const a = await fixture.track(
    createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet de la Herse', practitioner: { displayName: 'Roseline Vautrin', profession: 'kine' } }, env),
  )
  const { patientId, noteId } = await writeTestPractice(a, NAMES)
  await a.space.settle()
  expect(await shown(a, patientId, noteId)).toEqual(EVERYTHING)
  return { a, patientId, noteId, code: await pairingTicket(a.record.spaceId, env) }
}

/** The attack, with A closed: the relay's disk wiped and folded, and A's envelopes holding the deletion. */
async function wipeEverywhere(a: OpenPractice, env: DeviceEnvironment): Promise<void> {
  const spaceId = a.record.spaceId
  await a.space.destroy()
  await fixture.relay.stop()
  expect(await wipeStoredRelay(fixture.relay.dataDir, spaceId)).toBeGreaterThan(0)
  expect(await wipeStoredEnvelopes(env, spaceId)).toBeGreaterThan(0)
}

describe('device-held state against a wiped relay and a wiped local envelope (issue 18)', () => {
  it('keeps everything on the device, brings it back out, and a fresh device gets it', async () => {
    const envA = device('secrétariat')
    const { a, patientId, noteId, code } = await practiceOnOneDevice(envA)
    await wipeEverywhere(a, envA)

    // Reloaded with the relay down: the envelopes hold nothing, the held state everything.
    const reloaded = await fixture.track(loadPractice({ ...envA, connect: false }))
    expect(await shown(reloaded, patientId, noteId)).toEqual(EVERYTHING)
    await reloaded.space.settle()
    // The directory, the month, the patient's file: each brought back, and said so in French.
    expect(reloaded.space.getSyncState().heldRestoredDocs).toBeGreaterThanOrEqual(3)
    expect(describeSyncState(reloaded.space.getSyncState(), fr).heldRestored).toMatch(/^\d+ documents perdus sur le relais rétablis depuis cet appareil$/)

    // The relay back: what the device held goes out as its changes, and a fresh device gets it all.
    await fixture.relay.restart()
    reloaded.space.connect()
    await waitFor(() => expect(reloaded.space.getSyncState().status).toBe('online'))
    await reloaded.space.whenAcknowledged()
    const fresh = await fixture.track(joinWith(code, device('remplaçant')))
    await waitFor(async () => expect(await shown(fresh, patientId, noteId)).toEqual(EVERYTHING))
    expect(fresh.space.getSyncState()).toMatchObject({ undecryptableEntries: 0, heldRestoredDocs: 0, missingEntries: [] })
    expect(reloaded.space.getSyncState().missingEntries).toEqual([])

    // And once more after a reload of the holder: the held state agrees with its envelopes now.
    await reloaded.space.destroy()
    const again = await fixture.track(loadPractice({ ...envA, connect: false }))
    expect(await shown(again, patientId, noteId)).toEqual(EVERYTHING)
    await again.space.settle()
    expect(again.space.getSyncState().heldRestoredDocs).toBe(0)
  })

  it('without it, the same attack loses the practice on the device (what the test above guards)', async () => {
    const envA = device('sans-copie', false)
    const { a, patientId, noteId } = await practiceOnOneDevice(envA)
    await wipeEverywhere(a, envA)
    const reloaded = await fixture.track(loadPractice({ ...envA, connect: false }))
    expect(await shown(reloaded, patientId, noteId)).toEqual({ patients: [], starts: [], note: '' })
    await fixture.relay.restart()
  })
})
