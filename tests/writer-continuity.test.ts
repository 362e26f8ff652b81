/**
 * Issue 18, « Continuity per writer », across devices and a relay whose disk is edited while its
 * rooms are unloaded (what its operator can do): device A books five appointments, device B sees
 * them and books one; the relay's copy of the month then lacks A's last two entries — withheld
 * (deleted on its disk, folded: gone from the relay). A new device C joins:
 *   - before continuity, C showed four appointments, online, no alarm: nothing told it more existed;
 *   - now B's entry says B had seen A's five changes, so C shows « 2 modifications de l'appareil A
 *     manquent sur le relais »;
 *   - A comes back online: it holds its entries, refuses the deletion (the deletion judgment writes
 *     them back), the relay has them again, C applies them and the alarm clears.
 * Devices are real (their own fake IndexedDB and sockets), the relay runs in this process.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { createTranslator } from '../client/src/i18n'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import { addAppointment, listAppointments } from '../shared/src/model/agenda'
import { monthOf } from '../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { listPractitioners } from '../shared/src/model/practitioners'
import { derivePracticeKeys } from '../shared/src/crypto/space-keys'
import { decryptEntry } from '../shared/src/envelope/entry-cipher'
import { writerIdOf } from '../shared/src/envelope/entry-header'
import type { EnvelopeEntry } from '../shared/src/envelope/envelope'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { blindRoomName } from '../shared/src/space/room-keys'
import { monthRoom } from '../shared/src/space/rooms'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import type { InMemoryRelay } from './helpers/in-memory-relay'
import { actorOf } from './helpers/relay-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useInMemoryRelay()
const track = fixture.track
const fr = createTranslator('fr', 'Europe/Paris')
const MONTH = monthOf(TEST_TODAY)
const HOURS = ['08', '09', '10', '11', '14'] as const

function device(name: string): DeviceEnvironment {
  return fixture.device(name, { practice: { background: false } })
}

async function book(p: OpenPractice, hour: string): Promise<void> {
  const month = await p.space.openDoc(agendaDocId(MONTH))
  const [practitioner] = listPractitioners(await p.space.openDoc(DIRECTORY_DOC_ID)).items
  addAppointment(month, { start: `${TEST_TODAY}T${hour}:00`, durationMin: 30, practitionerId: practitioner!.id, title: 'Séance' }, actorOf(p), testClock)
  // One entry per appointment.
  await p.space.flush()
}

async function appointments(p: OpenPractice): Promise<number> {
  return listAppointments(await p.space.openDoc(agendaDocId(MONTH)), {}).items.length
}

/**
 * On the relay's disk (rooms unloaded): deletes the last `count` entries `writer` wrote to the
 * month's doc, read with the keys (the test's shortcut to pick them; the operator would delete
 * blindly, or the newest entries of one client id), then folds the rows.
 */
async function withholdOnDisk(relay: InMemoryRelay, code: string, writer: string, count: number): Promise<void> {
  const { spaceId, tiers } = decodePairingCode(code)
  const keys = await derivePracticeKeys(spaceId, tiers)
  const room = monthRoom(MONTH)
  const roomId = await blindRoomName(keys, room)
  const stored = await relay.storage.loadUpdates(spaceId, roomId)
  const doc = new Y.Doc({ gc: true })
  for (const update of stored.updates) Y.applyUpdate(doc, update)
  const entries = doc.getArray<EnvelopeEntry>('entries')
  const mine: Array<{ index: number; seq: number }> = []
  for (const [index, entry] of entries.toArray().entries()) {
    const { header } = await decryptEntry(keys, room, agendaDocId(MONTH), entry.c).catch(() => ({ header: null }))
    if (header?.kind === 'change' && header.writer === writer) mine.push({ index, seq: header.seq })
  }
  const doomed = mine.sort((x, y) => y.seq - x.seq).slice(0, count).map((m) => m.index).sort((x, y) => y - x)
  expect(doomed).toHaveLength(count)
  doc.transact(() => {
    for (const index of doomed) entries.delete(index, 1)
  })
  await relay.storage.compact(spaceId, roomId, Y.encodeStateAsUpdate(doc), stored.lastSeq)
}

describe('continuity per writer (issue 18)', () => {
  it("a new device is told of A's changes the relay lacks; the alarm clears when A comes back and writes them back", async () => {
    const envA = device('secrétariat')
    const a = await track(
      createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet du Guet', practitioner: { displayName: 'Odile Marchal', profession: 'kine' } }, envA),
    )
    for (const hour of HOURS) await book(a, hour)
    await a.space.whenAcknowledged()
    const code = await pairingTicket(a.record.spaceId, envA)
    const b = await track(joinWith(code, device('tablette')))
    await waitFor(async () => expect(await appointments(b)).toBe(5))
    await book(b, '16')
    await b.space.whenAcknowledged()
    await waitFor(async () => expect(await appointments(a)).toBe(6))
    // Normal operation: no alarm anywhere.
    for (const d of [a, b]) expect(d.space.getSyncState().missingEntries).toEqual([])

    // Both go away (B for good); the relay's disk loses A's last two entries.
    await a.space.destroy()
    await b.space.destroy()
    const relay = fixture.relay
    await waitFor(() => expect(relay.loadedRooms()).toBe(0))
    await withholdOnDisk(relay, code.code, writerIdOf(a.record.deviceId), 2)

    const c = await track(joinWith(code, device('remplaçant')))
    await waitFor(() => expect(c.space.getSyncState().missingEntries).toEqual([{ writer: writerIdOf(a.record.deviceId), missing: 2 }]))
    expect(await appointments(c)).toBe(4)
    expect(describeSyncState(c.space.getSyncState(), fr).missing).toBe(`2 modifications de l'appareil ${a.record.deviceId.slice(0, 6)}… manquent sur le relais`)

    // A comes back: it still holds its entries and writes them back; C gets them, the alarm clears.
    const a2 = await track(loadPractice(envA))
    await a2.space.openDoc(agendaDocId(MONTH))
    await waitFor(async () => expect(await appointments(c)).toBe(6))
    await waitFor(() => expect(c.space.getSyncState().missingEntries).toEqual([]))
    expect(describeSyncState(c.space.getSyncState(), fr).missing).toBeNull()
    expect(a2.space.getSyncState().missingEntries).toEqual([])
  })
})
