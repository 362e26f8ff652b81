/**
 * The device's side of a practice: create one, join one with a pairing code, open the one this
 * device is paired with (registry.ts holds what is stored, device-keys.ts the keys), choose who
 * holds the device, show the pairing code. The screens call these through app/device-api.tsx.
 */
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { deriveTierSecrets, ROOT_SECRET_BYTES } from '../../../../shared/src/crypto/space-keys'
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'
import { DIRECTORY_DOC_ID, MANIFEST_DOC_ID } from '../../../../shared/src/model/doc-ids'
import { initPractice } from '../../../../shared/src/model/directory'
import { labelDevice } from '../../../../shared/src/model/device-labels'
import type { PracticeInitInput } from '../../../../shared/src/model/input-schemas'
import { writeManifest } from '../../../../shared/src/space/manifest'
import { administratorPairing, decodePairingCode, encodePairingCode, pairingSecretsFor } from '../../../../shared/src/space/pairing-code'
import { browserRowWriter } from '../adapters/row-writer'
import { browserDecoder } from '../decode/decoder-lanes'
import type { PracticeDecoder } from '../decode/worker-decoder'
import type { DigestSettings } from '../digests/practice-digests'
import { DeviceStorageError, RefusalReason, RelayError, RelayFailure } from '../errors'
import { Practice } from '../practice/practice'
import { RelayClient } from '../relay/relay-client'
import { normalizeRelayUrl } from '../relay/relay-url'
import type { RoomSettings } from '../rooms/room'
import { ConnectionStatus } from '../sync-state'
import { deriveDeviceKeys, spaceKeysOf } from './device-keys'
import { browserStorageManager, readStorageStatus, requestPersistence, type StorageManagerLike, type StorageStatus } from './durable-storage'
import { writerIdOf } from '../../../../shared/src/envelope/entry-header'
import { registryOf, type DeviceRegistry, type PracticeRecord, type StoredPractice } from './registry'
import { makeWrappableIdentity, type DeviceIdentity } from '../../../../shared/src/devices/device-identity'
import { registerFirstDevice, revokeEndedLocums } from './practice-devices'
import { epochRefresher, epochRingsOf, refreshKeyEpochsOf, type EpochRings } from './key-epochs-sync'
import { receiveKeyGrant } from './key-grants-sync'
import { registryReadOf, type RegistryRead } from './registry-read'
import { KeyGrantError } from '../../../../shared/src/devices/key-grant'
import { MissingEpochKeyError } from '../../../../shared/src/envelope/entry-cipher'
import { keepPracticeChain, PracticeSigners } from './practice-signers'
import { entrySigner } from '../../../../shared/src/envelope/entry-signature'
import type { EnvelopeOptions } from '../../../../shared/src/envelope/envelope'
import { UnlockedKeys } from './lock/unlocked-keys'
import { holdSessionSecrets } from './lock/at-rest'
import { settleRoleAtStart } from './role-downgrade'
import { checkRoleChange } from './role-change'
import { RoleWatch } from './role-watch'
import { FirstScreenStore } from '../startup/first-screen-record'
import { startMark } from '../startup/start-marks'

export type { PracticeRecord }

export interface OpenPractice {
  record: PracticeRecord
  space: Practice
  /** Whether the registry narrowed this device's role meanwhile (role-watch.ts); absent for a practice without a registry. */
  role?: RoleWatch
}

/** What differs between the browser and a simulated device in a Node test. */
export interface DeviceEnvironment {
  /** Prefix of every IndexedDB database of this device ('' in the browser). */
  idbPrefix: string
  WebSocketImpl?: typeof WebSocket
  fetchImpl?: typeof fetch
  crossTab?: boolean
  /** Connect at once (default true). */
  connect?: boolean
  /** Every room's settings (batching, backoff, storage retry) for tests and benchmarks. */
  room?: Partial<Pick<RoomSettings, 'envelope' | 'reconnect' | 'storageRetryMs' | 'rowWriter' | 'framedAnswers' | 'pacedFrameBytes'>>
  /** How the practice holds its rooms (background pass, grace period) for tests and benchmarks. */
  practice?: { background?: boolean; graceMs?: number; backgroundConcurrency?: number; awaitStartupRooms?: boolean; held?: boolean }
  /**
   * The digests' settings but their key (publish interval, check period, main's hold): the app
   * holds main for its first screen; tests and benchmarks tune the rest.
   */
  digest?: Omit<DigestSettings, 'key' | 'epochs' | 'fetchEpochs'>
  now?: () => number
  /** The browser's StorageManager (persistence, estimate); undefined: navigator.storage if any. */
  storageManager?: StorageManagerLike | null
  /** Each opened practice's decoder (a Web Worker in the app); none: decrypted and decoded in place. */
  decoder?: () => PracticeDecoder
  /**
   * The key epoch rings of the practices open on this device, by space (key-epochs-sync.ts): one
   * owner, so that the epoch this device makes when it revokes one is what its rooms write under
   * at once. Absent: each opening has its own, which takes new epochs at the next start or
   * reconnection.
   */
  epochRings?: Map<string, EpochRings>
  /**
   * What this device holds in memory of the practices it unlocked (lock/unlocked-keys.ts): the
   * keys a passkey wraps at rest, opened at the unlock and let go at the lock. Absent: nothing is
   * ever wrapped (tests of other parts).
   */
  unlocked?: UnlockedKeys
}

export const browserEnvironment: DeviceEnvironment = {
  idbPrefix: '',
  crossTab: true,
  digest: { holdMainForFirstScreen: true, showOnColdStart: true },
  decoder: browserDecoder,
  // A room's rows are written by a worker: IndexedDB's cost for a 31 MB row lands off the page.
  room: { rowWriter: browserRowWriter() },
  // The first screen shows the digests while the rooms load (PracticeOptions.awaitStartupRooms).
  practice: { awaitStartupRooms: false },
  epochRings: new Map(),
  unlocked: new UnlockedKeys(),
}

function publicRecord(stored: StoredPractice): PracticeRecord {
  const { spaceId, relayUrl, practiceName, deviceId, memberId, role, until, roleNotice } = stored
  return { spaceId, relayUrl, practiceName, deviceId, memberId, role, until, roleNotice }
}

/**
 * How this device's entries are signed and others' checked (shared/src/envelope/entry-signature.ts):
 * with its own signing key once it has one; against the practice's registry as kept here.
 */
function entrySigning(stored: StoredPractice, env: DeviceEnvironment, signers: PracticeSigners): Pick<EnvelopeOptions, 'signer' | 'signers'> {
  if (!stored.identity) return {}
  return { signer: entrySigner(stored.deviceId, stored.identity.sign.privateKey), signers }
}

/** How long opening the practice waits for the relay's key epochs before opening from what it holds. */
const EPOCH_REFRESH_WAIT_MS = 3000

/**
 * The key epochs sealed to this device since it last looked, fetched before its rooms open (so a
 * device offline through a rotation reads the new entries at once), and again each time it comes
 * back online; offline, or on a slow relay, the practice opens with the epochs it holds.
 */
async function refreshEpochsBeforeOpening(stored: StoredPractice, env: DeviceEnvironment, rings: EpochRings, read: RegistryRead): Promise<void> {
  if (!stored.identity || env.connect === false) return
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    refreshKeyEpochsOf(stored, env, rings, read).catch((error: unknown) => console.warn('Could not fetch the key epochs', error instanceof Error ? error.name : 'error')),
    new Promise((resolve) => (timer = setTimeout(resolve, EPOCH_REFRESH_WAIT_MS))),
  ])
  clearTimeout(timer)
}

/** Fetches new key epochs each time the practice comes back online, and when a room meets an entry of one it lacks. */
function refreshEpochsWhenOnline(space: Practice, refresh: () => void): void {
  let online = space.getSyncState().status === ConnectionStatus.Online
  space.subscribe(() => {
    const now = space.getSyncState().status === ConnectionStatus.Online
    if (now && !online) refresh()
    online = now
  })
}

/**
 * An administrator's device coming online moves the practice past any locum whose replacement has
 * ended (practice-devices.ts, revokeEndedLocums: a revocation, then the key epoch the others move to).
 */
async function revokeEndedLocumsIfAdministrator(stored: StoredPractice, env: DeviceEnvironment, read: RegistryRead, isOpen: () => boolean): Promise<void> {
  if (!stored.identity || (await registryOf(env).rootSecret(stored.spaceId)) === null) return
  await revokeEndedLocums(stored.spaceId, env, read).catch((error: unknown) => {
    if (isOpen()) console.warn('Could not revoke an ended locum', error instanceof Error ? error.name : 'error')
  })
}

/**
 * The key grant addressed to this device (key-grants-sync.ts), taken before its rooms open: a
 * secretary's device upgraded opens the patient files with the clinical keys it was given, and a
 * device that could not wrap its keys holds secrets its passkey can wrap. The record as it is after.
 * A grant that does not check is refused and reported, nothing kept; offline, the record as it was.
 */
async function takeKeyGrant(stored: StoredPractice, env: DeviceEnvironment, rings: EpochRings, read: RegistryRead): Promise<StoredPractice> {
  if (!stored.identity || env.connect === false) return stored
  let timer: ReturnType<typeof setTimeout> | undefined
  // As the epochs before opening: a slow relay does not hold the practice closed (the grant is taken when it comes back online).
  const received = await Promise.race([
    receiveKeyGrant(stored, env, { rings, read }).catch((error: unknown) => {
      console.warn('Could not take the key grant', error instanceof KeyGrantError ? error.refusal : error instanceof Error ? error.name : 'error')
      return null
    }),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), EPOCH_REFRESH_WAIT_MS))),
  ])
  clearTimeout(timer)
  return received === null ? stored : ((await registryOf(env).get(stored.spaceId)) ?? stored)
}

/**
 * Asks `role` to read the registry again whenever the relay refuses a clinical room for this
 * device's role (4403: the registry may have made it secretary).
 */
function checkRoleWhenRefused(space: Practice, role: RoleWatch): void {
  let refused = false
  space.subscribe(() => {
    const now = space.getSyncState().refusal === RefusalReason.RoleForbidden
    if (now && !refused) void role.check()
    refused = now
  })
}

/** The rooms' IndexedDB prefix of a practice on this device (PracticeOptions.idbName). */
function spaceIdbName(spaceId: string, env: DeviceEnvironment): string {
  return `${env.idbPrefix}tournee-space-${spaceId}`
}

/**
 * A cold start's first-screen record (startup/first-screen-record.ts), read from here on: the
 * practice opens only after a round trip or two to the relay (key epochs, key grant), and the
 * record's read, decryption and checks go on meanwhile. Null where the practice will not show one
 * (a device that never synced, or without the setting).
 */
function firstScreenReadAhead(stored: StoredPractice, env: DeviceEnvironment): FirstScreenStore | null {
  if (stored.hasSynced !== true || env.digest?.showOnColdStart !== true) return null
  const store = new FirstScreenStore({ idbName: spaceIdbName(stored.spaceId, env), spaceId: stored.spaceId, key: stored.keys.digest })
  store.readAhead()
  return store
}

async function openSpace(given: StoredPractice, env: DeviceEnvironment): Promise<{ space: Practice; role?: RoleWatch }> {
  const firstScreen = firstScreenReadAhead(given, env)
  try {
    return await openSpaceReadingAhead(given, env, firstScreen)
  } catch (error) {
    // Nothing opened: the record's database is let go (closing twice is harmless).
    firstScreen?.close()
    throw error
  }
}

async function openSpaceReadingAhead(given: StoredPractice, env: DeviceEnvironment, firstScreen: FirstScreenStore | null): Promise<{ space: Practice; role?: RoleWatch }> {
  const rings = await epochRingsOf(given.spaceId, env)
  startMark('epoch-rings-read')
  // The registry, read when opening needs it (a seal to check, a grant to check) and by the first
  // online pass, which follows at once: one read for both (registry-read.ts).
  let opening: RegistryRead | null = registryReadOf(given, env)
  await refreshEpochsBeforeOpening(given, env, rings, opening)
  startMark('epochs-refreshed')
  const stored = await takeKeyGrant(given, env, rings, opening)
  startMark('key-grant-taken')
  // A grant that brought another digest key: the record read ahead is not the practice's to show.
  const ahead = firstScreen !== null && stored.keys.digest === firstScreen.key ? firstScreen : null
  // Not the practice's to show: its database is let go now rather than when the page goes.
  if (ahead === null) firstScreen?.close()
  const signers = new PracticeSigners(stored, env)
  if (!stored.identity) return { space: await openSpaceWith(stored, env, rings, signers, () => Promise.resolve(false), ahead) }
  let opened: Practice | null = null
  // The online pass belongs to the open practice: once it is closed, a step under way stops (epochRefresher, RoleWatch).
  const isOpen = () => opened === null || !opened.isClosed
  // A registry that narrowed or widened this device's role: the app closes the practice and opens it again (role-change.ts).
  const role = new RoleWatch((read) => checkRoleChange(stored.spaceId, env, rings, read), isOpen)
  const retry = () => void opened?.retryUnapplied()
  // A new key epoch may follow a change of this device's role: read the registry then too.
  const refresh = epochRefresher(
    stored,
    env,
    rings,
    () => {
      retry()
      void role.check()
    },
    isOpen,
  )
  // Entries that waited for a device the registry copy did not know are tried again once it does.
  signers.onLearned = retry
  opened = await openSpaceWith(stored, env, rings, signers, refresh, ahead)
  // Online already: no pass follows the opening (the next is a reconnect's, which reads for itself).
  if (opened.getSyncState().status === ConnectionStatus.Online) opening = null
  checkRoleWhenRefused(opened, role)
  refreshEpochsWhenOnline(opened, () => {
    // The online pass: one read of the registry, verified once, for each of its steps (the
    // opening's, for the first pass); a step that changes the registry has the next one read it again.
    const read = opening ?? registryReadOf(stored, env)
    opening = null
    void signers.retryIfWaiting()
    // An administrator's: the locums whose end passed, then the entries a restored relay lacks and the key epoch due (epochRefresher).
    void revokeEndedLocumsIfAdministrator(stored, env, read, isOpen).finally(() => refresh(read))
    // The role, narrowed or widened; a grant sent while this device was away is taken with it
    // when one can help (role-change.ts).
    void role.check(read)
  })
  return { space: opened, role }
}

/** `fetchEpochs`: the practice's epoch refresher (key-epochs-sync.ts), asked when something of an epoch this device lacks turns up. */
function openSpaceWith(
  stored: StoredPractice,
  env: DeviceEnvironment,
  rings: EpochRings,
  signers: PracticeSigners,
  fetchEpochs: () => Promise<boolean>,
  firstScreen: FirstScreenStore | null = null,
): Promise<Practice> {
  const onError = env.room?.envelope?.onError
  return Practice.open({
    spaceId: stored.spaceId,
    relayUrl: stored.relayUrl,
    credential: stored.credential,
    keys: { ...spaceKeysOf(stored.spaceId, stored.keys), epochs: rings.practice, clinicalEpochs: rings.clinical },
    idbName: spaceIdbName(stored.spaceId, env),
    rooms: {
      ...env.room,
      // The device id names this device's changes in the entries' continuity headers (continuity.ts).
      envelope: {
        ...env.room?.envelope,
        writer: writerIdOf(stored.deviceId),
        ...entrySigning(stored, env, signers),
        // An entry of a key epoch this device lacks: its sealed key may be on the relay by now.
        onError: (error) => {
          if (error instanceof MissingEpochKeyError) void fetchEpochs()
          onError?.(error)
        },
      },
      crossTab: env.crossTab ?? false,
      ...(env.WebSocketImpl ? { WebSocketImpl: env.WebSocketImpl } : {}),
    },
    ...(env.fetchImpl ? { fetchImpl: env.fetchImpl } : {}),
    ...(env.connect === undefined ? {} : { connect: env.connect }),
    ...env.practice,
    ...(env.now ? { now: env.now } : {}),
    previouslySynced: stored.hasSynced === true,
    // Where the passkey wraps the secrets, the held state's key is one of them, opened in memory (lock/at-rest.ts).
    ...(stored.heldKey === undefined ? {} : { heldKey: stored.heldKey }),
    // Attachments are the clinical tier's: a device without its key has none to sync, nor a database of them.
    ...(stored.keys.attachment === null
      ? {}
      : { attachments: { key: stored.keys.attachment, epochs: rings.attachment, fetchEpochs, idbName: `${env.idbPrefix}tournee-attachments-${stored.spaceId}` } }),
    // Digests and attachments are sealed under the newest epoch held, read under any (issue 19).
    digest: { key: stored.keys.digest, epochs: rings.digest, fetchEpochs, ...env.digest },
    ...(env.decoder ? { decoder: env.decoder() } : {}),
    ...(firstScreen === null ? {} : { firstScreenStore: firstScreen }),
  })
}

/** Records in the registry, once, that this space completed a sync with the relay. */
function rememberFirstSync(space: Practice, spaceId: string, registry: DeviceRegistry): void {
  let done = false
  const check = () => {
    if (done || space.getSyncState().status !== ConnectionStatus.Online) return
    done = true
    unsubscribe()
    void registry
      .get(spaceId)
      .then((stored) => (stored && !stored.hasSynced ? registry.put({ ...stored, hasSynced: true }) : undefined))
      .catch((error: unknown) => console.warn('Could not record the first sync in the device registry', error instanceof Error ? error.name : 'error'))
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
  const registry = registryOf(env)
  const [kept] = await registry.all()
  if (!kept) return null
  startMark('registry-read')
  // A role the registry narrowed (or a narrowing a closed tab left halfway) is settled before anything opens.
  const stored = await settleRoleAtStart(kept, env)
  const { space, role } = await openSpace(stored, env)
  if (!stored.hasSynced) rememberFirstSync(space, stored.spaceId, registry)
  // Read again: a key grant taken while opening may have changed the role (a secretary upgraded).
  return { record: publicRecord((await registry.get(stored.spaceId)) ?? stored), space, ...(role === undefined ? {} : { role }) }
}

export interface CreatePracticeInput {
  relayUrl: string
  practiceName: string
  practitioner: PracticeInitInput['firstPractitioner']
  enrolmentSecret?: string
}

/** First device of a practice: new space, new keys, registered on the relay, manifest and directory seeded. */
export async function createPractice(input: CreatePracticeInput, env: DeviceEnvironment = browserEnvironment): Promise<OpenPractice> {
  const relayUrl = normalizeRelayUrl(input.relayUrl)
  const spaceId = randomId(16)
  const credential = randomId(32)
  const rootSecret = randomBytes(ROOT_SECRET_BYTES)
  await new RelayClient({ relayUrl, spaceId, credential, ...(env.fetchImpl ? { fetchImpl: env.fetchImpl } : {}) }).registerSpace(input.enrolmentSecret)
  const deviceId = randomId(9)
  const clock = env.now ?? Date.now
  const stored: StoredPractice & Required<Pick<StoredPractice, 'identity'>> = {
    spaceId,
    relayUrl,
    practiceName: input.practiceName,
    deviceId,
    memberId: null,
    credential,
    role: DeviceRole.Practitioner,
    until: null,
    roleNotice: null,
    keys: await deriveDeviceKeys(spaceId, await deriveTierSecrets(spaceId, rootSecret)),
    identity: await wrappableIdentity(env),
  }
  // The registry's first entry, at once: from now on only the practice's devices open it, and
  // every entry is signed by one of them (kept here, so that entries verify offline too).
  await registerFirstDevice(stored, env)
  await keepPracticeChain(stored, env)
  const { space, role } = await openSpace(stored, env)
  writeManifest(await space.openDoc(MANIFEST_DOC_ID), { createdAt: clock(), createdBy: deviceId })
  // The first practitioner does not exist before this call, so the records it creates are
  // signed by the device alone ('setup'); everything after is signed by the practitioner.
  stored.memberId = initPractice(
    await space.openDoc(DIRECTORY_DOC_ID),
    { name: input.practiceName, firstPractitioner: input.practitioner },
    { deviceId, memberId: 'setup' },
    clock,
  )
  labelDevice(await space.openDoc(DIRECTORY_DOC_ID), deviceId, { memberId: stored.memberId }, { deviceId, memberId: stored.memberId }, clock)
  await space.flush()
  const registry = registryOf(env)
  await registry.put(stored)
  await registry.putRootSecret(spaceId, rootSecret)
  // Held for this session, the key pairs' private halves with them: a passkey chosen now wraps them all (lock/at-rest.ts).
  holdSessionSecrets(spaceId, { tiers: await deriveTierSecrets(spaceId, rootSecret), rootSecret, identity: env.unlocked?.identitySecretsOf(stored.identity) ?? null }, stored.keys, env)
  rememberFirstSync(space, spaceId, registry)
  // The person just committed to this device: the moment to ask the browser to keep its data.
  await requestPersistentStorage(env)
  return { record: publicRecord(stored), space, ...(role === undefined ? {} : { role }) }
}

/**
 * Another device joins with the pairing payload (space/pairing-code.ts) an administrator's device
 * sealed to it (pairing.ts opens it, then calls this); it chooses who it is once the directory
 * arrives. `identity` is the key pairs the pairing was sealed to; tests that join without the
 * mailbox let one be made here.
 */
export async function joinPractice(pairingCode: string, env: DeviceEnvironment = browserEnvironment, identity?: DeviceIdentity): Promise<OpenPractice> {
  const info = decodePairingCode(pairingCode)
  // Check the code against the relay before storing anything: a stale code is refused here,
  // with a reason, rather than by a socket that keeps failing.
  const relay = new RelayClient({ relayUrl: info.relayUrl, spaceId: info.spaceId, credential: info.credential, ...(env.fetchImpl ? { fetchImpl: env.fetchImpl } : {}) })
  const access = await relay.probeAccess()
  if (access.kind === 'refused') throw new RelayError(access.reason, `The relay refused: ${access.reason}`)
  if (access.kind === 'unreachable') throw new RelayError(RelayFailure.Unreachable, `Relay unreachable at ${info.relayUrl}`)
  const registry = registryOf(env)
  // Joined again: the secrets a passkey wrapped before are replaced by the ones just given.
  if ((await registry.wrapped(info.spaceId).catch(() => null)) !== null) await registry.unwrap(info.spaceId, await deriveDeviceKeys(info.spaceId, info.tiers), null, { credential: info.credential, heldEpochs: [] })
  const existing = await registry.get(info.spaceId).catch(() => undefined)
  const stored: StoredPractice = {
    spaceId: info.spaceId,
    relayUrl: info.relayUrl,
    practiceName: info.practiceName,
    deviceId: info.deviceId ?? existing?.deviceId ?? randomId(9),
    memberId: existing?.memberId ?? null,
    credential: info.credential,
    role: info.role,
    until: info.until,
    roleNotice: null,
    // Only the tiers the role was given: a secretary's record holds no clinical key (device-keys.ts).
    keys: await deriveDeviceKeys(info.spaceId, info.tiers),
    hasSynced: existing?.hasSynced ?? false,
    identity: identity ?? (await wrappableIdentity(env)),
  }
  await registry.put(stored)
  // Held for this session: a passkey set up now wraps them (lock/at-rest.ts); a later session has only the keys.
  // With the private halves of its key pairs, made in this session (wrappableIdentity).
  holdSessionSecrets(info.spaceId, { tiers: info.tiers, rootSecret: info.rootSecret, identity: env.unlocked?.identitySecretsOf(stored.identity) ?? null }, stored.keys, env)
  // The root secret only reaches an administrator praticien (pairing-code.ts); anyone else keeps none.
  if (info.rootSecret !== null) await registry.putRootSecret(info.spaceId, info.rootSecret)
  else await registry.deleteRootSecret(info.spaceId)
  // The registry that names whose entries to accept (none in a practice created before devices had keys).
  await keepPracticeChain(stored, env)
  const { space, role } = await openSpace(stored, env)
  if (!stored.hasSynced) rememberFirstSync(space, stored.spaceId, registry)
  await requestPersistentStorage(env)
  return { record: publicRecord(stored), space, ...(role === undefined ? {} : { role }) }
}

export async function setMember(spaceId: string, memberId: string, env: DeviceEnvironment = browserEnvironment): Promise<PracticeRecord> {
  const registry = registryOf(env)
  const stored = await registry.get(spaceId)
  if (!stored) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  stored.memberId = memberId
  await registry.put(stored)
  return publicRecord(stored)
}

/** What the registry granted a joining device: its id, credential, role (pairing-code.ts). */
export interface PairingGrant {
  deviceId: string
  credential: string
  role: DeviceRole
  admin: boolean
  until: number | null
}

/**
 * The pairing payload another device joins with: the tier secrets its role reads, and the root
 * secret for an administrator praticien (registry.ts says why it is kept), so it only ever leaves
 * this device sealed to the joining device's key (pairing.ts). Without a grant (a practice
 * without a registry; tests that join without the mailbox), an administrator praticien's.
 */
export async function getPairingCode(spaceId: string, env: DeviceEnvironment = browserEnvironment, grant?: PairingGrant): Promise<string> {
  const registry = registryOf(env)
  const [stored, rootSecret] = await Promise.all([registry.get(spaceId), registry.rootSecret(spaceId)])
  if (!stored) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  if (rootSecret === null) throw new DeviceStorageError('Only an administrator praticien’s device holds what pairing another device takes')
  const { relayUrl, practiceName } = stored
  if (grant === undefined) return encodePairingCode(await administratorPairing({ relayUrl, spaceId, practiceName, credential: stored.credential }, rootSecret))
  return encodePairingCode({
    relayUrl,
    spaceId,
    practiceName,
    credential: grant.credential,
    deviceId: grant.deviceId,
    role: grant.role,
    admin: grant.admin,
    until: grant.until,
    ...(await pairingSecretsFor(spaceId, rootSecret, grant.role, grant.admin)),
  })
}

/**
 * New key pairs for this device, their private halves held for this session in `env.unlocked`
 * so that a passkey chosen now wraps them (lock/at-rest.ts); kept at rest non-extractable.
 */
export async function wrappableIdentity(env: Pick<DeviceEnvironment, 'unlocked'>): Promise<DeviceIdentity> {
  const { identity, secrets } = await makeWrappableIdentity()
  env.unlocked?.rememberIdentity(identity, secrets)
  return identity
}

/** This device's own key pairs in `spaceId`, made and kept now if the record predates them. */
export async function deviceIdentityOf(spaceId: string, env: DeviceEnvironment = browserEnvironment): Promise<{ identity: DeviceIdentity; credential: string; relayUrl: string }> {
  const registry = registryOf(env)
  const stored = await registry.get(spaceId)
  if (!stored) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  if (stored.identity === undefined) {
    stored.identity = await wrappableIdentity(env)
    await registry.put(stored)
  }
  return { identity: stored.identity, credential: stored.credential, relayUrl: stored.relayUrl }
}
