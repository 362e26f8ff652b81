/**
 * How this device unlocks, kept on this device alone (never synced, never sent): IndexedDB
 * database `<prefix>tournee-lock`, version 1,
 *
 *   locks   key spaceId → LockRecord   the method (a PIN's salted hash, or a passkey's id and
 *                                      public key), and the failed attempts since the last unlock
 *
 * A device without a lock has no such database: reading never creates it (a device that never
 * chose a lock leaves no trace of the question), only choosing one does. The database goes with
 * the practice when the device forgets it (forget.ts).
 */
import { committed, requested } from '../../adapters/idb-promises'
import type { AttemptState } from './attempts'
import type { PinHash } from './pin'

export interface PinMethod extends PinHash {
  readonly kind: 'pin'
}

export interface PasskeyMethod {
  readonly kind: 'passkey'
  /** The credential's raw id, asked for by name at each unlock. */
  readonly credentialId: Uint8Array
  /** Its public key (SubjectPublicKeyInfo), to check each assertion's signature; null if the browser did not give it. */
  readonly publicKey: Uint8Array | null
  /** COSE algorithm of the key: -7 (ES256) or -257 (RS256). */
  readonly algorithm: number
  /** The relying party the credential is bound to (this app's host name). */
  readonly rpId: string
  /** Whether the platform gave the PRF extension (a secret per credential), at creation or since. */
  readonly prf: boolean
}

export type LockMethod = PinMethod | PasskeyMethod

export interface LockRecord extends AttemptState {
  readonly spaceId: string
  readonly method: LockMethod
  /** When the method was chosen (epoch ms). */
  readonly setAt: number
}

export class LockStoreError extends Error {
  override name = 'LockStoreError'
}

const fail = (message: string) => new LockStoreError(message)

const LOCKS = 'locks'
const VERSION = 1

export function lockDatabaseName(prefix: string): string {
  return `${prefix}tournee-lock`
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array
}

function isMethod(value: unknown): value is LockMethod {
  if (typeof value !== 'object' || value === null) return false
  const method = value as Record<string, unknown>
  if (method.kind === 'pin') return isBytes(method.salt) && isBytes(method.hash) && Number.isSafeInteger(method.iterations) && (method.iterations as number) > 0
  if (method.kind === 'passkey') {
    return (
      isBytes(method.credentialId) &&
      (method.publicKey === null || isBytes(method.publicKey)) &&
      typeof method.algorithm === 'number' &&
      typeof method.rpId === 'string' &&
      typeof method.prf === 'boolean'
    )
  }
  return false
}

function isLockRecord(value: unknown): value is LockRecord {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return (
    typeof record.spaceId === 'string' &&
    isMethod(record.method) &&
    Number.isSafeInteger(record.failures) &&
    (record.lastAttemptAt === null || typeof record.lastAttemptAt === 'number') &&
    typeof record.setAt === 'number'
  )
}

/** One device's lock records, in the IndexedDB namespace `prefix` ('' in the browser). */
export class LockStore {
  constructor(private readonly prefix: string) {}

  /** The practice's lock, or null when none was chosen (the database is not created to say so). */
  async get(spaceId: string): Promise<LockRecord | null> {
    const db = await this.open(false)
    if (db === null) return null
    try {
      const stored: unknown = await requested(db.transaction(LOCKS).objectStore(LOCKS).get(spaceId), fail)
      if (stored === undefined) return null
      // A record this version cannot read must not open the practice unlocked: it says so.
      if (!isLockRecord(stored)) throw new LockStoreError('The lock record of this device has an unexpected shape')
      return stored
    } finally {
      db.close()
    }
  }

  async put(record: LockRecord): Promise<void> {
    const db = await this.open(true)
    try {
      const transaction = db!.transaction(LOCKS, 'readwrite')
      transaction.objectStore(LOCKS).put(record)
      await committed(transaction, fail)
    } finally {
      db?.close()
    }
  }

  /**
   * Applies `change` to the stored record in one transaction (two tabs counting attempts at once
   * count both). Resolves with the record written, or null when there was none (nothing written).
   */
  async update(spaceId: string, change: (record: LockRecord) => LockRecord): Promise<LockRecord | null> {
    const db = await this.open(false)
    if (db === null) return null
    try {
      const transaction = db.transaction(LOCKS, 'readwrite')
      const store = transaction.objectStore(LOCKS)
      let written: LockRecord | null = null
      let shapeError: LockStoreError | null = null
      const request = store.get(spaceId)
      request.addEventListener('success', () => {
        const stored: unknown = request.result
        if (stored === undefined) return
        if (!isLockRecord(stored)) {
          shapeError = new LockStoreError('The lock record of this device has an unexpected shape')
          transaction.abort()
          return
        }
        written = change(stored)
        store.put(written)
      })
      try {
        await committed(transaction, fail)
      } catch (error) {
        throw shapeError ?? error
      }
      return written
    } finally {
      db.close()
    }
  }

  async delete(spaceId: string): Promise<void> {
    const db = await this.open(false)
    if (db === null) return
    try {
      const transaction = db.transaction(LOCKS, 'readwrite')
      transaction.objectStore(LOCKS).delete(spaceId)
      await committed(transaction, fail)
    } finally {
      db.close()
    }
  }

  /** The database; with `create` false, null when it does not exist (and it is not created). */
  private open(create: boolean): Promise<IDBDatabase | null> {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(lockDatabaseName(this.prefix), VERSION)
      let aborted = false
      request.onupgradeneeded = (event) => {
        if (!create && event.oldVersion === 0) {
          // No database: none is made to answer "no lock".
          aborted = true
          request.transaction?.abort()
          return
        }
        const db = request.result
        if (!db.objectStoreNames.contains(LOCKS)) db.createObjectStore(LOCKS, { keyPath: 'spaceId' })
      }
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => {
        if (aborted) resolve(null)
        else reject(new LockStoreError(`Cannot open this device's lock: ${request.error?.message ?? 'unknown error'}`))
      }
      request.onblocked = () => undefined
    })
  }
}
