/**
 * Everything a device keeps in IndexedDB, read raw as someone copying its browser profile would:
 * every database of its namespace, every store, every value — the CryptoKeys and byte strings in
 * them, and the databases' names.
 */

export interface DeviceCopy {
  readonly names: string[]
  readonly keys: CryptoKey[]
  readonly bytes: Uint8Array[]
}

function openDatabase(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

function allOf(db: IDBDatabase, store: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const request = db.transaction(store).objectStore(store).getAll()
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

/** Every database name of the device `prefix`, and every key and byte string they hold. */
export async function copyOfDevice(prefix: string): Promise<DeviceCopy> {
  const names = (await indexedDB.databases()).map((db) => db.name ?? '').filter((name) => name.startsWith(prefix))
  const keys: CryptoKey[] = []
  const bytes: Uint8Array[] = []
  const walk = (value: unknown): void => {
    if (value instanceof CryptoKey) keys.push(value)
    else if (value instanceof Uint8Array) bytes.push(value)
    else if (value instanceof ArrayBuffer) bytes.push(new Uint8Array(value))
    else if (Array.isArray(value)) value.forEach(walk)
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk)
  }
  for (const name of names) {
    const db = await openDatabase(name)
    try {
      for (const store of [...db.objectStoreNames]) walk(await allOf(db, store))
    } finally {
      db.close()
    }
  }
  return { names, keys, bytes }
}

/** Whether `haystack` holds `needle`'s bytes anywhere. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}
