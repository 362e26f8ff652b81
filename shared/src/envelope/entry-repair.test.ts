/**
 * A corrupted entry costs only itself (issue 18): a device that cannot decrypt an entry asks for it
 * in the room's repair doc, a device holding the good copy publishes its content again, and the
 * requester ends whole. The "relay" is a plain Y.Doc that every device exchanges state with; its
 * copy of one entry has one bit flipped, as a hostile relay's disk would.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deriveSpaceKeys, type SpaceKeys } from '../crypto/space-keys'
import { randomBytes, randomId } from '../crypto/base64url'
import { Envelope, type EnvelopeEntry } from './envelope'
import { blindDocId, decryptEntry } from './entry-cipher'
import type { EntryDecoder } from './entry-decoder'
import { EntryRepair, entryAt, entryKey, idsOf, parseEntryKey, REPAIR_DOC_ID } from './entry-repair'

const ROOM = 'agenda/2026-03' as const
const DOC = 'agenda/2026-03'

interface Device {
  doc: Y.Doc
  envelope: Envelope
  repair: EntryRepair
}

/** A decoder as the browser's worker is one (client/src/sync/decode/): every batch, updates streamed. */
const streaming: EntryDecoder = {
  worthIt: () => true,
  decode: ({ keys, room, docId, ciphertexts }) => {
    const opened = Promise.all(ciphertexts.map((c) => decryptEntry(keys, room, docId, c).catch(() => null)))
    return {
      updates: (async function* () {
        for (const entry of await opened) if (entry !== null) yield entry.update
      })(),
      outcome: opened.then((list) => ({
        undecryptable: list.flatMap((entry, i) => (entry === null ? [i] : [])),
        malformed: [],
        headers: list.map((entry) => entry?.headerBytes ?? null),
      })),
    }
  },
  nextSlice: async () => undefined,
}

function device(keys: SpaceKeys, decoder?: EntryDecoder): Device {
  const doc = new Y.Doc({ gc: true })
  let repair: EntryRepair | null = null
  const envelope = new Envelope(doc, keys, ROOM, {
    batchDelayMs: 1,
    compactAfterEntries: 1000,
    ...(decoder ? { decoder } : {}),
    onUndecryptable: (docId, entries) => repair?.noteUndecryptable(docId, entries),
  })
  repair = new EntryRepair(envelope, keys)
  return { doc, envelope, repair }
}

/** One exchange of a device with the relay, both ways (what a sync's step 1 / step 2 carry). */
function exchange(relay: Y.Doc, d: Device): void {
  Y.applyUpdate(relay, Y.encodeStateAsUpdate(d.doc, Y.encodeStateVector(relay)))
  Y.applyUpdate(d.doc, Y.encodeStateAsUpdate(relay, Y.encodeStateVector(d.doc)), 'relay')
}

/** Exchanges until `done` holds (each device settling in between), or fails after 50 rounds. */
async function syncUntil(relay: Y.Doc, devices: Device[], done: () => boolean | Promise<boolean>): Promise<void> {
  for (let round = 0; round < 50; round++) {
    for (const d of devices) {
      exchange(relay, d)
      await d.envelope.settle()
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
    if (await done()) return
  }
  throw new Error('did not converge')
}

/** A books five appointments, one entry each, and the relay holds them. */
async function fiveAppointments(keys: SpaceKeys): Promise<{ a: Device; relay: Y.Doc }> {
  const a = device(keys)
  const month = await a.envelope.openDoc(DOC)
  for (let i = 0; i < 5; i++) {
    month.getMap('appointments').set(`rdv${i}`, { start: `2026-03-0${i + 2}T09:00`, patient: `p${i}` })
    await a.envelope.flush()
  }
  const relay = new Y.Doc({ gc: true })
  exchange(relay, a)
  return { a, relay }
}

/** Flips one bit of the relay's stored ciphertext of its `index`-th entry, in place (same outer id). */
function flipBit(relay: Y.Doc, index: number): void {
  const entry = relay.getArray<EnvelopeEntry>('entries').get(index)
  entry.c[entry.c.length - 3]! ^= 0x04
}

async function appointments(d: Device): Promise<number> {
  return (await d.envelope.openDoc(DOC)).getMap('appointments').size
}

async function repairEntries(d: Device, keys: SpaceKeys): Promise<number> {
  return d.envelope.countEntries(await blindDocId(keys, REPAIR_DOC_ID))
}

describe('entry ids', () => {
  it('reads an entry at its outer id and finds the id of an entry', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const { a } = await fiveAppointments(keys)
    const third = a.envelope.entries.get(2)
    const id = idsOf(a.envelope, [third]).get(third)!
    expect(id).toEqual({ client: a.doc.clientID, clock: 2 })
    expect(entryAt(a.envelope, id)).toBe(third)
    expect(entryAt(a.envelope, { client: a.doc.clientID, clock: 99 })).toBeNull()
    expect(parseEntryKey(entryKey(id))).toEqual(id)
    for (const bad of ['', '1:', 'x:1', '1:2:3', '99999999999:1', '1:-2']) expect(parseEntryKey(bad)).toBeNull()
  })
})

describe('a corrupted entry', () => {
  it('is republished by a device holding its good copy, and the new device ends with all five', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const { a, relay } = await fiveAppointments(keys)
    flipBit(relay, 1)
    const c = device(keys)
    exchange(relay, c)
    // Yjs holds the three later appointments back behind the missing second one.
    expect(await appointments(c)).toBe(1)
    await c.envelope.settle()
    expect(c.envelope.stats().undecryptable).toBe(1)

    await syncUntil(relay, [c, a], async () => (await appointments(c)) === 5 && c.repair.stats().waiting === 0)
    expect(c.repair.stats()).toMatchObject({ waiting: 0, repaired: 1, heldBack: 0 })
    expect(a.repair.stats().answered).toBe(1)
    // The request is gone; the answer stays for devices that join later.
    const repairDoc = await c.envelope.openDoc(REPAIR_DOC_ID)
    await syncUntil(relay, [c, a], () => repairDoc.getMap('requests').size === 0)
    expect(repairDoc.getMap('answers').size).toBe(1)

    // A device that joins later repairs from the answer alone: it asks nothing.
    const later = device(keys)
    exchange(relay, later)
    await syncUntil(relay, [later], async () => (await appointments(later)) === 5 && later.repair.stats().repaired === 1)
    expect(later.envelope.stats().undecryptable).toBe(1)
    expect(later.repair.stats().waiting).toBe(0)
    expect((await later.envelope.openDoc(REPAIR_DOC_ID)).getMap('requests').size).toBe(0)
    // A answers once per request: nothing more was published.
    await syncUntil(relay, [a, c, later], () => true)
    expect(a.repair.stats().answered).toBe(1)
  })

  it('is republished with its continuity header: once repaired, no change of its writer counts as missing', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const { a, relay } = await fiveAppointments(keys)
    flipBit(relay, 1)
    const c = device(keys)
    exchange(relay, c)
    await appointments(c)
    await c.envelope.settle()
    // The later entries say A wrote five changes; the live ones hold four that read.
    expect(c.envelope.stats().missing).toBe(1)
    await syncUntil(relay, [c, a], async () => (await appointments(c)) === 5 && c.repair.stats().waiting === 0)
    await c.envelope.settle()
    expect(c.envelope.stats().missing).toBe(0)
    const later = device(keys)
    exchange(relay, later)
    await syncUntil(relay, [later], async () => (await appointments(later)) === 5 && later.repair.stats().repaired === 1)
    await later.envelope.settle()
    expect(later.envelope.stats().missing).toBe(0)
  })

  it('is asked for by a device that decodes entries elsewhere (the browser’s worker) too', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const { a, relay } = await fiveAppointments(keys)
    flipBit(relay, 3)
    const c = device(keys, streaming)
    exchange(relay, c)
    expect(await appointments(c)).toBe(3)
    await syncUntil(relay, [c, a], async () => (await appointments(c)) === 5 && c.repair.stats().repaired === 1)
    expect(c.repair.stats().waiting).toBe(0)
  })

  it('waits, counts what it holds back, and asks once, when no device holds the entry', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const { relay } = await fiveAppointments(keys) // A never comes back
    flipBit(relay, 1)
    const c = device(keys)
    exchange(relay, c)
    expect(await appointments(c)).toBe(1)
    // Its request is on the relay: one entry beside the five.
    await syncUntil(relay, [c], () => c.repair.stats().waiting === 1 && relay.getArray('entries').length === 6)
    // Three later appointments held back by Yjs, one clock tick each.
    expect(c.repair.stats().heldBack).toBeGreaterThanOrEqual(3)

    const d = device(keys)
    exchange(relay, d)
    expect(await appointments(d)).toBe(1)
    await syncUntil(relay, [c, d], () => d.repair.stats().waiting === 1)
    const requests = (await d.envelope.openDoc(REPAIR_DOC_ID)).getMap('requests')
    expect([...requests.keys()]).toHaveLength(1)
    // D found C's request: it asks nothing more, and neither does C, round after round.
    for (let round = 0; round < 3; round++) await syncUntil(relay, [c, d], () => true)
    expect(relay.getArray('entries').length).toBe(6)
  })

  it('counts again what it holds back when more of the writer’s changes arrive', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const { a, relay } = await fiveAppointments(keys)
    a.repair.destroy() // A writes on, but does not answer
    flipBit(relay, 1)
    const c = device(keys)
    exchange(relay, c)
    expect(await appointments(c)).toBe(1)
    await syncUntil(relay, [c], () => c.repair.stats().waiting === 1 && c.repair.stats().heldBack > 0)
    const before = c.repair.stats().heldBack
    const month = await a.envelope.openDoc(DOC)
    month.getMap('appointments').set('rdv5', { start: '2026-03-09T09:00', patient: 'p5' })
    await a.envelope.flush()
    await syncUntil(relay, [a, c], () => c.repair.stats().heldBack > before)
    expect(await appointments(c)).toBe(1)
  })

  it('leaves the relay when a device holding the good copy compacts the doc, and nobody writes it back', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const { a, relay } = await fiveAppointments(keys)
    flipBit(relay, 1)
    const c = device(keys)
    exchange(relay, c)
    await syncUntil(relay, [c, a], async () => (await appointments(c)) === 5)
    const corrupted = { client: a.doc.clientID, clock: 1 }
    expect(entryAt(c.envelope, corrupted)).not.toBeNull()
    await a.envelope.compact(DOC)
    await syncUntil(relay, [a, c], () => entryAt(c.envelope, corrupted) === null)
    await c.envelope.settle()
    expect(c.envelope.stats().restored).toBe(0)
    expect(await appointments(c)).toBe(5)
    // A fresh device now reads every entry.
    const fresh = device(keys)
    exchange(relay, fresh)
    expect(await appointments(fresh)).toBe(5)
    await fresh.envelope.settle()
    expect(fresh.envelope.stats().undecryptable).toBe(0)
  })
})

describe('nothing corrupted', () => {
  it('writes no repair entry and opens no repair doc', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const { a, relay } = await fiveAppointments(keys)
    const c = device(keys)
    await syncUntil(relay, [c, a], async () => (await appointments(c)) === 5)
    await syncUntil(relay, [c, a], () => true)
    expect(await repairEntries(c, keys)).toBe(0)
    expect(relay.getArray('entries').length).toBe(5)
    expect(c.envelope.stats().openDocs).toBe(1)
    expect(c.repair.stats()).toEqual({ waiting: 0, repaired: 0, answered: 0, heldBack: 0 })
  })
})

describe('the repair doc', () => {
  it('is a doc every device names: a compaction of it is accepted by a device that never opened it', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const x = device(keys)
    const repairDoc = await x.envelope.openDoc(REPAIR_DOC_ID)
    for (const key of ['1:1', '1:2', '1:3']) {
      repairDoc.getMap('requests').set(key, { doc: DOC })
      await x.envelope.flush()
    }
    const relay = new Y.Doc({ gc: true })
    exchange(relay, x)
    // A device without the repair module: it opens no repair doc of its own.
    const y = { doc: new Y.Doc({ gc: true }) } as Device
    y.envelope = new Envelope(y.doc, keys, ROOM, { batchDelayMs: 1 })
    exchange(relay, y)
    await x.envelope.compact(REPAIR_DOC_ID)
    exchange(relay, x)
    exchange(relay, y)
    await y.envelope.settle()
    expect(y.envelope.stats()).toMatchObject({ entries: 1, restored: 0 })
  })
})
