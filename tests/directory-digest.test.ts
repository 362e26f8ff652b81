/**
 * The directory digest through real parts (the relay in this process, devices with their own
 * fake IndexedDB and sockets straight to it): a synced device publishes it; a new device shows it before its
 * directory has synced, then the live doc; a device whose directory synced first never shows it;
 * a new device's main room waits for the digest and this month's room; a device that knows less
 * cannot replace it; a device with local data does not fetch it; a device publishes by itself
 * once its directory moved past the relay's digest.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createPractice, getPairingCode, joinPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { RelayClient } from '../client/src/sync/relay/relay-client'
import type { DirectoryDigest } from '../shared/src/digest/directory-digest'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { ConnectionStatus } from '../client/src/sync/sync-state'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { MAIN_ROOM, startupRooms } from '../shared/src/space/rooms'
import { actorOf } from './helpers/relay-fixture'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { filesUnder } from './helpers/files-under'

const fixture = useInMemoryRelay()
const track = fixture.track

const NAMES = ['Quillebœuf', 'Archambaud', 'Pérignat'] as const

/** A device that opens no other room in the background, optionally without its socket. */
function device(name: string, extra: Partial<DeviceEnvironment> = {}, connect = true): DeviceEnvironment {
  return fixture.device(name, { practice: { background: false }, connect, ...extra })
}

/** Counts the device's GETs of the directory digest and holds them until released (the week digest's pass). */
function digestFetch(): { fetchImpl: typeof fetch; gets: number; release: () => void } {
  let release: () => void = () => undefined
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  const probe = {
    gets: 0,
    release: () => release(),
    fetchImpl: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url.includes('/digests/directory') && (init?.method ?? 'GET') === 'GET') {
        probe.gets++
        await held
      }
      return fixture.relay.fetchImpl(input, init)
    }) as typeof fetch,
  }
  return probe
}

async function patientNames(p: OpenPractice): Promise<string[]> {
  return listPatients(await p.space.openDoc(DIRECTORY_DOC_ID)).items.map((patient) => patient.birthName).sort()
}

describe('the directory digest', () => {
  let a: OpenPractice
  let code: string

  it('is published by a synced device, as ciphertext, once per change', async () => {
    const envA = device('bureau')
    a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet des Trois Gaules', practitioner: { displayName: 'Odile Fauvergue', profession: 'kine' } },
        envA,
      ),
    )
    code = await getPairingCode(a.record.spaceId, envA)
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    for (const birthName of NAMES) addPatient(directory, { birthName, firstNames: 'Hortense', birthDate: '1961-04-02' }, actorOf(a), Date.now)
    await a.space.whenAcknowledged()
    expect(await a.space.publishDirectoryDigest()).toBe('published')
    expect(await a.space.publishDirectoryDigest()).toBe('up-to-date')
    const stored = filesUnder(fixture.relay.dataDir).map((file) => readFileSync(file))
    for (const name of NAMES) expect(stored.some((bytes) => bytes.includes(Buffer.from(name)))).toBe(false)
  })

  it('shows a new device the practice before its directory syncs, then the live doc', async () => {
    // No socket yet: the digest (HTTP) is all this device can have.
    const b = await track(joinPractice(code, device('tablette', {}, false)))
    const digest = await waitFor(() => {
      const current = b.space.directoryDigest.current()
      expect(current).not.toBeNull()
      return current as DirectoryDigest
    })
    expect(await b.space.whenDigestFetched()).toBe('shown')
    expect(digest.patients.map((p) => p.birthName).sort()).toEqual([...NAMES].sort())
    expect(digest.practitioners.map((p) => p.displayName)).toContain('Odile Fauvergue')
    expect(await patientNames(b)).toEqual([])

    b.space.connect()
    await waitFor(() => expect(b.space.directoryDigest.current()).toBeNull())
    // Cleared only once main's entries are applied: the views never see an empty list between.
    expect(await patientNames(b)).toEqual([...NAMES].sort())
  })

  it('is never shown by a device whose directory synced before it arrived', async () => {
    const probe = digestFetch()
    // Main is held back for the digest at most this long: here the digest never comes in time.
    const c = await track(joinPractice(code, device('portable', { fetchImpl: probe.fetchImpl, digest: { holdMainMaxMs: 100 } })))
    const shown: Array<DirectoryDigest | null> = []
    c.space.directoryDigest.subscribe(() => shown.push(c.space.directoryDigest.current()))
    await c.space.whenDirectorySynced()
    expect(await patientNames(c)).toEqual([...NAMES].sort())
    expect(probe.gets).toBe(1)
    probe.release()
    expect(await c.space.whenDigestFetched()).toBe('late')
    expect(shown.filter((d) => d !== null)).toEqual([])
    expect(c.space.directoryDigest.current()).toBeNull()
  })

  it("holds a new device's main room back until the digest is shown and this month's room has synced", async () => {
    const probe = digestFetch()
    const h = await track(joinPractice(code, device('chariot', { fetchImpl: probe.fetchImpl })))
    const month = startupRooms(TEST_TODAY).find((room) => room !== MAIN_ROOM)!
    await waitFor(() => expect(h.space.inspect.connectedRoomNames()).toContain(month))
    expect(h.space.inspect.connectedRoomNames()).not.toContain(MAIN_ROOM)
    expect(h.space.getSyncState().status).toBe(ConnectionStatus.Connecting)
    probe.release()
    expect(await h.space.whenDigestFetched()).toBe('shown')
    await h.space.whenDirectorySynced()
    expect(await patientNames(h)).toEqual([...NAMES].sort())
  })

  it("holds main back until the views' first screen too when asked (the app, so that « Qui êtes-vous ? » stays responsive)", async () => {
    const f = await track(joinPractice(code, device('borne', { digest: { holdMainForFirstScreen: true } })))
    expect(await f.space.whenDigestFetched()).toBe('shown')
    const month = startupRooms(TEST_TODAY).find((room) => room !== MAIN_ROOM)!
    await waitFor(() => expect(f.space.inspect.connectedRoomNames()).toContain(month))
    // The digest is shown and this month has synced and been applied: main would connect now; it
    // waits for the screen, and only for it.
    await waitFor(() => expect(f.space.inspect.startupStages().main).toBe('first-screen'))
    expect(f.space.inspect.wantedRooms().get(MAIN_ROOM)?.connection).toBe('defer')
    expect(f.space.inspect.connectedRoomNames()).not.toContain(MAIN_ROOM)
    f.space.firstScreenShown()
    await f.space.whenDirectorySynced()
    expect(await patientNames(f)).toEqual([...NAMES].sort())
  })

  it('cannot be replaced by a device that knows less', async () => {
    const before = await new RelayClient({ relayUrl: fixture.relay.url, spaceId: a.record.spaceId, credential: credentialOf(code), fetchImpl: fixture.relay.fetchImpl }).headDigest('directory')
    // Offline and new: its directory holds only what it writes itself.
    const d = await track(joinPractice(code, device('téléphone', {}, false)))
    addPatient(await d.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Isolée', firstNames: 'Berthe', birthDate: '1990-01-01' }, actorOf(d), testClock)
    expect(await d.space.publishDirectoryDigest()).toBe('up-to-date')
    expect(await new RelayClient({ relayUrl: fixture.relay.url, spaceId: a.record.spaceId, credential: credentialOf(code), fetchImpl: fixture.relay.fetchImpl }).headDigest('directory')).toBe(before)
  })

  it('is not fetched by a device that opens with its data already local', async () => {
    const envE = device('cabinet')
    const e = await track(joinPractice(code, envE))
    await waitFor(async () => expect(await patientNames(e)).toEqual([...NAMES].sort()))
    await e.space.whenAcknowledged()
    await e.space.destroy()
    const probe = digestFetch()
    probe.release()
    const reopened = await track(loadPractice({ ...envE, fetchImpl: probe.fetchImpl }))
    await waitFor(() => expect(reopened.space.getSyncState().status).toBe(ConnectionStatus.Online))
    expect(probe.gets).toBe(0)
    expect(await reopened.space.whenDigestFetched()).toBe('not-needed')
    expect(reopened.space.directoryDigest.current()).toBeNull()
  })

  it('is published again by itself once the directory moved past it', async () => {
    const envF = device('accueil', { digest: { checkEveryMs: 50, publishIntervalMs: 0 } })
    const f = await track(joinPractice(code, envF))
    await waitFor(async () => expect(await patientNames(f)).toEqual(expect.arrayContaining([...NAMES])))
    const relay = new RelayClient({ relayUrl: fixture.relay.url, spaceId: a.record.spaceId, credential: credentialOf(code), fetchImpl: fixture.relay.fetchImpl })
    const before = (await relay.headDigest('directory')) ?? 0
    addPatient(await f.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Nouvelle', firstNames: 'Agathe', birthDate: '2001-12-24' }, actorOf(f), Date.now)
    await waitFor(async () => expect((await relay.headDigest('directory')) ?? 0).toBeGreaterThan(before))
    // A new device now sees the new patient in the digest.
    const g = await track(joinPractice(code, device('remplaçant', {}, false)))
    const digest = await waitFor(() => {
      const current = g.space.directoryDigest.current()
      expect(current).not.toBeNull()
      return current as DirectoryDigest
    })
    expect(digest.patients.map((p) => p.birthName)).toContain('Nouvelle')
  })
})

/** The credential the pairing code carries (what a device sends as its bearer token). */
function credentialOf(pairingCode: string): string {
  return decodePairingCode(pairingCode).credential
}
