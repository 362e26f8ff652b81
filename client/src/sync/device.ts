/**
 * This device's registry: which practice (space) it is paired with, as whom, with which keys.
 *
 * IndexedDB database `<prefix>tournee-device`, store `practices` (key: spaceId):
 *   { spaceId, relayUrl, practiceName, deviceId, memberId, credential,
 *     rootSecret: Uint8Array, aead: CryptoKey, blind: CryptoKey, hasSynced?: boolean }
 *
 * `hasSynced` is set once the space first completed a sync with the relay. The registry and the
 * envelope are two databases, and a browser may evict one and not the other: an empty envelope on
 * a device that had synced means the local copy was erased, not that the practice is new.
 *
 * The working keys are non-extractable CryptoKeys (structured-cloned into IndexedDB): page script
 * can use them but never read them. The root secret is kept too, because any paired device must be
 * able to show the pairing code to the next one (a practitioner pairs her phone from her tablet);
 * replacing it with per-device key wrapping belongs with device management and revocation.
 */
import { deriveSpaceKeys, ROOT_SECRET_BYTES, type SpaceKeys } from '../../../shared/src/crypto/space-keys'
import { deriveAttachmentKey } from '../../../shared/src/attachments/attachment-cipher'
import { deriveDigestKey } from '../../../shared/src/digest/digest-cipher'
import { randomBytes, randomId } from '../../../shared/src/crypto/base64url'
import { decodePairingCode, encodePairingCode, PairingCodeError } from '../../../shared/src/space/pairing-code'
import { DIRECTORY_DOC_ID, MANIFEST_DOC_ID } from '../../../shared/src/model/doc-ids'
import { initPractice } from '../../../shared/src/model/directory'
import type { PracticeInitInput } from '../../../shared/src/model/input-schemas'
import { writeManifest } from '../../../shared/src/space/manifest'
import { PracticeSpace, type PracticeSpaceOptions, type RoomOptions } from './practice-space'
import { probeRelayAccess, registerSpace, RelayFailure, RelayRefusedError } from './relay-http'
import { ConnectionStatus } from './sync-state'
import {
  browserStorageManager,
  readStorageStatus,
  requestPersistence,
  type StorageManagerLike,
  type StorageStatus,
} from './durable-storage'

export { PairingCodeError, RelayRefusedError }

export interface PracticeRecord {
  spaceId: string
  relayUrl: string
  practiceName: string
  deviceId: string
  memberId: string | null
}

interface StoredPractice extends PracticeRecord {
  credential: string
  rootSecret: Uint8Array
  aead: CryptoKey
  blind: CryptoKey
  hasSynced?: boolean
}

export interface OpenPractice {
  record: PracticeRecord
  space: PracticeSpace
}

/** What differs between the browser and a simulated device in a Node test. */
export interface DeviceEnvironment {
  /** Prefix of every IndexedDB database of this device ('' in the browser). */
  idbPrefix: string
  WebSocketImpl?: typeof WebSocket
  fetchImpl?: typeof fetch
  crossTab?: boolean
  /** Extra options of every room (batching, backoff) for tests and benchmarks. */
  space?: Partial<RoomOptions> & { connect?: boolean }
  /** Practice-level options (background opening, idle close) for tests and benchmarks. */
  rooms?: { background?: boolean; idleCloseMs?: number; backgroundConcurrency?: number }
  /**
   * The directory digest's options but its key (publish interval, check period, main's hold): the
   * app holds main for its first screen; tests and benchmarks tune the rest.
   */
  digest?: Omit<NonNullable<PracticeSpaceOptions['digest']>, 'key'>
  now?: () => number
  /** The browser's StorageManager (persistence, estimate); undefined: navigator.storage if any. */
  storageManager?: StorageManagerLike | null
}

export const browserEnvironment: DeviceEnvironment = { idbPrefix: '', crossTab: true, digest: { holdMainForFirstScreen: true } }

const STORE = 'practices'

export class DeviceStorageError extends Error {
  override name = 'DeviceStorageError'
}

function openRegistry(env: DeviceEnvironment): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(`${env.idbPrefix}tournee-device`, 1)
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'spaceId' })
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(new DeviceStorageError(`Cannot open this device's storage: ${request.error?.message}`))
  })
}

async function withStore<T>(env: DeviceEnvironment, mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openRegistry(env)
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode)
      const request = run(tx.objectStore(STORE))
      let result: T
      request.onsuccess = () => {
        result = request.result
      }
      tx.oncomplete = () => resolve(result)
      tx.onabort = () => reject(new DeviceStorageError(`Device storage write failed: ${tx.error?.message ?? 'aborted'}`))
    })
  } finally {
    db.close()
  }
}

const readAll = (env: DeviceEnvironment) => withStore<StoredPractice[]>(env, 'readonly', (s) => s.getAll())
const readOne = (env: DeviceEnvironment, spaceId: string) =>
  withStore<StoredPractice | undefined>(env, 'readonly', (s) => s.get(spaceId))
const write = (env: DeviceEnvironment, record: StoredPractice) => withStore(env, 'readwrite', (s) => s.put(record))

function publicRecord(stored: StoredPractice): PracticeRecord {
  const { spaceId, relayUrl, practiceName, deviceId, memberId } = stored
  return { spaceId, relayUrl, practiceName, deviceId, memberId }
}

async function openSpace(stored: StoredPractice, env: DeviceEnvironment): Promise<PracticeSpace> {
  const keys: SpaceKeys = { spaceId: stored.spaceId, aead: stored.aead, blind: stored.blind }
  const { connect, ...room } = env.space ?? {}
  return PracticeSpace.open({
    spaceId: stored.spaceId,
    relayUrl: stored.relayUrl,
    credential: stored.credential,
    keys,
    idbName: `${env.idbPrefix}tournee-space-${stored.spaceId}`,
    ...(connect === undefined ? {} : { connect }),
    room: {
      ...room,
      crossTab: env.crossTab ?? false,
      ...(env.WebSocketImpl ? { WebSocketImpl: env.WebSocketImpl } : {}),
      ...(env.fetchImpl ? { fetchImpl: env.fetchImpl } : {}),
      ...(env.now ? { now: env.now } : {}),
    },
    ...env.rooms,
    ...(env.now ? { now: env.now } : {}),
    previouslySynced: stored.hasSynced === true,
    // Derived from the root secret at each opening (kept in memory only, non-extractable).
    attachments: {
      key: await deriveAttachmentKey(stored.spaceId, stored.rootSecret),
      idbName: `${env.idbPrefix}tournee-attachments-${stored.spaceId}`,
    },
    digest: { key: await deriveDigestKey(stored.spaceId, stored.rootSecret), ...env.digest },
  })
}

/** Records in the registry, once, that this space completed a sync with the relay. */
function rememberFirstSync(space: PracticeSpace, spaceId: string, env: DeviceEnvironment): void {
  let done = false
  const check = () => {
    if (done || space.getSyncState().status !== ConnectionStatus.Online) return
    done = true
    unsubscribe()
    void readOne(env, spaceId)
      .then((stored) => (stored && !stored.hasSynced ? write(env, { ...stored, hasSynced: true }) : undefined))
      .catch((error: unknown) => console.warn('Could not record the first sync in the device registry', error))
  }
  const unsubscribe = space.subscribe(check)
  check()
}

function storageManagerOf(env: DeviceEnvironment): StorageManagerLike | null {
  return env.storageManager === undefined ? browserStorageManager() : env.storageManager
}

/** Asks the browser to keep this device's data (Réglages offers it again after a refusal). */
export function requestPersistentStorage(env: DeviceEnvironment = browserEnvironment): Promise<boolean | null> {
  return requestPersistence(storageManagerOf(env))
}

/** Whether storage is persistent, and the room used and available, for Réglages. */
export function getStorageStatus(env: DeviceEnvironment = browserEnvironment): Promise<StorageStatus> {
  return readStorageStatus(storageManagerOf(env))
}

/** The practice this device is paired with, opened from local storage (no network needed). */
export async function loadPractice(env: DeviceEnvironment = browserEnvironment): Promise<OpenPractice | null> {
  const [stored] = await readAll(env)
  if (!stored) return null
  const space = await openSpace(stored, env)
  if (!stored.hasSynced) rememberFirstSync(space, stored.spaceId, env)
  return { record: publicRecord(stored), space }
}

export interface CreatePracticeInput {
  relayUrl: string
  practiceName: string
  practitioner: PracticeInitInput['firstPractitioner']
  enrolmentSecret?: string
}

/** First device of a practice: new space, new keys, registered on the relay, directory seeded. */
export async function createPractice(input: CreatePracticeInput, env: DeviceEnvironment = browserEnvironment): Promise<OpenPractice> {
  const relayUrl = normalizeRelayUrl(input.relayUrl)
  const spaceId = randomId(16)
  const credential = randomId(32)
  const rootSecret = randomBytes(ROOT_SECRET_BYTES)
  await registerSpace(relayUrl, spaceId, credential, input.enrolmentSecret, env.fetchImpl)
  const keys = await deriveSpaceKeys(spaceId, rootSecret)
  const deviceId = randomId(9)
  const stored: StoredPractice = {
    spaceId,
    relayUrl,
    practiceName: input.practiceName,
    deviceId,
    memberId: null,
    credential,
    rootSecret,
    aead: keys.aead,
    blind: keys.blind,
  }
  const space = await openSpace(stored, env)
  const clock = env.now ?? Date.now
  writeManifest(await space.openDoc(MANIFEST_DOC_ID), { createdAt: clock(), createdBy: deviceId })
  const directory = await space.openDoc(DIRECTORY_DOC_ID)
  // The first practitioner does not exist before this call, so the records it creates are
  // signed by the device alone ('setup'); everything after is signed by the practitioner.
  stored.memberId = initPractice(
    directory,
    { name: input.practiceName, firstPractitioner: input.practitioner },
    { deviceId, memberId: 'setup' },
    clock,
  )
  await space.flush()
  await write(env, stored)
  rememberFirstSync(space, spaceId, env)
  // The person just committed to this device: the moment to ask the browser to keep its data.
  await requestPersistentStorage(env)
  return { record: publicRecord(stored), space }
}

/** Another device joins with the pairing code; it chooses who it is once the directory arrives. */
export async function joinPractice(pairingCode: string, env: DeviceEnvironment = browserEnvironment): Promise<OpenPractice> {
  const info = decodePairingCode(pairingCode)
  // Check the code against the relay before storing anything: a stale code is refused here,
  // with a reason, rather than by a socket that keeps failing.
  const access = await probeRelayAccess(info.relayUrl, info.spaceId, info.credential, env.fetchImpl)
  if (access.kind === 'refused') throw new RelayRefusedError(access.reason)
  if (access.kind === 'unreachable') throw new RelayRefusedError(RelayFailure.Unreachable, `Relay unreachable at ${info.relayUrl}`)
  const keys = await deriveSpaceKeys(info.spaceId, info.rootSecret)
  const existing = await readOne(env, info.spaceId)
  const stored: StoredPractice = {
    spaceId: info.spaceId,
    relayUrl: info.relayUrl,
    practiceName: info.practiceName,
    deviceId: existing?.deviceId ?? randomId(9),
    memberId: existing?.memberId ?? null,
    credential: info.credential,
    rootSecret: info.rootSecret,
    aead: keys.aead,
    blind: keys.blind,
    hasSynced: existing?.hasSynced ?? false,
  }
  await write(env, stored)
  const space = await openSpace(stored, env)
  if (!stored.hasSynced) rememberFirstSync(space, stored.spaceId, env)
  await requestPersistentStorage(env)
  return { record: publicRecord(stored), space }
}

export async function setMember(spaceId: string, memberId: string, env: DeviceEnvironment = browserEnvironment): Promise<PracticeRecord> {
  const stored = await readOne(env, spaceId)
  if (!stored) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  stored.memberId = memberId
  await write(env, stored)
  return publicRecord(stored)
}

export async function getPairingCode(spaceId: string, env: DeviceEnvironment = browserEnvironment): Promise<string> {
  const stored = await readOne(env, spaceId)
  if (!stored) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  return encodePairingCode(stored)
}

export class RelayUrlError extends Error {
  override name = 'RelayUrlError'
}

/** Accepts "relais.cabinet.fr" or "https://relais.cabinet.fr/" and returns the origin. */
export function normalizeRelayUrl(text: string): string {
  const trimmed = text.trim()
  const withScheme = /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`
  if (!URL.canParse(withScheme)) throw new RelayUrlError(`Not a relay address: ${text}`)
  return new URL(withScheme).origin
}
