/**
 * Rooms' rows written with a connection of this thread's own per database (the row writer's
 * worker runs this; tests run it in place). The layout is y-indexeddb's (local-store.ts): store
 * `updates`, autoincrement keys, each value one Yjs update.
 */
import type { RowWriter } from './row-writer'

const UPDATES_STORE = 'updates'

/** One connection per database, opened on its first write. */
export class RowDatabases {
  private readonly connections = new Map<string, Promise<IDBDatabase>>()

  private connect(name: string): Promise<IDBDatabase> {
    let connection = this.connections.get(name)
    if (!connection) {
      const connections = this.connections
      connection = new Promise<IDBDatabase>((resolve, reject) => {
        // No version: the database exists (y-indexeddb created it on the page), and an older
        // version is never asked for. One that does not exist (the browser or the person erased
        // it) is not created here: created without its stores, it would break y-indexeddb's next
        // open on the page. The write fails, as it would have on the page's closed connection.
        const request = indexedDB.open(name)
        request.onupgradeneeded = () => request.transaction?.abort()
        request.onsuccess = () => {
          const db = request.result
          if (!db.objectStoreNames.contains(UPDATES_STORE)) {
            db.close()
            reject(new DOMException(`The database ${name} holds no rows store`, 'NotFoundError'))
            return
          }
          // The page deletes or upgrades the database (a practice left, a wipe): let it.
          db.onversionchange = () => {
            db.close()
            connections.delete(name)
          }
          db.onclose = () => connections.delete(name)
          resolve(db)
        }
        request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'))
        request.onblocked = () => undefined
      })
      connection.catch(() => connections.delete(name))
      connections.set(name, connection)
    }
    return connection
  }

  async add(name: string, row: Uint8Array): Promise<void> {
    const tx = (await this.connect(name)).transaction([UPDATES_STORE], 'readwrite')
    tx.objectStore(UPDATES_STORE).add(row)
    await committed(tx)
  }

  /**
   * `rows` added and every row before them deleted, in one transaction; resolves with the last
   * one's key. Several rows: a snapshot in slices (local-store.ts `rewrite`).
   */
  async replace(name: string, rows: readonly Uint8Array[]): Promise<number> {
    if (rows.length === 0) throw new RangeError('A replace needs at least one row')
    const tx = (await this.connect(name)).transaction([UPDATES_STORE], 'readwrite')
    const store = tx.objectStore(UPDATES_STORE)
    const done = committed(tx)
    let key = -1
    rows.forEach((row, i) => {
      const request = store.add(row)
      request.onsuccess = () => {
        key = request.result as number
        if (i === 0) store.delete(IDBKeyRange.upperBound(key, true))
      }
    })
    await done
    return key
  }

  close(name: string): void {
    const connection = this.connections.get(name)
    this.connections.delete(name)
    connection?.then((db) => db.close()).catch(() => undefined)
  }
}

/** RowDatabases as a RowWriter on this thread (tests: the worker's code without the worker). */
export function inPlaceRowWriter(databases = new RowDatabases()): RowWriter {
  return {
    usable: true,
    add: (name, row) => databases.add(name, row),
    replace: (name, rows) => databases.replace(name, rows),
    close: (name) => databases.close(name),
  }
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(tx.error ?? new DOMException('IndexedDB transaction aborted', 'AbortError'))
  })
}
