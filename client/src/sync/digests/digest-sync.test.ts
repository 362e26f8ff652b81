/**
 * DigestSync against the relay's real routes and storage (in this process): what a device does
 * with the digest it finds on the relay — replaces it when it cannot open it or when it is behind,
 * leaves it when it holds more or comes from a newer version, and never overwrites a digest it has
 * not judged (compare-and-swap on the ETag it read).
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { randomBytes } from '../../../../shared/src/crypto/base64url'
import { DIRECTORY_DIGEST_FORMAT, type DirectoryDigest } from '../../../../shared/src/digest/directory-digest'
import { epochNamedBy } from '../../../../shared/src/crypto/epoch-sealed'
import { GrowingEpochKeyring } from '../../../../shared/src/crypto/key-epochs'
import { deriveDigestEpochKey, deriveDigestKey, encryptDigest, openDigest } from '../../../../shared/src/digest/digest-cipher'
import { encodeDigestJson } from '../../../../shared/src/digest/digest-json'
import { buildWeekDigest, encodeWeekDigest, weekDigestWeight, weekDigestWindow, type WeekDigest } from '../../../../shared/src/digest/week-digest'
import { addAppointment, initAgendaDoc } from '../../../../shared/src/model/agenda'
import { agendaDocId } from '../../../../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../../../../shared/src/model/patients'
import { alice, bob, exchange, fork, steppingClock } from '../../../../shared/src/model/test-support'
import { RelayClient } from '../relay/relay-client'
import { IN_PROCESS_RELAY_URL, inProcessRelay } from '../test-support/in-process-relay'
import { DigestHolder } from './digest-source'
import { DigestSync, directoryDigestKind, weekDigestKind, type DigestKind, type DigestSyncOptions, type WeekSource } from './digest-sync'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const NOW = Date.UTC(2026, 10, 25, 9, 0)
const TODAY = '2026-11-25'

/** The relay, the practice's digest key, and a count of each device's requests by method. */
async function practice() {
  const relay = await inProcessRelay(cleanups)
  const key = await deriveDigestKey(relay.spaceId, randomBytes(32))
  const target = { relayUrl: IN_PROCESS_RELAY_URL, spaceId: relay.spaceId, credential: relay.credential }
  /** Someone with the credential and no key: the relay's client, used by hand. */
  const attacker = new RelayClient({ ...target, fetchImpl: relay.fetchImpl })
  const requests: string[] = []
  const counted: typeof fetch = (input, init) => {
    requests.push(`${init?.method ?? 'GET'} ${String(input).split('/digests/')[1] ?? ''}`)
    return relay.fetchImpl(input, init)
  }
  const device = <T, S>(kind: DigestKind<T, S>, fetchImpl: typeof fetch = counted, epochs: Pick<DigestSyncOptions<T>, 'epochs' | 'fetchEpochs'> = {}) => {
    const alarms: number[] = []
    const holder = new DigestHolder<T>()
    const sync = new DigestSync<T, S>(kind, {
      relay: new RelayClient({ ...target, fetchImpl }),
      spaceId: relay.spaceId,
      key,
      holder,
      now: () => NOW,
      onError: () => undefined,
      onAlarm: () => alarms.push(1),
      ...epochs,
    })
    cleanups.push(() => sync.destroy())
    return Object.assign(sync, { alarms, holder })
  }
  return { relay, key, attacker, requests, device }
}

function directoryWith(names: readonly string[], actor = alice): Y.Doc {
  const doc = new Y.Doc()
  const clock = steppingClock()
  for (const birthName of names) addPatient(doc, { birthName, firstNames: 'Odette' }, actor, clock)
  return doc
}

const names = (digest: DirectoryDigest | null) => digest?.patients.map((p) => p.birthName).sort() ?? null

describe('DigestSync: what a device does with the relay digest', () => {
  it('publishes over none (If-None-Match: *), then leaves the digest it published while it covers its doc', async () => {
    const { device, requests } = await practice()
    const a = device(directoryDigestKind)
    const doc = directoryWith(['Abadie', 'Bertin'])
    expect(await a.publish(doc)).toBe('published')
    requests.length = 0
    expect(await a.publish(doc)).toBe('up-to-date')
    // Judged by its ETag: no download of a digest this device wrote.
    expect(requests).toEqual(['HEAD directory'])
    addPatient(doc, { birthName: 'Castel', firstNames: 'Léa' }, alice, steppingClock())
    expect(await a.publish(doc)).toBe('published')
    expect(a.alarm()).toEqual({ unreadable: 0, replaced: 0 })
  })

  it('replaces a forged digest (weight 2^53 − 1, random bytes) it cannot open, says so, and a new device then shows the honest one', async () => {
    const { device, attacker } = await practice()
    const a = device(directoryDigestKind)
    const doc = directoryWith(['Abadie', 'Bertin'])
    expect(await a.publish(doc)).toBe('published')
    const read = await attacker.headDigest('directory')
    expect(await attacker.putDigest('directory', Number.MAX_SAFE_INTEGER, randomBytes(200), { kind: 'etag', etag: read!.etag })).toMatchObject({
      status: 'replaced',
    })
    expect(await a.publish(doc)).toBe('published')
    expect(a.alarm()).toEqual({ unreadable: 1, replaced: 1 })
    expect(a.alarms).toHaveLength(2)
    expect((await attacker.headDigest('directory'))?.weight).toBe(directoryDigestKind.weigh(doc))

    const fresh = device(directoryDigestKind)
    expect(await fresh.fetchForStart()).toBe('shown')
  })

  it('counts a forged digest found at start as unreadable, and replaced once its docs synced and it published', async () => {
    const { device, attacker } = await practice()
    await attacker.putDigest('directory', Number.MAX_SAFE_INTEGER, randomBytes(200), { kind: 'absent' })
    const b = device(directoryDigestKind)
    expect(await b.fetchForStart()).toBe('none')
    expect(b.alarm()).toEqual({ unreadable: 1, replaced: 0 })
    expect(await b.publish(directoryWith(['Abadie']))).toBe('published')
    expect(b.alarm()).toEqual({ unreadable: 1, replaced: 1 })
  })

  it('replaces an authentic digest whose plaintext does not decode', async () => {
    const { device, attacker, key, relay } = await practice()
    const doc = directoryWith(['Abadie'])
    const weight = directoryDigestKind.weigh(doc) + 10
    const garbage = await encryptDigest(key, relay.spaceId, 'directory', weight, new TextEncoder().encode('not gzip'))
    await attacker.putDigest('directory', weight, garbage, { kind: 'absent' })
    const a = device(directoryDigestKind)
    expect(await a.publish(doc)).toBe('published')
    expect(a.alarm()).toEqual({ unreadable: 1, replaced: 1 })
  })

  it('replaces an older authentic digest replayed, whatever weight it is sent under', async () => {
    const { device, attacker } = await practice()
    const a = device(directoryDigestKind)
    const doc = directoryWith(['Abadie'])
    await a.publish(doc)
    const old = (await attacker.getDigest('directory'))!
    addPatient(doc, { birthName: 'Bertin', firstNames: 'Paul' }, alice, steppingClock())
    expect(await a.publish(doc)).toBe('published')

    // Under its own weight: below this device's, replaced unread, not an alarm.
    let current = (await attacker.headDigest('directory'))!
    await attacker.putDigest('directory', old.weight, old.blob, { kind: 'etag', etag: current.etag })
    expect(await a.publish(doc)).toBe('published')
    expect(a.alarm()).toEqual({ unreadable: 0, replaced: 0 })
    // Under a heavier weight it was not sealed with: it does not open.
    current = (await attacker.headDigest('directory'))!
    await attacker.putDigest('directory', old.weight + 1_000, old.blob, { kind: 'etag', etag: current.etag })
    expect(await a.publish(doc)).toBe('published')
    expect(a.alarm()).toEqual({ unreadable: 1, replaced: 1 })

    const fresh = device(directoryDigestKind)
    await fresh.fetchForStart()
    expect(names(fresh.holder.current())).toEqual(['Abadie', 'Bertin'])
  })

  it('replaces an authentic digest that is behind (opened, fewer changes), and leaves one that holds more', async () => {
    const { device } = await practice()
    const full = directoryWith(['Abadie', 'Bertin'])
    const behind = fork(full)
    addPatient(full, { birthName: 'Castel', firstNames: 'Léa' }, alice, steppingClock())
    const a = device(directoryDigestKind)
    const b = device(directoryDigestKind)
    // b publishes what it holds; a, which holds more, replaces it.
    expect(await b.publish(behind)).toBe('published')
    expect(await a.publish(full)).toBe('published')
    // b holds less than the relay's digest now: it leaves it, even once it wrote a patient of its own.
    expect(await b.publish(behind)).toBe('up-to-date')
    addPatient(behind, { birthName: 'Isolée', firstNames: 'Berthe' }, bob, steppingClock())
    expect(await b.publish(behind)).toBe('up-to-date')
    // Once b holds both, it replaces it.
    exchange(full, behind)
    expect(await b.publish(behind)).toBe('published')
    expect(a.alarm()).toEqual({ unreadable: 0, replaced: 0 })
    expect(b.alarm()).toEqual({ unreadable: 0, replaced: 0 })
  })

  it('leaves a digest written by a newer version of Tournée', async () => {
    const { device, attacker, key, relay } = await practice()
    const doc = directoryWith(['Abadie'])
    const weight = directoryDigestKind.weigh(doc) + 10
    const plain = await encodeDigestJson({ format: DIRECTORY_DIGEST_FORMAT + 1, patients: 'elsewhere' })
    await attacker.putDigest('directory', weight, await encryptDigest(key, relay.spaceId, 'directory', weight, plain), { kind: 'absent' })
    const a = device(directoryDigestKind)
    expect(await a.publish(doc)).toBe('up-to-date')
    expect(a.alarm()).toEqual({ unreadable: 0, replaced: 0 })
  })

  it('loses a race (412) to a publication made meanwhile, looks again and decides again', async () => {
    const { device, attacker, relay } = await practice()
    const doc = directoryWith(['Abadie', 'Bertin'])
    const other = device(directoryDigestKind, relay.fetchImpl)
    let raced = false
    // Just before a's first PUT reaches the relay, another device publishes what it holds (the same).
    const racing: typeof fetch = async (input, init) => {
      if (init?.method === 'PUT' && !raced) {
        raced = true
        expect(await other.publish(fork(doc))).toBe('published')
      }
      return relay.fetchImpl(input, init)
    }
    const a = device(directoryDigestKind, racing)
    expect(await a.publish(doc)).toBe('up-to-date')
    expect(raced).toBe(true)
    // What the other device published is what stays.
    expect((await attacker.headDigest('directory'))?.etag).toBe('"1"')

    // When what won the race cannot be trusted (the attacker's, here), c replaces it on its second look.
    addPatient(doc, { birthName: 'Castel', firstNames: 'Léa' }, alice, steppingClock())
    raced = false
    const racingAttacker: typeof fetch = async (input, init) => {
      if (init?.method === 'PUT' && !raced) {
        raced = true
        const read = (await attacker.headDigest('directory'))!
        await attacker.putDigest('directory', Number.MAX_SAFE_INTEGER, randomBytes(64), { kind: 'etag', etag: read.etag })
      }
      return relay.fetchImpl(input, init)
    }
    const c = device(directoryDigestKind, racingAttacker)
    expect(await c.publish(doc)).toBe('published')
    expect(c.alarm()).toEqual({ unreadable: 1, replaced: 1 })
    const fresh = device(directoryDigestKind)
    await fresh.fetchForStart()
    expect(names(fresh.holder.current())).toEqual(listPatients(doc).items.map((p) => p.birthName).sort())
  })

  it('week: replaces a digest of an earlier window or one behind in the same window, leaves one that covers', async () => {
    const { device, attacker, key, relay } = await practice()
    const nov = new Y.Doc({ guid: agendaDocId('2026-11') })
    const dec = new Y.Doc({ guid: agendaDocId('2026-12') })
    initAgendaDoc(nov, '2026-11')
    initAgendaDoc(dec, '2026-12')
    const clock = steppingClock()
    addAppointment(nov, { start: `${TODAY}T08:30`, durationMin: 30, practitionerId: 'prac1', title: 'Bilan' }, alice, clock)
    const source: WeekSource = { today: TODAY, docs: [nov, dec] }
    // Last week's digest, authentic.
    const lastWeek: WeekDigest = buildWeekDigest([nov], '2026-11-18', NOW)
    const lastWeight = weekDigestWeight(weekDigestWindow('2026-11-18').from, [nov])
    await attacker.putDigest('week', lastWeight, await encryptDigest(key, relay.spaceId, 'week', lastWeight, await encodeWeekDigest(lastWeek)), {
      kind: 'absent',
    })
    const a = device(weekDigestKind)
    expect(await a.publish(source)).toBe('published')
    expect(await a.publish(source)).toBe('up-to-date')
    // A device holding the same leaves it; a, with one more booking, replaces its own; the other
    // device, now holding less, leaves that one too.
    const b = device(weekDigestKind)
    const behind: WeekSource = { today: TODAY, docs: [fork(nov), fork(dec)] }
    expect(await b.publish(behind)).toBe('up-to-date')
    addAppointment(dec, { start: '2026-12-01T10:00', durationMin: 30, practitionerId: 'prac1', title: 'Bilan' }, alice, clock)
    expect(await a.publish(source)).toBe('published')
    expect(await b.publish(behind)).toBe('up-to-date')
    expect(a.alarm()).toEqual({ unreadable: 0, replaced: 0 })
  })
})

describe('DigestSync: key epochs (issue 19)', () => {
  /** Epoch 1's digest key, as each device of the practice derives it from the secret sealed to it. */
  const epochKey = (spaceId: string, secret: Uint8Array) => deriveDigestEpochKey(spaceId, 1, secret)
  /** A device's ring without epoch 1, and its fetch of the sealed keys: `reaches` false as if offline. */
  const lacking = (spaceId: string, secret: Uint8Array, reaches = true) => {
    const ring = new GrowingEpochKeyring()
    const fetched = { count: 0, reaches }
    const fetchEpochs = async () => {
      fetched.count++
      if (!fetched.reaches) return false
      ring.add(1, await epochKey(spaceId, secret))
      return true
    }
    return { ring, fetched, options: { epochs: ring, fetchEpochs } }
  }

  it('publishes under the newest epoch held; a device that lacks it fetches it, then reads the digest and leaves it', async () => {
    const { device, attacker, relay } = await practice()
    const secret = randomBytes(32)
    const doc = directoryWith(['Abadie', 'Bertin'])
    const a = device(directoryDigestKind, relay.fetchImpl, { epochs: GrowingEpochKeyring.of([{ epoch: 1, key: await epochKey(relay.spaceId, secret) }]) })
    expect(await a.publish(doc)).toBe('published')
    const published = (await attacker.getDigest('directory'))!
    expect(epochNamedBy(published.blob)).toBe(1)

    const b = lacking(relay.spaceId, secret)
    const onB = device(directoryDigestKind, relay.fetchImpl, b.options)
    expect(await onB.publish(fork(doc))).toBe('up-to-date')
    expect(b.fetched.count).toBe(1)
    expect((await attacker.headDigest('directory'))?.etag).toBe(published.etag)
    expect(onB.alarm()).toEqual({ unreadable: 0, replaced: 0 })

    const fresh = lacking(relay.spaceId, secret)
    const onFresh = device(directoryDigestKind, relay.fetchImpl, fresh.options)
    expect(await onFresh.fetchForStart()).toBe('shown')
    expect(names(onFresh.holder.current())).toEqual(['Abadie', 'Bertin'])
  })

  it('leaves a digest of an epoch it could not fetch (offline), neither shown nor replaced, and reads it once the epoch comes', async () => {
    const { device, attacker, relay } = await practice()
    const secret = randomBytes(32)
    const doc = directoryWith(['Abadie', 'Bertin'])
    const a = device(directoryDigestKind, relay.fetchImpl, { epochs: GrowingEpochKeyring.of([{ epoch: 1, key: await epochKey(relay.spaceId, secret) }]) })
    expect(await a.publish(doc)).toBe('published')
    const published = (await attacker.headDigest('directory'))!

    const b = lacking(relay.spaceId, secret, false)
    const onB = device(directoryDigestKind, relay.fetchImpl, b.options)
    expect(await onB.fetchForStart()).toBe('none')
    // It holds more than the digest counts, yet does not overwrite a digest it could not read.
    const more = fork(doc)
    addPatient(more, { birthName: 'Castel', firstNames: 'Léa' }, bob, steppingClock())
    // (Weighed more, a claim below its own is replaced unread: here the digest claims more.)
    await attacker.putDigest('directory', Number.MAX_SAFE_INTEGER - 1, (await attacker.getDigest('directory'))!.blob, { kind: 'etag', etag: published.etag })
    const claimed = (await attacker.headDigest('directory'))!
    expect(await onB.publish(more)).toBe('up-to-date')
    expect((await attacker.headDigest('directory'))?.etag).toBe(claimed.etag)
    expect(onB.alarm()).toEqual({ unreadable: 0, replaced: 0 })
    // The relay's epochs can be read again: the digest is of epoch 1 all right, under a false weight.
    b.fetched.reaches = true
    expect(await onB.publish(more)).toBe('published')
    expect(onB.alarm()).toEqual({ unreadable: 1, replaced: 1 })
    expect(epochNamedBy((await attacker.getDigest('directory'))!.blob)).toBe(1)
  })

  it('a digest of an epoch the relay says nothing of (fetched, still not held): unreadable, replaced', async () => {
    const { device, attacker, relay } = await practice()
    const doc = directoryWith(['Abadie'])
    const a = device(directoryDigestKind, relay.fetchImpl)
    expect(await a.publish(doc)).toBe('published')
    const stored = (await attacker.getDigest('directory'))!
    const relabelled = stored.blob.slice()
    relabelled.set([0x03, 0x00, 0x07], 0)
    await attacker.putDigest('directory', stored.weight, relabelled, { kind: 'etag', etag: stored.etag })
    const fetched = { count: 0 }
    const b = device(directoryDigestKind, relay.fetchImpl, { epochs: new GrowingEpochKeyring(), fetchEpochs: () => Promise.resolve(++fetched.count > 0) })
    expect(await b.publish(doc)).toBe('published')
    expect(fetched.count).toBe(2) // once on reading the relabelled digest, once before sealing its own
    expect(b.alarm()).toEqual({ unreadable: 1, replaced: 1 })
  })

  it('replaces its digest under the new epoch as soon as its ring grows, without waiting for the period', async () => {
    const { device, attacker, relay, key } = await practice()
    const doc = directoryWith(['Abadie'])
    const ring = new GrowingEpochKeyring()
    const a = device(directoryDigestKind, relay.fetchImpl, { epochs: ring })
    expect(await a.publish(doc)).toBe('published')
    // Under epoch 0, whose random IV names an epoch by chance once in 256 (epoch-sealed.ts): opened, not read off its IV.
    const first = (await attacker.getDigest('directory'))!
    expect((await openDigest({ base: key }, relay.spaceId, 'directory', first.weight, first.blob)).epoch).toBe(0)
    // Synced; the period (15 min) has not passed since it looked.
    a.docsSynced(() => Promise.resolve(doc))
    ring.add(1, await epochKey(relay.spaceId, randomBytes(32)))
    await waitUntil(async () => epochNamedBy((await attacker.getDigest('directory'))!.blob) === 1)
    // One that covers what it holds but is under an older epoch is replaced too, whatever its weight.
    ring.add(2, await deriveDigestEpochKey(relay.spaceId, 2, randomBytes(32)))
    await waitUntil(async () => epochNamedBy((await attacker.getDigest('directory'))!.blob) === 2)
    expect(await a.publish(doc)).toBe('up-to-date')
  })
})

/** Retries `condition` on each turn of the event loop until it holds (bounded by the test's timeout). */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5))
}
