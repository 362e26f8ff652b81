/**
 * This device's registry: which practice (space) it is paired with, as whom, with which keys.
 *
 * IndexedDB database `<prefix>tournee-device`, version 5:
 *   practices  key spaceId → { spaceId, relayUrl, practiceName, deviceId, memberId, credential,
 *                              role, until (a locum's end of access, ms, or null),
 *                              keys: DeviceKeys (non-extractable CryptoKeys, the tiers its role
 *                              reads: no clinical key on a secretary's device) — or, once the
 *                              passkey wraps them, no `keys` and `wrapped: true`,
 *                              hasSynced?: boolean,
 *                              roleNotice: { role, at, by } | null   the registry narrowed this
 *                              device's role, the notice not read yet (role-downgrade.ts),
 *                              narrowing?: { databases: string[] }   a narrowing's databases still
 *                              to delete (set with the keys' narrowing, cleared once they are gone),
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
 *   wrapped    key spaceId → { spaceId, salt, sealed, credentialId }   the tier secrets, root secret,
 *                            epoch secrets, held epochs' secrets, the held state's key and the relay
 *                            credential (and the device's own key pairs where they were made
 *                            wrappable) sealed under the passkey's PRF secret (lock/prf-wrap.ts);
 *                            while it exists, `practices` holds no keys and no credential, `pairing`
 *                            nothing, and `epochs` only the epochs kept before the wrap that no seal
 *                            has opened again since (lock/at-rest.ts): they are opened at each unlock
 *                            into `unlocked` (lock/unlocked-keys.ts), in memory
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
import { DeviceLockedError, type UnlockedKeys } from './lock/unlocked-keys'

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
  /**
   * The registry narrowed this device's role (role-downgrade.ts) and the person has not read the
   * notice yet: the new role, when and by which device the registry says it changed; null once read.
   */
  roleNotice: RoleNotice | null
}

/** What the one-time notice of a narrowed role says (role-downgrade.ts). */
export interface RoleNotice {
  readonly role: DeviceRole
  /** When the « change » entry was signed (the administrator's clock), null if the registry has none. */
  readonly at: number | null
  /** The administrator's device that signed it, null if the registry has none. */
  readonly by: string | null
}

/** A narrowing applied to the keys, whose clinical databases are still to delete (role-downgrade.ts). */
export interface PendingNarrowing {
  /** The databases to delete, named while the keys that blind their ids were there. */
  readonly databases: readonly string[]
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
  /**
   * The held state's key, opened from the passkey's wrap (lock/at-rest.ts): in memory only, on a
   * record read while unlocked; never written (put drops it).
   */
  heldKey?: CryptoKey
  /** Set between a narrowing's two steps (role-downgrade.ts): resumed at the next start. */
  narrowing?: PendingNarrowing
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

/** A held epoch as a device without the clinical tier keeps it (role-downgrade.ts). */
export function withoutClinicalKeys(held: HeldEpoch): HeldEpoch {
  return { ...held, clinical: null, ...(held.attachment === undefined ? {} : { attachment: null }) }
}

interface StoredEpochs {
  spaceId: string
  keys: HeldEpoch[]
}

const PRACTICES = 'practices'
const PAIRING = 'pairing'
const CHAINS = 'chains'
const EPOCHS = 'epochs'
const WRAPPED = 'wrapped'
const VERSION = 5

/** This device's secrets sealed under its passkey's PRF secret (lock/prf-wrap.ts says the format). */
export interface WrappedRecord {
  readonly spaceId: string
  /** HKDF salt of the wrapping key, random per device and per wrap. */
  readonly salt: Uint8Array
  /** iv ‖ AES-GCM(secrets). */
  readonly sealed: Uint8Array
  /** The passkey whose PRF secret wraps them. */
  readonly credentialId: Uint8Array
}

function isWrappedRecord(value: unknown): value is WrappedRecord {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return typeof record.spaceId === 'string' && record.salt instanceof Uint8Array && record.sealed instanceof Uint8Array && record.credentialId instanceof Uint8Array
}

/** What `practices` holds once the keys are wrapped: the record without them, and without the credential. */
type StoredPracticeAtRest = Omit<StoredPractice, 'keys' | 'credential'> & { keys?: DeviceKeys; credential?: string; wrapped?: true }

/** The record as kept at rest under a wrap: no keys, no credential (wrapped with the secrets). */
function atRestOf(record: StoredPracticeAtRest, dropCredential: boolean, dropIdentity: boolean): StoredPracticeAtRest {
  const { keys: _keys, heldKey: _heldKey, credential, identity, wrapped: _wrapped, ...rest } = record
  return { ...rest, ...(dropCredential || credential === undefined ? {} : { credential }), ...(dropIdentity || identity === undefined ? {} : { identity }), wrapped: true }
}

/** The epochs kept at rest, less `dropped` (their secrets are wrapped now). */
function withoutEpochs(record: StoredEpochs | undefined, dropped: readonly number[]): StoredEpochs | null {
  if (record === undefined || dropped.length === 0) return null
  return { ...record, keys: record.keys.filter((k) => !dropped.includes(k.epoch)) }
}

interface StoredChain {
  spaceId: string
  entries: unknown[]
}

/** The device's registry database does not exist (the browser erased the site's data). */
class DeviceRegistryMissingError extends Error {
  override name = 'DeviceRegistryMissingError'
}

/** The registry of a device environment: its IndexedDB namespace and what it holds unlocked. */
export function registryOf(env: { readonly idbPrefix: string; readonly unlocked?: UnlockedKeys }): DeviceRegistry {
  return new DeviceRegistry(env.idbPrefix, env.unlocked)
}

/**
 * One device's registry, in the IndexedDB namespace `prefix` ('' in the browser); `unlocked`
 * gives the keys of a practice whose secrets are wrapped at rest while it is unlocked.
 */
export class DeviceRegistry {
  constructor(
    private readonly prefix: string,
    private readonly unlocked?: UnlockedKeys,
  ) {}

  /** The practices' records without their keys: what a locked device may read (lock/device-lock.ts). */
  async records(): Promise<PracticeRecord[]> {
    const records = await this.run<unknown[]>(PRACTICES, 'readonly', (store) => store.getAll())
    return records.map((record) => {
      const { spaceId, relayUrl, practiceName, deviceId, memberId, role, until, roleNotice } = record as StoredPractice
      return { spaceId, relayUrl, practiceName, deviceId, memberId, role: role ?? DeviceRole.Practitioner, until: until ?? null, roleNotice: roleNotice ?? null }
    })
  }

  async all(): Promise<StoredPractice[]> {
    const records = await this.run<unknown[]>(PRACTICES, 'readonly', (store) => store.getAll())
    return records.map((record) => this.checked(record))
  }

  async get(spaceId: string): Promise<StoredPractice | undefined> {
    const record = await this.run<unknown>(PRACTICES, 'readonly', (store) => store.get(spaceId))
    return record === undefined ? undefined : this.checked(record)
  }

  /**
   * Keeps the record. Its keys are written only while the practice's secrets are not wrapped: a
   * record read while unlocked carries the keys opened in memory, and writing it back (a first
   * sync, a member chosen) must not put them at rest again. Checked in the same transaction.
   */
  async put(record: StoredPractice): Promise<void> {
    const db = await this.open()
    try {
      const tx = db.transaction([PRACTICES, WRAPPED], 'readwrite')
      const request = tx.objectStore(WRAPPED).get(record.spaceId)
      request.onsuccess = () => {
        const { heldKey: _heldKey, ...plain } = record
        if (request.result === undefined) {
          tx.objectStore(PRACTICES).put(plain)
          return
        }
        // The credential stays only where the unlock has not moved it into the wrap yet (a v1 wrap),
        // the key pairs where they could not be wrapped (made non-extractable before).
        const secrets = this.unlocked?.get(record.spaceId)?.secrets
        tx.objectStore(PRACTICES).put(atRestOf(plain, (secrets?.credential ?? null) !== null, (secrets?.identity ?? null) !== null))
      }
      await this.completed(tx)
    } finally {
      db.close()
    }
  }

  /** The wrapped secrets of the practice, or null when its keys are not wrapped. */
  async wrapped(spaceId: string): Promise<WrappedRecord | null> {
    const record = await this.run<unknown>(WRAPPED, 'readonly', (store) => store.get(spaceId), { create: false }).catch((error: unknown) => {
      if (error instanceof DeviceRegistryMissingError) return undefined
      throw error
    })
    if (record === undefined) return null
    if (!isWrappedRecord(record)) throw new DeviceStorageError('The wrapped keys of this device have an unexpected shape')
    return record
  }

  /**
   * Wraps the practice's secrets at rest, in one transaction: the sealed secrets are written, the
   * working keys and the credential leave `practices`, the root and epoch secrets leave `pairing`,
   * and the held epochs `sealedEpochs` names leave `epochs`. A tab closed on the way leaves either
   * the plain keys or the wrapped ones, never neither.
   */
  async wrap(wrapped: WrappedRecord, sealedEpochs: readonly number[], identitySealed: boolean): Promise<void> {
    await this.withPractice(wrapped.spaceId, [PAIRING, WRAPPED, EPOCHS], (stored, tx) => {
      tx.objectStore(PRACTICES).put(atRestOf(stored, true, identitySealed))
      tx.objectStore(PAIRING).delete(wrapped.spaceId)
      tx.objectStore(WRAPPED).put(wrapped)
      const epochs = tx.objectStore(EPOCHS)
      const held = epochs.get(wrapped.spaceId)
      held.onsuccess = () => {
        const kept = withoutEpochs(held.result as StoredEpochs | undefined, sealedEpochs)
        if (kept !== null) epochs.put(kept)
      }
    })
  }

  /**
   * The reverse (the lock becomes a PIN, or none): the working keys and the credential back in
   * `practices`, the root and epoch secrets back in `pairing` (an administrator's), the held
   * epochs' keys back in `epochs` (non-extractable), the sealed secrets deleted.
   */
  async unwrap(
    spaceId: string,
    keys: DeviceKeys,
    pairing: { rootSecret: Uint8Array; epochSecrets: EpochSecrets[] } | null,
    back: { credential: string | null; heldEpochs: readonly HeldEpoch[]; identity?: DeviceIdentity | null },
  ): Promise<void> {
    await this.withPractice(spaceId, [PAIRING, WRAPPED, EPOCHS], (stored, tx) => {
      const { wrapped: _wrapped, ...plain } = stored
      // A credential null: a v1 wrap, whose credential stayed beside the record.
      const credential = back.credential ?? plain.credential
      if (credential === undefined) {
        tx.abort()
        return
      }
      tx.objectStore(PRACTICES).put({ ...plain, credential, keys, ...(back.identity ? { identity: back.identity } : {}) } satisfies StoredPractice)
      if (pairing !== null) tx.objectStore(PAIRING).put({ spaceId, ...pairing } satisfies StoredPairing)
      tx.objectStore(WRAPPED).delete(spaceId)
      const epochs = tx.objectStore(EPOCHS)
      const held = epochs.get(spaceId)
      held.onsuccess = () => {
        const atRest = (held.result as StoredEpochs | undefined)?.keys ?? []
        const kept = atRest.filter((k) => !back.heldEpochs.some((e) => e.epoch === k.epoch))
        if (kept.length + back.heldEpochs.length > 0) epochs.put({ spaceId, keys: [...kept, ...back.heldEpochs] } satisfies StoredEpochs)
      }
    })
  }

  /** The practice's secrets as opened at the unlock, when they are wrapped (DeviceLockedError when not unlocked). */
  private async unwrappedPairing(spaceId: string): Promise<{ rootSecret: Uint8Array | null; epochSecrets: EpochSecrets[] } | null> {
    const open = this.unlocked?.get(spaceId)
    if (open?.wrap) return { rootSecret: open.secrets.rootSecret, epochSecrets: [...open.secrets.epochSecrets] }
    if ((await this.wrapped(spaceId)) === null) return null
    throw new DeviceLockedError('The secrets of this device are wrapped by its passkey: unlock it first')
  }

  async rootSecret(spaceId: string): Promise<Uint8Array | null> {
    const unwrapped = await this.unwrappedPairing(spaceId)
    if (unwrapped !== null) return unwrapped.rootSecret
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
    const unwrapped = await this.unwrappedPairing(spaceId)
    if (unwrapped !== null) return unwrapped.rootSecret === null ? [] : unwrapped.epochSecrets
    const record = await this.run<StoredPairing | undefined>(PAIRING, 'readonly', (store) => store.get(spaceId))
    return record?.epochSecrets ?? []
  }

  /**
   * Adds an epoch's secrets beside the root secret; nothing on a device that holds no root secret.
   * Where they are wrapped, `sealAgain` (lock/at-rest.ts) seals them with the others.
   */
  async addEpochSecrets(spaceId: string, secrets: EpochSecrets, sealAgain?: (secrets: EpochSecrets) => Promise<void>): Promise<void> {
    if ((await this.unwrappedPairing(spaceId)) !== null) {
      if (sealAgain === undefined) throw new DeviceLockedError('An epoch of a wrapped device is sealed with its other secrets (lock/at-rest.ts)')
      await sealAgain(secrets)
      return
    }
    const record = await this.run<StoredPairing | undefined>(PAIRING, 'readonly', (store) => store.get(spaceId))
    if (record === undefined) return
    const kept = (record.epochSecrets ?? []).filter((e) => e.epoch !== secrets.epoch)
    await this.run(PAIRING, 'readwrite', (store) => store.put({ ...record, epochSecrets: [...kept, secrets] } satisfies StoredPairing))
  }

  /**
   * The key epochs this device holds, ascending: while its wrapped secrets are unlocked, those
   * opened in memory, and any kept at rest before the wrap that no seal has opened again yet.
   */
  async heldEpochs(spaceId: string): Promise<HeldEpoch[]> {
    const atRest = await this.heldEpochsAtRest(spaceId)
    const open = this.unlocked?.get(spaceId)
    if (!open?.wrap) return atRest
    const opened = open.heldEpochs
    return [...opened, ...atRest.filter((e) => !opened.some((o) => o.epoch === e.epoch))].sort((a, b) => a.epoch - b.epoch)
  }

  /** The key epochs kept in `epochs` (non-extractable keys), ascending. */
  async heldEpochsAtRest(spaceId: string): Promise<HeldEpoch[]> {
    // Read and kept in the background too (on reconnection): never creating an erased database (chain() says why).
    const record = await this.run<StoredEpochs | undefined>(EPOCHS, 'readonly', (store) => store.get(spaceId), { create: false }).catch((error: unknown) => {
      if (error instanceof DeviceRegistryMissingError) return undefined
      throw error
    })
    return [...(record?.keys ?? [])].sort((a, b) => a.epoch - b.epoch)
  }

  /**
   * Keeps more key epochs (an epoch already held keeps its first keys, unless they lack the
   * digests' and attachments' keys: hasUseKeys, or the clinical tier the added ones have: a
   * secretary's device upgraded by a key grant, key-grants-sync.ts).
   */
  async addHeldEpochs(spaceId: string, added: readonly HeldEpoch[]): Promise<void> {
    // At rest only: the epochs opened from a wrap stay in memory (lock/at-rest.ts keepHeldEpochs).
    const held = await this.heldEpochsAtRest(spaceId)
    const fresh = added.filter((e) => !held.some((h) => h.epoch === e.epoch && hasUseKeys(h) && (h.clinical !== null || e.clinical === null)))
    if (fresh.length === 0) return
    const kept = held.filter((h) => !fresh.some((e) => e.epoch === h.epoch))
    await this.run(EPOCHS, 'readwrite', (store) => store.put({ spaceId, keys: [...kept, ...fresh] } satisfies StoredEpochs), { create: false }).catch((error: unknown) => {
      if (!(error instanceof DeviceRegistryMissingError)) throw error
    })
  }

  /**
   * The registry narrowed this device's role to one without the clinical tier (role-downgrade.ts),
   * in one transaction: the record takes the new role, its notice and the databases still to
   * delete, and loses its clinical and attachment keys; every held epoch loses its own; the root
   * and epoch secrets (an administrator's) go; and where the passkey wraps the secrets, `wrapped`
   * (sealed again without the clinical tier) replaces the sealed payload. A tab closed on the way
   * leaves all of it or none.
   */
  async narrow(spaceId: string, change: { role: DeviceRole; until: number | null; notice: RoleNotice; narrowing: PendingNarrowing; wrapped: WrappedRecord | null }): Promise<void> {
    await this.withPractice(spaceId, [PAIRING, WRAPPED, EPOCHS], ({ keys, ...rest }, tx) => {
      tx.objectStore(PRACTICES).put({
        ...rest,
        role: change.role,
        until: change.until,
        roleNotice: change.notice,
        narrowing: change.narrowing,
        ...(keys === undefined ? {} : { keys: { ...keys, clinical: null, attachment: null } }),
      })
      tx.objectStore(PAIRING).delete(spaceId)
      if (change.wrapped !== null) tx.objectStore(WRAPPED).put(change.wrapped)
      const epochs = tx.objectStore(EPOCHS)
      const held = epochs.get(spaceId)
      held.onsuccess = () => {
        const record = held.result as StoredEpochs | undefined
        if (record !== undefined) epochs.put({ ...record, keys: record.keys.map(withoutClinicalKeys) } satisfies StoredEpochs)
      }
    })
  }

  /** The narrowing's databases are deleted: nothing left to resume. */
  async narrowed(spaceId: string): Promise<void> {
    await this.update(spaceId, ({ narrowing: _narrowing, ...rest }) => rest)
  }

  /** The person read the notice of the narrowed role. */
  async clearRoleNotice(spaceId: string): Promise<void> {
    await this.update(spaceId, (stored) => ({ ...stored, roleNotice: null }))
  }

  /** Rewrites the record at rest (keys, wrapped or not, as they are) in one transaction; nothing when there is none. */
  private async update(spaceId: string, change: (stored: StoredPracticeAtRest) => StoredPracticeAtRest): Promise<void> {
    await this.withPractice(spaceId, [], (stored, tx) => tx.objectStore(PRACTICES).put(change(stored)), { missing: 'ignore' })
  }

  /**
   * One readwrite transaction over `practices` and `stores`: `change` gets the practice's record
   * as it is at rest, and writes what it changes in `tx`. No such practice: the transaction is
   * aborted (DeviceStorageError), or with `missing: 'ignore'` ends having done nothing.
   */
  private async withPractice(
    spaceId: string,
    stores: readonly string[],
    change: (stored: StoredPracticeAtRest, tx: IDBTransaction) => void,
    options: { missing: 'abort' | 'ignore' } = { missing: 'abort' },
  ): Promise<void> {
    const db = await this.open()
    try {
      const tx = db.transaction([PRACTICES, ...stores], 'readwrite')
      const request = tx.objectStore(PRACTICES).get(spaceId)
      request.onsuccess = () => {
        const stored = request.result as StoredPracticeAtRest | undefined
        if (stored !== undefined) change(stored, tx)
        else if (options.missing === 'abort') tx.abort()
      }
      await this.completed(tx)
    } finally {
      db.close()
    }
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

  /**
   * A record written by a pre-release version (no working keys) cannot open the practice; one whose
   * keys are wrapped gives them while unlocked (DeviceLockedError otherwise).
   */
  private checked(record: unknown): StoredPractice {
    const atRest = record as StoredPracticeAtRest
    if (atRest.wrapped === true) {
      const open = this.unlocked?.get(atRest.spaceId)
      if (!open?.wrap) throw new DeviceLockedError('The keys of this device are wrapped by its passkey: unlock it first')
      const { wrapped: _wrapped, ...rest } = atRest
      const credential = open.secrets.credential ?? rest.credential
      if (credential === undefined) throw new DeviceStorageError('The relay credential of this device is neither wrapped nor kept')
      return this.checked({
        ...rest,
        credential,
        keys: open.keys,
        ...(open.heldKey === null ? {} : { heldKey: open.heldKey }),
        ...(open.identity === null ? {} : { identity: open.identity }),
      })
    }
    const stored = record as StoredPractice
    // Written before roles: every device then was a praticien (and held every key).
    if (stored.role === undefined) stored.role = DeviceRole.Practitioner
    if (stored.until === undefined) stored.until = null
    if (stored.roleNotice === undefined) stored.roleNotice = null
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
        if (!db.objectStoreNames.contains(WRAPPED)) db.createObjectStore(WRAPPED, { keyPath: 'spaceId' })
      }
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(missing ? new DeviceRegistryMissingError() : new DeviceStorageError(`Cannot open this device's storage: ${request.error?.message}`))
    })
  }

  private completed(tx: IDBTransaction): Promise<void> {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onabort = () => reject(new DeviceStorageError(`Device storage write failed: ${tx.error?.message ?? 'aborted (no such practice)'}`))
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
