/**
 * Issue 18, attack 3 (« One flipped bit »), against a real relay process: the relay's stored
 * ciphertext of one entry of a month room gets one bit flipped while the relay is stopped (its
 * operator, or whoever holds its disk). A new device then fails to decrypt that entry, and Yjs holds
 * back the writer's later appointments of the month behind it.
 *
 * What must hold (shared/src/envelope/entry-repair.ts): while no device holding the entry is online,
 * the new device says so in French, with the changes held back; once the writer's device has been
 * online, the new device shows all five appointments and the alarm is gone, and a device that joins
 * after that repairs from the answer alone. And with nothing corrupted, no repair entry is written.
 *
 * The same attacker (the relay's operator, editing its disk) can strip an entry's signature and
 * leave its ciphertext whole: the relay checks signatures of what sockets send, not of its disk, and
 * the entry would decrypt. A device verifies it first (shared/src/envelope/entry-signature.ts), so
 * it is refused and repaired like the flipped bit — the last test.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { createTranslator } from '../client/src/i18n'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import { SqliteStorage } from '../relay/src/storage/sqlite-storage'
import { derivePracticeKeys, type SpaceKeys } from '../shared/src/crypto/space-keys'
import { blindDocId } from '../shared/src/envelope/entry-cipher'
import type { EnvelopeEntry } from '../shared/src/envelope/envelope'
import { REPAIR_DOC_ID } from '../shared/src/envelope/entry-repair'
import { addAppointment, listAppointments } from '../shared/src/model/agenda'
import { monthOf } from '../shared/src/model/dates'
import { agendaDocId } from '../shared/src/model/doc-ids'
import { listPractitioners } from '../shared/src/model/practitioners'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { monthRoom } from '../shared/src/space/rooms'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'

const fixture = useRelayFixture()
const track = fixture.track
const fr = createTranslator('fr', 'Europe/Paris')

const MONTH = monthOf(TEST_TODAY)
const MONTH_DOC = agendaDocId(MONTH)
const MONTH_ROOM = monthRoom(MONTH)
const STARTS = ['08:00', '09:00', '10:00', '11:00', '14:00'].map((time) => `${TEST_TODAY}T${time}`)

function device(name: string): DeviceEnvironment {
  return { ...nodeDeviceEnvironment(name), practice: { background: false } }
}

async function starts(p: OpenPractice): Promise<string[]> {
  return listAppointments(await p.space.openDoc(MONTH_DOC), {}).items.map((a) => a.start).sort()
}

/** Device A books five appointments this month, one envelope entry each, acknowledged by the relay. */
async function fiveAppointments(): Promise<{ a: OpenPractice; envA: DeviceEnvironment; code: PairingTicket; keys: SpaceKeys }> {
  const envA = device('cabinet')
  const a = await track(
    createPractice(
      { relayUrl: fixture.relay.url, practiceName: 'Cabinet du Guet', practitioner: { displayName: 'Odile Paumelle', profession: 'kine' } },
      envA,
    ),
  )
  const [practitioner] = listPractitioners(await a.space.openDoc('directory')).items
  const month = await a.space.openDoc(MONTH_DOC)
  for (const start of STARTS) {
    addAppointment(month, { start, durationMin: 30, practitionerId: practitioner!.id, title: 'Séance' }, actorOf(a), testClock)
    await a.space.flush()
  }
  await a.space.whenAcknowledged()
  const code = await pairingTicket(a.record.spaceId, envA)
  const { spaceId, tiers } = decodePairingCode(code.code)
  return { a, envA, code, keys: await derivePracticeKeys(spaceId, tiers) }
}

/**
 * Edits the month doc's `index`-th entry on the stopped relay's disk: the rows loaded, the entry
 * changed in place (same outer id), the rows folded.
 */
async function editStoredEntry(dataDir: string, keys: SpaceKeys, index: number, edit: (entry: EnvelopeEntry) => void): Promise<void> {
  const storage = new SqliteStorage({ dataDir })
  try {
    const roomId = await blindRoomName(keys, MONTH_ROOM)
    const stored = await storage.loadUpdates(keys.spaceId, roomId)
    const doc = new Y.Doc({ gc: true })
    for (const update of stored.updates) Y.applyUpdate(doc, update)
    const blind = await blindDocId(keys, MONTH_DOC)
    const ofMonth = doc.getArray<EnvelopeEntry>('entries').toArray().filter((e) => e.d === blind)
    expect(ofMonth).toHaveLength(STARTS.length)
    edit(ofMonth[index]!)
    await storage.compact(keys.spaceId, roomId, Y.encodeStateAsUpdate(doc), stored.lastSeq)
  } finally {
    await storage.close()
  }
}

/** Flips one bit of the stored ciphertext of the month doc's `index`-th entry. */
function flipStoredBit(dataDir: string, keys: SpaceKeys, index: number): Promise<void> {
  return editStoredEntry(dataDir, keys, index, ({ c }) => {
    c[c.length - 5]! ^= 0x10
  })
}

async function repairEntries(p: OpenPractice, keys: SpaceKeys): Promise<number> {
  const room = await p.space.inspect.room(MONTH_ROOM)
  return room.envelope.countEntries(await blindDocId(keys, REPAIR_DOC_ID))
}

/** A, which holds the good copy, comes back: it answers the request, and `c` is whole, its alarm gone. */
async function repairedOnceBack(c: OpenPractice, envA: DeviceEnvironment): Promise<OpenPractice> {
  const back = await track(loadPractice(envA))
  await waitFor(async () => expect(await starts(c)).toEqual(STARTS))
  await waitFor(() => expect(c.space.getSyncState()).toMatchObject({ unrepairedEntries: 0, heldBackChanges: 0, repairedEntries: 1 }))
  expect(describeSyncState(c.space.getSyncState(), fr).undecryptable).toBeNull()
  expect(await starts(back)).toEqual(STARTS)
  return back
}

describe('one flipped bit in a stored entry (issue 18, attack 3)', () => {
  it('is shown while no device holds the entry, and repaired once the writer’s device has been online', async () => {
    const { a, envA, code, keys } = await fiveAppointments()
    await a.space.destroy()
    await fixture.relay.stop()
    await flipStoredBit(fixture.relay.dataDir, keys, 1)
    await fixture.relay.restart()

    // A new device: the second appointment does not decrypt, the three after it are held back.
    const c = await track(joinWith(code, device('remplaçant')))
    await waitFor(async () => expect(await starts(c)).toEqual(STARTS.slice(0, 1)))
    await waitFor(() => expect(c.space.getSyncState()).toMatchObject({ undecryptableEntries: 1, unrepairedEntries: 1 }))
    await waitFor(() => expect(c.space.getSyncState().heldBackChanges).toBeGreaterThan(0))
    expect(describeSyncState(c.space.getSyncState(), fr).undecryptable).toMatch(
      /^1 entrée illisible sur le relais : en attente d'un appareil qui la détient \(\d+ modifications suivantes retenues\)$/,
    )
    await waitFor(async () => expect(await repairEntries(c, keys)).toBe(1)) // its request

    // A, which holds the good copy, comes back: it answers, and C is whole.
    const back = await repairedOnceBack(c, envA)
    await back.space.whenAcknowledged()

    // A device that joins afterwards finds the answer: all five, no alarm, no request of its own.
    const d = await track(joinWith(code, device('secrétariat')))
    await waitFor(async () => expect(await starts(d)).toEqual(STARTS))
    await waitFor(() => expect(d.space.getSyncState()).toMatchObject({ undecryptableEntries: 1, unrepairedEntries: 0, repairedEntries: 1 }))
    const requests = (await (await d.space.inspect.room(MONTH_ROOM)).envelope.openDoc(REPAIR_DOC_ID)).getMap('requests')
    await waitFor(() => expect(requests.size).toBe(0))
    expect(describeSyncState(d.space.getSyncState(), fr).undecryptable).toBeNull()
  })

  it('writes no repair entry when nothing is corrupted', async () => {
    const { a, code, keys } = await fiveAppointments()
    const c = await track(joinWith(code, device('remplaçant')))
    await waitFor(async () => expect(await starts(c)).toEqual(STARTS))
    await c.space.whenAcknowledged()
    await a.space.whenAcknowledged()
    for (const p of [a, c]) {
      expect(await repairEntries(p, keys)).toBe(0)
      expect(p.space.getSyncState()).toMatchObject({ undecryptableEntries: 0, unrepairedEntries: 0, repairedEntries: 0 })
      expect((await p.space.inspect.room(MONTH_ROOM)).envelope.stats().entries).toBe(STARTS.length)
    }
  })
})

describe('a signature stripped from a stored entry by the relay\'s operator', () => {
  it('is never applied by a device, though it decrypts: shown, asked for, and repaired once the writer\'s device has been online', async () => {
    const { a, envA, code, keys } = await fiveAppointments()
    await a.space.destroy()
    await fixture.relay.stop()
    // The ciphertext is intact (it would decrypt); only who put it there is gone. The relay's
    // checks are of what sockets send, not of its disk: only a device can refuse it.
    await editStoredEntry(fixture.relay.dataDir, keys, 1, (entry) => {
      expect(typeof entry.w).toBe('string')
      delete entry.w
      delete entry.s
    })
    await fixture.relay.restart()

    const c = await track(joinWith(code, device('remplaçant')))
    await waitFor(async () => expect(await starts(c)).toEqual(STARTS.slice(0, 1)))
    await waitFor(() => expect(c.space.getSyncState()).toMatchObject({ undecryptableEntries: 1, unrepairedEntries: 1 }))
    await waitFor(async () => expect(await repairEntries(c, keys)).toBe(1)) // its request

    await repairedOnceBack(c, envA)
  })
})
