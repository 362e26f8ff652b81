/**
 * The device's copy of a space's attachments, as ciphertext, in its own IndexedDB database
 * (`<prefix>tournee-attachments-<spaceId>`, beside the envelope's):
 *
 *   blobs    key hash → Uint8Array   the encrypted file (added here, or fetched once)
 *   uploads  key hash → { hash, queuedAt }   added here and not yet stored by the relay
 *
 * A file added offline is written to both stores in one transaction, so the upload queue never
 * names a blob the device does not hold. What sits here is ciphertext: the key stays in memory.
 */

const BLOBS = 'blobs'
const UPLOADS = 'uploads'

export class AttachmentCacheError extends Error {
  override name = 'AttachmentCacheError'
}

export interface QueuedUpload {
  readonly hash: string
  readonly queuedAt: number
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(new AttachmentCacheError(`Attachment storage failed: ${req.error?.message ?? 'unknown error'}`))
  })
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(new AttachmentCacheError(`Attachment storage write failed: ${tx.error?.message ?? 'aborted'}`))
  })
}

export class AttachmentCache {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(name: string): Promise<AttachmentCache> {
    const req = indexedDB.open(name, 1)
    req.onupgradeneeded = () => {
      req.result.createObjectStore(BLOBS)
      req.result.createObjectStore(UPLOADS, { keyPath: 'hash' })
    }
    return new AttachmentCache(await request(req))
  }

  /** Keeps a blob added on this device and queues its upload, atomically. */
  async addPending(hash: string, blob: Uint8Array, queuedAt: number): Promise<void> {
    const tx = this.db.transaction([BLOBS, UPLOADS], 'readwrite')
    tx.objectStore(BLOBS).put(blob, hash)
    tx.objectStore(UPLOADS).put({ hash, queuedAt } satisfies QueuedUpload)
    await committed(tx)
  }

  /** Keeps a blob fetched from the relay, for reading offline later. */
  async putFetched(hash: string, blob: Uint8Array): Promise<void> {
    const tx = this.db.transaction(BLOBS, 'readwrite')
    tx.objectStore(BLOBS).put(blob, hash)
    await committed(tx)
  }

  async get(hash: string): Promise<Uint8Array | null> {
    const value: unknown = await request(this.db.transaction(BLOBS).objectStore(BLOBS).get(hash))
    if (value instanceof Uint8Array) return value
    if (value instanceof ArrayBuffer) return new Uint8Array(value)
    return null
  }

  async has(hash: string): Promise<boolean> {
    return (await request(this.db.transaction(BLOBS).objectStore(BLOBS).count(hash))) > 0
  }

  /** Oldest first. */
  async queued(): Promise<QueuedUpload[]> {
    const rows = (await request(this.db.transaction(UPLOADS).objectStore(UPLOADS).getAll())) as QueuedUpload[]
    return rows.sort((a, b) => a.queuedAt - b.queuedAt)
  }

  async markUploaded(hash: string): Promise<void> {
    const tx = this.db.transaction(UPLOADS, 'readwrite')
    tx.objectStore(UPLOADS).delete(hash)
    await committed(tx)
  }

  close(): void {
    this.db.close()
  }
}
