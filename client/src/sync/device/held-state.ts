/**
 * The device-held state's storage (shared/src/envelope/held-docs.ts says what it is for): what this
 * device decrypted of each inner doc, sealed under a key made here, in the practice's own IndexedDB
 * database `<idbName>-held`:
 *
 *   key    'device' → CryptoKey          AES-GCM-256, generated here, non-extractable: page script
 *                                         can use it, never read it out, and it never leaves the
 *                                         device (deleting the database destroys it, and with it
 *                                         every row). Absent on a device whose passkey wraps its
 *                                         secrets (lock/at-rest.ts): the key is then a secret of
 *                                         the wrapped payload, given to HeldStore in memory at each
 *                                         unlock, and nothing at rest opens the rows.
 *   docs   <blinded doc id> → { marks: string[], rows: number, bytes: number, next: number }
 *                                         the summary read when a doc opens: a few hundred bytes
 *   rows   [<blinded doc id>, n] → Uint8Array   iv ‖ AES-GCM(update), appended; n from `next`
 *
 * Doc ids are blinded as in the envelope's rows (the database says which docs exist no more than
 * the rooms' databases do). One transaction per write: rows and summary change together.
 */
import { TRANSACTION_BYTES, type HeldDocs, type HeldSummary } from '../../../../shared/src/envelope/held-docs'
import { committed, requested } from '../adapters/idb-promises'

const VERSION = 1
const KEYS = 'key'
const DOCS = 'docs'
const ROWS = 'rows'
const DEVICE_KEY = 'device'

/** A held-state database that did not open or whose records are not what this version wrote. */
export class HeldStateError extends Error {
  override name = 'HeldStateError'
}

const fail = (message: string) => new HeldStateError(message)

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

function createStores(db: IDBDatabase): void {
  for (const name of [KEYS, DOCS, ROWS]) db.createObjectStore(name)
}

/** The database's name for a practice whose rooms' databases are `<idbName>-<roomId>`. */
export function heldStateDatabase(idbName: string): string {
  return `${idbName}-held`
}

export class HeldStore implements HeldDocs {
  private db: Promise<IDBDatabase> | null = null
  private deviceKey: Promise<CryptoKey> | null
  /** The key is the one kept at rest (not given): each write checks it is still there. */
  private readonly keyAtRest: boolean

  /** `key`: the held state's key opened from the passkey's wrap; none is then read or made at rest. */
  constructor(
    private readonly idbName: string,
    key?: CryptoKey,
  ) {
    this.deviceKey = key === undefined ? null : Promise.resolve(key)
    this.keyAtRest = key === undefined
  }

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

  /** One transaction: the caller keeps it to about a megabyte (its puts are cloned in one task). */
  async append(blind: string, rows: readonly Uint8Array[], marks: readonly string[]): Promise<void> {
    await this.write(blind, rows, (doc) => ({ marks: [...new Set([...doc.marks, ...marks])], drop: null }))
  }

  /**
   * The new rows are written first, in transactions of about a megabyte that leave the marks as
   * they are; the last one then drops the rows before them (unless `keepRows`) and sets the marks.
   * A tab closed on the way leaves the old rows and marks, and some new rows: never marks that
   * name what no row holds.
   */
  async replace(blind: string, rows: readonly Uint8Array[], marks: readonly string[], keepRows: boolean): Promise<void> {
    const groups = groupsOf(rows, TRANSACTION_BYTES)
    const bytes = rows.reduce((n, r) => n + r.byteLength, 0)
    let first: number | null = null
    for (const [i, group] of groups.entries()) {
      const last = i === groups.length - 1
      const at = await this.write(blind, group, (doc) => ({
        marks: last ? [...new Set(marks)] : doc.marks,
        drop: last && !keepRows ? { before: first ?? doc.next, rows: rows.length, bytes } : null,
      }))
      first ??= at
    }
  }

  async erase(blind: string): Promise<void> {
    const db = await this.open()
    const transaction = db.transaction([DOCS, ROWS], 'readwrite')
    transaction.objectStore(DOCS).delete(blind)
    transaction.objectStore(ROWS).delete(this.rangeOf(blind))
    await committed(transaction, fail)
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

  /**
   * Reads the doc's summary, writes `rows` after its last one, and sets its marks; with `drop`,
   * deletes the rows numbered below `drop.before` (a fold's new rows start there), which leaves
   * `drop.rows` rows of `drop.bytes`. One transaction; resolves with the first row's number.
   */
  private async write(
    blind: string,
    rows: readonly Uint8Array[],
    change: (doc: StoredDoc) => { marks: string[]; drop: { before: number; rows: number; bytes: number } | null },
  ): Promise<number> {
    const db = await this.open()
    const transaction = db.transaction([KEYS, DOCS, ROWS], 'readwrite')
    const docs = transaction.objectStore(DOCS)
    const rowStore = transaction.objectStore(ROWS)
    let first = 0
    if (this.keyAtRest && this.deviceKey !== null) {
      // Rows sealed under a key another tab dropped (the passkey wraps the held state now:
      // dropHeldKeyAtRest) would open under nothing: such a write is refused, nothing stored.
      const key = transaction.objectStore(KEYS).get(DEVICE_KEY)
      key.addEventListener('success', () => {
        if (key.result === undefined) transaction.abort()
      })
    }
    const request = docs.get(blind)
    request.addEventListener('success', () => {
      const stored: unknown = request.result
      const before: StoredDoc = isStoredDoc(stored) ? stored : { marks: [], rows: 0, bytes: 0, next: 0 }
      const { marks, drop } = change(before)
      first = before.next
      let next = before.next
      for (const row of rows) rowStore.put(row, [blind, next++])
      if (drop === null) {
        const added = rows.reduce((n, r) => n + r.byteLength, 0)
        docs.put({ marks, rows: before.rows + rows.length, bytes: before.bytes + added, next } satisfies StoredDoc, blind)
        return
      }
      if (drop.before > 0) rowStore.delete(IDBKeyRange.bound([blind, 0], [blind, drop.before], false, true))
      docs.put({ marks, rows: drop.rows, bytes: drop.bytes, next } satisfies StoredDoc, blind)
    })
    await committed(transaction, fail)
    return first
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
    await committed(transaction, fail)
    return key
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= (() => {
      const request = indexedDB.open(heldStateDatabase(this.idbName), VERSION)
      request.addEventListener('upgradeneeded', () => createStores(request.result))
      return requested(request, fail).catch((error: unknown) => {
        this.db = null
        throw error
      })
    })()
    return this.db
  }
}

/** Opens the held state's database only if it exists (null otherwise: nothing is created). */
function openExisting(idbName: string): Promise<IDBDatabase | null> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(heldStateDatabase(idbName), VERSION)
    let missing = false
    request.addEventListener('upgradeneeded', (event) => {
      if (event.oldVersion === 0) {
        // Aborting the upgrade of a database that did not exist creates nothing.
        missing = true
        request.transaction?.abort()
      }
    })
    request.addEventListener('success', () => resolve(request.result))
    request.addEventListener('error', (event) => {
      event.preventDefault()
      if (missing) resolve(null)
      else reject(request.error ?? fail('The held state did not open'))
    })
  })
}

/**
 * The passkey now wraps the held state's key (lock/at-rest.ts): the key kept at rest goes, and the
 * rows sealed under it with it, in one transaction — they cannot be sealed again here, their
 * additional data names doc ids the database does not hold. The docs hold them again from their
 * envelopes as they open. True when there was a key to drop. Run with the practice closed.
 */
export async function dropHeldKeyAtRest(idbName: string): Promise<boolean> {
  const db = await openExisting(idbName)
  if (db === null) return false
  try {
    const transaction = db.transaction([KEYS, DOCS, ROWS], 'readwrite')
    let dropped = false
    const request = transaction.objectStore(KEYS).get(DEVICE_KEY)
    request.addEventListener('success', () => {
      if (request.result === undefined) return
      dropped = true
      for (const name of [KEYS, DOCS, ROWS]) transaction.objectStore(name).clear()
    })
    await committed(transaction, fail)
    return dropped
  } finally {
    db.close()
  }
}

/**
 * The reverse (the passkey no longer wraps): the held state's key, opened in memory, kept at rest
 * again so that the rows sealed under it stay readable. Nothing when a key is there already.
 */
export async function putHeldKeyAtRest(idbName: string, key: CryptoKey): Promise<void> {
  const db = await requested(
    (() => {
      const request = indexedDB.open(heldStateDatabase(idbName), VERSION)
      request.addEventListener('upgradeneeded', () => createStores(request.result))
      return request
    })(),
    fail,
  )
  try {
    const transaction = db.transaction(KEYS, 'readwrite')
    const store = transaction.objectStore(KEYS)
    const request = store.get(DEVICE_KEY)
    request.addEventListener('success', () => {
      if (request.result === undefined) store.put(key, DEVICE_KEY)
    })
    await committed(transaction, fail)
  } finally {
    db.close()
  }
}

/** Deletes a practice's device-held state, key and rows (the device leaves the practice). */
export async function forgetHeldState(idbName: string): Promise<void> {
  await requested(indexedDB.deleteDatabase(heldStateDatabase(idbName)) as IDBRequest<unknown>)
}
