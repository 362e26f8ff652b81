/**
 * Issue 18, attack 7 (« Digest poisoning »), through real parts (the relay in this process,
 * devices with their own fake IndexedDB and sockets straight to it): someone who holds the space
 * credential but no key publishes digests of their own. The relay keeps a digest under
 * compare-and-swap on what its publisher read, never on a weight it cannot verify, so:
 *   - a forged digest (weight 2^53 − 1, random bytes) is replaced by an honest device once it
 *     looks, and a device that found it says so in its sync indicator; a fresh device afterwards
 *     shows the honest digest's patients and week;
 *   - an older, authentic digest replayed (a truncated practice) is replaced by a device that
 *     holds more, under its own weight or a forged one.
 */
import { describe, expect, it } from 'vitest'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { RelayClient } from '../client/src/sync/relay/relay-client'
import { createTranslator } from '../client/src/i18n'
import { describeSyncState } from '../client/src/views/sync/sync-status-text'
import { randomBytes } from '../shared/src/crypto/base64url'
import type { DigestName } from '../shared/src/digest/digest-cipher'
import type { DirectoryDigest } from '../shared/src/digest/directory-digest'
import type { WeekDigest } from '../shared/src/digest/week-digest'
import { addAppointment } from '../shared/src/model/agenda'
import { monthOf } from '../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient } from '../shared/src/model/patients'
import { listPractitioners } from '../shared/src/model/practitioners'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { actorOf } from './helpers/relay-fixture'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { TEST_TODAY, testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket, type PairingTicket } from './helpers/pairing-ticket'

const fixture = useInMemoryRelay()
const track = fixture.track
const fr = createTranslator('fr', 'Europe/Paris')

const NAMES = ['Quenouille', 'Vaucanson', 'Éparvier'] as const

/** A device that opens no other room in the background; `publishes`: it looks at the relay's digests every 20 ms. */
function device(name: string, { connect = true, publishes = false }: { connect?: boolean; publishes?: boolean } = {}): DeviceEnvironment {
  return fixture.device(name, {
    practice: { background: false },
    connect,
    ...(publishes ? { digest: { checkEveryMs: 20, publishIntervalMs: 0 } } : {}),
  })
}

/** Someone with the credential (a proxy log, the relay's disk) and nothing else: the relay's HTTP routes, by hand. */
function attackerOf(code: string): RelayClient {
  const { spaceId, credential } = decodePairingCode(code)
  return new RelayClient({ relayUrl: fixture.relay.url, spaceId, credential, fetchImpl: fixture.relay.fetchImpl })
}

/** Publishes `blob` under `weight` in place of whatever the relay holds (read first, as the relay requires). */
async function overwrite(attacker: RelayClient, name: DigestName, weight: number, blob: Uint8Array): Promise<string> {
  const read = await attacker.headDigest(name)
  const outcome = await attacker.putDigest(name, weight, blob, read === null ? { kind: 'absent' } : { kind: 'etag', etag: read.etag })
  if (outcome.status === 'stale') throw new Error('The attacker lost a race')
  return outcome.etag
}

/** What a fresh device, with no socket (HTTP only), shows from the relay's digests. */
async function freshDeviceShows(code: PairingTicket, name: string): Promise<{ patients: string[]; week: string[]; device: OpenPractice }> {
  const fresh = await track(joinWith(code, device(name, { connect: false })))
  expect(await fresh.space.whenDigestFetched()).toBe('shown')
  expect(await fresh.space.whenWeekDigestFetched()).toBe('shown')
  const directory = fresh.space.directoryDigest.current() as DirectoryDigest
  const week = fresh.space.weekDigest.current() as WeekDigest
  return { patients: directory.patients.map((p) => p.birthName).sort(), week: week.appointments.map((a) => a.start), device: fresh }
}

describe('digest poisoning by a credential holder (issue 18, attack 7)', () => {
  let code: PairingTicket
  let honest: OpenPractice
  const starts = ['08:30', '14:00'].map((time) => `${TEST_TODAY}T${time}`)

  it('a forged digest of weight 2^53 − 1 is replaced by an honest device, which says so; a fresh device then shows the honest one', async () => {
    const envA = device('secrétariat')
    const a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet de la Herse', practitioner: { displayName: 'Roseline Vautrin', profession: 'kine' } },
        envA,
      ),
    )
    code = await pairingTicket(a.record.spaceId, envA)
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    for (const birthName of NAMES) addPatient(directory, { birthName, firstNames: 'Aude', birthDate: '1970-05-06' }, actorOf(a), testClock)
    const [practitioner] = listPractitioners(directory).items
    const month = await a.space.openDoc(agendaDocId(monthOf(TEST_TODAY)))
    for (const start of starts) addAppointment(month, { start, durationMin: 30, practitionerId: practitioner!.id, title: 'Bilan' }, actorOf(a), testClock)
    await a.space.whenAcknowledged()
    expect(await a.space.publishDirectoryDigest()).toBe('published')
    expect(await a.space.publishWeekDigest()).toBe('published')

    // The attack: both digests, forged, over the honest ones.
    const attacker = attackerOf(code.code)
    const forged = new Map<DigestName, string>()
    for (const name of ['directory', 'week'] as const) forged.set(name, await overwrite(attacker, name, Number.MAX_SAFE_INTEGER, randomBytes(200)))

    // A new device cannot open them: it shows nothing from them, waits for the docs, and says so.
    const victim = await track(joinWith(code, device('tablette', { connect: false })))
    expect(await victim.space.whenDigestFetched()).toBe('none')
    expect(await victim.space.whenWeekDigestFetched()).toBe('none')
    expect(victim.space.directoryDigest.current()).toBeNull()
    await waitFor(() => expect(victim.space.getSyncState()).toMatchObject({ unreadableDigests: 2, replacedDigests: 0 }))
    expect(describeSyncState(victim.space.getSyncState(), fr).digests).toBe('2 aperçus illisibles sur le relais, ignorés')

    // An honest device online looks, cannot open them either, and replaces them with its own.
    honest = await track(joinWith(code, device('cabinet', { publishes: true })))
    await waitFor(async () => {
      for (const name of ['directory', 'week'] as const) {
        const head = await attacker.headDigest(name)
        expect(head?.etag).not.toBe(forged.get(name))
        expect(head?.weight).toBeLessThan(Number.MAX_SAFE_INTEGER)
      }
    })
    await waitFor(() => expect(honest.space.getSyncState()).toMatchObject({ unreadableDigests: 2, replacedDigests: 2 }))
    expect(describeSyncState(honest.space.getSyncState(), fr).digests).toBe('2 aperçus illisibles sur le relais, remplacés')

    const shown = await freshDeviceShows(code, 'remplaçant')
    expect(shown.patients).toEqual([...NAMES].sort())
    expect(shown.week).toEqual(starts)
    expect(shown.device.space.getSyncState()).toMatchObject({ unreadableDigests: 0 })
  })

  it('an older authentic digest replayed is replaced by a device that holds more, under its own weight or a forged one', async () => {
    const attacker = attackerOf(code.code)
    // Captured now, replayed after the practice moved on.
    const old = (await attacker.getDigest('directory'))!
    const directory = await honest.space.openDoc(DIRECTORY_DOC_ID)
    addPatient(directory, { birthName: 'Tardif', firstNames: 'Jules', birthDate: '2002-02-02' }, actorOf(honest), testClock)
    await honest.space.whenAcknowledged()
    await waitFor(async () => expect((await attacker.headDigest('directory'))!.weight).toBeGreaterThan(old.weight))
    const everyone = [...NAMES, 'Tardif'].sort()

    for (const weight of [old.weight, Number.MAX_SAFE_INTEGER]) {
      const replayed = await overwrite(attacker, 'directory', weight, old.blob)
      await waitFor(async () => expect((await attacker.headDigest('directory'))!.etag).not.toBe(replayed))
      const shown = await freshDeviceShows(code, `témoin-${weight}`)
      expect(shown.patients).toEqual(everyone)
    }
    // Replayed under its own weight it opens (it is authentic), only behind: no alarm for it. Under
    // a forged weight it does not open: one more unreadable digest, replaced.
    expect(honest.space.getSyncState()).toMatchObject({ unreadableDigests: 3, replacedDigests: 3 })
  })
})
