/**
 * This device's side of the practice's key epochs (issue 19, « Revocation »;
 * shared/src/crypto/key-epochs.ts, shared/src/devices/key-epoch-entry.ts; the relay's side:
 * relay/src/app/key-epochs.ts):
 *
 *   ensureKeyEpoch     an administrator, after a revocation: if the chain's revocations call for
 *                      an epoch newer than the newest published, makes it, seals it to every active
 *                      device and publishes it; on a 409 (another administrator's rotation, or the
 *                      registry moved) reads both again and decides again
 *   grantKeyEpochs     an administrator, after adding a device: seals it every epoch this device
 *                      keeps the secrets of, so that it reads old entries and writes under the newest
 *   refreshKeyEpochs   every device, when it opens the practice and on demand: fetches the seals
 *                      addressed to it, opens those it lacks (checked against the chain: an
 *                      administrator sealed them), keeps their keys non-extractable (registry.ts:
 *                      each epoch's entry keys, digest key and attachment key, derived here from
 *                      the opened secrets) and adds them to the rings its rooms write and read
 *                      with, and its digests and attachments seal and open with
 *
 * A device offline through a rotation picks its keys up here the next time it reaches the relay;
 * meanwhile it writes under the newest epoch it holds (entries the revoked device may still read,
 * until the next compaction rewrites them under the newest epoch; a digest, until a device holding
 * the newer epoch replaces it).
 */
import { GrowingEpochKeyring } from '../../../../shared/src/crypto/key-epochs'
import { makeGrant, makeRotation, openEpochSeal, type OwnDevice } from '../../../../shared/src/devices/epoch-rotation'
import { revocationsIn } from '../../../../shared/src/devices/key-epoch-entry'
import { emptyRegistry, verifyRegistry, type RegistryState } from '../../../../shared/src/devices/registry-chain'
import { publicKeysOf } from '../../../../shared/src/devices/device-identity'
import { DeviceStorageError } from '../errors'
import { RelayClient } from '../relay/relay-client'
import type { DeviceEnvironment } from './device'
import { registryOf, type EpochSecrets, type HeldEpoch, type StoredPractice } from './registry'
import { heldEpochOf } from './held-epoch-keys'
import { readsClinicalRole } from './device-keys'
import { epochsKeptFor, keepHeldEpochs, sealEpochAtRest } from './lock/at-rest'
import { representRegistry } from './registry-repair'
import { registryReadOf, type RegistryRead } from './registry-read'

/** How many times a rotation is made again on a registry or epochs that moved under it. */
const MAX_ATTEMPTS = 5

export class KeyEpochError extends Error {
  override name = 'KeyEpochError'
}

/**
 * The rings a device uses: its rooms' entries, one per tier (shared/src/space/room-keys.ts
 * keysOfRoom); its digests (practice tier, digests/digest-sync.ts) and attachments (clinical tier,
 * attachments/attachment-sync.ts).
 */
export interface EpochRings {
  readonly practice: GrowingEpochKeyring
  readonly clinical: GrowingEpochKeyring
  readonly digest: GrowingEpochKeyring
  readonly attachment: GrowingEpochKeyring
}

export function emptyEpochRings(): EpochRings {
  return { practice: new GrowingEpochKeyring(), clinical: new GrowingEpochKeyring(), digest: new GrowingEpochKeyring(), attachment: new GrowingEpochKeyring() }
}

/**
 * Adds held epochs to the rings (a secretary's device has no clinical key of any epoch). The
 * entries' rings first: a digest republished because its ring grew is built from rooms that
 * already write under the same epoch.
 */
export function addToRings(rings: EpochRings, held: readonly HeldEpoch[]): void {
  for (const epoch of held) {
    rings.practice.add(epoch.epoch, epoch.practice)
    if (epoch.clinical !== null) rings.clinical.add(epoch.epoch, epoch.clinical)
  }
  for (const epoch of held) {
    if (epoch.digest !== undefined) rings.digest.add(epoch.epoch, epoch.digest)
    if (epoch.attachment !== undefined && epoch.attachment !== null) rings.attachment.add(epoch.epoch, epoch.attachment)
  }
}

/** The rings this device's rooms of `spaceId` use, with the epochs it holds; shared through `env.epochRings`. */
export async function epochRingsOf(spaceId: string, env: DeviceEnvironment): Promise<EpochRings> {
  let rings = env.epochRings?.get(spaceId)
  if (rings === undefined) {
    rings = emptyEpochRings()
    env.epochRings?.set(spaceId, rings)
  }
  addToRings(rings, await registryOf(env).heldEpochs(spaceId))
  return rings
}

export type Practice = StoredPractice & Required<Pick<StoredPractice, 'identity'>>

/** This device's record of the practice, with its own key pairs (KeyEpochError when it has none). */
export async function storedPractice(spaceId: string, env: DeviceEnvironment): Promise<Practice> {
  const stored = await registryOf(env).get(spaceId)
  if (!stored) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  if (!stored.identity) throw new KeyEpochError('This device has no keys of its own: it was paired before devices had them')
  return stored as Practice
}

export function relayOf(stored: StoredPractice, env: DeviceEnvironment): RelayClient {
  return new RelayClient({ relayUrl: stored.relayUrl, spaceId: stored.spaceId, credential: stored.credential, ...(env.fetchImpl ? { fetchImpl: env.fetchImpl } : {}) })
}

function ownOf(stored: Practice): OwnDevice {
  return { deviceId: stored.deviceId, agree: stored.identity.agree, sign: stored.identity.sign }
}

/**
 * Publishes the epoch the registry's revocations call for, if no administrator did, and checks
 * again until the newest published epoch answers every revocation the chain holds (another
 * administrator may have revoked meanwhile): the newest epoch this device published, or null when
 * there was nothing for it to do. This device keeps the keys it makes at once. `read`: the
 * registry as the caller's pass read it (registry-read.ts), taken for the first attempt; a 409
 * means it moved, and the next attempt reads it again.
 */
export async function ensureKeyEpoch(spaceId: string, env: DeviceEnvironment, rings?: EpochRings, read?: RegistryRead): Promise<number | null> {
  const stored = await storedPractice(spaceId, env)
  const relay = relayOf(stored, env)
  const registry = registryOf(env)
  const registryRead = read ?? registryReadOf(stored, env)
  let published: number | null = null
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // Every attempt after the first follows a 409 or a publication: the registry and the epochs are read again.
    if (attempt > 0) registryRead.moved()
    const [devices, { epochs }] = await Promise.all([registryRead.get(), relay.getKeyEpochs()])
    if (devices === null) return published
    const { state } = devices
    const due = revocationsIn(state)
    if (due === 0 || (epochs.at(-1) ?? 0) >= due) return published
    // This device made that epoch already, and the relay lost it (restored from a backup older
    // than the rotation, docs/relay.md « Backups »): the same secrets again, never new ones, or
    // what was written under them would be unreadable to the devices sealed the new ones.
    const kept = (await registry.epochSecrets(spaceId)).find((s) => s.epoch === due)
    let again: { practice: Uint8Array; clinical: Uint8Array } | undefined
    if (kept !== undefined) {
      if (kept.clinical === null) throw new KeyEpochError(`Epoch ${due} is kept here without its clinical secret: an administrator praticien publishes it`)
      again = { practice: kept.practice, clinical: kept.clinical }
    }
    const rotation = await makeRotation(state, ownOf(stored), (env.now ?? Date.now)(), again)
    if ((await relay.postKeyEpoch(rotation.entry)) === 'conflict') continue
    published = rotation.epoch
    if (again !== undefined) continue
    const held = await heldEpochOf(spaceId, rotation.epoch, rotation.secrets)
    await keepHeldEpochs(spaceId, [{ held, secrets: { epoch: rotation.epoch, ...rotation.secrets } }], env)
    await registry.addEpochSecrets(spaceId, { epoch: rotation.epoch, ...rotation.secrets }, (secrets) => sealEpochAtRest(spaceId, secrets, env))
    if (rings) addToRings(rings, [held])
  }
  throw new KeyEpochError(`The registry or the key epochs kept changing under this rotation (${MAX_ATTEMPTS} attempts)`)
}

/** Seals every epoch this administrator keeps the secrets of to `deviceId` (added after them). */
export async function grantKeyEpochs(spaceId: string, deviceId: string, env: DeviceEnvironment): Promise<number[]> {
  const stored = await storedPractice(spaceId, env)
  // The epochs other administrators made since this device last looked: granted too. Should the
  // fetch fail, granting the epochs this device holds is still right: the rest is granted by the
  // administrator that made them, or at the next pairing.
  await refreshKeyEpochsOf(stored, env).catch((error: unknown) => console.warn('Could not fetch the key epochs before granting', error instanceof Error ? error.name : 'error'))
  const kept = await registryOf(env).epochSecrets(spaceId)
  if (kept.length === 0) return []
  const relay = relayOf(stored, env)
  const state = await verifyRegistry(spaceId, await relay.getDeviceEntries())
  const { epochs } = await relay.getKeyEpochs()
  const granted: number[] = []
  for (const secrets of kept) {
    if (!epochs.includes(secrets.epoch)) continue
    const entry = await makeGrant(state, ownOf(stored), secrets.epoch, secrets, deviceId, (env.now ?? Date.now)())
    // 409: that device has its seal of this epoch already (another administrator granted it).
    if ((await relay.postKeyEpoch(entry)) === 'published') granted.push(secrets.epoch)
  }
  return granted
}

/**
 * Fetches and opens the seals addressed to this device that it does not hold yet; the epochs
 * added. A seal that does not open is refused (KeyEpochError names its epoch), the others kept.
 */
export async function refreshKeyEpochs(spaceId: string, env: DeviceEnvironment, rings?: EpochRings): Promise<number[]> {
  return refreshKeyEpochsOf(await storedPractice(spaceId, env), env, rings)
}

/**
 * refreshKeyEpochs for a practice record in hand; `read`: the registry as the caller read it
 * (registry-read.ts: its opening, its online pass), asked only when a seal is to be opened.
 */
export async function refreshKeyEpochsOf(stored: StoredPractice, env: DeviceEnvironment, rings?: EpochRings, read?: RegistryRead): Promise<number[]> {
  if (!stored.identity) throw new KeyEpochError('This device has no keys of its own: it was paired before devices had them')
  const { spaceId } = stored
  const registry = registryOf(env)
  // What this device stored meanwhile (a rotation it made elsewhere than through these rings) first.
  if (rings) addToRings(rings, await registry.heldEpochs(spaceId))
  const relay = relayOf(stored, env)
  const { seals } = await relay.getKeyEpochs()
  // An epoch kept without its digests' and attachments' keys (hasUseKeys), or kept at rest on a
  // device whose passkey now wraps its secrets, is opened again from its seal (lock/at-rest.ts).
  const held = await epochsKeptFor(spaceId, env)
  const missing = seals.filter((s) => !held.has(s.epoch))
  if (missing.length === 0) return []
  // The seals are checked against the registry: the one the caller read when it hands one over.
  const state: RegistryState = read === undefined ? await verifyRegistry(spaceId, await relay.getDeviceEntries()) : ((await read.get())?.state ?? emptyRegistry(spaceId))
  const own = ownOf(stored as Practice)
  const ownAgree = (await publicKeysOf(stored.identity)).agree
  const opened: { held: HeldEpoch; secrets: EpochSecrets }[] = []
  const refused: number[] = []
  const administrator = (await registry.rootSecret(spaceId)) !== null
  // The role as the device's record says it now: a refresh begun before a narrowing ends after it too.
  const role = (await registry.records()).find((r) => r.spaceId === spaceId)?.role ?? stored.role
  for (const seal of missing) {
    try {
      const sealed = await openEpochSeal(state, own, ownAgree, seal)
      // A device made secretary keeps no clinical key, whatever a seal made before the change holds (role-downgrade.ts).
      const secrets = readsClinicalRole(role) ? sealed : { ...sealed, clinical: null }
      opened.push({ held: await heldEpochOf(spaceId, seal.epoch, secrets), secrets: { epoch: seal.epoch, practice: secrets.practice, clinical: secrets.clinical } })
      if (administrator && secrets.clinical !== null) {
        await registry.addEpochSecrets(spaceId, { epoch: seal.epoch, practice: secrets.practice, clinical: secrets.clinical }, (kept) => sealEpochAtRest(spaceId, kept, env))
      }
    } catch {
      refused.push(seal.epoch)
    }
  }
  await keepHeldEpochs(spaceId, opened, env)
  if (rings) addToRings(rings, opened.map((e) => e.held))
  if (refused.length > 0) throw new KeyEpochError(`The sealed keys of epoch ${refused.join(', ')} do not open on this device: not sealed to it by an administrator`)
  return opened.map((e) => e.held.epoch)
}

/**
 * One refresh at a time for an open practice, asked for when it comes online, when a room meets
 * an entry of an epoch it lacks (MissingEpochKeyError), and when a digest or an attachment is of
 * one (their MissingDigestEpochError, MissingAttachmentEpochError), an administrator's making any
 * rotation due first; `onAdded` once new epochs are held (the rooms try their unread entries
 * again). A request during a refresh runs one more after it. Each request resolves once a run
 * that started after it has ended: true when that run reached the relay's epochs (so a digest of
 * an epoch still not held then is not one this device will be given), false when it could not.
 * A request may hand over the registry its moment read (registry-read.ts: the online pass's); the
 * run takes it, a run after the current one the latest request's, and without one each step that
 * needs the registry reads it, once for the run.
 */
export function epochRefresher(
  stored: StoredPractice,
  env: DeviceEnvironment,
  rings: EpochRings,
  onAdded: () => void,
  /** Whether the practice is still open: a run stops between steps once it closed, and says nothing of what failed after. */
  isOpen: () => boolean = () => true,
): (read?: RegistryRead) => Promise<boolean> {
  let running: Promise<boolean> | null = null
  let again: Promise<boolean> | null = null
  let againRead: RegistryRead | undefined
  // A step failing after the practice closed is expected (its relay may be gone with it): not worth a warning.
  const warn = (what: string) => (error: unknown) => {
    if (isOpen()) console.warn(what, error instanceof Error ? error.name : 'error')
  }
  const runOnce = async (read: RegistryRead): Promise<boolean> => {
    if (!isOpen()) return false
    // An administrator also finishes a rotation a revocation left undone (the relay unreachable
    // right after the revocation, say): any administrator coming online publishes it.
    if ((await registryOf(env).rootSecret(stored.spaceId)) !== null) {
      // A relay restored from an older backup: first the registry entries it lost, a revocation
      // among them, then the epoch that revocation calls for, published again as it was (what
      // was sent back moved the registry: ensureKeyEpoch reads it again then, and only then).
      await representRegistry(stored.spaceId, env, read).catch(warn('Could not send the relay the registry entries it lacks'))
      if (!isOpen()) return false
      await ensureKeyEpoch(stored.spaceId, env, rings, read).catch(warn('Could not complete the key rotation'))
    }
    if (!isOpen()) return false
    let reached = true
    const added = await refreshKeyEpochsOf(stored, env, rings, read).catch((error: unknown) => {
      warn('Could not fetch the key epochs')(error)
      // A seal that does not open was still read from the relay: the relay was reached.
      reached = error instanceof KeyEpochError
      return []
    })
    if (added.length > 0) onAdded()
    return reached
  }
  const start = (read: RegistryRead | undefined): Promise<boolean> => {
    // Reading this device's registry may fail too: that run reached nothing.
    const run = runOnce(read ?? registryReadOf(stored, env))
      .catch(() => false)
      .finally(() => {
        running = null
      })
    running = run
    return run
  }
  return (read?: RegistryRead) => {
    if (running === null) return start(read)
    // One more run after the current one, shared by every request made meanwhile, with the
    // registry the latest of them handed over (none: read afresh, after what this run changed).
    againRead = read
    again ??= running.then(
      () => {
        again = null
        return start(againRead)
      },
      () => {
        again = null
        return start(againRead)
      },
    )
    return again
  }
}
