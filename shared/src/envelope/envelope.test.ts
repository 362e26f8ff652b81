import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as prng from 'lib0/prng'
import { deriveSpaceKeys, type SpaceKeys } from '../crypto/space-keys'
import { randomBytes, randomId } from '../crypto/base64url'
import { Envelope, isEnvelopeEntry, type EnvelopeEntry } from './envelope'
import { encryptUpdate } from './entry-cipher'

/** The room every envelope of these tests is (bound into each entry's associated data). */
const ROOM = 'files/1' as const

/** A device without network: an envelope doc and its Envelope; exchange() is the "relay". */
interface Device {
  name: string
  doc: Y.Doc
  envelope: Envelope
}

async function newSpace(): Promise<{ keys: SpaceKeys; spaceId: string }> {
  const spaceId = randomId()
  return { spaceId, keys: await deriveSpaceKeys(spaceId, randomBytes(32)) }
}

/** The docs these tests write, all in one room: what a practice would list for a file shard (docIdsOf). */
const DOC_IDS = ['directory', 'agenda/2026-11', 'patient/p1', 'patient/p2', 'patient/erased', 'patient/kept']

function device(name: string, keys: SpaceKeys, compactAfterEntries = 1000): Device {
  const doc = new Y.Doc({ gc: true })
  return {
    name,
    doc,
    envelope: new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactAfterEntries, compactDelayMs: 1, docIdsOf: async () => DOC_IDS }),
  }
}

/** Full state-vector exchange between two envelopes, as a y-websocket round trip would do. */
function exchange(a: Device, b: Device): void {
  const toB = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc))
  const toA = Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc))
  Y.applyUpdate(b.doc, toB, 'remote')
  Y.applyUpdate(a.doc, toA, 'remote')
}

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

describe('Envelope', () => {
  it('carries an inner doc from one device to another as ciphertext only', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    const b = device('b', keys)
    const patient = await a.envelope.openDoc('patient/p1')
    patient.getMap('identity').set('birthName', 'Zyxwvutsonne')
    await a.envelope.flush()

    const wire = Y.encodeStateAsUpdate(a.doc)
    expect(containsBytes(wire, new TextEncoder().encode('Zyxwvutsonne'))).toBe(false)
    expect(containsBytes(wire, new TextEncoder().encode('patient/p1'))).toBe(false)

    exchange(a, b)
    const onB = await b.envelope.openDoc('patient/p1')
    expect(onB.getMap('identity').get('birthName')).toBe('Zyxwvutsonne')
  })

  it('applies remote entries to a doc that is already open, live', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    const b = device('b', keys)
    const onB = await b.envelope.openDoc('agenda/2026-11')
    const seen = new Promise<void>((resolve) => onB.on('update', () => resolve()))
    const onA = await a.envelope.openDoc('agenda/2026-11')
    onA.getMap('appointments').set('x', 'booked')
    await a.envelope.flush()
    exchange(a, b)
    await seen
    expect(onB.getMap('appointments').get('x')).toBe('booked')
  })

  it('batches a burst of keystrokes into one entry', async () => {
    const { keys } = await newSpace()
    const doc = new Y.Doc()
    const envelope = new Envelope(doc, keys, ROOM, { batchDelayMs: 50 })
    const note = await envelope.openDoc('patient/p1')
    const text = note.getText('note')
    for (const ch of 'Douleur lombaire') text.insert(text.length, ch)
    await envelope.flush()
    expect(envelope.stats().entries).toBe(1)
  })

  it('decrypts nothing until a doc is opened', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    for (let i = 0; i < 20; i++) (await a.envelope.openDoc(`patient/p${i}`)).getMap('m').set('k', i)
    await a.envelope.flush()
    const b = device('b', keys)
    exchange(a, b)
    expect(b.envelope.stats()).toMatchObject({ entries: 20, openDocs: 0 })
    expect((await b.envelope.openDoc('patient/p7')).getMap('m').get('k')).toBe(7)
    expect(b.envelope.stats().openDocs).toBe(1)
  })

  it('counts, and never applies, entries written with another key', async () => {
    const space = await newSpace()
    const intruder = await deriveSpaceKeys(space.spaceId, randomBytes(32))
    const a = device('a', space.keys)
    const evil = device('evil', intruder)
    ;(await evil.envelope.openDoc('patient/p1')).getMap('identity').set('birthName', 'Forged')
    await evil.envelope.flush()
    ;(await a.envelope.openDoc('patient/p1')).getMap('identity').set('firstNames', 'Ana')
    await a.envelope.flush()
    // Same doc id, another key: the blinded id differs, so route it by hand to the real doc.
    const forged = evil.envelope.entries.get(0)
    const realBlind = a.envelope.entries.get(0).d
    a.doc.transact(() => a.envelope.entries.push([{ d: realBlind, c: forged.c }]))
    await a.envelope.settle()
    const doc = await a.envelope.openDoc('patient/p1')
    expect(doc.getMap('identity').toJSON()).toEqual({ firstNames: 'Ana' })
    expect(a.envelope.stats().undecryptable).toBe(1)
  })

  it('applies the good entries when a peer with the key wrote one that is not a Yjs update', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    ;(await a.envelope.openDoc('patient/p1')).getMap('identity').set('firstNames', 'Ana')
    await a.envelope.flush()
    const errors: Error[] = []
    const bDoc = new Y.Doc()
    const b = { name: 'b', doc: bDoc, envelope: new Envelope(bDoc, keys, ROOM, { onError: (e) => errors.push(e) }) }
    exchange(a, b)
    // Authenticates (right key, right doc) but is not a Yjs update.
    const garbage = await encryptUpdate(keys, ROOM, 'patient/p1', new Uint8Array([0xff, 0xff, 0xff, 0x07, 0x01]))
    bDoc.transact(() => b.envelope.entries.push([{ d: a.envelope.entries.get(0).d, c: garbage }]))
    const doc = await b.envelope.openDoc('patient/p1')
    expect(doc.getMap('identity').get('firstNames')).toBe('Ana')
    expect(errors.length).toBeGreaterThan(0)
  })

  it('ignores entries of the wrong shape instead of crashing', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    a.doc.getArray('entries').push([{ d: 'x', c: 'nope' }, 42, null])
    expect(a.envelope.stats().malformed).toBe(3)
    expect(isEnvelopeEntry({ d: 'x', c: new Uint8Array(40) })).toBe(false)
    ;(await a.envelope.openDoc('directory')).getMap('practice').set('name', 'Cabinet')
    await a.envelope.flush()
    expect(a.envelope.stats().entries).toBe(4)
  })

  it('compacts into one snapshot and leaves no ciphertext of the old entries', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    const b = device('b', keys)
    const doc = await a.envelope.openDoc('patient/p1')
    for (let i = 0; i < 30; i++) {
      doc.getMap('identity').set('phone', `06 00 00 00 ${String(i).padStart(2, '0')}`)
      await a.envelope.flush()
    }
    const oldCiphertexts = a.envelope.entries.toArray().map((e: EnvelopeEntry) => e.c.slice(0, 24))
    expect(oldCiphertexts).toHaveLength(30)
    exchange(a, b)
    await a.envelope.compact('patient/p1')
    expect(a.envelope.stats().entries).toBe(1)

    exchange(a, b)
    const encoded = Y.encodeStateAsUpdate(b.doc)
    for (const old of oldCiphertexts) expect(containsBytes(encoded, old)).toBe(false)
    const onB = await b.envelope.openDoc('patient/p1')
    expect(onB.getMap('identity').get('phone')).toBe('06 00 00 00 29')
  })

  it('writes a big snapshot as chunks, each a causal slice another device applies with nothing pending', async () => {
    const { keys } = await newSpace()
    const doc = new Y.Doc({ gc: true })
    const chunkBytes = 4 * 1024
    const envelope = new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactDelayMs: 1, compactAfterEntries: 4, snapshotChunkBytes: chunkBytes })
    const directory = await envelope.openDoc('directory')
    for (let batch = 0; batch < 10; batch++) {
      directory.transact(() => {
        for (let i = 0; i < 40; i++) {
          const record = new Y.Map<string>()
          directory.getMap('patients').set(`p${batch}-${i}`, record)
          record.set('name', `Patient numéro ${batch}-${i}, 12 rue des Lilas`)
        }
      })
      await envelope.flush()
    }
    directory.getMap('patients').delete('p0-0')
    await envelope.flush()
    await envelope.compact('directory')
    await envelope.settle()
    const chunks = envelope.entries.toArray()
    // ≈ 40 KB of state in chunks of about 4 KB (the size is estimated, not measured: within 2×).
    expect(chunks.length).toBeGreaterThan(5)
    for (const chunk of chunks.slice(0, -1)) expect(chunk.c.byteLength).toBeLessThan(2 * chunkBytes)
    // Each chunk is an update of its own: applied one by one, in order, nothing waits.
    const copy = new Y.Doc()
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
    const other = new Envelope(copy, keys, ROOM)
    const reopened = await other.openDoc('directory')
    expect(reopened.store.pendingStructs).toBeNull()
    expect(reopened.getMap('patients').toJSON()).toEqual(directory.getMap('patients').toJSON())
    expect(reopened.getMap('patients').has('p0-0')).toBe(false)
    // The chunks weigh as one snapshot: a few small edits after them do not fold it again (past
    // compactAfterEntries, the chunks but the largest would otherwise outweigh it).
    for (let i = 0; i < 3; i++) {
      directory.getMap('patients').set(`late-${i}`, new Y.Map())
      await envelope.flush()
    }
    await envelope.settle()
    expect(envelope.entries.length).toBe(chunks.length + 3)
  })

  it('never drops a queued local change when a compaction finds nothing to fold', async () => {
    // Regression (found by the randomized relay test): compaction cleared the batch queue, then
    // returned early because the doc had a single entry, and the change never left memory.
    const { keys } = await newSpace()
    const doc = new Y.Doc()
    const envelope = new Envelope(doc, keys, ROOM, { batchDelayMs: 60_000 })
    const agenda = await envelope.openDoc('agenda/2026-11')
    agenda.getMap('appointments').set('first', 1)
    await envelope.flush()
    agenda.getMap('appointments').set('second', 2)
    await envelope.compact('agenda/2026-11')
    await envelope.settle()
    const copy = new Y.Doc()
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
    const reopened = await new Envelope(copy, keys, ROOM).openDoc('agenda/2026-11')
    expect(reopened.getMap('appointments').toJSON()).toEqual({ first: 1, second: 2 })
  })

  describe('when to compact by itself', () => {
    async function bigDocThenSmallEdits(small: number, options: { compactAfterEntries: number; compactAlwaysAfterEntries?: number }) {
      const { keys } = await newSpace()
      const doc = new Y.Doc()
      const envelope = new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactDelayMs: 1, ...options })
      const directory = await envelope.openDoc('directory')
      // One large entry, as a directory snapshot of many patients would be.
      directory.transact(() => {
        for (let i = 0; i < 400; i++) directory.getMap('patients').set(`p${i}`, `Patient numéro ${i}, 12 rue des Lilas`)
      })
      await envelope.flush()
      for (let i = 0; i < small; i++) {
        directory.getMap('patients').set(`p${i % 400}`, `édité ${i}`)
        await envelope.flush()
      }
      await envelope.settle()
      return envelope.stats().entries
    }

    it('leaves a big snapshot alone while the small edits after it weigh less', async () => {
      expect(await bigDocThenSmallEdits(12, { compactAfterEntries: 8 })).toBe(13)
    })

    it('folds once the small edits outweigh the snapshot', async () => {
      // 400 patients of ~40 bytes ≈ 16 KB; each edit entry ≈ 60 bytes: ~300 edits outweigh it.
      expect(await bigDocThenSmallEdits(400, { compactAfterEntries: 8 })).toBeLessThan(400)
    })

    it('folds past the hard cap whatever the weights, so opening a doc stays bounded', async () => {
      expect(await bigDocThenSmallEdits(30, { compactAfterEntries: 8, compactAlwaysAfterEntries: 20 })).toBeLessThan(20)
    })

    it("counts a snapshot's chunks out of the hard cap: a few edits after a snapshot of many chunks fold nothing", async () => {
      // Without it, a doc whose snapshot alone is more chunks than the cap (the directory of a big
      // practice: hundreds) would be folded again, and uploaded whole again, after every edit.
      const { keys } = await newSpace()
      const doc = new Y.Doc()
      const envelope = new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactDelayMs: 1, compactAfterEntries: 4, compactAlwaysAfterEntries: 10, snapshotChunkBytes: 2 * 1024 })
      const directory = await envelope.openDoc('directory')
      for (let batch = 0; batch < 5; batch++) {
        directory.transact(() => {
          for (let i = 0; i < 100; i++) directory.getMap('patients').set(`p${batch}-${i}`, `Patient numéro ${batch}-${i}, 12 rue des Lilas`)
        })
        await envelope.flush()
      }
      await envelope.compact('directory')
      await envelope.settle()
      const chunks = envelope.entries.length
      expect(chunks).toBeGreaterThan(10)
      for (let i = 0; i < 3; i++) {
        directory.getMap('patients').set(`late-${i}`, 'Patient arrivé après')
        await envelope.flush()
      }
      await envelope.settle()
      expect(envelope.entries.length).toBe(chunks + 3)
    })
  })

  it('survives two devices compacting the same doc at once', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    const b = device('b', keys)
    const docA = await a.envelope.openDoc('agenda/2026-11')
    for (let i = 0; i < 10; i++) docA.getMap('appointments').set(`a${i}`, i)
    await a.envelope.flush()
    exchange(a, b)
    const docB = await b.envelope.openDoc('agenda/2026-11')
    docB.getMap('appointments').set('b-offline', 1)
    docA.getMap('appointments').set('a-offline', 1)
    await Promise.all([a.envelope.flush(), b.envelope.flush()])
    await Promise.all([a.envelope.compact('agenda/2026-11'), b.envelope.compact('agenda/2026-11')])
    exchange(a, b)
    await Promise.all([a.envelope.settle(), b.envelope.settle()])
    expect(docA.getMap('appointments').toJSON()).toEqual(docB.getMap('appointments').toJSON())
    expect(docA.getMap('appointments').get('b-offline')).toBe(1)
    expect(docB.getMap('appointments').get('a-offline')).toBe(1)
    // Both snapshots survive (neither device had read the other's), and they merge.
    expect(a.envelope.stats().entries).toBe(2)
    const fresh = device('fresh', keys)
    exchange(a, fresh)
    expect((await fresh.envelope.openDoc('agenda/2026-11')).getMap('appointments').toJSON()).toEqual(
      docA.getMap('appointments').toJSON(),
    )
  })

  it('erases a doc: no ciphertext of it remains, only one entry that deletes what it erased', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    const doc = await a.envelope.openDoc('patient/erased')
    doc.getText('note').insert(0, 'à effacer')
    await a.envelope.flush()
    ;(await a.envelope.openDoc('patient/kept')).getText('note').insert(0, 'garder')
    await a.envelope.flush()
    const erasedCipher = a.envelope.entries.get(0).c.slice(0, 24)
    const erasedD = a.envelope.entries.get(0).d
    const keptEntry = a.envelope.entries.get(1)
    await a.envelope.erase('patient/erased')
    // The kept doc's entry, and the erased doc's empty one (the shape the relay accepts: an entry of
    // the doc beside the deletion of its others).
    expect(a.envelope.stats().entries).toBe(2)
    expect(a.envelope.entries.toArray().filter((e) => e !== keptEntry).map((e) => e.d)).toEqual([erasedD])
    expect(containsBytes(Y.encodeStateAsUpdate(a.doc), erasedCipher)).toBe(false)
    expect((await a.envelope.openDoc('patient/erased')).getText('note').toString()).toBe('')
    // A device that never saw the doc opens it empty.
    const fresh = device('fresh', keys)
    exchange(a, fresh)
    expect((await fresh.envelope.openDoc('patient/erased')).getText('note').toString()).toBe('')
    expect((await fresh.envelope.openDoc('patient/kept')).getText('note').toString()).toBe('garder')
  })

  it('indexes what a remote transaction adds and deletes at once, and nothing it adds and deletes', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    const b = device('b', keys)
    const doc = await a.envelope.openDoc('patient/p1')
    for (let i = 0; i < 3; i++) {
      doc.getText('note').insert(0, `séance ${i} `)
      await a.envelope.flush()
    }
    exchange(a, b)
    // A compaction on A (snapshot in, three entries out: one transaction), then a stray entry
    // pushed and deleted in one transaction, which B must neither index nor apply.
    await a.envelope.compact('patient/p1')
    const stray: EnvelopeEntry = { d: a.envelope.entries.get(0).d, c: await encryptUpdate(keys, ROOM, 'patient/p1', new Uint8Array([0, 0])) }
    a.doc.transact(() => {
      a.envelope.entries.push([stray])
      a.envelope.entries.delete(a.envelope.entries.length - 1, 1)
    })
    exchange(a, b)
    expect(b.envelope.stats().entries).toBe(1)
    // B's index holds exactly the snapshot: erasing the doc there leaves only its erasure's entry.
    const snapshot = b.envelope.entries.get(0)
    await b.envelope.erase('patient/p1')
    expect(b.envelope.stats().entries).toBe(1)
    expect(b.envelope.entries.get(0)).not.toBe(snapshot)
    exchange(a, b)
    expect(a.envelope.stats().entries).toBe(1)
  })

  it('never deletes an excluded entry: a compaction and an erasure leave it', async () => {
    const { keys } = await newSpace()
    const a = device('a', keys)
    const doc = await a.envelope.openDoc('patient/p1')
    for (const phone of ['06 01', '06 02', '06 03']) {
      doc.getMap('identity').set('phone', phone)
      await a.envelope.flush()
    }
    const [first] = a.envelope.entries.toArray()
    // What the delivery check does with an entry whose clock another writer holds on the relay.
    a.envelope.exclude([first!])
    a.doc.transact(() => a.envelope.entries.push([{ d: first!.d, c: first!.c }]))
    await a.envelope.settle()
    await a.envelope.compact('patient/p1')
    expect(a.envelope.entries.toArray()).toContain(first)
    expect(a.envelope.entries.length).toBe(2)
    await a.envelope.erase('patient/p1')
    expect(a.envelope.entries.toArray()).toContain(first)
  })
})

describe('Envelope convergence (seeded, randomized)', () => {
  // Past failing seeds are pinned here so they run forever after.
  const pinned: number[] = [1, 7, 2026, 1514301858]
  const seeds = [...pinned, ...Array.from({ length: 5 }, () => Math.floor(Math.random() * 2 ** 31))]

  for (const seed of seeds) {
    it(`converges with random edits, partial exchanges, compactions and reloads (seed ${seed})`, async () => {
      try {
        await runConvergence(seed)
      } catch (error) {
        console.error(`Envelope convergence failed with seed ${seed}: pin it in 'pinned' to replay`)
        throw error
      }
    })
  }
})

async function runConvergence(seed: number): Promise<void> {
  const gen = prng.create(seed)
  const { keys } = await newSpace()
  const docIds = ['directory', 'agenda/2026-11', 'patient/p1']
  let devices = Array.from({ length: 3 }, (_, i) => device(`d${i}`, keys, 6))
  let edits = 0
  let compactions = 0
  let reloads = 0
  for (let step = 0; step < 120; step++) {
    const dev = prng.oneOf(gen, devices)
    const roll = prng.int32(gen, 0, 99)
    if (roll < 55) {
      const doc = await dev.envelope.openDoc(prng.oneOf(gen, docIds))
      if (prng.bool(gen)) doc.getMap('fields').set(prng.oneOf(gen, ['phone', 'city', 'note']), `${dev.name}-${step}`)
      else {
        const text = doc.getText('notes')
        text.insert(prng.int32(gen, 0, text.length), prng.word(gen, 1, 6))
      }
      edits++
    } else if (roll < 75) {
      const other = prng.oneOf(gen, devices)
      if (other !== dev) {
        await Promise.all([dev.envelope.flush(), other.envelope.flush()])
        exchange(dev, other)
      }
    } else if (roll < 88) {
      await dev.envelope.compact(prng.oneOf(gen, docIds))
      compactions++
    } else {
      // Reload: what survives is the envelope (as IndexedDB would hold it), nothing in memory.
      await dev.envelope.flush()
      const saved = Y.encodeStateAsUpdate(dev.doc)
      await dev.envelope.destroy()
      const reborn = device(dev.name, keys, 6)
      Y.applyUpdate(reborn.doc, saved)
      devices = devices.map((d) => (d === dev ? reborn : d))
      reloads++
    }
  }
  for (const d of devices) await d.envelope.flush()
  // Opening a doc can trigger a compaction, which is a new change: exchange until quiet.
  for (let round = 0; round < 4; round++) {
    for (const a of devices) for (const b of devices) if (a !== b) exchange(a, b)
    for (const d of devices) await Promise.all(docIds.map((id) => d.envelope.openDoc(id)))
    for (const d of devices) await d.envelope.settle()
  }
  const contents = await Promise.all(
    devices.map(async (d) =>
      Promise.all(
        docIds.map(async (id) => {
          const doc = await d.envelope.openDoc(id)
          await d.envelope.settle()
          return {
            fields: doc.getMap('fields').toJSON(),
            notes: doc.getText('notes').toString(),
            sv: Y.decodeStateVector(Y.encodeStateVector(doc)),
          }
        }),
      ),
    ),
  )
  for (const other of contents.slice(1)) expect(other).toEqual(contents[0])
  const envelopeVectors = devices.map((d) => Y.decodeStateVector(Y.encodeStateVector(d.doc)))
  for (const sv of envelopeVectors.slice(1)) expect(sv).toEqual(envelopeVectors[0])
  // Every deletion here was an honest compaction: none may have been judged uncovered.
  for (const d of devices) expect(d.envelope.stats().restored).toBe(0)
  // The run did real work: otherwise a passing test proves nothing.
  expect(edits).toBeGreaterThan(30)
  expect(compactions).toBeGreaterThan(3)
  expect(reloads + compactions).toBeGreaterThan(5)
}
