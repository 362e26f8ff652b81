/**
 * This device's side of the practice's device registry (shared/src/devices/registry-chain.ts;
 * the relay's side: relay/src/app/devices.ts): write the first entry when the practice is
 * created, add a device when a pairing is accepted, revoke one, and read the registry, always
 * verified here whatever the relay sends.
 *
 * A practice created before devices had keys has no registry: `readPracticeDevices` says so
 * (null), its devices keep the practice's shared credential, and adding or revoking a device is
 * not possible there (docs/threat-model.md says what that leaves open).
 *
 * Two administrators changing the registry at once: the relay keeps the first and answers the
 * second 409; the second reads the chain again and rebuilds its change on it (a revocation of a
 * device already revoked is then done, one signed by a device revoked meanwhile is refused).
 */
import { toBase64Url, randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import type { DevicePublicKeys } from '../../../../shared/src/devices/device-identity'
import { publicKeysOf } from '../../../../shared/src/devices/device-identity'
import {
  accessEnded,
  credentialHash,
  DeviceRole,
  nextStatement,
  signStatement,
  verifyRegistry,
  widens,
  type RegistryChange,
  type RegistryState,
} from '../../../../shared/src/devices/registry-chain'
import { DeviceStorageError } from '../errors'
import { RelayClient } from '../relay/relay-client'
import type { DeviceEnvironment, PairingGrant } from './device'
import { registryOf, type StoredPractice } from './registry'
import { ensureKeyEpoch, epochRingsOf, grantKeyEpochs, refreshKeyEpochs } from './key-epochs-sync'
import { sendKeyGrant } from './key-grants-sync'
import { registryReadOf, type RegistryRead } from './registry-read'

/** How many times a change is rebuilt on a registry that moved under it before giving up. */
const MAX_REBASES = 5

export class RegistryChangeError extends Error {
  override name = 'RegistryChangeError'
}

function relayOf(stored: Pick<StoredPractice, 'relayUrl' | 'spaceId' | 'credential'>, env: DeviceEnvironment): RelayClient {
  return new RelayClient({ relayUrl: stored.relayUrl, spaceId: stored.spaceId, credential: stored.credential, ...(env.fetchImpl ? { fetchImpl: env.fetchImpl } : {}) })
}

async function storedPractice(spaceId: string, env: DeviceEnvironment): Promise<StoredPractice & Required<Pick<StoredPractice, 'identity'>>> {
  const stored = await registryOf(env).get(spaceId)
  if (!stored) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  if (!stored.identity) throw new RegistryChangeError('This device has no keys of its own: it was paired before devices had them')
  return stored as StoredPractice & Required<Pick<StoredPractice, 'identity'>>
}

/** The practice's devices: the registry, verified here, and when the relay last saw each (its word). */
export interface PracticeDevices {
  readonly state: RegistryState
  /** The entries `state` was verified from, as the relay served them. */
  readonly entries: readonly unknown[]
  readonly lastSeen: ReadonlyMap<string, number>
}

/** The registry as the relay holds it, verified here; null for a practice that has none. */
export async function readPracticeDevices(spaceId: string, env: DeviceEnvironment): Promise<PracticeDevices | null> {
  const stored = await registryOf(env).get(spaceId)
  if (!stored) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  return readPracticeDevicesOf(stored, env)
}

/** readPracticeDevices for a practice record in hand (one being created is not stored yet). */
export async function readPracticeDevicesOf(stored: Pick<StoredPractice, 'spaceId' | 'relayUrl' | 'credential'>, env: DeviceEnvironment): Promise<PracticeDevices | null> {
  const { spaceId } = stored
  const { entries, lastSeen } = await relayOf(stored, env).getDevices()
  if (entries.length === 0) return null
  const state = await verifyRegistry(spaceId, entries)
  // Verified: kept as whose entries this device accepts (practice-signers.ts), never shortened.
  await keepLonger(spaceId, entries, env)
  return { state, entries, lastSeen }
}

/** Keeps a verified chain as this device's copy when it is longer than the one kept: never shortened. */
async function keepLonger(spaceId: string, entries: readonly unknown[], env: DeviceEnvironment): Promise<void> {
  const registry = registryOf(env)
  if (entries.length > (await registry.chain(spaceId)).length) await registry.putChain(spaceId, entries)
}

/**
 * The practice's first entry: this device, administrator, with the credential it created the
 * space with. Called by createPractice right after the relay registered the space.
 */
export async function registerFirstDevice(stored: StoredPractice & Required<Pick<StoredPractice, 'identity'>>, env: DeviceEnvironment): Promise<void> {
  const keys = await publicKeysOf(stored.identity)
  const genesis = (state: RegistryState): Change => {
    if (state.length > 0) throw new RegistryChangeError('The practice already has a device registry')
    return { op: 'genesis', device: { id: stored.deviceId, ...keys, role: DeviceRole.Practitioner, admin: true, credential: '' } }
  }
  await append(stored, env, genesis, (env.now ?? Date.now)(), stored.credential)
}

/** What a new device is added as: its role, whether it administers, a locum's end of access (ms). */
export interface DeviceGrantOptions {
  role: DeviceRole
  admin: boolean
  until: number | null
}

export const PRACTITIONER_GRANT: DeviceGrantOptions = { role: DeviceRole.Practitioner, admin: true, until: null }

/**
 * Adds the device a pairing brings (its public keys, confirmed on both screens), with a device id
 * and a relay credential made here for it, as `options` says; null in a practice without a
 * registry, whose new devices get the shared credential (and a praticien's keys: no roles there).
 * The registry refuses what does not fit (an administrator that is not a praticien, a locum
 * without an end date: RegistryError, role-mismatch) before anything is sealed.
 */
export async function addPracticeDevice(
  spaceId: string,
  joining: DevicePublicKeys,
  options: DeviceGrantOptions,
  env: DeviceEnvironment,
): Promise<PairingGrant | null> {
  const stored = await storedPractice(spaceId, env)
  const deviceId = randomId(9)
  const credential = toBase64Url(randomBytes(32))
  const { role, admin, until } = options
  // A practice without a registry: nothing to add (its devices share its credential).
  const change = (state: RegistryState): Change | 'done' =>
    state.length === 0 ? 'done' : { op: 'add', device: { id: deviceId, ...joining, role, admin, credential: '', ...(until === null ? {} : { until }) } }
  const appended = await append(stored, env, change, (env.now ?? Date.now)(), credential)
  if (!appended) return null
  // Added after a revocation: the new device reads the entries of every epoch (and writes under the newest).
  await grantKeyEpochs(spaceId, deviceId, env)
  return { deviceId, credential, role, admin, until }
}

/**
 * Revokes `deviceId`, dated by the device's clock; done as well when another administrator revoked
 * it first. Then moves the practice's keys to a new epoch sealed to the remaining devices
 * (key-epochs-sync.ts), unless another administrator's rotation already covers this revocation:
 * from then on this device writes under it.
 */
export async function revokePracticeDevice(spaceId: string, deviceId: string, env: DeviceEnvironment): Promise<void> {
  const stored = await storedPractice(spaceId, env)
  const at = (env.now ?? Date.now)()
  await append(stored, env, (state) => (state.devices.get(deviceId)?.revokedAt != null ? 'done' : { op: 'revoke', target: deviceId }), at)
  const rings = await epochRingsOf(spaceId, env)
  await ensureKeyEpoch(spaceId, env, rings)
  // Another administrator's rotation came first: its seal to this device is on the relay.
  await refreshKeyEpochs(spaceId, env, rings)
}

/** A device's new role, and a locum's end of access (ms; null for the other roles). */
export interface DeviceRoleChange {
  role: DeviceRole
  until: number | null
}

/**
 * Gives `deviceId` a new role and end date without revoking it (a locum's replacement extended,
 * a praticien made secretary), dated by this device's clock; done as well when the registry
 * already says so. The relay lets the device's credential open what the new role opens from the
 * entry on. A change that takes the clinical tier from the device (to secretariat) then moves the
 * practice's keys to a new epoch, as a revocation does (ensureKeyEpoch: sealed to the device by
 * its new role, the practice tier alone), so that it reads no clinical entry written after.
 * A change that widens what the device reads (a secretary made praticien or remplaçant) is sent
 * with a key grant sealing it the clinical keys of every epoch, in one request the relay stores
 * in one transaction (key-grants-sync.ts): KeyGrantSendError when the grant cannot be made or
 * delivered, and then the role is not changed either.
 * The registry refuses what does not fit (RegistryError: role-mismatch, last-administrator)
 * before anything is sent.
 */
export async function changePracticeDevice(spaceId: string, deviceId: string, change: DeviceRoleChange, env: DeviceEnvironment): Promise<void> {
  const stored = await storedPractice(spaceId, env)
  const at = (env.now ?? Date.now)()
  const { role, until } = change
  const current = (await readPracticeDevices(spaceId, env))?.state.devices.get(deviceId)
  if (current !== undefined && widens(current.role, role)) {
    await sendKeyGrant(spaceId, deviceId, env, { role, until })
    return
  }
  await append(
    stored,
    env,
    (state) => {
      const device = state.devices.get(deviceId)
      return device !== undefined && device.role === role && (device.until ?? null) === until ? 'done' : { op: 'change', target: deviceId, role, ...(until === null ? {} : { until }) }
    },
    at,
  )
  // This device made itself no administrator: another administrator's device makes the rotation as
  // it comes online (key-epochs-sync.ts, epochRefresher); this one may no longer.
  if (deviceId === stored.deviceId && role !== DeviceRole.Practitioner) return
  const rings = await epochRingsOf(spaceId, env)
  await ensureKeyEpoch(spaceId, env, rings)
  await refreshKeyEpochs(spaceId, env, rings)
}

/**
 * Revokes every locum whose end date has passed by this device's clock, each as any revocation
 * (a registry entry, then a key epoch the others move to): from its end the relay refuses a locum
 * (accessEnded), and from here on no key epoch is sealed to it either — what it held, it keeps
 * reading; nothing written after. An administrator's device does it as it comes online
 * (device.ts, its online pass: `read` is the registry that pass read, registry-read.ts).
 * Resolves with the devices revoked.
 */
export async function revokeEndedLocums(spaceId: string, env: DeviceEnvironment, read?: RegistryRead): Promise<string[]> {
  const stored = await storedPractice(spaceId, env)
  const now = (env.now ?? Date.now)()
  const registryRead = read ?? registryReadOf(stored, env)
  const state = (await registryRead.get())?.state
  if (state === undefined) return []
  const ended = [...state.devices.values()].filter((device) => device.revokedAt === null && accessEnded(device, now)).map((device) => device.id)
  if (ended.length === 0) return []
  // Each revocation (and its rotation) reads the registry as it appends; what reads it after, again.
  registryRead.moved()
  for (const deviceId of ended) await revokePracticeDevice(spaceId, deviceId, env)
  return ended
}

type Change = RegistryChange

/**
 * Reads the chain, builds the change on its head, signs and sends it; on a 409 does it again on
 * the new head. `credential`: for genesis and add, the credential whose hash the entry grants.
 * Resolves true once appended, false when `build` found nothing to do.
 */
async function append(
  stored: StoredPractice & Required<Pick<StoredPractice, 'identity'>>,
  env: DeviceEnvironment,
  build: (state: RegistryState) => Change | 'done',
  at: number,
  credential?: string,
): Promise<boolean> {
  const relay = relayOf(stored, env)
  for (let attempt = 0; attempt < MAX_REBASES; attempt++) {
    const entries = await relay.getDeviceEntries()
    const state = await verifyRegistry(stored.spaceId, entries)
    const change = build(state)
    if (change === 'done') return false
    const filled: Change = change.op === 'revoke' || change.op === 'change' ? change : { ...change, device: { ...change.device, credential: await credentialHash(credential!) } }
    const entry = await signStatement(nextStatement(state, stored.deviceId, at, filled), stored.identity.sign.privateKey)
    if ((await relay.postDeviceEntry(entry)) === 'appended') {
      // Kept at once: this device can then send it again to a relay restored from an older backup (registry-repair.ts).
      await keepLonger(stored.spaceId, [...entries, entry], env)
      return true
    }
  }
  throw new RegistryChangeError(`The device registry kept changing under this change (${MAX_REBASES} attempts)`)
}
