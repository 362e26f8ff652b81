/**
 * This device's registry: which practice (space) it is paired with, as whom, with which keys.
 *
 * IndexedDB database `<prefix>tournee-device`, version 4:
 *   practices  key spaceId → { spaceId, relayUrl, practiceName, deviceId, memberId, credential,
 *                              role, until (a locum's end of access, ms, or null),
 *                              keys: DeviceKeys (non-extractable CryptoKeys, the tiers its role
 *                              reads: no clinical key on a secretary's device), hasSynced?: boolean,
 *                              identity?: this device's own key pairs (non-extractable private keys) }
 *   pairing    key spaceId → { spaceId, rootSecret: Uint8Array, epochSecrets?: EpochSecrets[] }
 *                            administrator praticien only: the root secret, and each key epoch's tier
 *                            secrets, to seal them to a device paired later (key-epochs-sync.ts)
 *   epochs     key spaceId → { spaceId, keys: HeldEpoch[] }   the key epochs ≥ 1 this device was
 *                            sealed (shared/src/crypto/key-epochs.ts), as non-extractable AES keys:
 *                            entries', digests' and attachments' of each epoch
 *   chains     key spaceId → { spaceId, entries: SignedEntry[] }   the practice's device registry as
 *                            last read and verified here (shared/src/devices/registry-chain.ts): whose
 *                            signatures this device accepts on entries, offline too (practice-signers.ts)
 *
 * The two stores say what each holds. `practices` is what opening the practice needs: non-
 * extractable keys (device-keys.ts) that page script can use and never read. `pairing` holds the
 * practice's root secret, which reads everything: it is kept only so that this device can show the
 * pairing payload for the next device (a practitioner pairs her phone from her tablet), read only
 * then, sealed to that device's own key (pairing.ts) and never shown; and never next to the
 * working keys it would make pointless. Only an administrator praticien's device has it: the
 * others were given the tier secrets of their role alone, and keep only the keys derived from
 * them. After a revocation the entries move to a new key epoch, sealed to the remaining devices
 * (key-epochs-sync.ts): a revoked device's root secret and keys stop reading what is written after.
 *
 * `hasSynced` is set once the space first completed a sync with the relay. The registry and the
 * rooms are separate databases, and a browser may evict one and not the other: an empty main room
 * on a device that had synced means the local copy was erased, not that the practice is new.
 */
import { DeviceStorageError } from '../errors'
import { isDeviceIdentity, type DeviceIdentity } from '../../../../shared/src/devices/device-identity'
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'
import { isDeviceKeys, type DeviceKeys } from './device-keys'

export interface PracticeRecord {
  spaceId: string
  relayUrl: string
  practiceName: string
  deviceId: string
  memberId: string | null
  /** What this device was added as (registry-chain.ts); its keys are what enforce it. */
  role: DeviceRole
  /** A locum's end of access (ms), null otherwise. */
  until: number | null
}

export interface StoredPractice extends PracticeRecord {
  credential: string
  keys: DeviceKeys
  hasSynced?: boolean
  /**
   * This device's own key pairs (shared/src/devices/device-identity.ts), made on the device: what
   * other devices seal keys to, and what names it to them. Absent in a record written before
   * devices had keys: made at the first need (device.ts, deviceIdentityOf).
   */
  identity?: DeviceIdentity
}

interface StoredPairing {
  spaceId: string
  rootSecret: Uint8Array
  epochSecrets?: EpochSecrets[]
}

/** One key epoch's tier secrets, as an administrator keeps them to seal to devices paired later. */
export interface EpochSecrets {
  readonly epoch: number
  readonly practice: Uint8Array
  readonly clinical: Uint8Array | null
}

/**
 * One key epoch's AES keys on this device (non-extractable): the entries' of each tier, the
 * digests' (practice tier) and the attachments' (clinical tier); the clinical two null on a
 * secretary's. `digest` and `attachment` are absent from a record kept before digests and
 * attachments moved with the epochs: such an epoch is opened again from its seal
 * (key-epochs-sync.ts, refreshKeyEpochsOf), since the secrets to derive them are not kept.
 */
export interface HeldEpoch {
  readonly epoch: number
  readonly practice: CryptoKey
  readonly clinical: CryptoKey | null
  readonly digest?: CryptoKey
  readonly attachment?: CryptoKey | null
}

/** Whether a held epoch has every key this version uses (HeldEpoch). */
export function hasUseKeys(held: HeldEpoch): boolean {
  return held.digest !== undefined && held.attachment !== undefined
}

interface StoredEpochs {
  spaceId: string
  keys: HeldEpoch[]
}

const PRACTICES = 'practices'
const PAIRING = 'pairing'
const CHAINS = 'chains'
const EPOCHS = 'epochs'
const VERSION = 4

interface StoredChain {
  spaceId: string
  entries: unknown[]
}

/** The device's registry database does not exist (the browser erased the site's data). */
class DeviceRegistryMissingError extends Error {
  override name = 'DeviceRegistryMissingError'
}

/** One device's registry, in the IndexedDB namespace `prefix` ('' in the browser). */
export class DeviceRegistry {
  constructor(private readonly prefix: string) {}

  async all(): Promise<StoredPractice[]> {
    const records = await this.run<unknown[]>(PRACTICES, 'readonly', (store) => store.getAll())
    return records.map((record) => this.checked(record))
  }

  async get(spaceId: string): Promise<StoredPractice | undefined> {
    const record = await this.run<unknown>(PRACTICES, 'readonly', (store) => store.get(spaceId))
    return record === undefined ? undefined : this.checked(record)
  }

  async put(record: StoredPractice): Promise<void> {
    await this.run(PRACTICES, 'readwrite', (store) => store.put(record))
  }

  async rootSecret(spaceId: string): Promise<Uint8Array | null> {
    const record = await this.run<StoredPairing | undefined>(PAIRING, 'readonly', (store) => store.get(spaceId))
    return record?.rootSecret ?? null
  }

  async putRootSecret(spaceId: string, rootSecret: Uint8Array): Promise<void> {
    await this.run(PAIRING, 'readwrite', (store) => store.put({ spaceId, rootSecret } satisfies StoredPairing))
  }

  /** A device joined again under a role that may not pair others keeps no root secret from before. */
  async deleteRootSecret(spaceId: string): Promise<void> {
    await this.run(PAIRING, 'readwrite', (store) => store.delete(spaceId))
  }

  /** The key epochs' secrets this administrator device keeps; empty on any other device. */
  async epochSecrets(spaceId: string): Promise<EpochSecrets[]> {
    const record = await this.run<StoredPairing | undefined>(PAIRING, 'readonly', (store) => store.get(spaceId))
    return record?.epochSecrets ?? []
  }

  /** Adds an epoch's secrets beside the root secret; nothing on a device that holds no root secret. */
  async addEpochSecrets(spaceId: string, secrets: EpochSecrets): Promise<void> {
    const record = await this.run<StoredPairing | undefined>(PAIRING, 'readonly', (store) => store.get(spaceId))
    if (record === undefined) return
    const kept = (record.epochSecrets ?? []).filter((e) => e.epoch !== secrets.epoch)
    await this.run(PAIRING, 'readwrite', (store) => store.put({ ...record, epochSecrets: [...kept, secrets] } satisfies StoredPairing))
  }

  /** The key epochs this device holds, ascending. */
  async heldEpochs(spaceId: string): Promise<HeldEpoch[]> {
    // Read and kept in the background too (on reconnection): never creating an erased database (chain() says why).
    const record = await this.run<StoredEpochs | undefined>(EPOCHS, 'readonly', (store) => store.get(spaceId), { create: false }).catch((error: unknown) => {
      if (error instanceof DeviceRegistryMissingError) return undefined
      throw error
    })
    return [...(record?.keys ?? [])].sort((a, b) => a.epoch - b.epoch)
  }

  /**
   * Keeps more key epochs (an epoch already held keeps its first keys, unless they lack the
   * digests' and attachments' keys: hasUseKeys).
   */
  async addHeldEpochs(spaceId: string, added: readonly HeldEpoch[]): Promise<void> {
    const held = await this.heldEpochs(spaceId)
    const fresh = added.filter((e) => !held.some((h) => h.epoch === e.epoch && hasUseKeys(h)))
    if (fresh.length === 0) return
    const kept = held.filter((h) => !fresh.some((e) => e.epoch === h.epoch))
    await this.run(EPOCHS, 'readwrite', (store) => store.put({ spaceId, keys: [...kept, ...fresh] } satisfies StoredEpochs), { create: false }).catch((error: unknown) => {
      if (!(error instanceof DeviceRegistryMissingError)) throw error
    })
  }

  /**
   * The device registry's entries as last verified here; empty when none was kept. Neither this nor
   * putChain creates the database: they run in the background while the app is open, and a browser
   * that erased the site's data must find it erased (the first-run screen says so).
   */
  async chain(spaceId: string): Promise<unknown[]> {
    const record = await this.run<StoredChain | undefined>(CHAINS, 'readonly', (store) => store.get(spaceId), { create: false }).catch((error: unknown) => {
      if (error instanceof DeviceRegistryMissingError) return undefined
      throw error
    })
    return Array.isArray(record?.entries) ? record.entries : []
  }

  /**
   * Keeps the registry's entries, verified by the caller; nothing when this device's storage was
   * erased — unless `create` (the practice being created or joined on this device right now).
   */
  async putChain(spaceId: string, entries: readonly unknown[], options: { create: boolean } = { create: false }): Promise<void> {
    await this.run(CHAINS, 'readwrite', (store) => store.put({ spaceId, entries: [...entries] } satisfies StoredChain), options).catch((error: unknown) => {
      if (!(error instanceof DeviceRegistryMissingError)) throw error
    })
  }

  /** A record written by a pre-release version (no working keys) cannot open the practice. */
  private checked(record: unknown): StoredPractice {
    const stored = record as StoredPractice
    // Written before roles: every device then was a praticien (and held every key).
    if (stored.role === undefined) stored.role = DeviceRole.Practitioner
    if (stored.until === undefined) stored.until = null
    if (stored.identity !== undefined && !isDeviceIdentity(stored.identity)) delete stored.identity
    if (!isDeviceKeys(stored.keys)) {
      throw new DeviceStorageError('This device was paired by a pre-release version of Tournée: join the practice again with its pairing code')
    }
    return stored
  }

  private open(options: { create: boolean } = { create: true }): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(`${this.prefix}tournee-device`, VERSION)
      let missing = false
      request.onupgradeneeded = (event) => {
        if (!options.create && event.oldVersion === 0) {
          // Opening creates a database that does not exist: aborting the upgrade creates nothing.
          missing = true
          request.transaction?.abort()
          return
        }
        const db = request.result
        if (!db.objectStoreNames.contains(PRACTICES)) db.createObjectStore(PRACTICES, { keyPath: 'spaceId' })
        if (!db.objectStoreNames.contains(PAIRING)) db.createObjectStore(PAIRING, { keyPath: 'spaceId' })
        if (!db.objectStoreNames.contains(CHAINS)) db.createObjectStore(CHAINS, { keyPath: 'spaceId' })
        if (!db.objectStoreNames.contains(EPOCHS)) db.createObjectStore(EPOCHS, { keyPath: 'spaceId' })
      }
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(missing ? new DeviceRegistryMissingError() : new DeviceStorageError(`Cannot open this device's storage: ${request.error?.message}`))
    })
  }

  private async run<T>(storeName: string, mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest, options?: { create: boolean }): Promise<T> {
    const db = await this.open(options)
    try {
      return await new Promise<T>((resolve, reject) => {
        const tx = db.transaction(storeName, mode)
        const request = run(tx.objectStore(storeName))
        let result: T
        request.onsuccess = () => {
          result = request.result as T
        }
        tx.oncomplete = () => resolve(result)
        tx.onabort = () => reject(new DeviceStorageError(`Device storage write failed: ${tx.error?.message ?? 'aborted'}`))
      })
    } finally {
      db.close()
    }
  }
}
