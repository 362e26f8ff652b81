/**
 * A device the registry made secretary learns it, and drops what its new role does not read
 * (issue 19, « change » entry; shared/src/devices/registry-chain.ts). The relay already refuses
 * its credential on clinical rooms (4403) and the practice moved to a key epoch whose clinical key
 * it is never sealed; this is the device's own side: what it held of the clinical tier goes.
 *
 *   narrowingIn         pure: whether a verified registry narrows this device's role to one
 *                       without the clinical tier, while its record still holds that tier
 *   narrowRole          step 1, one transaction in the device's registry (registry.ts narrow): the
 *                       record's role and notice, the clinical and attachment keys of the working
 *                       keys and of every held epoch, an administrator's root and epoch secrets,
 *                       and — where the passkey wraps the secrets — the wrapped payload sealed
 *                       again without the clinical tier (lock/at-rest.ts narrowedAtRest); with it,
 *                       the names of the databases step 2 deletes, computed while the key that
 *                       blinds their ids is at hand
 *   dropNarrowedDatabases
 *                       step 2: the clinical rooms' databases (`<idbName>-c…`, one per file
 *                       shard), the attachments' database and the device-held state
 *                       (`<idbName>-held`), then the record says it is done
 *   settleRoleAtStart   before the practice opens: step 2 resumed if a closed tab left it undone;
 *                       otherwise the registry kept here (offline too) checked, and both steps run
 *                       if it narrows this device
 *   checkRole           while the practice is open: the registry read from the relay (verified and
 *                       kept, practice-devices.ts readPracticeDevices), and the narrowing it says
 *                       (narrowingRead, which role-change.ts calls on the registry it read for the
 *                       grant too), for the app to close the practice, settle it, and open it again
 *
 * A tab closed during step 1 leaves the device as before (the registry kept here still says the new
 * role: the next start does it again); after step 1, the next start resumes step 2. Nothing of the
 * clinical tier is read or shown after step 1: the practice opens without its keys, so no clinical
 * room, attachment or held clinical doc is opened again, whatever step 2's progress.
 *
 * The held state goes whole: its rows are keyed by blinded doc ids, and telling a patient file's
 * from the directory's would take the list of every file this device ever held. The practice-tier
 * docs are held again from their envelopes as they open (as when a passkey first wraps the held
 * state: held-state.ts dropHeldKeyAtRest). What the device showed, copied or exported before the
 * change, no deletion here can take back (docs/threat-model.md).
 */
import { readStatement, verifyRegistry, type DeviceRole, type RegistryState } from '../../../../shared/src/devices/registry-chain'
import { noticeOf } from './role-notice'
import { blindRoomName } from '../../../../shared/src/space/room-keys'
import { fileRooms } from '../../../../shared/src/space/rooms'
import { DeviceStorageError } from '../errors'
import type { DeviceEnvironment } from './device'
import { readsClinicalRole, type DeviceKeys } from './device-keys'
import { heldStateDatabase } from './held-state'
import { narrowedAtRest } from './lock/at-rest'
import { deleteDatabase } from './lock/forget'
import { readPracticeDevices, type PracticeDevices } from './practice-devices'
import { registryOf, type RoleNotice, type StoredPractice } from './registry'

/** What the registry changed this device into: its role, a locum's end (null otherwise), the notice. */
export interface RoleNarrowing {
  readonly role: DeviceRole
  readonly until: number | null
  readonly notice: RoleNotice
}

/**
 * The narrowing a verified registry (`state`, built from `entries`) says for this device: its own
 * entry, unrevoked (a revocation erases everything: app/lock/device-session.ts), has a role without
 * the clinical tier while the record still holds that tier or another role; null otherwise.
 */
export function narrowingIn(state: RegistryState, entries: readonly unknown[], stored: Pick<StoredPractice, 'deviceId' | 'role' | 'keys'>): RoleNarrowing | null {
  const own = state.devices.get(stored.deviceId)
  if (own === undefined || own.revokedAt !== null || readsClinicalRole(own.role)) return null
  if (stored.role === own.role && stored.keys.clinical === null && stored.keys.attachment === null) return null
  return { role: own.role, until: own.until ?? null, notice: noticeOf(entries, stored.deviceId, own.role) }
}

function spaceDatabase(spaceId: string, env: Pick<DeviceEnvironment, 'idbPrefix'>): string {
  return `${env.idbPrefix}tournee-space-${spaceId}`
}

/** The databases of the clinical tier: each file shard's room, the attachments', the held state. */
async function clinicalDatabases(spaceId: string, keys: DeviceKeys, env: Pick<DeviceEnvironment, 'idbPrefix'>): Promise<string[]> {
  const space = spaceDatabase(spaceId, env)
  // A room's database is `<idbName>-<room id>` (rooms/room-factory.ts); the id is blinded with the practice tier's key.
  const ids = await Promise.all(fileRooms().map((room) => blindRoomName({ spaceId, aead: keys.aead, blind: keys.blind }, room)))
  return [...ids.map((id) => `${space}-${id}`), heldStateDatabase(space), `${env.idbPrefix}tournee-attachments-${spaceId}`]
}

/**
 * Step 1: the keys and secrets of the clinical tier leave the device's registry, with the record's
 * new role and its notice, in one transaction (registry.ts narrow). The practice must be closed
 * (its rings go: the next opening builds them from what is left). DeviceLockedError on a device
 * whose passkey wraps its secrets and that is locked: it narrows at its next unlock.
 */
export async function narrowRole(spaceId: string, narrowing: RoleNarrowing, env: DeviceEnvironment): Promise<void> {
  const registry = registryOf(env)
  const stored = await registry.get(spaceId)
  if (stored === undefined) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  const databases = await clinicalDatabases(spaceId, stored.keys, env)
  const wrapped = await narrowedAtRest(spaceId, env)
  await registry.narrow(spaceId, { role: narrowing.role, until: narrowing.until, notice: narrowing.notice, narrowing: { databases }, wrapped })
  env.epochRings?.delete(spaceId)
}

/**
 * Step 2: deletes the databases step 1 named (and any clinical room's the browser lists), then
 * records that nothing is left to do; false when a deletion is still waiting after `waitMs`
 * (another tab holds the database open: it completes once that tab closes, and the next start
 * deletes what is left).
 */
export async function dropNarrowedDatabases(spaceId: string, env: DeviceEnvironment, waitMs = 5_000): Promise<boolean> {
  const registry = registryOf(env)
  const stored = await registry.get(spaceId)
  const named = stored?.narrowing?.databases
  if (named === undefined) return true
  const space = `${spaceDatabase(spaceId, env)}-`
  let listed: string[] = []
  if (typeof indexedDB.databases === 'function') {
    // A clinical room's id starts with `c` (shared/src/protocol/ids.ts): 22 characters after the stem.
    listed = (await indexedDB.databases()).map((db) => db.name ?? '').filter((name) => name.startsWith(`${space}c`) && name.length === space.length + 22)
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const done = await Promise.race([
    Promise.all([...new Set([...named, ...listed])].map(deleteDatabase)).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
  ])
  clearTimeout(timer)
  if (done) await registry.narrowed(spaceId)
  return done
}

/** Both steps. */
async function applyNarrowing(spaceId: string, narrowing: RoleNarrowing, env: DeviceEnvironment): Promise<void> {
  await narrowRole(spaceId, narrowing, env)
  await dropNarrowedDatabases(spaceId, env)
}

/**
 * Before the practice opens: a narrowing left halfway is finished; otherwise the registry kept on
 * this device (no network needed) is checked, and a narrowing it says applied. Resolves with the
 * record to open the practice with (read again when anything changed).
 */
export async function settleRoleAtStart(stored: StoredPractice, env: DeviceEnvironment): Promise<StoredPractice> {
  const { spaceId } = stored
  const registry = registryOf(env)
  try {
    if (stored.narrowing !== undefined) {
      await dropNarrowedDatabases(spaceId, env)
    } else {
      const narrowing = await keptNarrowing(stored, env)
      if (narrowing === null) return stored
      await applyNarrowing(spaceId, narrowing, env)
    }
  } catch (error) {
    // The practice still opens (a device that cannot open is worse); the next start, or the next
    // read of the registry while open, tries again. Step 1 is whole or not at all.
    console.warn('Could not apply the role the registry gives this device', error instanceof Error ? error.name : 'error')
  }
  return (await registry.get(spaceId)) ?? stored
}

/** The narrowing the registry kept on this device says (verified again, as every read of it is). */
async function keptNarrowing(stored: StoredPractice, env: DeviceEnvironment): Promise<RoleNarrowing | null> {
  const entries = await registryOf(env).chain(stored.spaceId)
  // Most starts: no « change » entry names this device, and no signature need be checked to know it.
  if (!entries.some((entry, seq) => changes(entry, seq, stored.deviceId))) return null
  return narrowingIn(await verifyRegistry(stored.spaceId, entries), entries, stored)
}

/** Whether `entry` is a « change » of `deviceId` (an entry that does not parse is left to verifyRegistry). */
function changes(entry: unknown, seq: number, deviceId: string): boolean {
  try {
    const { statement } = readStatement(entry, seq)
    return statement.op === 'change' && statement.target === deviceId
  } catch {
    return true
  }
}

/**
 * While the practice is open: reads the registry from the relay (verified, and kept here:
 * settleRoleAtStart applies it should the app close before it does) and says whether it narrows
 * this device. The app then closes the practice and opens it again (settleRoleAtStart).
 */
export async function checkRole(spaceId: string, env: DeviceEnvironment): Promise<RoleNarrowing | null> {
  const stored = await registryOf(env).get(spaceId)
  if (stored === undefined || !stored.identity) return null
  const devices = await readPracticeDevices(spaceId, env)
  return devices === null ? null : narrowingRead(stored, devices, env)
}

/**
 * The narrowing a registry just read from the relay and verified (readPracticeDevices, which kept
 * it here if longer than the copy) says, without verifying it again; the copy kept here when it is
 * the longer one: a relay showing an older chain does not hide the change.
 */
export async function narrowingRead(stored: StoredPractice, devices: Pick<PracticeDevices, 'state' | 'entries'>, env: DeviceEnvironment): Promise<RoleNarrowing | null> {
  if ((await registryOf(env).chain(stored.spaceId)).length > devices.entries.length) return keptNarrowing(stored, env)
  return narrowingIn(devices.state, devices.entries, stored)
}

/** The person read the notice of the narrowed role. */
export function dismissRoleNotice(spaceId: string, env: DeviceEnvironment): Promise<void> {
  return registryOf(env).clearRoleNotice(spaceId)
}
