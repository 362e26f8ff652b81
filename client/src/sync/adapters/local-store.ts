/**
 * The one place Tournée touches y-indexeddb (pinned: Y_INDEXEDDB_VERSION, package.json): a room's
 * envelope in its IndexedDB database, read at open by the stock IndexeddbPersistence, and written
 * by a writer of our own, because y-indexeddb's does not do for data nobody may lose:
 *   - its `addAutoKey(...)` returns a promise nobody observes: a QuotaExceededError becomes an
 *     unhandled rejection, and the caller never learns the row is missing;
 *   - Chromium reports a quota overrun at commit, as an `abort` of the transaction whose request
 *     had already succeeded, so only the transaction's outcome tells the truth;
 *   - `storeState()` resolves before its write is even issued, so "rewritten" cannot be awaited.
 *
 * Here every write is one readwrite transaction on `updates` whose outcome (complete / abort) is
 * reported, and `rewrite()` replaces every row with the doc's full state (in rows of about a
 * megabyte) in one transaction that resolves only once committed. The database layout stays
 * y-indexeddb's (stores `updates`, autoincrement, and `custom`), so y-indexeddb reads back what
 * is written here.
 *
 * What this relies on in y-indexeddb beyond its public surface, each checked by
 * local-store.test.ts so that an upgrade changing it fails there: the update listener it installs
 * is `persistence._storeUpdate` (removed, and ours stored in its place so `destroy()` removes
 * ours); `persistence.db` is the open IDBDatabase once `whenSynced` resolves; `_dbref` is the key
 * from which it reads rows (read when its database has opened, after the constructor returns:
 * the rows below it are this adapter's to load) and `_dbsize` its row count.
 */
import * as Y from 'yjs'
import { applyInSlices, envelopeStateSlices, worthSlicing } from '../../../../shared/src/envelope/envelope-slices'
import { IndexeddbPersistence, PREFERRED_TRIM_SIZE } from 'y-indexeddb'
import type { RowWriter } from './row-writer'
import { committed, requested } from './idb-promises'

/** The y-indexeddb release this adapter was written and tested against. */
export const Y_INDEXEDDB_VERSION = '9.0.12'

const UPDATES_STORE = 'updates'

export class LocalWriteError extends Error {
  override name = 'LocalWriteError'
}

const fail = (message: string) => new LocalWriteError(message)

export interface LocalStoreHooks {
  /** A write failed (quota, database closed under us): the room shows it and rewrites later. */
  readonly onFailure: (error: unknown) => void
  /** The store holds many rows: worth a rewrite as one snapshot. */
  readonly onManyRows: () => void
  /** Between two steps of the load (the page's main thread given back); a zero timer if absent. */
  readonly nextSlice?: () => Promise<void>
  /** Writes the rows off this thread (row-writer.ts); absent, or no longer usable: written here. */
  readonly rowWriter?: RowWriter
}

/**
 * Rows read in one step of the load, to start with; the count adapts to keep a step near
 * LOAD_STEP_BYTES. IndexedDB deserializes a step's rows in the task that reads them: ≈ 50 ms for
 * 2 MB on this machine when busy, hence a megabyte (two of a rewrite's rows).
 */
const LOAD_FIRST_ROWS = 2
const LOAD_STEP_BYTES = 1024 * 1024

/**
 * The key of the database's last row, or null when it holds none, or does not exist (it is then
 * not created here: y-indexeddb creates it with its stores).
 */
async function lastRowKey(name: string): Promise<{ db: IDBDatabase; last: number } | null> {
  const request = indexedDB.open(name)
  request.addEventListener('upgradeneeded', () => request.transaction?.abort())
  let db: IDBDatabase
  try {
    db = await requested(request, fail)
  } catch {
    return null // aborted: a new database
  }
  if (!db.objectStoreNames.contains(UPDATES_STORE)) {
    db.close()
    return null
  }
  const cursor = await requested(db.transaction(UPDATES_STORE).objectStore(UPDATES_STORE).openKeyCursor(null, 'prev'))
  if (cursor === null) {
    db.close()
    return null
  }
  return { db, last: cursor.key as number }
}

/**
 * Applies rows up to `last` to `doc`, a few rows per step, in their own transaction each, with
 * `nextSlice()` between steps: the main room of 20,000 patients is 31 MB of rows, whose reading
 * and applying were one task of 400–700 ms at a cold start. A row of megabytes alone (the store
 * rewritten as one row) is applied in slices of entries (shared/src/envelope/envelope-slices.ts).
 */
async function loadInSteps(db: IDBDatabase, last: number, doc: Y.Doc, origin: unknown, nextSlice: () => Promise<void>): Promise<void> {
  let from = 0
  let rows = LOAD_FIRST_ROWS
  for (let first = true; from <= last; first = false) {
    if (!first) await nextSlice()
    const store = db.transaction(UPDATES_STORE).objectStore(UPDATES_STORE)
    const range = IDBKeyRange.bound(from, last)
    const [keys, values] = await Promise.all([requested(store.getAllKeys(range, rows), fail), requested(store.getAll(range, rows), fail)])
    if (keys.length === 0) return
    let bytes = 0
    let small: Uint8Array[] = []
    const applySmall = () => {
      const rows = small
      small = []
      if (rows.length > 0) Y.transact(doc, () => rows.forEach((row) => Y.applyUpdate(doc, row, origin)), origin, false)
    }
    for (const value of values as Uint8Array[]) {
      bytes += value.byteLength
      if (!worthSlicing(value)) {
        small.push(value)
        continue
      }
      // A row of megabytes (the main room's, rewritten as one): in slices, the thread given back.
      applySmall()
      await applyInSlices(doc, value, origin, nextSlice)
    }
    applySmall()
    from = (keys[keys.length - 1] as number) + 1
    rows = bytes > LOAD_STEP_BYTES ? Math.max(1, rows >> 1) : Math.min(256, rows * 2)
  }
}

export class LocalStore {
  private readonly cleanups: Array<() => void> = []
  /** Rows the last rewrite wrote: "many rows" counts those added since (a room of ≥ 500 MB would rewrite at every write). */
  private snapshotRows = 0

  private constructor(
    private readonly persistence: IndexeddbPersistence,
    private readonly doc: Y.Doc,
    private readonly name: string,
    private readonly rowWriter: RowWriter | null,
  ) {}

  /** The worker's writer while it works (row-writer.ts), else null: rows are written here. */
  private get offThread(): RowWriter | null {
    return this.rowWriter?.usable ? this.rowWriter : null
  }

  /**
   * Opens the database `name` and loads what it holds into `doc` (works offline). The rows there
   * before are read in steps (loadInSteps): y-indexeddb is told they are read already (`_dbref`
   * past them, before its own load starts), so it reads only what another tab wrote meanwhile.
   */
  static async open(name: string, doc: Y.Doc, hooks: LocalStoreHooks): Promise<LocalStore> {
    const before = await lastRowKey(name)
    const persistence = new IndexeddbPersistence(name, doc)
    if (before) persistence._dbref = before.last + 1
    // Its own writer goes before the load: y-indexeddb ignores what it loads, but Yjs encodes a
    // transaction again for every 'update' listener, and the load is the room's whole envelope
    // (≈300 ms of a cold start's main room at 20,000 patients). Ours is installed once loaded.
    doc.off('update', persistence._storeUpdate)
    await persistence.whenSynced
    if (before) {
      try {
        await loadInSteps(before.db, before.last, doc, persistence, hooks.nextSlice ?? (() => new Promise((resolve) => setTimeout(resolve, 0))))
      } finally {
        before.db.close()
      }
    }
    const store = new LocalStore(persistence, doc, name, hooks.rowWriter ?? null)
    store.installWriter(hooks)
    store.watchDatabase(hooks.onFailure)
    return store
  }

  /** Whether a transaction of the doc is this store loading what the database held. */
  applied(origin: unknown): boolean {
    return origin === this.persistence
  }

  /** A value of the store's `custom` object store (the room's own records), or undefined. */
  get(key: string): Promise<unknown> {
    return this.persistence.get(key)
  }

  async set(key: string, value: ArrayBuffer | number | string): Promise<void> {
    await this.persistence.set(key, value)
  }

  /**
   * Writes the doc's whole state and deletes every older row, in one transaction: resolves once
   * committed. After a failed write this is what makes the local copy whole again; after a
   * compaction, what drops the ciphertext of removed entries from the device. The state is written
   * as rows of about half a megabyte of entries (envelopeStateSlices, cut in this task so that no
   * update falls between two of them): IndexedDB deserializes a row whole when it is read, and the
   * main room's 31 MB as one row was a task of ≈ 140 ms at every cold start.
   */
  async rewrite(): Promise<void> {
    const db = this.persistence.db
    if (db === null) throw new LocalWriteError('The local database is not open')
    const slices = envelopeStateSlices(this.doc)
    const rows = slices.length > 0 ? slices : [Y.encodeStateAsUpdate(this.doc)]
    const writer = this.offThread
    if (writer) {
      const key = await writer.replace(this.name, rows)
      // y-indexeddb reads rows from _dbref on: keep it past the snapshot it would read back.
      this.persistence._dbref = Math.max(this.persistence._dbref, key + 1)
      this.persistence._dbsize = rows.length
      this.snapshotRows = rows.length
      return
    }
    const tx = db.transaction([UPDATES_STORE], 'readwrite')
    const store = tx.objectStore(UPDATES_STORE)
    const done = committed(tx, fail)
    rows.forEach((row, i) => {
      const request = store.add(row)
      request.addEventListener('success', () => {
        const key = request.result as number
        if (i === 0) store.delete(IDBKeyRange.upperBound(key, true))
        // y-indexeddb reads rows from _dbref on: keep it past the snapshot it would read back.
        this.persistence._dbref = key + 1
      })
    })
    await done
    this.persistence._dbsize = rows.length
    this.snapshotRows = rows.length
  }

  async destroy(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    this.rowWriter?.close(this.name)
    await this.persistence.destroy()
  }

  /**
   * Replaces y-indexeddb's update listener with one that reports each failed write. The listener
   * is stored back in `persistence._storeUpdate`, so that `persistence.destroy()` removes it.
   */
  private installWriter(hooks: LocalStoreHooks): void {
    const { persistence, doc } = this
    doc.off('update', persistence._storeUpdate)
    const write = (update: Uint8Array, origin: unknown) => {
      // What y-indexeddb itself applied (read from IndexedDB) is already there.
      if (origin === persistence || persistence.db === null) return
      const counted = () => {
        if (++persistence._dbsize - this.snapshotRows >= PREFERRED_TRIM_SIZE) hooks.onManyRows()
      }
      const writer = this.offThread
      if (writer) {
        writer.add(this.name, update).then(counted, hooks.onFailure)
        return
      }
      let tx: IDBTransaction
      try {
        tx = persistence.db.transaction([UPDATES_STORE], 'readwrite')
        tx.objectStore(UPDATES_STORE).add(update)
      } catch (error) {
        // The database was closed under us (the browser deleted it, or the tab is going away).
        hooks.onFailure(error)
        return
      }
      committed(tx, fail).then(counted, hooks.onFailure)
    }
    persistence._storeUpdate = write
    doc.on('update', write)
  }

  /** IndexedDB failures (quota, connection lost) bubble to the database: never a silent loss. */
  private watchDatabase(onFailure: (error: unknown) => void): void {
    const db = this.persistence.db
    if (!db) return
    const listener = (event: Event) => {
      const target = event.target as { error?: DOMException | null } | null
      onFailure(target?.error ?? new LocalWriteError(`IndexedDB ${event.type}`))
    }
    for (const type of ['abort', 'error', 'close']) {
      db.addEventListener(type, listener)
      this.cleanups.push(() => db.removeEventListener(type, listener))
    }
  }
}
