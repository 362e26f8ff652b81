/**
 * The y-indexeddb adapter on fake-indexeddb: what local-store.ts relies on in y-indexeddb's
 * IndexeddbPersistence. An upgrade of y-indexeddb that changes any of it fails here.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { randomId } from '../../../../shared/src/crypto/base64url'
import { LocalStore, Y_INDEXEDDB_VERSION } from './local-store'
import { inPlaceRowWriter, RowDatabases } from './row-databases'
import type { RowWriter } from './row-writer'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function rowsOf(name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name)
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const db = open.result
      const count = db.transaction('updates').objectStore('updates').count()
      count.onsuccess = () => {
        resolve(count.result)
        db.close()
      }
      count.onerror = () => reject(count.error)
    }
  })
}

async function openStore(name: string, doc = new Y.Doc(), failures: unknown[] = [], rowWriter?: RowWriter) {
  let manyRows = 0
  const store = await LocalStore.open(name, doc, { onFailure: (e) => failures.push(e), onManyRows: () => manyRows++, ...(rowWriter ? { rowWriter } : {}) })
  return { store, doc, failures, manyRows: () => manyRows }
}

/** Resolves once the store has written what the doc emitted so far (each update is one transaction). */
async function written(name: string, rows: number): Promise<void> {
  await expect.poll(() => rowsOf(name)).toBe(rows)
}

/**
 * Three rows, a rewrite into one, a row after it, then a reopen (without any writer) that reads
 * them all: through `rowWriter` when given, else through the page's connection.
 */
async function rewritesAndReopens(rowWriter?: RowWriter): Promise<void> {
  const name = `store-${randomId()}`
  const { store, doc } = await openStore(name, new Y.Doc(), [], rowWriter)
  const opened = await rowsOf(name)
  for (const word of ['un', 'deux', 'trois']) doc.getArray<string>('entries').push([word])
  await written(name, opened + 3)
  await store.rewrite()
  expect(await rowsOf(name)).toBe(1)
  doc.getArray<string>('entries').push(['après'])
  await written(name, 2)
  await store.destroy()
  const again = await openStore(name)
  cleanups.push(() => again.store.destroy())
  expect(again.doc.getArray('entries').toArray()).toEqual(['un', 'deux', 'trois', 'après'])
}

describe('LocalStore over y-indexeddb', () => {
  it(`is the y-indexeddb release it was written for (${Y_INDEXEDDB_VERSION}): re-read local-store.ts before moving the pin`, () => {
    const manifest = createRequire(import.meta.url).resolve('y-indexeddb/package.json')
    expect(JSON.parse(readFileSync(manifest, 'utf8')).version).toBe(Y_INDEXEDDB_VERSION)
  })

  it('rewrites a big envelope as rows of about half a megabyte, every older row gone, and reads it all back', async () => {
    const name = `store-${randomId()}`
    const source = new Y.Doc()
    // 5 MB of entries from one writer: one struct, several rows.
    for (let i = 0; i < 50; i++) source.getArray('entries').push([{ d: `d${i}`.padEnd(22, 'd'), c: new Uint8Array(100_000).fill(i) }])
    const { store } = await openStore(name, source)
    await store.rewrite()
    // Never the whole state in one row: IndexedDB reads a row whole.
    const rows = await rowsOf(name)
    expect(rows).toBeGreaterThanOrEqual(8)
    expect(rows).toBeLessThanOrEqual(13)
    await store.destroy()
    const again = await openStore(name)
    cleanups.push(() => again.store.destroy())
    expect(again.doc.getArray('entries').length).toBe(50)
    expect(Y.encodeStateVector(again.doc)).toEqual(Y.encodeStateVector(source))
  })

  it('writes each update as one row of its own writer (y-indexeddb’s is off), and reads them back on open', async () => {
    const name = `store-${randomId()}`
    const { store, doc } = await openStore(name)
    // y-indexeddb writes the loaded state as one row when it opens.
    const opened = await rowsOf(name)
    doc.getArray<string>('entries').push(['un'])
    doc.getArray<string>('entries').push(['deux'])
    // One row per update: were y-indexeddb's listener still on, each would be written twice.
    await written(name, opened + 2)
    await store.destroy()
    const again = await openStore(name)
    cleanups.push(() => again.store.destroy())
    expect(again.doc.getArray('entries').toArray()).toEqual(['un', 'deux'])
  })

  it('keeps records beside the envelope', async () => {
    const { store } = await openStore(`store-${randomId()}`)
    cleanups.push(() => store.destroy())
    expect(await store.get('absent')).toBeUndefined()
    await store.set('tournee:last-exchange', 1_790_000_000_000)
    expect(await store.get('tournee:last-exchange')).toBe(1_790_000_000_000)
  })

  it('rewrites the whole state as one row, which a reopen reads in full', () => rewritesAndReopens())

  it('reports a write it could not make, instead of losing it silently', async () => {
    const name = `store-${randomId()}`
    const { store, doc, failures } = await openStore(name)
    // What a browser does when it deletes the database under the page: the connection closes.
    ;(store as unknown as { persistence: { db: IDBDatabase } }).persistence.db.close()
    doc.getArray<string>('entries').push(['perdu ?'])
    expect(failures).toHaveLength(1)
    await store.destroy()
  })

  it('stops writing once destroyed', async () => {
    const name = `store-${randomId()}`
    const { store, doc } = await openStore(name)
    const before = await rowsOf(name)
    await store.destroy()
    doc.getArray<string>('entries').push(['après la fermeture'])
    expect(await rowsOf(name)).toBe(before)
  })

  it('loads what it held in steps, giving the thread back between them, and y-indexeddb reads none of it again', async () => {
    const name = `store-${randomId()}`
    const { store, doc } = await openStore(name)
    const opened = await rowsOf(name)
    const words = Array.from({ length: 60 }, (_, i) => `mot-${i}`)
    for (const word of words) doc.getArray<string>('entries').push([word])
    await written(name, opened + words.length)
    await store.destroy()
    let steps = 0
    let loadedTransactions = 0
    const again = new Y.Doc()
    again.on('afterTransaction', (tx: Y.Transaction) => {
      if ([...tx.afterState].some(([client, clock]) => tx.beforeState.get(client) !== clock)) loadedTransactions++
    })
    const reopened = await LocalStore.open(name, again, { onFailure: () => undefined, onManyRows: () => undefined, nextSlice: async () => void steps++ })
    cleanups.push(() => reopened.destroy())
    expect(again.getArray('entries').toArray()).toEqual(words)
    // Several steps (4 rows, then 8, 16, 32…), each a transaction of its own; y-indexeddb's own
    // load found nothing left to read (no other transaction brought content).
    expect(steps).toBeGreaterThan(2)
    expect(loadedTransactions).toBe(steps + 1)
    // Its empty-doc row aside, nothing was written: the envelope was not stored again.
    expect(await rowsOf(name)).toBe(opened + words.length + 1)
  })

  it('applies a row of megabytes (a store rewritten as one row, as before) in slices of entries, the thread given back between them', async () => {
    const name = `store-${randomId()}`
    const { store, doc } = await openStore(name)
    // 6 MB of entries from one writer: one struct, written as one row as rewrites did before.
    for (let i = 0; i < 60; i++) doc.getArray('entries').push([{ d: `d${i}`.padEnd(22, 'd'), c: new Uint8Array(100_000).fill(i) }])
    const databases = new RowDatabases()
    await databases.replace(name, [Y.encodeStateAsUpdate(doc)])
    databases.close(name)
    expect(await rowsOf(name)).toBe(1)
    await store.destroy()
    const again = new Y.Doc()
    const seen: number[] = []
    const reopened = await LocalStore.open(name, again, {
      onFailure: () => undefined,
      onManyRows: () => undefined,
      nextSlice: async () => void seen.push(again.getArray('entries').length),
    })
    cleanups.push(() => reopened.destroy())
    expect(again.getArray('entries').length).toBe(60)
    expect(again.store.pendingStructs).toBeNull()
    // About half a megabyte a slice: the doc grew between slices, never in one go.
    expect(seen.filter((n) => n > 0 && n < 60).length).toBeGreaterThanOrEqual(4)
  })

  it('creates no database on a first open that finds none, and y-indexeddb then creates it with its stores', async () => {
    const name = `store-${randomId()}`
    const { store, doc } = await openStore(name)
    cleanups.push(() => store.destroy())
    doc.getArray<string>('entries').push(['premier'])
    await written(name, 2)
  })
})

describe('LocalStore with a row writer (the worker’s code, run in place)', () => {
  /** Counts the writes it passes on, so the test knows they went through it and not the page's connection. */
  function counting(): { writer: RowWriter; calls: string[] } {
    const calls: string[] = []
    const inner = inPlaceRowWriter(new RowDatabases())
    const writer: RowWriter = {
      usable: true,
      add: (db, row) => (calls.push('add'), inner.add(db, row)),
      replace: (db, row) => (calls.push('replace'), inner.replace(db, row)),
      close: (db) => inner.close(db),
    }
    return { writer, calls }
  }

  it('writes each update and the rewrite through it, and a reopen without it reads them all', async () => {
    const { writer, calls } = counting()
    await rewritesAndReopens(writer)
    expect(calls).toEqual(['add', 'add', 'add', 'replace', 'add'])
  })

  it('reports the writer’s failure as its own, and writes on the page once the writer is no longer usable', async () => {
    const name = `store-${randomId()}`
    let usable = true
    const failing: RowWriter = {
      get usable() {
        return usable
      },
      add: () => Promise.reject(Object.assign(new Error('quota'), { name: 'QuotaExceededError' })),
      replace: () => Promise.reject(new Error('not used')),
      close: () => undefined,
    }
    const failures: unknown[] = []
    const { store, doc } = await openStore(name, new Y.Doc(), failures, failing)
    cleanups.push(() => store.destroy())
    const opened = await rowsOf(name)
    doc.getArray<string>('entries').push(['refusé'])
    await expect.poll(() => failures.map((e) => (e as Error).name)).toEqual(['QuotaExceededError'])
    usable = false
    doc.getArray<string>('entries').push(['écrit ici'])
    await written(name, opened + 1)
  })
})
