/**
 * The relay's rule for envelope updates (update-check.ts), case by case: every attack of issue 18 a
 * credential holder without keys could make is refused with its reason, and every update the real
 * devices send passes — produced by the real Envelope (writes, compactions, erasures), live and as
 * the step 2 of a device that was offline, through a relay doc that applies only what the check
 * accepts. A seeded randomized run then mixes them all and checks that nothing honest is refused
 * and that what the relay stores (trimmed) makes the same doc as what it received.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { randomBytes, randomId } from '../../../shared/src/crypto/base64url'
import { deriveSpaceKeys, type SpaceKeys } from '../../../shared/src/crypto/space-keys'
import { Envelope } from '../../../shared/src/envelope/envelope'
import { testEntry } from '../test-support/test-entries'
import { FrameError } from './frame-error'
import { checkUpdate, MAX_CLOCK, type UpdateVerdict } from './update-check'
import { encodeUpdate, YJS_VERSION, type DeleteRange, type Struct } from './yjs-structs'

const LIMITS = { maxUpdateBytes: 256 * 1024 }
const ROOM = 'files/3' as const

/** The relay's copy of a room: what it stores is what the check accepts, applied as the room does. */
class RelayCopy {
  constructor(private readonly limits = LIMITS) {}
  readonly doc = new Y.Doc({ gc: true })
  /** The same updates applied as received, untrimmed: trimming must not change the doc. */
  readonly received = new Y.Doc({ gc: true })
  readonly verdicts: UpdateVerdict['kind'][] = []

  accept(update: Uint8Array): UpdateVerdict {
    const verdict = checkUpdate(update, this.doc, this.limits)
    this.verdicts.push(verdict.kind)
    if (verdict.kind === 'accepted') {
      Y.applyUpdate(this.doc, verdict.update, 'device')
      Y.applyUpdate(this.received, update, 'device')
    }
    return verdict
  }
}

/** A device with the real Envelope; what its envelope doc emits locally is what y-websocket sends. */
interface Device {
  readonly doc: Y.Doc
  readonly envelope: Envelope
  readonly outbox: Uint8Array[]
}

function device(keys: SpaceKeys): Device {
  const doc = new Y.Doc({ gc: true })
  const outbox: Uint8Array[] = []
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== 'relay') outbox.push(update)
  })
  // Compaction only when the test asks for it.
  const envelope = new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactAfterEntries: 10_000, compactDelayMs: 1 })
  return { doc, envelope, outbox }
}

async function space(): Promise<SpaceKeys> {
  const spaceId = randomId()
  return deriveSpaceKeys(spaceId, randomBytes(32))
}

/** Live: the device's queued updates, each checked by the relay, then forwarded to `others`. */
function sendLive(from: Device, relay: RelayCopy, others: Device[] = []): UpdateVerdict[] {
  return from.outbox.splice(0).map((update) => {
    const verdict = relay.accept(update)
    if (verdict.kind === 'accepted') for (const other of others) Y.applyUpdate(other.doc, verdict.update, 'relay')
    return verdict
  })
}

/** A reconnection: the relay's step 2 to the device, the device's step 2 to the relay (checked). */
function handshake(d: Device, relay: RelayCopy): UpdateVerdict {
  d.outbox.splice(0)
  Y.applyUpdate(d.doc, Y.encodeStateAsUpdate(relay.doc, Y.encodeStateVector(d.doc)), 'relay')
  return relay.accept(Y.encodeStateAsUpdate(d.doc, Y.encodeStateVector(relay.doc)))
}

function refusalOf(run: () => unknown): { reason: string; code: number } {
  try {
    run()
  } catch (error) {
    if (error instanceof FrameError) return { reason: error.reason, code: error.close.code }
    throw error
  }
  throw new Error('the update was not refused')
}

/** An update made of the given structs (each client's contiguous) and deleted ranges. */
function craft(structs: Struct[], deletes: Record<number, DeleteRange[]> = {}): Uint8Array {
  const byClient = new Map<number, Struct[]>()
  for (const struct of structs) byClient.set(struct.id.client, [...(byClient.get(struct.id.client) ?? []), struct])
  const runs = [...byClient].map(([client, list]) => ({ client, structs: list, offset: 0 }))
  return encodeUpdate(runs, new Map(Object.entries(deletes).map(([client, ranges]) => [Number(client), ranges])))
}

function entryItem(client: number, clock: number, content: Y.ContentAny | Y.ContentDeleted, place: { origin?: Y.ID; parent?: string } = {}): Y.Item {
  const origin = place.origin ?? null
  return new Y.Item(Y.createID(client, clock), null, origin, null, null, origin ? null : (place.parent ?? 'entries') as never, null, content)
}

/** What a doc holds, as a relay and its devices must agree on it. */
function expectSameDoc(actual: Y.Doc, expected: Y.Doc): void {
  expect(actual.getArray('entries').toJSON()).toEqual(expected.getArray('entries').toJSON())
  expect(Y.equalSnapshots(Y.snapshot(actual), Y.snapshot(expected))).toBe(true)
}

async function written(d: Device, docId: string, key: string, value: string): Promise<void> {
  ;(await d.envelope.openDoc(docId)).getMap('m').set(key, value)
  await d.envelope.flush()
}

describe('checkUpdate: what devices send passes', () => {
  it(`is written against yjs ${YJS_VERSION}: re-read yjs-structs.ts before moving the pin`, () => {
    const manifest = createRequire(import.meta.url).resolve('yjs/package.json')
    expect(JSON.parse(readFileSync(manifest, 'utf8')).version).toBe(YJS_VERSION)
  })

  it('accepts writes, a compaction and an erasure of the real envelope, live, as they are', async () => {
    const keys = await space()
    const relay = new RelayCopy()
    const a = device(keys)
    const b = device(keys)
    for (let i = 0; i < 5; i++) await written(a, 'patient/p1', `k${i}`, `v${i}`)
    await written(a, 'patient/p2', 'k', 'v')
    expect(sendLive(a, relay, [b]).map((v) => v.kind)).toEqual(Array(6).fill('accepted'))
    // B writes after A's entries (its origin is one of them), then compacts p1, then erases p2.
    await written(b, 'patient/p1', 'b', 'de B')
    await b.envelope.compact('patient/p1')
    await b.envelope.erase('patient/p2')
    const verdicts = sendLive(b, relay, [a])
    expect(verdicts.map((v) => v.kind)).toEqual(['accepted', 'accepted', 'accepted'])
    expect(verdicts.every((v) => v.kind === 'accepted' && !v.trimmed)).toBe(true)
    expectSameDoc(relay.doc, b.doc)
    expectSameDoc(a.doc, b.doc)
    expect(b.envelope.stats().entries).toBe(2)
    await a.envelope.settle()
    expect((await a.envelope.openDoc('patient/p1')).getMap('m').toJSON()).toMatchObject({ k4: 'v4', b: 'de B' })
  })

  it('accepts the step 2 of a device back from offline with writes, compactions and an erasure', async () => {
    const keys = await space()
    const relay = new RelayCopy()
    const a = device(keys)
    const b = device(keys)
    for (let i = 0; i < 4; i++) await written(a, 'patient/p1', `k${i}`, `a${i}`)
    await written(a, 'patient/p2', 'k', 'v')
    sendLive(a, relay)
    expect(handshake(b, relay).kind).toBe('nothing-new')
    // B, offline: writes (consecutive entries Yjs merges into one struct), compacts twice (the
    // first snapshot deleted by the second: written deleted in the step 2), erases p2.
    for (let i = 0; i < 3; i++) await written(b, 'patient/p1', `b${i}`, 'hors ligne')
    await b.envelope.compact('patient/p1')
    await written(b, 'patient/p1', 'b3', 'encore')
    await b.envelope.compact('patient/p1')
    await b.envelope.erase('patient/p2')
    // Meanwhile A wrote too: B's step 2 comes after A's entries reached the relay.
    await written(a, 'patient/p1', 'a-later', 'en ligne')
    sendLive(a, relay)
    const verdict = handshake(b, relay)
    expect(verdict.kind).toBe('accepted')
    expectSameDoc(relay.doc, relay.received)
    handshake(a, relay)
    expectSameDoc(a.doc, relay.doc)
    expectSameDoc(b.doc, relay.doc)
    const fresh = device(keys)
    handshake(fresh, relay)
    expect((await fresh.envelope.openDoc('patient/p1')).getMap('m').toJSON()).toMatchObject({ k0: 'a0', b3: 'encore', 'a-later': 'en ligne' })
    expect((await fresh.envelope.openDoc('patient/p2')).getMap('m').toJSON()).toEqual({})
  })

  it('accepts what devices put back into a relay restored from an older backup', async () => {
    const keys = await space()
    const relay = new RelayCopy()
    const [a, b] = [device(keys), device(keys)]
    for (let i = 0; i < 4; i++) await written(a, `patient/p${i % 2}`, `k${i}`, 'avant')
    sendLive(a, relay)
    handshake(b, relay)
    const backup = Y.encodeStateAsUpdate(relay.doc)
    // After the backup: compactions (deleting entries the backup holds live), an erasure, writes.
    await written(b, 'patient/p0', 'after', 'après')
    await b.envelope.compact('patient/p0')
    sendLive(b, relay, [a])
    await a.envelope.settle()
    await a.envelope.openDoc('patient/p0')
    await a.envelope.compact('patient/p0')
    await a.envelope.erase('patient/p1')
    sendLive(a, relay, [b])
    // The operator restores last night's file: devices reconnect and put back what it lacks.
    const restored = new RelayCopy()
    restored.accept(backup)
    for (const d of [a, b, a, b]) expect(handshake(d, restored).kind).not.toBe('incomplete')
    expectSameDoc(restored.doc, relay.doc)
    expectSameDoc(restored.doc, restored.received)
  })

  it('stores nothing for a step 2 that repeats what the relay holds, and only the rest of one that adds', async () => {
    const keys = await space()
    const relay = new RelayCopy()
    const a = device(keys)
    for (let i = 0; i < 6; i++) await written(a, `patient/p${i % 2}`, `k${i}`, 'v')
    await a.envelope.compact('patient/p0')
    sendLive(a, relay)
    // Every reconnection: the whole delete set again, and nothing new.
    expect(handshake(a, relay)).toEqual({ kind: 'nothing-new' })
    // Offline, one more entry: the step 2 carries it and the old deletions; only the entry is kept.
    await written(a, 'patient/p1', 'later', 'v')
    const verdict = handshake(a, relay)
    expect(verdict).toMatchObject({ kind: 'accepted', trimmed: true })
    const kept = Y.decodeUpdate((verdict as { update: Uint8Array }).update)
    expect(kept.structs).toHaveLength(1)
    expect(kept.ds.clients.size).toBe(0)
    // The entries to check the signatures of: that one alone, at its outer id (entry-signatures.ts).
    const last = kept.structs[0]!
    expect((verdict as Extract<typeof verdict, { kind: 'accepted' }>).entries).toEqual([{ client: last.id.client, clock: last.id.clock, entry: a.envelope.entries.get(a.envelope.entries.length - 1) }])
    expectSameDoc(relay.doc, relay.received)
    expectSameDoc(relay.doc, a.doc)
  })

  it('says an update is incomplete while it refers to entries the room does not hold yet', async () => {
    const keys = await space()
    const relay = new RelayCopy()
    const a = device(keys)
    const b = device(keys)
    await written(a, 'patient/p1', 'k', 'v')
    // B gets A's entry as a forwarded update that the relay has not stored yet, and writes after it.
    const [first] = a.outbox.splice(0)
    Y.applyUpdate(b.doc, first!, 'relay')
    await written(b, 'patient/p1', 'k2', 'v2')
    const [afterIt] = b.outbox.splice(0)
    expect(checkUpdate(afterIt!, relay.doc, LIMITS)).toMatchObject({ kind: 'incomplete' })
    relay.accept(first!)
    expect(relay.accept(afterIt!).kind).toBe('accepted')
  })
})

describe('checkUpdate: what a credential holder without keys could do is refused', () => {
  /** A room holding two docs' entries, as the relay would have it. */
  async function room(): Promise<{ relay: RelayCopy; a: Device; keys: SpaceKeys }> {
    const keys = await space()
    const relay = new RelayCopy()
    const a = device(keys)
    for (let i = 0; i < 3; i++) await written(a, 'patient/p1', `k${i}`, 'v')
    await written(a, 'directory', 'name', 'Cabinet')
    sendLive(a, relay)
    return { relay, a, keys }
  }

  const attacker = 987_654
  const everything = (relay: RelayCopy): Record<number, DeleteRange[]> =>
    Object.fromEntries([...Y.decodeStateVector(Y.encodeStateVector(relay.doc))].map(([client, clock]) => [client, [{ clock: 0, len: clock }]]))

  it('a wipe: no struct, a delete set over the whole room', async () => {
    const { relay } = await room()
    expect(refusalOf(() => relay.accept(craft([], everything(relay))))).toEqual({ reason: 'uncovered_deletion', code: 4400 })
  })

  it('a wipe with an entry of another doc beside it', async () => {
    const { relay } = await room()
    const cover = entryItem(attacker, 0, new Y.ContentAny([testEntry('other-doc')]))
    expect(refusalOf(() => relay.accept(craft([cover], everything(relay))))).toEqual({ reason: 'uncovered_deletion', code: 4400 })
  })

  it('(what it cannot tell) a deletion beside a new entry of the same doc passes: devices judge the content', async () => {
    const { relay, a } = await room()
    const entries = a.doc.getArray<{ d: string }>('entries').toArray()
    const d = entries[0]!.d
    const junk = entryItem(attacker, 0, new Y.ContentAny([{ d, c: new Uint8Array(40) }]), { origin: Y.createID(a.doc.clientID, entries.length - 1) })
    expect(relay.accept(craft([junk], { [a.doc.clientID]: [{ clock: 0, len: 3 }] })).kind).toBe('accepted')
  })

  it('a GC struct at a device\'s next clock, a Skip, and a GC of length 2^52', async () => {
    const { relay, a } = await room()
    const next = Y.getState(relay.doc.store, a.doc.clientID)
    expect(refusalOf(() => relay.accept(craft([new Y.GC(Y.createID(a.doc.clientID, next), 1000)])))).toEqual({ reason: 'not_an_item', code: 4400 })
    expect(refusalOf(() => relay.accept(craft([new Y.Skip(Y.createID(attacker, 0), 10)])))).toMatchObject({ reason: 'not_an_item' })
    expect(refusalOf(() => relay.accept(craft([new Y.GC(Y.createID(attacker, 0), 2 ** 52)])))).toMatchObject({ reason: 'not_an_item' })
    expect(relay.verdicts).toEqual(['accepted', 'accepted', 'accepted', 'accepted'])
  })

  it('deleted entries of length 2^52 (clocks past the bound)', async () => {
    const { relay } = await room()
    expect(refusalOf(() => relay.accept(craft([entryItem(attacker, 0, new Y.ContentDeleted(2 ** 52))])))).toMatchObject({ reason: 'malformed_update' })
    expect(refusalOf(() => relay.accept(craft([entryItem(attacker, MAX_CLOCK, new Y.ContentAny([testEntry('late')]))])))).toMatchObject({ reason: 'malformed_update' })
  })

  it('a delete set of 200,000 ranges: of nothing, or of what the update itself writes deleted', async () => {
    const big = { maxUpdateBytes: 4 * 1024 * 1024 }
    const relay = new RelayCopy(big)
    const ranges = Array.from({ length: 200_000 }, (_, i) => ({ clock: 2 * i, len: 1 }))
    // Over clocks nobody holds: incomplete now, refused once the writes before it are in.
    expect(checkUpdate(craft([], { [attacker]: ranges }), relay.doc, big)).toMatchObject({ kind: 'incomplete' })
    // Over a run of entries it writes as deleted: harmless, and not stored: only the run is kept.
    const run = entryItem(attacker, 0, new Y.ContentDeleted(400_000))
    const verdict = relay.accept(craft([run], { [attacker]: ranges }))
    expect(verdict).toMatchObject({ kind: 'accepted', trimmed: true })
    expect(Y.decodeUpdate((verdict as { update: Uint8Array }).update).ds.clients.size).toBe(0)
  })

  it('3,000 nested maps, in the entries array or in a root of their own', () => {
    const inEntries = new Y.Doc()
    let map = new Y.Map<unknown>()
    inEntries.getArray('entries').push([map])
    for (let i = 0; i < 3000; i++) map = map.set('k', new Y.Map<unknown>())
    expect(refusalOf(() => new RelayCopy().accept(Y.encodeStateAsUpdate(inEntries)))).toEqual({ reason: 'not_an_entry', code: 4400 })
    const elsewhere = new Y.Doc()
    let root: Y.Map<unknown> = elsewhere.getMap('m')
    for (let i = 0; i < 3000; i++) root = root.set('k', new Y.Map<unknown>())
    expect(refusalOf(() => new RelayCopy().accept(Y.encodeStateAsUpdate(elsewhere)))).toMatchObject({ reason: 'outside_entries' })
  })

  it.each([
    ['a map key (parentSub)', (doc: Y.Doc) => doc.getMap('entries').set('k', testEntry('doc'))],
    ['another root array', (doc: Y.Doc) => doc.getArray('other').push([testEntry('doc')])],
    ['an entry inside a nested array', (doc: Y.Doc) => doc.getArray('entries').push([Y.Array.from([testEntry('doc')])])],
  ])('an item outside the entries array: %s', (_label, write) => {
    const doc = new Y.Doc()
    write(doc)
    const update = Y.encodeStateAsUpdate(doc)
    expect(refusalOf(() => new RelayCopy().accept(update)).reason).toMatch(/outside_entries|not_an_entry/)
  })

  it('an item placed by something that is not an entry, or by a later clock of its own writer', async () => {
    const { relay } = await room()
    const selfAhead = entryItem(attacker, 0, new Y.ContentAny([testEntry('doc')]), { origin: Y.createID(attacker, 5) })
    expect(refusalOf(() => relay.accept(craft([selfAhead])))).toMatchObject({ reason: 'malformed_update' })
    const dangling = entryItem(attacker, 0, new Y.ContentAny([testEntry('doc')]), { origin: Y.createID(attacker + 1, 0) })
    expect(checkUpdate(craft([dangling]), relay.doc, LIMITS)).toMatchObject({ kind: 'incomplete' })
    // Two items placed by each other: neither could ever be integrated.
    const x = entryItem(attacker, 0, new Y.ContentAny([testEntry('x')]), { origin: Y.createID(attacker + 1, 0) })
    const y = entryItem(attacker + 1, 0, new Y.ContentAny([testEntry('y')]), { origin: Y.createID(attacker, 0) })
    expect(refusalOf(() => relay.accept(craft([x, y])))).toMatchObject({ reason: 'dangling_reference' })
  })

  const c = new Uint8Array(28)
  it.each([
    ['a string', 'hello'],
    ['a number', 42],
    ['a d too short', { d: 'short', c }],
    ['a d with a character outside base64url', { d: 'a'.repeat(21) + '!', c }],
    ['a c shorter than an IV and a tag', { d: 'a'.repeat(22), c: new Uint8Array(27) }],
    ['a c over the update limit', { d: 'a'.repeat(22), c: new Uint8Array(LIMITS.maxUpdateBytes + 1) }],
    ['a third key', { d: 'a'.repeat(22), c, x: 1 }],
    ['d and c in the prototype', Object.assign(Object.create({ d: 'a'.repeat(22), c }) as object, {})],
    ['c as an array of numbers', { d: 'a'.repeat(22), c: Array.from(c) }],
  ])('content that is not an entry: %s', (_label, element) => {
    const item = entryItem(attacker, 0, new Y.ContentAny([element]))
    const relay = new RelayCopy()
    expect(refusalOf(() => relay.accept(craft([item], {}))).reason).toMatch(/not_an_entry|update_too_large/)
  })

  it.each([
    ['a string (Y.Text)', (doc: Y.Doc) => doc.getText('entries').insert(0, 'texte')],
    ['binary', (doc: Y.Doc) => doc.getArray('entries').push([new Uint8Array(40)])],
    ['a subdocument', (doc: Y.Doc) => doc.getArray('entries').push([new Y.Doc()])],
    ['an entry beside a non-entry in one struct', (doc: Y.Doc) => doc.getArray('entries').push([testEntry('doc'), 'x'])],
  ])('content that is not entries: %s', (_label, write) => {
    const doc = new Y.Doc()
    write(doc)
    expect(refusalOf(() => new RelayCopy().accept(Y.encodeStateAsUpdate(doc)))).toMatchObject({ reason: 'not_an_entry' })
  })

  it('deletions of what does not exist, and delete ranges out of order', async () => {
    const { relay, a } = await room()
    const held = Y.getState(relay.doc.store, a.doc.clientID)
    expect(checkUpdate(craft([], { [a.doc.clientID]: [{ clock: held, len: 5 }] }), relay.doc, LIMITS)).toMatchObject({ kind: 'incomplete' })
    const unordered = { [a.doc.clientID]: [{ clock: 2, len: 1 }, { clock: 0, len: 1 }] }
    expect(refusalOf(() => relay.accept(craft([], unordered)))).toMatchObject({ reason: 'malformed_update' })
    expect(refusalOf(() => relay.accept(craft([], { [a.doc.clientID]: [{ clock: 0, len: 0 }] })))).toMatchObject({ reason: 'malformed_update' })
  })

  it('a writer\'s structs out of order, and an update over the size limit', () => {
    const gap = craft([entryItem(attacker, 0, new Y.ContentAny([testEntry('a')]))])
    const later = craft([entryItem(attacker, 3, new Y.ContentAny([testEntry('b')]), { origin: Y.createID(attacker, 0) })])
    // Two runs of one writer in one update, the second not following the first.
    const [head, tail] = [Y.decodeUpdate(gap).structs, Y.decodeUpdate(later).structs]
    const update = encodeUpdate([{ client: attacker, structs: head, offset: 0 }, { client: attacker, structs: tail, offset: 0 }], new Map())
    expect(refusalOf(() => new RelayCopy().accept(update))).toMatchObject({ reason: 'malformed_update' })
    expect(refusalOf(() => checkUpdate(new Uint8Array(LIMITS.maxUpdateBytes + 1), new Y.Doc(), LIMITS))).toEqual({ reason: 'update_too_large', code: 4413 })
    expect(refusalOf(() => checkUpdate(new Uint8Array([7, 7, 7, 7, 200, 1, 2]), new Y.Doc(), LIMITS))).toEqual({ reason: 'bad_frame', code: 4400 })
  })

  it('nothing of a refused update reaches the relay doc', async () => {
    const { relay } = await room()
    const before = Y.encodeStateAsUpdate(relay.doc)
    refusalOf(() => relay.accept(craft([], everything(relay))))
    expect(Y.encodeStateAsUpdate(relay.doc)).toEqual(before)
  })
})

describe('checkUpdate: devices online and offline at random (seeded)', () => {
  // Fixed seeds, so a run never depends on the clock; SHAPE_SEED explores another.
  const explore = Number(process.env.SHAPE_SEED)
  const seeds = [1, 2, 18, 2026, 90210, ...(Number.isInteger(explore) ? [explore] : [])]
  const DOCS = ['directory', 'patient/p1', 'patient/p2', 'agenda/2026-03']

  for (const seed of seeds) {
    it(`refuses nothing honest and stores what it received (seed ${seed}, SHAPE_SEED=${seed} replays it)`, async () => {
      try {
        await run(seed)
      } catch (error) {
        console.error(`update-check randomized run failed with seed ${seed}: pin it in 'seeds' (or SHAPE_SEED=${seed}) to replay`)
        throw error
      }
    })
  }

  async function run(seed: number): Promise<void> {
    const gen = prng.create(seed)
    const keys = await space()
    const relay = new RelayCopy()
    const devices = [device(keys), device(keys), device(keys)]
    const online = new Set<Device>(devices)
    const ops = { writes: 0, compactions: 0, erasures: 0, reconnections: 0, trimmed: 0 }
    for (let step = 0; step < 120; step++) {
      const d = prng.oneOf(gen, devices)
      const docId = prng.oneOf(gen, DOCS)
      const roll = prng.int32(gen, 0, 99)
      if (roll < 55) {
        await written(d, docId, prng.word(gen, 1, 4), prng.word(gen, 1, 12))
        ops.writes++
      } else if (roll < 70) {
        await d.envelope.openDoc(docId)
        await d.envelope.compact(docId)
        ops.compactions++
      } else if (roll < 75) {
        await d.envelope.erase(docId)
        await d.envelope.settle()
        ops.erasures++
      } else if (roll < 88) {
        if (online.delete(d)) continue
        online.add(d)
        const verdict = handshake(d, relay)
        if (verdict.kind === 'accepted' && verdict.trimmed) ops.trimmed++
        ops.reconnections++
      }
      // Online devices' live updates go out, and reach the others online.
      for (const from of devices) {
        if (!online.has(from)) continue
        for (const verdict of sendLive(from, relay, devices.filter((o) => o !== from && online.has(o)))) {
          if (verdict.kind === 'accepted' && verdict.trimmed) ops.trimmed++
        }
      }
      for (const other of devices) if (!online.has(other)) other.outbox.splice(0)
      for (const x of devices) await x.envelope.settle()
    }
    for (const d of devices) handshake(d, relay)
    for (const d of devices) handshake(d, relay)
    for (const d of devices) expectSameDoc(d.doc, relay.doc)
    expectSameDoc(relay.doc, relay.received)
    // It did real work: writes, compactions, erasures, offline periods.
    expect(ops.writes).toBeGreaterThan(30)
    expect(ops.compactions + ops.erasures).toBeGreaterThan(10)
    expect(ops.reconnections).toBeGreaterThan(3)
  }
})
