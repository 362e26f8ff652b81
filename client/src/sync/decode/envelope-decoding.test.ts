import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { deriveSpaceKeys, type SpaceKeys } from '../../../../shared/src/crypto/space-keys'
import { Envelope, type EnvelopeEntry } from '../../../../shared/src/envelope/envelope'
import type { DecodedEntries, DecodeRequest, EntryDecoder } from '../../../../shared/src/envelope/entry-decoder'
import { decodeEntries } from './decode-entries'
import { yieldToMain } from './main-thread'
import { SliceStream } from './worker-decoder'

const ROOM = 'main' as const
const DOC = 'directory'

/**
 * What the worker does, here on this thread (decodeEntries is the worker's own code, SliceStream
 * the page's own stream of its slices), counted.
 */
function inThreadDecoder(maxStructs: number): EntryDecoder & { calls: number; slices: number } {
  const decoder = {
    calls: 0,
    slices: 0,
    worthIt: () => true,
    decode: (request: DecodeRequest): DecodedEntries => {
      decoder.calls++
      const stream = new SliceStream()
      const outcome = decodeEntries(
        request,
        (updates) => {
          decoder.slices += updates.length
          stream.push(updates)
        },
        maxStructs,
      ).then(
        (result) => (stream.end(), result),
        (error: Error) => (stream.end(error), Promise.reject(error)),
      )
      return { updates: stream, outcome }
    },
    nextSlice: yieldToMain,
  }
  return decoder
}

function device(keys: SpaceKeys, decoder?: EntryDecoder) {
  const doc = new Y.Doc({ gc: true })
  return { doc, envelope: new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactAfterEntries: 1000, compactDelayMs: 1, ...(decoder ? { decoder } : {}) }) }
}

function sync(from: { doc: Y.Doc }, to: { doc: Y.Doc }): void {
  Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(to.doc)), 'remote')
}

async function writePatients(directory: Y.Doc, envelope: Envelope, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 20) {
    directory.transact(() => {
      for (let j = i; j < i + 20; j++) directory.getMap('patients').set(`p${j}`, new Y.Map([['birthName', `Nom${j}`]]))
    })
    await envelope.flush()
  }
}

describe('an envelope with a decoder (the worker path, on this thread)', () => {
  it('opens a doc from its slices, follows live entries, compacts, and a device without a decoder agrees', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const a = device(keys)
    const directory = await a.envelope.openDoc(DOC)
    await writePatients(directory, a.envelope, 0, 200)
    const decoder = inThreadDecoder(25)
    const b = device(keys, decoder)
    sync(a, b)
    const opened = await b.envelope.openDoc(DOC)
    expect(decoder.calls).toBe(1)
    expect(decoder.slices).toBeGreaterThan(10)
    expect(opened.getMap('patients').toJSON()).toEqual(directory.getMap('patients').toJSON())

    // Live: what A writes next reaches B's open doc through the decoder too, after the open.
    await writePatients(directory, a.envelope, 200, 40)
    sync(a, b)
    await b.envelope.settle()
    expect(opened.getMap('patients').size).toBe(240)

    // Every entry counts as applied: B's compaction folds them all into one.
    await b.envelope.compact(DOC)
    expect(b.envelope.stats().entries).toBe(1)
    const c = device(keys)
    sync(b, c)
    expect((await c.envelope.openDoc(DOC)).getMap('patients').toJSON()).toEqual(directory.getMap('patients').toJSON())
  })

  it('opens a snapshot written in chunks, by two writers, through the worker path (its groups merged, then sliced)', async () => {
    // Regression: the chunks' clients were written in ascending order; Yjs's mergeUpdates, which
    // the worker runs over consecutive entries, then dropped the first writer's structs, and the
    // rest stayed pending for good (the bench's directory of 20,000 patients showed none).
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const first = device(keys)
    const firstDirectory = await first.envelope.openDoc(DOC)
    // The first writer's client below the compacting one's: the order that lost structs.
    firstDirectory.clientID = 1
    await writePatients(firstDirectory, first.envelope, 0, 40)
    const doc = new Y.Doc({ gc: true })
    const compacting = new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactAfterEntries: 1000, compactDelayMs: 1, snapshotChunkBytes: 2_000 })
    sync(first, { doc })
    const directory = await compacting.openDoc(DOC)
    directory.clientID = 2
    await writePatients(directory, compacting, 40, 200)
    await compacting.compact(DOC)
    expect(compacting.stats().entries).toBeGreaterThan(4)
    await writePatients(directory, compacting, 240, 20)
    const decoder = inThreadDecoder(25)
    const b = device(keys, decoder)
    sync({ doc }, b)
    const opened = await b.envelope.openDoc(DOC)
    expect(opened.store.pendingStructs).toBeNull()
    expect(opened.getMap('patients').size).toBe(260)
    expect(opened.getMap('patients').toJSON()).toEqual(directory.getMap('patients').toJSON())
  })

  it('counts an entry it cannot authenticate, applies the others, and never folds a doc missing it', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const a = device(keys)
    const directory = await a.envelope.openDoc(DOC)
    await writePatients(directory, a.envelope, 0, 60)
    // The relay flips a bit of the last entry.
    const entries = a.doc.getArray<EnvelopeEntry>('entries')
    const last = entries.get(entries.length - 1)
    const c = last.c.slice()
    c[c.length - 1]! ^= 1
    a.doc.transact(() => {
      entries.delete(entries.length - 1, 1)
      entries.push([{ d: last.d, c }])
    })
    const b = device(keys, inThreadDecoder(10))
    sync(a, b)
    const opened = await b.envelope.openDoc(DOC)
    expect(opened.getMap('patients').size).toBe(40)
    expect(b.envelope.stats().undecryptable).toBe(1)
    await b.envelope.compact(DOC)
    // The entry it could not read survives beside the snapshot.
    expect(b.envelope.stats().entries).toBe(2)
  })

  it('opens the whole doc even if the decoder fails half way (as a crashed worker does)', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const a = device(keys)
    const directory = await a.envelope.openDoc(DOC)
    await writePatients(directory, a.envelope, 0, 100)
    const real = inThreadDecoder(10)
    const crashing: EntryDecoder = {
      ...real,
      decode: (request) => {
        const stream = new SliceStream()
        const decoded = real.decode(request)
        const outcome = (async () => {
          let n = 0
          for await (const update of decoded.updates) {
            if (++n > 3) break
            stream.push([update])
          }
          const error = new Error('The decode worker failed')
          stream.end(error)
          throw error
        })()
        return { updates: stream, outcome }
      },
    }
    const errors: string[] = []
    const doc = new Y.Doc({ gc: true })
    const b = new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactAfterEntries: 1000, compactDelayMs: 1, decoder: crashing, onError: (e) => errors.push(e.message) })
    sync(a, { doc })
    const opened = await b.openDoc(DOC)
    expect(opened.getMap('patients').toJSON()).toEqual(directory.getMap('patients').toJSON())
    expect(errors).toEqual(['The decode worker failed'])
  })
})
