/**
 * The device forgets its practice (too many wrong PINs, or a lost passkey): every IndexedDB
 * database of it on this device is deleted, keys first.
 *
 *   <prefix>tournee-device                  the registry: the practice's keys, its relay
 *                                           credential, the pairing secret (device/registry.ts)
 *   <prefix>tournee-lock                    how it unlocked (lock-store.ts)
 *   <prefix>tournee-space-<spaceId>-*       each room's envelope, what the device decrypted
 *                                           (-held, with its own key), the first screen's
 *                                           record, the unacknowledged rooms
 *   <prefix>tournee-attachments-<spaceId>   the attachments kept for offline reading
 *
 * The rooms' databases are named by blinded ids, found with `indexedDB.databases()` (every
 * browser Tournée supports has it); where it is missing, the names this module can compute are
 * deleted, and the rooms left hold ciphertext whose keys are gone with the registry.
 *
 * A deletion waits for every connection to its database to close: the practice is closed before
 * (the app locks first), but another tab of the app may keep one open. Each deletion stays queued
 * by the browser until then; this resolves after at most `waitMs` and says which are pending.
 * Changes that had not reached the relay are lost with the rooms: the device is paired again and
 * receives the practice from the relay.
 */
import { heldStateDatabase } from '../held-state'
import { lockDatabaseName } from './lock-store'

export interface ForgetResult {
  /** Databases deleted. */
  readonly deleted: string[]
  /** Deletions still waiting for another tab to close its connection (they complete then). */
  readonly pending: string[]
}

/** Deletes one database; a deletion blocked by another tab's connection completes once it closes. */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error ?? new Error(`Could not delete ${name}`))
    // Blocked: another connection is open; the deletion completes once it closes.
    request.onblocked = () => undefined
  })
}

/** Every database name that belongs to the practice `spaceId` on the device `prefix`. */
export async function practiceDatabases(spaceId: string, prefix: string): Promise<string[]> {
  const space = `${prefix}tournee-space-${spaceId}`
  const known = [heldStateDatabase(space), `${space}-first-screen`, `${space}-unacknowledged`, `${prefix}tournee-attachments-${spaceId}`]
  let listed: string[] = []
  if (typeof indexedDB.databases === 'function') {
    listed = (await indexedDB.databases())
      .map((db) => db.name ?? '')
      .filter((name) => name.startsWith(`${space}-`) || name === `${prefix}tournee-attachments-${spaceId}`)
  }
  return [...new Set([...known, ...listed])]
}

export async function forgetPractice(spaceId: string, env: { readonly idbPrefix: string }, options: { readonly waitMs?: number } = {}): Promise<ForgetResult> {
  const prefix = env.idbPrefix
  const names = await practiceDatabases(spaceId, prefix)
  const deleted: string[] = []
  const pending = new Set<string>()
  const track = (name: string) => {
    pending.add(name)
    return deleteDatabase(name).then(
      () => {
        pending.delete(name)
        deleted.push(name)
      },
      (error: unknown) => {
        pending.delete(name)
        console.warn('A database of the forgotten practice could not be deleted', name, error instanceof Error ? error.name : 'error')
      },
    )
  }
  const waitMs = options.waitMs ?? 5_000
  const timeout = <T>(work: Promise<T>) => Promise.race([work, new Promise<void>((resolve) => setTimeout(resolve, waitMs))])
  // The keys first, and alone: whatever happens next, the practice cannot be opened again here.
  await timeout(Promise.all([track(`${prefix}tournee-device`), track(lockDatabaseName(prefix))]))
  await timeout(Promise.all(names.map(track)))
  return { deleted, pending: [...pending] }
}
