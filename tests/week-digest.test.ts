/**
 * The week digest through real parts (the relay in this process, devices with their own fake
 * IndexedDB and sockets straight to it): a synced device publishes this week's and next week's appointments
 * as ciphertext; a new device shows them before its month has synced, then the docs; in the app
 * it integrates the month only after the first screen; a booking made meanwhile shows at once; a
 * digest of another week is not shown.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import type { WeekDigest } from '../shared/src/digest/week-digest'
import { addAppointment, listAppointments } from '../shared/src/model/agenda'
import { addDays, monthOf } from '../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { listPractitioners } from '../shared/src/model/practitioners'
import { MAIN_ROOM, startupRooms } from '../shared/src/space/rooms'
import { actorOf } from './helpers/relay-fixture'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { filesUnder } from './helpers/files-under'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'

const fixture = useInMemoryRelay()
const track = fixture.track

const NOTE = 'Rééducation épaule — « Hautecœur »'

/** A device that opens no other room in the background, optionally without its socket. */
function device(name: string, extra: Partial<DeviceEnvironment> = {}, connect = true): DeviceEnvironment {
  return fixture.device(name, { practice: { background: false }, connect, ...extra })
}

const today = () => TEST_TODAY

async function monthStarts(p: OpenPractice): Promise<string[]> {
  const doc = await p.space.openDoc(agendaDocId(monthOf(today())))
  return listAppointments(doc, { day: today() }).items.map((a) => a.start)
}

function shownDigest(p: OpenPractice): Promise<WeekDigest> {
  return waitFor(() => {
    const current = p.space.weekDigest.current()
    expect(current).not.toBeNull()
    return current as WeekDigest
  })
}

describe('the week digest', () => {
  let code: PairingTicket
  const starts = ['08:30', '09:15', '17:45'].map((time) => `${today()}T${time}`)

  it("is published by a synced device with this week's appointments, as ciphertext", async () => {
    const envA = device('secrétariat')
    const a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet du Vieux Port', practitioner: { displayName: 'Manon Escoffier', profession: 'kine' } },
        envA,
      ),
    )
    code = await pairingTicket(a.record.spaceId, envA)
    const [practitioner] = listPractitioners(await a.space.openDoc(DIRECTORY_DOC_ID)).items
    const month = await a.space.openDoc(agendaDocId(monthOf(today())))
    for (const start of starts) addAppointment(month, { start, durationMin: 30, practitionerId: practitioner!.id, title: 'Bilan', note: NOTE }, actorOf(a), Date.now)
    await a.space.whenAcknowledged()
    expect(await a.space.publishWeekDigest()).toBe('published')
    expect(await a.space.publishWeekDigest()).toBe('up-to-date')
    const stored = filesUnder(fixture.relay.dataDir).map((file) => readFileSync(file))
    expect(stored.some((bytes) => bytes.includes(Buffer.from('Hautecœur')))).toBe(false)
  })

  it('shows a new device the week before its month has synced, then the month doc', async () => {
    // No socket yet: the digests (HTTP) are all this device can have.
    const b = await track(joinWith(code, device('tablette', {}, false)))
    const digest = await shownDigest(b)
    expect(await b.space.whenWeekDigestFetched()).toBe('shown')
    expect(digest.appointments.map((a) => a.start)).toEqual(starts)
    expect(digest.appointments[0]!.note).toBe(NOTE)
    expect(await monthStarts(b)).toEqual([])

    b.space.connect()
    await waitFor(() => expect(b.space.weekDigest.current()).toBeNull())
    // Cleared only once the month's entries are applied: the agenda never shows an empty week between.
    expect(await monthStarts(b)).toEqual(starts)
    expect(b.space.weekDigest.beforeClear()).toBe(digest)
  })

  it('waits for the first screen before integrating the month when asked (the app)', async () => {
    const c = await track(joinWith(code, device('chariot', { digest: { holdMainForFirstScreen: true } })))
    expect(await c.space.whenWeekDigestFetched()).toBe('shown')
    const month = startupRooms(today()).find((room) => room !== MAIN_ROOM)!
    await waitFor(() => expect(c.space.inspect.connectedRoomNames()).toContain(month))
    // The month has synced, and its preparation waits for the first screen: nothing integrated it,
    // the week still shows from the digest.
    await waitFor(() => expect(c.space.inspect.startupStages().week.get(month)).toBe('first-screen'))
    expect(c.space.weekDigest.current()).not.toBeNull()
    expect((await c.space.inspect.room(month)).envelope.stats().openDocs).toBe(0)
    c.space.firstScreenShown()
    await waitFor(() => expect(c.space.weekDigest.current()).toBeNull())
    expect(await monthStarts(c)).toEqual(starts)
  })

  it('gives way to the docs as soon as this device books into the week', async () => {
    const d = await track(joinWith(code, device('domicile', {}, false)))
    const [practitioner] = (await shownDigest(d)).appointments.map((a) => a.practitionerId)
    const month = await d.space.openDoc(agendaDocId(monthOf(today())))
    addAppointment(month, { start: `${today()}T12:00`, durationMin: 30, practitionerId: practitioner!, title: 'Urgence' }, actorOf(d), testClock)
    // Offline, the month holds only this booking: the agenda shows it rather than a digest without it.
    await waitFor(() => expect(d.space.weekDigest.current()).toBeNull())
    expect(await monthStarts(d)).toEqual([`${today()}T12:00`])
  })

  it('is not shown by a device whose week it does not cover', async () => {
    const later = testClock() + 15 * 86_400_000
    expect(addDays(today(), 15) > (await shownDigestTo(code))).toBe(true)
    const e = await track(joinWith(code, device('remplaçant', { now: () => later }, false)))
    expect(await e.space.whenWeekDigestFetched()).toBe('none')
    expect(e.space.weekDigest.current()).toBeNull()
  })

  /** The last day the relay's digest covers, as a fresh device reads it. */
  async function shownDigestTo(pairingCode: PairingTicket): Promise<string> {
    const probe = await track(joinWith(pairingCode, device('sonde', {}, false)))
    return (await shownDigest(probe)).to
  }
})
