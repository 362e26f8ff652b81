/**
 * Whether the browser keeps this device's data, and how much room it has: the StorageManager
 * (`navigator.storage`) behind a small interface, so that tests pass their own.
 *
 * Browsers evict a site's storage under pressure unless it is persistent, and Safari on iPad
 * erases it after 7 days without a visit unless the app is installed on the home screen. Asking
 * for persistence is worth it once the person has committed to this device (a practice created or
 * joined); the answer and the room left are shown in Réglages.
 */

/** The part of the StorageManager the app uses; every method may be missing (old browsers, Node). */
export interface StorageManagerLike {
  persist?: () => Promise<boolean>
  persisted?: () => Promise<boolean>
  estimate?: () => Promise<{ usage?: number; quota?: number }>
}

export interface StorageStatus {
  /** true: granted; false: refused (or not yet asked); null: this browser cannot tell. */
  readonly persisted: boolean | null
  /** Bytes used by this site, and the most it may use; null when the browser does not say. */
  readonly usage: number | null
  readonly quota: number | null
}

/** The browser's StorageManager, or null where there is none (Node, very old browsers). */
export function browserStorageManager(): StorageManagerLike | null {
  if (typeof navigator === 'undefined' || typeof document === 'undefined') return null
  return (navigator as { storage?: StorageManagerLike }).storage ?? null
}

/**
 * Asks the browser to keep this site's data. Resolves with the answer (null: cannot ask here).
 * Never throws: a browser that refuses, or lacks the API, leaves the app working as before.
 */
export async function requestPersistence(manager: StorageManagerLike | null): Promise<boolean | null> {
  if (!manager?.persist) return null
  try {
    return await manager.persist()
  } catch (error) {
    console.warn('navigator.storage.persist() failed', error)
    return null
  }
}

export async function readStorageStatus(manager: StorageManagerLike | null): Promise<StorageStatus> {
  const [persisted, estimate] = await Promise.all([
    manager?.persisted ? manager.persisted().catch(() => null) : Promise.resolve(null),
    manager?.estimate ? manager.estimate().catch(() => null) : Promise.resolve(null),
  ])
  return {
    persisted,
    usage: typeof estimate?.usage === 'number' ? estimate.usage : null,
    quota: typeof estimate?.quota === 'number' ? estimate.quota : null,
  }
}
