/**
 * The device-held state (shared/src/envelope/held-docs.ts) on fake-indexeddb, through a real
 * Envelope: what a device decrypted survives the loss of its envelope entries — a wipe stored
 * before it was judged, then a reload — and comes back out as a change other devices receive;
 * an erasure erases it; a doc whose held state agrees with its envelope reads no row at open.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deriveSpaceKeys, type SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { Envelope, type EnvelopeEntry } from '../../../../shared/src/envelope/envelope'
import { blindDocId } from '../../../../shared/src/envelope/entry-cipher'
import { FOLD_AFTER_ROWS } from '../../../../shared/src/envelope/doc-holding'
import { HeldStateRestoredError, type HeldDocs } from '../../../../shared/src/envelope/held-docs'
import type { DecodedEntries, DecodeRequest, EntryDecoder } from '../../../../shared/src/envelope/entry-decoder'
import { decodeEntries } from '../decode/decode-entries'
import { yieldToMain } from '../decode/main-thread'
import { SliceStream } from '../decode/worker-decoder'
import { dropHeldKeyAtRest, forgetHeldState, HeldStateError, HeldStore } from './held-state'
import { waitFor } from '../../../../tests/helpers/wait-for'

const ROOM = 'files/3' as const
const DOC = 'patient/p1'
/** Changes written before a compaction folds the held rows. */
const CHANGES = 70

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function store(name = `held-test-${randomId()}`): HeldStore {
  const held = new HeldStore(name)
  cleanups.push(async () => {
    held.close()
    await forgetHeldState(name)
  })
  return held
}

/** Counts the rows read, to tell the fast path (marks only) from the slow one. */
function counting(held: HeldDocs): HeldDocs & { rowReads: number } {
  const spy = {
    rowReads: 0,
    key: () => held.key(),
    summary: (blind: string) => held.summary(blind),
    rows: (blind: string) => {
      spy.rowReads++
      return held.rows(blind)
    },
    append: (blind: string, rows: readonly Uint8Array[], marks: readonly string[]) => held.append(blind, rows, marks),
    replace: (blind: string, rows: readonly Uint8Array[], marks: readonly string[], keep: boolean) => held.replace(blind, rows, marks, keep),
    erase: (blind: string) => held.erase(blind),
  }
  return spy
}

interface Device {
  doc: Y.Doc
  envelope: Envelope
  errors: Error[]
}

/**
 * The decode worker's own code (decodeEntries) on this thread, for every batch: the path the app
 * takes for big docs, where entries come back merged and held rows are read back through it too.
 */
function inThreadDecoder(): EntryDecoder & { spaces: string[] } {
  const decoder = {
    spaces: [] as string[],
    worthIt: () => true,
    decode: (request: DecodeRequest): DecodedEntries => {
      decoder.spaces.push(request.keys.spaceId)
      const stream = new SliceStream()
      const outcome = decodeEntries(request, (updates) => stream.push(updates), 3).then(
        (result) => (stream.end(), result),
        (error: Error) => (stream.end(error), Promise.reject(error)),
      )
      return { updates: stream, outcome }
    },
    nextSlice: yieldToMain,
  }
  return decoder
}

function device(keys: SpaceKeys, held: HeldDocs | undefined, from?: Uint8Array, snapshotChunkBytes?: number, decoder?: EntryDecoder): Device {
  const doc = new Y.Doc({ gc: true })
  if (from) Y.applyUpdate(doc, from, 'indexeddb')
  const errors: Error[] = []
  const envelope = new Envelope(doc, keys, ROOM, {
    batchDelayMs: 1,
    compactAfterEntries: 1000,
    compactDelayMs: 5,
    onError: (e) => errors.push(e),
    docIdsOf: async () => [DOC],
    ...(held ? { held } : {}),
    ...(snapshotChunkBytes ? { snapshotChunkBytes } : {}),
    ...(decoder ? { decoder } : {}),
  })
  cleanups.push(() => envelope.destroy())
  return { doc, envelope, errors }
}

/** Every queued write done, the device-held ones too. */
async function settled(d: Device): Promise<void> {
  await d.envelope.settle()
  await d.envelope.settleHeld()
}

/** The envelope's stored state with every entry deleted: a wipe that reached IndexedDB unjudged. */
function wiped(envelopeDoc: Y.Doc): Uint8Array {
  const scratch = new Y.Doc({ gc: true })
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(envelopeDoc))
  const entries = scratch.getArray<EnvelopeEntry>('entries')
  entries.delete(0, entries.length)
  return Y.encodeStateAsUpdate(scratch)
}

async function writeNote(d: Device, text: string): Promise<void> {
  const doc = await d.envelope.openDoc(DOC)
  doc.getMap('file').set('note', text)
  doc.getArray<string>('sessions').push([text])
  await d.envelope.flush()
  await settled(d)
}

describe('HeldStore', () => {
  it('makes one non-extractable AES-GCM key per database and keeps it', async () => {
    const name = `held-test-${randomId()}`
    const first = store(name)
    const key = await first.key()
    expect(key.extractable).toBe(false)
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 })
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow()
    first.close()
    const again = new HeldStore(name)
    cleanups.push(() => again.close())
    const reread = await again.key()
    // The same key: what it sealed opens.
    const iv = new Uint8Array(12)
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new Uint8Array([1, 2, 3]))
    expect(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, reread, sealed))).toEqual(new Uint8Array([1, 2, 3]))
  })

  it('appends, replaces and erases a doc’s rows and marks together', async () => {
    const held = store()
    expect(await held.summary('b1')).toBeNull()
    await held.append('b1', [new Uint8Array(30), new Uint8Array(40)], ['m1', 'm2'])
    await held.append('b1', [new Uint8Array(5)], ['m2', 'm3'])
    await held.append('b2', [new Uint8Array(7)], ['x'])
    expect(await held.summary('b1')).toEqual({ marks: ['m1', 'm2', 'm3'], rows: 3, bytes: 75 })
    expect((await held.rows('b1')).map((r) => r.length)).toEqual([30, 40, 5])
    // A fold bigger than one transaction: written first, the old rows dropped with the last.
    await held.replace('b1', [new Uint8Array(700_000), new Uint8Array(700_000), new Uint8Array(700_000)], ['f'], false)
    expect(await held.summary('b1')).toEqual({ marks: ['f'], rows: 3, bytes: 2_100_000 })
    expect((await held.rows('b1')).map((r) => r.length)).toEqual([700_000, 700_000, 700_000])
    await held.replace('b1', [new Uint8Array(9)], ['s'], false)
    expect(await held.summary('b1')).toEqual({ marks: ['s'], rows: 1, bytes: 9 })
    expect((await held.rows('b1')).map((r) => r.length)).toEqual([9])
    await held.replace('b1', [], ['s', 't'], true)
    expect((await held.rows('b1')).length).toBe(1)
    await held.erase('b1')
    expect(await held.summary('b1')).toBeNull()
    expect(await held.rows('b1')).toEqual([])
    expect(await held.bytes()).toBe(7)
  })

  it('refuses a write under its key kept at rest once another tab dropped it (the passkey wraps the held state now); one given the wrapped key writes', async () => {
    const name = `held-test-${randomId()}`
    const open = store(name)
    const key = await open.key()
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, new Uint8Array([1])))
    await open.append('b1', [sealed], ['m1'])
    expect(await dropHeldKeyAtRest(name)).toBe(true)
    await expect(open.append('b1', [sealed], ['m2'])).rejects.toBeInstanceOf(HeldStateError)
    expect(await open.summary('b1'), 'nothing stored: no row under a key that is gone').toBeNull()
    expect(await dropHeldKeyAtRest(name), 'nothing left to drop').toBe(false)
    const wrapped = new HeldStore(name, await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']))
    cleanups.push(() => wrapped.close())
    await wrapped.append('b1', [sealed], ['m3'])
    expect(await wrapped.summary('b1')).toEqual({ marks: ['m3'], rows: 1, bytes: sealed.length })
  })
})

describe('an envelope with device-held state', () => {
  it('keeps what a wipe stored before its judgment took, after a reload, and writes it back', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const held = store()
    const a = device(keys, held)
    await writeNote(a, 'Douleur lombaire, séance 1')
    await writeNote(a, 'Séance 2 : mieux')
    // The tab closed as the wipe was stored: the reloaded envelope holds no live entry of the doc.
    const stored = wiped(a.doc)
    await a.envelope.destroy()
    const reloaded = device(keys, counting(held), stored)
    expect(reloaded.envelope.entries.length).toBe(0)
    const doc = await reloaded.envelope.openDoc(DOC)
    expect(doc.getMap('file').get('note')).toBe('Séance 2 : mieux')
    expect(doc.getArray('sessions').toArray()).toEqual(['Douleur lombaire, séance 1', 'Séance 2 : mieux'])
    await settled(reloaded)
    expect(reloaded.envelope.stats().heldRestored).toBe(1)
    expect(reloaded.errors.some((e) => e instanceof HeldStateRestoredError)).toBe(true)
    // Written back as an entry: a device that holds nothing gets it from the envelope alone.
    expect(reloaded.envelope.entries.length).toBeGreaterThan(0)
    const fresh = device(keys, store(), Y.encodeStateAsUpdate(reloaded.doc))
    const freshDoc = await fresh.envelope.openDoc(DOC)
    expect(freshDoc.getArray('sessions').toArray()).toEqual(['Douleur lombaire, séance 1', 'Séance 2 : mieux'])
  })

  it('counts a doc whose held state the storage refuses to write, until a write succeeds again', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const real = store()
    const full = { refusing: true }
    // The browser's storage full: every write of the held state fails (a QuotaExceededError).
    const refusing: HeldDocs = {
      ...counting(real),
      append: (blind, rows, marks) => (full.refusing ? Promise.reject(new DOMException('Quota exceeded', 'QuotaExceededError')) : real.append(blind, rows, marks)),
    }
    const a = device(keys, refusing)
    await writeNote(a, 'Séance 1')
    await settled(a)
    expect(a.envelope.stats().heldFailing).toBe(1)
    // The change itself is not lost: it is in the envelope, on its way to the relay.
    expect(a.envelope.entries.length).toBeGreaterThan(0)
    full.refusing = false
    await writeNote(a, 'Séance 2')
    await settled(a)
    expect(a.envelope.stats().heldFailing).toBe(0)
  })

  it('writes a big state brought back as a snapshot in chunks, never one entry past a chunk', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const held = store()
    const a = device(keys, held)
    const doc = await a.envelope.openDoc(DOC)
    for (let i = 0; i < 40; i++) doc.getArray<string>('sessions').push([`Séance ${i} : ${'mobilisation, renforcement. '.repeat(4)}`])
    await a.envelope.flush()
    await settled(a)
    const stored = wiped(a.doc)
    await a.envelope.destroy()
    const chunk = 1024
    const reloaded = device(keys, held, stored, chunk)
    expect((await reloaded.envelope.openDoc(DOC)).getArray('sessions').length).toBe(40)
    await settled(reloaded)
    const written = reloaded.envelope.entries.toArray()
    expect(written.length).toBeGreaterThan(3)
    for (const entry of written) expect(entry.c.length).toBeLessThan(2 * chunk)
    const fresh = device(keys, undefined, Y.encodeStateAsUpdate(reloaded.doc))
    expect((await fresh.envelope.openDoc(DOC)).getArray('sessions').length).toBe(40)
  })

  it('keeps and brings back a doc whose entries the decode worker merges (the app’s path for big docs)', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const held = store()
    const writer = device(keys, undefined)
    for (let i = 0; i < 6; i++) await writeNote(writer, `Séance ${i}`)
    // B receives the entries and opens the doc through the decoder: merged, so decrypted again to be kept.
    const b = device(keys, held, Y.encodeStateAsUpdate(writer.doc), undefined, inThreadDecoder())
    expect((await b.envelope.openDoc(DOC)).getArray('sessions').length).toBe(6)
    await settled(b)
    expect((await held.summary(await blindDocId(keys, DOC)))?.marks.length).toBe(6)
    const stored = wiped(b.doc)
    await b.envelope.destroy()
    const decoder = inThreadDecoder()
    const c = device(keys, held, stored, undefined, decoder)
    expect((await c.envelope.openDoc(DOC)).getArray('sessions').length).toBe(6)
    await settled(c)
    // The rows were read back through the decoder, under the device's key (their own space id in the AAD).
    expect(decoder.spaces).toEqual([`held:${keys.spaceId}`])
    expect(c.envelope.stats().heldRestored).toBe(1)
    const fresh = device(keys, undefined, Y.encodeStateAsUpdate(c.doc))
    expect((await fresh.envelope.openDoc(DOC)).getArray('sessions').length).toBe(6)
  })

  it('without it, the same wipe loses the doc on the device (what the feature is for)', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const a = device(keys, undefined)
    await writeNote(a, 'Séance 1')
    const stored = wiped(a.doc)
    await a.envelope.destroy()
    const doc = await device(keys, undefined, stored).envelope.openDoc(DOC)
    expect(doc.getArray('sessions').length).toBe(0)
  })

  it('reads no row at open when the envelope holds every entry the rows came from', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const held = store()
    const a = device(keys, held)
    await writeNote(a, 'Séance 1')
    await writeNote(a, 'Séance 2')
    const stored = Y.encodeStateAsUpdate(a.doc)
    await a.envelope.destroy()
    const spy = counting(held)
    const b = device(keys, spy, stored)
    const doc = await b.envelope.openDoc(DOC)
    await settled(b)
    expect(doc.getArray('sessions').length).toBe(2)
    expect(spy.rowReads).toBe(0)
    expect(b.envelope.stats().heldRestored).toBe(0)
    const blind = await blindDocId(keys, DOC)
    expect((await held.summary(blind))?.rows).toBe(2)
  })

  it('holds what arrives from elsewhere as it applies, and folds its rows into the snapshot when this device compacts', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const held = store()
    const writer = device(keys, undefined)
    for (let i = 0; i < CHANGES; i++) await writeNote(writer, `Séance ${i}`)
    const b = device(keys, held)
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(writer.doc), 'relay')
    await b.envelope.openDoc(DOC)
    await settled(b)
    const blind = await blindDocId(keys, DOC)
    expect((await held.summary(blind))?.rows).toBe(CHANGES)
    await b.envelope.compact(DOC)
    await settled(b)
    const summary = await held.summary(blind)
    expect(summary?.rows).toBe(1)
    // The fold names the snapshot: a reload with the compacted envelope reads no row.
    const stored = Y.encodeStateAsUpdate(b.doc)
    await b.envelope.destroy()
    const spy = counting(held)
    const c = device(keys, spy, stored)
    expect((await c.envelope.openDoc(DOC)).getArray('sessions').length).toBe(CHANGES)
    await settled(c)
    expect(spy.rowReads).toBe(0)
  })

  it('folds the rows of a doc only other devices compact once they are many', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const held = store()
    const writer = device(keys, undefined)
    const doc = await writer.envelope.openDoc(DOC)
    for (let i = 0; i < FOLD_AFTER_ROWS; i++) {
      doc.getArray<string>('sessions').push([`Séance ${i}`])
      await writer.envelope.flush()
    }
    const b = device(keys, held, Y.encodeStateAsUpdate(writer.doc))
    await b.envelope.openDoc(DOC)
    await settled(b)
    const blind = await blindDocId(keys, DOC)
    expect((await held.summary(blind))?.rows).toBe(FOLD_AFTER_ROWS)
    // As many rows as the doc has entries: no fold (it would encode the doc's whole state on the
    // page for rows that cost what the envelope does).
    doc.getArray<string>('sessions').push(['Séance de plus'])
    await writer.envelope.flush()
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(writer.doc, Y.encodeStateVector(b.doc)), 'relay')
    await settled(b)
    expect((await held.summary(blind))?.rows).toBe(FOLD_AFTER_ROWS + 1)
    // The writer compacts: few live entries, many rows. The next change from elsewhere folds them.
    await writer.envelope.compact(DOC)
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(writer.doc, Y.encodeStateVector(b.doc)), 'relay')
    doc.getArray<string>('sessions').push(['Séance de trop'])
    await writer.envelope.flush()
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(writer.doc, Y.encodeStateVector(b.doc)), 'relay')
    await waitFor(async () => {
      await settled(b)
      expect((await held.summary(blind))?.rows).toBe(1)
    })
    // Folded, nothing lost: a wipe stored unjudged, then a reload, brings every session back.
    const stored = wiped(b.doc)
    await b.envelope.destroy()
    const c = device(keys, held, stored)
    expect((await c.envelope.openDoc(DOC)).getArray('sessions').length).toBe(FOLD_AFTER_ROWS + 2)
  })

  it('erases the held state with the doc, here and on a device that receives the erasure', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const heldA = store()
    const heldB = store()
    const a = device(keys, heldA)
    await writeNote(a, 'Patient à effacer')
    const b = device(keys, heldB)
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc), 'relay')
    expect((await b.envelope.openDoc(DOC)).getArray('sessions').length).toBe(1)
    await settled(b)
    const blind = await blindDocId(keys, DOC)
    expect(await heldB.summary(blind)).not.toBeNull()
    await a.envelope.erase(DOC)
    await settled(a)
    expect(await heldA.summary(blind)).toBeNull()
    // B receives the erasure from the relay: judged, accepted, and its held rows go with it.
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)), 'relay')
    await settled(b)
    expect(await heldB.summary(blind)).toBeNull()
    expect(await heldB.rows(blind)).toEqual([])
    // After a reload, nothing comes back: the erased patient stays erased, nothing is written out.
    const stored = Y.encodeStateAsUpdate(b.doc)
    const entriesBefore = b.envelope.entries.length
    await b.envelope.destroy()
    const c = device(keys, heldB, stored)
    const doc = await c.envelope.openDoc(DOC)
    await settled(c)
    expect(doc.getArray('sessions').length).toBe(0)
    expect(c.envelope.entries.length).toBe(entriesBefore)
    expect(c.envelope.stats().heldRestored).toBe(0)
  })

  it('erases held rows at open when the stored envelope holds only the erasure (a reload in between)', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const heldB = store()
    const a = device(keys, undefined)
    await writeNote(a, 'Patient à effacer')
    const b = device(keys, heldB)
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc), 'relay')
    await b.envelope.openDoc(DOC)
    await settled(b)
    await b.envelope.destroy()
    await a.envelope.erase(DOC)
    await settled(a)
    // B's store took the erasure while B was closed (another tab, or stored before judgment).
    const c = device(keys, heldB, Y.encodeStateAsUpdate(a.doc))
    const doc = await c.envelope.openDoc(DOC)
    await settled(c)
    expect(doc.getArray('sessions').length).toBe(0)
    expect(await heldB.summary(await blindDocId(keys, DOC))).toBeNull()
    expect(c.envelope.stats().heldRestored).toBe(0)
  })
})
