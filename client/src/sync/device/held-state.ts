/**
 * The device-held state's storage (shared/src/envelope/held-docs.ts says what it is for): what this
 * device decrypted of each inner doc, sealed under a key made here, in the practice's own IndexedDB
 * database `<idbName>-held`:
 *
 *   key    'device' → CryptoKey          AES-GCM-256, generated here, non-extractable: page script
 *                                         can use it, never read it out, and it never leaves the
 *                                         device (deleting the database destroys it, and with it
 *                                         every row)
 *   docs   <blinded doc id> → { marks: string[], rows: number, bytes: number, next: number }
 *                                         the summary read when a doc opens: a few hundred bytes
 *   rows   [<blinded doc id>, n] → Uint8Array   iv ‖ AES-GCM(update), appended; n from `next`
 *
 * Doc ids are blinded as in the envelope's rows (the database says which docs exist no more than
 * the rooms' databases do). One transaction per write: rows and summary change together.
 */
import type { HeldDocs, HeldSummary } from '../../../../shared/src/envelope/held-docs'

const VERSION = 1
const KEYS = 'key'
const DOCS = 'docs'
const ROWS = 'rows'
const DEVICE_KEY = 'device'

/** A held-state database that did not open or whose records are not what this version wrote. */
export class HeldStateError extends Error {
  override name = 'HeldStateError'
}

interface StoredDoc {
  readonly marks: string[]
  readonly rows: number
  readonly bytes: number
  /** The next row's number. */
  readonly next: number
}

function isStoredDoc(value: unknown): value is StoredDoc {
  if (typeof value !== 'object' || value === null) return false
  const doc = value as Record<string, unknown>
  return (
    Array.isArray(doc.marks) &&
    doc.marks.every((m) => typeof m === 'string') &&
    Number.isSafeInteger(doc.rows) &&
    Number.isSafeInteger(doc.bytes) &&
    Number.isSafeInteger(doc.next)
  )
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof value === 'object' && value !== null && 'algorithm' in value && 'usages' in value
}

function requested<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.addEventListener('success', () => resolve(request.result))
    request.addEventListener('error', () => reject(request.error ?? new HeldStateError('IndexedDB request failed')))
  })
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.addEventListener('complete', () => resolve())
    transaction.addEventListener('abort', () => reject(transaction.error ?? new HeldStateError('IndexedDB transaction aborted')))
    transaction.addEventListener('error', () => reject(transaction.error ?? new HeldStateError('IndexedDB transaction failed')))
  })
}

/** About this many bytes of rows per transaction (see `append`). */
const TRANSACTION_BYTES = 1024 * 1024

function groupsOf(rows: readonly Uint8Array[], maxBytes: number): Uint8Array[][] {
  const groups: Uint8Array[][] = [[]]
  let bytes = 0
  for (const row of rows) {
    if (bytes > 0 && bytes + row.byteLength > maxBytes) {
      groups.push([])
      bytes = 0
    }
    groups.at(-1)!.push(row)
    bytes += row.byteLength
  }
  return groups
}

/** The database's name for a practice whose rooms' databases are `<idbName>-<roomId>`. */
export function heldStateDatabase(idbName: string): string {
  return `${idbName}-held`
}

export class HeldStore implements HeldDocs {
  private db: Promise<IDBDatabase> | null = null
  private deviceKey: Promise<CryptoKey> | null = null

  constructor(private readonly idbName: string) {}

  key(): Promise<CryptoKey> {
    this.deviceKey ??= this.loadOrMakeKey().catch((error: unknown) => {
      this.deviceKey = null
      throw error
    })
    return this.deviceKey
  }

  async summary(blind: string): Promise<HeldSummary | null> {
    const db = await this.open()
    const stored: unknown = await requested(db.transaction(DOCS).objectStore(DOCS).get(blind))
    if (stored === undefined) return null
    if (!isStoredDoc(stored)) throw new HeldStateError('A held doc summary has an unexpected shape')
    return { marks: stored.marks, rows: stored.rows, bytes: stored.bytes }
  }

  async rows(blind: string): Promise<Uint8Array[]> {
    const db = await this.open()
    const values: unknown[] = await requested(db.transaction(ROWS).objectStore(ROWS).getAll(this.rangeOf(blind)))
    // A row of another shape is not ours to apply: skipped (decryption would refuse it anyway).
    return values.filter((v): v is Uint8Array => v instanceof Uint8Array)
  }

  async append(blind: string, rows: readonly Uint8Array[], marks: readonly string[]): Promise<void> {
    // A transaction's puts are cloned in one task: megabytes (a first open of the directory) go in
    // several, the marks with the last (rows without their marks are only kept again later).
    const groups = groupsOf(rows, TRANSACTION_BYTES)
    for (const [i, group] of groups.entries()) {
      const last = i === groups.length - 1
      await this.write(blind, (doc) => ({ marks: last ? [...new Set([...doc.marks, ...marks])] : doc.marks, keepRows: true }), group)
    }
  }

  replace(blind: string, rows: readonly Uint8Array[], marks: readonly string[], keepRows: boolean): Promise<void> {
    return this.write(blind, () => ({ marks: [...new Set(marks)], keepRows }), rows)
  }

  async erase(blind: string): Promise<void> {
    const db = await this.open()
    const transaction = db.transaction([DOCS, ROWS], 'readwrite')
    transaction.objectStore(DOCS).delete(blind)
    transaction.objectStore(ROWS).delete(this.rangeOf(blind))
    await committed(transaction)
  }

  /** Bytes of rows held, over every doc (the cost shown in benchmarks). */
  async bytes(): Promise<number> {
    const db = await this.open()
    const docs: unknown[] = await requested(db.transaction(DOCS).objectStore(DOCS).getAll())
    return docs.reduce<number>((n, doc) => n + (isStoredDoc(doc) ? doc.bytes : 0), 0)
  }

  close(): void {
    void this.db?.then((db) => db.close()).catch(() => undefined)
    this.db = null
  }

  /** Reads the doc's summary, changes it and writes rows, in one transaction. */
  private async write(
    blind: string,
    change: (doc: StoredDoc) => { marks: string[]; keepRows: boolean },
    rows: readonly Uint8Array[],
  ): Promise<void> {
    const db = await this.open()
    const transaction = db.transaction([DOCS, ROWS], 'readwrite')
    const docs = transaction.objectStore(DOCS)
    const rowStore = transaction.objectStore(ROWS)
    const request = docs.get(blind)
    request.addEventListener('success', () => {
      const stored: unknown = request.result
      const before: StoredDoc = isStoredDoc(stored) ? stored : { marks: [], rows: 0, bytes: 0, next: 0 }
      const { marks, keepRows } = change(before)
      if (!keepRows) rowStore.delete(this.rangeOf(blind))
      let next = before.next
      for (const row of rows) rowStore.put(row, [blind, next++])
      const added = rows.reduce((n, r) => n + r.byteLength, 0)
      const after: StoredDoc = {
        marks,
        rows: (keepRows ? before.rows : 0) + rows.length,
        bytes: (keepRows ? before.bytes : 0) + added,
        next,
      }
      docs.put(after, blind)
    })
    await committed(transaction)
  }

  private rangeOf(blind: string): IDBKeyRange {
    return IDBKeyRange.bound([blind, 0], [blind, Number.MAX_SAFE_INTEGER])
  }

  private async loadOrMakeKey(): Promise<CryptoKey> {
    const db = await this.open()
    const stored: unknown = await requested(db.transaction(KEYS).objectStore(KEYS).get(DEVICE_KEY))
    if (stored !== undefined) {
      if (!isCryptoKey(stored)) throw new HeldStateError('The device-held state key has an unexpected shape')
      return stored
    }
    const made = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    // Another tab may have made one meanwhile: the first written wins, in one transaction.
    const transaction = db.transaction(KEYS, 'readwrite')
    const store = transaction.objectStore(KEYS)
    let key: CryptoKey = made
    const request = store.get(DEVICE_KEY)
    request.addEventListener('success', () => {
      if (isCryptoKey(request.result)) key = request.result
      else store.put(made, DEVICE_KEY)
    })
    await committed(transaction)
    return key
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= (() => {
      const request = indexedDB.open(heldStateDatabase(this.idbName), VERSION)
      request.addEventListener('upgradeneeded', () => {
        const db = request.result
        db.createObjectStore(KEYS)
        db.createObjectStore(DOCS)
        db.createObjectStore(ROWS)
      })
      return requested(request).catch((error: unknown) => {
        this.db = null
        throw error
      })
    })()
    return this.db
  }
}

/** Deletes a practice's device-held state, key and rows (the device leaves the practice). */
export async function forgetHeldState(idbName: string): Promise<void> {
  await requested(indexedDB.deleteDatabase(heldStateDatabase(idbName)) as IDBRequest<unknown>)
}
