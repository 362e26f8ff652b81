/**
 * The write path of a space's envelope into IndexedDB, in place of y-indexeddb's own.
 *
 * y-indexeddb keeps each envelope update as one row of its `updates` store (autoincrement key) and
 * folds them into one snapshot row now and then. Its own writer does not do for us, because a
 * failed write must never be silent:
 *   - `addAutoKey(...)` returns a promise nobody observes: a QuotaExceededError becomes an
 *     unhandled rejection, and the caller never learns the row is missing;
 *   - Chromium reports a quota overrun at commit, as an `abort` of the transaction whose request
 *     had already succeeded, so only the transaction's outcome tells the truth;
 *   - `storeState()` resolves before its write is even issued, so "rewritten" cannot be awaited.
 *
 * Here every write is one readwrite transaction on `updates` whose outcome (complete / abort) is
 * reported, and `rewriteLocalState` replaces every row with the doc's full state in one
 * transaction that resolves only once committed. The store layout is y-indexeddb's, unchanged, so
 * y-indexeddb still reads what is written here.
 */
import * as Y from 'yjs'
import type { IndexeddbPersistence } from 'y-indexeddb'
import { PREFERRED_TRIM_SIZE } from 'y-indexeddb'

const UPDATES_STORE = 'updates'

export class LocalWriteError extends Error {
  override name = 'LocalWriteError'
}

/** Resolves when the transaction commits; rejects with its error when it aborts. */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.addEventListener('complete', () => resolve())
    tx.addEventListener('abort', () => reject(tx.error ?? new LocalWriteError('IndexedDB transaction aborted')))
  })
}

/**
 * Replaces y-indexeddb's update listener with one that reports each failed write. The listener is
 * stored back in `persistence._storeUpdate`, so that `persistence.destroy()` removes it.
 */
export function installLocalWriter(
  persistence: IndexeddbPersistence,
  doc: Y.Doc,
  hooks: { onFailure: (error: unknown) => void; onManyRows: () => void },
): void {
  doc.off('update', persistence._storeUpdate)
  const write = (update: Uint8Array, origin: unknown) => {
    // What y-indexeddb itself applied (read from IndexedDB) is already there.
    if (origin === persistence || persistence.db === null) return
    let tx: IDBTransaction
    try {
      tx = persistence.db.transaction([UPDATES_STORE], 'readwrite')
      tx.objectStore(UPDATES_STORE).add(update)
    } catch (error) {
      // The database was closed under us (the browser deleted it, or the tab is going away).
      hooks.onFailure(error)
      return
    }
    committed(tx).then(
      () => {
        if (++persistence._dbsize >= PREFERRED_TRIM_SIZE) hooks.onManyRows()
      },
      hooks.onFailure,
    )
  }
  persistence._storeUpdate = write
  doc.on('update', write)
}

/**
 * Writes the doc's whole state as one row and deletes every older row, in one transaction:
 * resolves once committed. After a failed write this is what makes the local copy whole again.
 */
export async function rewriteLocalState(persistence: IndexeddbPersistence, doc: Y.Doc): Promise<void> {
  const db = persistence.db
  if (db === null) throw new LocalWriteError('The local database is not open')
  const tx = db.transaction([UPDATES_STORE], 'readwrite')
  const store = tx.objectStore(UPDATES_STORE)
  const done = committed(tx)
  const request = store.add(Y.encodeStateAsUpdate(doc))
  request.addEventListener('success', () => {
    const key = request.result as number
    store.delete(IDBKeyRange.upperBound(key, true))
    // y-indexeddb reads rows from _dbref on: keep it past the snapshot it would read back.
    persistence._dbref = key + 1
  })
  await done
  persistence._dbsize = 1
}
